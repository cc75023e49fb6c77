#!/bin/sh
# `churnwatch run` gives what `replay` gives: a generated population goes
# through the embedded broker (4 partitions); once run has committed every
# input offset it is stopped with SIGTERM. An independent reader (kafka-python,
# python3-avro) then writes each shard's four input partitions to Avro files
# in offset order, `replay` runs each shard, and the warnings on the warning
# topic must be exactly those of the replays (as a multiset, emitted_at
# aside), keyed by customer_id; the --output file must hold the same warnings,
# emitted_at (the wall clock there) included.
# Three times: with the contract's example configuration (exactly once,
# then at least once), whose alerts read only
# purchases and surveys, and with examples/churnwatch.cfg, whose alerts read
# all four streams, so that only the contract's processing order across a
# shard's streams gives the replay's warnings.
# Usage: run_parity.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }
now_ms() { /usr/bin/python3 -c 'import time; print(int(time.time() * 1000))'; }

# parity NAME CFG: the whole test on a fresh broker ($bs) with configuration
# CFG pointed at it.
parity() {
        name=$1
        cfg=$2
        # Small enough for the ASan build and the mock cluster's ~5 MB a
        # partition.
        "$bin" gen -c "$cfg" --customers 1500 --days 60 --seed 3 2>"$tmp/gen.err"
        check $? "$name: gen: $(cat "$tmp/gen.err")"
        # gen's events never share a ts across streams; these do. On each
        # shard, after gen's 60 days: customer tie-P buys on day 61 and
        # answers NPS 0 (churn_lr_v1 fires on day 174), then on day 181
        # buys and answers NPS 10 at the same ms. Purchase first, as the
        # contract orders ties, resolves with the purchase's features;
        # survey first would resolve with others.
        /usr/bin/python3 - "$src/tests/lib" "$bs" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from kafka import KafkaProducer
from run_lib import API, encode
def t(day, hour):
    return 1767225600000 + day * 86400000 + hour * 3600000
p = KafkaProducer(bootstrap_servers=sys.argv[2], api_version=API)
for part in range(4):
    c = f"tie-{part}"
    for topic, stream, ev in [
        ("purchases", "purchase", {"event_id": c + "a", "ts": t(61, 10), "amount_cents": 900,
                                   "currency": "EUR", "channel": None}),
        ("surveys", "survey", {"event_id": c + "b", "ts": t(61, 11), "kind": "NPS", "score": 0,
                               "comment": None}),
        ("purchases", "purchase", {"event_id": c + "c", "ts": t(181, 12), "amount_cents": 900,
                                   "currency": "EUR", "channel": None}),
        ("surveys", "survey", {"event_id": c + "d", "ts": t(181, 12), "kind": "NPS", "score": 10,
                               "comment": None}),
    ]:
        p.send(topic, key=c.encode(), value=encode(stream, dict(ev, customer_id=c)),
               partition=part).get(timeout=10)
p.close()
PY
        check $? "$name: producing the ties"

        t0=$(now_ms)
        "$bin" run -c "$cfg" --output "$tmp/run.jsonl" 2>"$tmp/run.err" &
        run=$!
        lib wait-committed "$bs" churnwatch 40 >"$tmp/wait.out"
        check $? "$name: run did not commit every input offset: $(cat "$tmp/wait.out"); $(tail -n 5 "$tmp/run.err")"
        stop_run $run
        rc=$?
        check $in_time "$name: run still running 10 s after SIGTERM"
        check $rc "$name: run exit status after SIGTERM: $(tail -n 5 "$tmp/run.err")"
        t1=$(now_ms)
        ! grep -q ' error ' "$tmp/run.err"
        check $? "$name: run logged errors: $(grep ' error ' "$tmp/run.err" | head -5)"
        grep -q 'dead letters 0, late 0' "$tmp/run.err"
        check $? "$name: dead letters or late events in the stats: $(grep stats: "$tmp/run.err")"

        topic_vs_replay "$bin" "$cfg" "$name: "
        lib compare "$tmp/run.jsonl" "$tmp/topic.jsonl" --emitted-at >"$tmp/cmp.out"
        check $? "$name: --output vs warning topic: $(cat "$tmp/cmp.out")"

        # --output's emitted_at is the wall clock of the run, not eval_ts.
        /usr/bin/python3 - "$tmp/run.jsonl" "$t0" "$t1" <<'PY'
import json, sys
lo, hi = int(sys.argv[2]), int(sys.argv[3])
bad = [w for w in map(json.loads, open(sys.argv[1])) if not lo <= w["emitted_at"] <= hi]
sys.exit(1 if bad else 0)
PY
        check $? "$name: emitted_at outside the run's wall-clock time [$t0, $t1]"
        echo "$name: $n warnings"

        kill -TERM $pid
        wait $pid
}

# max_idle_ms 10 s (default 1 s): on a loaded machine (sanitizers, tests
# in parallel) an input's first fetch can take longer than a second, and
# the shard would rightly go on without it; parity needs it waited for.
start_broker "$bin" "$src" 4
echo "max_idle_ms = 10000;" >>"$tmp/cw.cfg"
parity contract "$tmp/cw.cfg"
# At least once, too (no transactions; offsets commit once the warnings and
# changelog records are acknowledged).
rm -rf "$tmp"
start_broker "$bin" "$src" 4
cp "$tmp/cw.cfg" "$tmp/alos.cfg"
printf 'processing_guarantee = "at_least_once";\nmax_idle_ms = 10000;\n' >>"$tmp/alos.cfg"
parity at-least-once "$tmp/alos.cfg"
rm -rf "$tmp"

start_broker "$bin" "$src" 4
sed -e "s/127.0.0.1:9092/$bs/" -e 's/^max_idle_ms = 1000;/max_idle_ms = 10000;/' \
        "$src/examples/churnwatch.cfg" >"$tmp/example.cfg"
grep -q '^max_idle_ms = 10000;' "$tmp/example.cfg"
check $? "examples/churnwatch.cfg no longer sets max_idle_ms = 1000"
parity example "$tmp/example.cfg"

echo "run_parity: $pass passed, $fail failed"
[ $fail -eq 0 ]
