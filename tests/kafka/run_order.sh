#!/bin/sh
# `churnwatch run` keeps the contract's processing order while events
# arrive live: when every record is on the broker before any later one (a
# producer that waits for each acknowledgement, appending in ts order) and
# no input stays silent for max_idle_ms, the order is that of a replay, and
# so is every warning.
# The rule flips on every event: one customer per shard alternates 1000
# purchases and 1000 logins a minute apart, and `flip` (purchases > logins) fires
# on each purchase and resolves on each login, each warning carrying both
# counts. A login taken before the purchase that precedes it changes them.
# Usage: run_order.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }
start_broker "$bin" "$src" 4

{
        cat <<'EOF'
features = (
  { name = "p_all"; stream = "purchase"; agg = "count"; window = "3650d"; },
  { name = "l_all"; stream = "login"; agg = "count"; window = "3650d"; }
);
rules = ( { name = "flip"; when = "p_all > l_all"; } );
EOF
        grep -A3 '^kafka\|^topics' "$tmp/cw.cfg"
} >"$tmp/flip.cfg"
"$bin" check-config -c "$tmp/flip.cfg" >"$tmp/check.out" 2>&1
check $? "configuration: $(cat "$tmp/check.out")"

"$bin" run -c "$tmp/flip.cfg" 2>"$tmp/run.err" &
run=$!
trap 'kill -9 $pid $run 2>/dev/null; rm -rf "$tmp"' EXIT
# Live: the events come once run has its shards.
for _ in $(seq 200); do
        [ "$(grep -c 'shard . assigned' "$tmp/run.err")" -eq 4 ] && break
        sleep 0.1
done
[ "$(grep -c 'shard . assigned' "$tmp/run.err")" -eq 4 ]
check $? "run was not assigned the four shards: $(cat "$tmp/run.err")"
/usr/bin/python3 - "$src/tests/lib" "$bs" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from kafka import KafkaProducer
from run_lib import API, encode
t0 = 1767225600000
p = KafkaProducer(bootstrap_servers=sys.argv[2], api_version=API, linger_ms=0)
for i in range(1000):
    for stream, topic, extra in (
            ("purchase", "purchases", {"amount_cents": 100, "currency": "EUR", "channel": None}),
            ("login", "logins", {"session_seconds": 5, "success": True, "device": None})):
        ts = t0 + (2 * i + (stream == "login")) * 60000
        for part in range(4):
            c = f"c{part}"
            ev = dict(extra, event_id=f"{c}-{stream}-{i}", customer_id=c, ts=ts)
            p.send(topic, key=c.encode(), value=encode(stream, ev), partition=part).get(timeout=10)
p.close()
PY
check $? "producing"
lib wait-committed "$bs" churnwatch 40 >"$tmp/wait.out"
check $? "run did not commit every input offset: $(cat "$tmp/wait.out"); $(tail -n 5 "$tmp/run.err")"
kill -TERM $run
wait $run
check $? "run exit status after SIGTERM: $(tail -n 5 "$tmp/run.err")"

topic_vs_replay "$bin" "$tmp/flip.cfg" ""
[ "$n" -eq 8000 ]
check $? "the replays give $n warnings, not one an event"

kill -TERM $pid
wait $pid
echo "run_order: $pass passed, $fail failed"
[ $fail -eq 0 ]
