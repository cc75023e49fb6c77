#!/bin/sh
# `churnwatch run` with kcat as the independent client on both ends: events
# encoded by python3-avro (one bare binary record per file) are produced with
# kcat, one file a message, onto chosen partitions; run turns them into the
# warnings the contract's example configuration gives for them (the golden
# replay's scenarios, tests/data/golden/README.md); kcat reads the warning topic
# and python3-avro decodes it.
#   shard 1: c1 buys on days 1, 2, 3; its login on day 34 moves stream time
#            past day 33, whose sweep finds no purchase in 30 days:
#            purchase_drop FIRING (TIMER) at t(33).
#   shard 3: c2 buys on day 0 and answers NPS 0; its login on day 114 runs the
#            sweeps up to day 114: churn_lr_v1 FIRING (TIMER) at t(113).
# Day d is 2026-01-01 + d days: t(d) = 1767225600000 + d * 86400000.
# Usage: run_kcat.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }
start_broker "$bin" "$src" 4

mkdir "$tmp/ev"
/usr/bin/python3 - "$src/tests/lib" "$tmp/ev" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from run_lib import encode
def t(day, hour):
    return 1767225600000 + day * 86400000 + hour * 3600000
events = {
    "c1-p1": ("purchase", {"event_id": "p1", "customer_id": "c1", "ts": t(1, 9),
              "amount_cents": 1200, "currency": "EUR", "channel": None}),
    "c1-p2": ("purchase", {"event_id": "p2", "customer_id": "c1", "ts": t(2, 9),
              "amount_cents": 800, "currency": "EUR", "channel": "app"}),
    "c1-p3": ("purchase", {"event_id": "p3", "customer_id": "c1", "ts": t(3, 9),
              "amount_cents": 1500, "currency": "EUR", "channel": "app"}),
    "c1-l1": ("login", {"event_id": "l1", "customer_id": "c1", "ts": t(34, 9),
              "session_seconds": 60, "success": True, "device": "web"}),
    "c2-p1": ("purchase", {"event_id": "p4", "customer_id": "c2", "ts": t(0, 10),
              "amount_cents": 5000, "currency": "EUR", "channel": "web"}),
    "c2-s1": ("survey", {"event_id": "s1", "customer_id": "c2", "ts": t(0, 11),
              "kind": "NPS", "score": 0, "comment": "never again"}),
    "c2-l1": ("login", {"event_id": "l2", "customer_id": "c2", "ts": t(114, 8),
              "session_seconds": 30, "success": True, "device": None}),
}
for name, (stream, ev) in events.items():
    with open(f"{sys.argv[2]}/{name}", "wb") as f:
        f.write(encode(stream, ev))
PY
check $? "encoding the events"

cd "$tmp/ev" || exit 1
kcat -P -b "$bs" -t purchases -k c1 -p 1 c1-p1 c1-p2 c1-p3 &&
        kcat -P -b "$bs" -t logins -k c1 -p 1 c1-l1 &&
        kcat -P -b "$bs" -t purchases -k c2 -p 3 c2-p1 &&
        kcat -P -b "$bs" -t surveys -k c2 -p 3 c2-s1 &&
        kcat -P -b "$bs" -t logins -k c2 -p 3 c2-l1
check $? "kcat -P"
cd - >/dev/null || exit 1

"$bin" run -c "$tmp/cw.cfg" 2>"$tmp/run.err" &
run=$!
lib wait-committed "$bs" churnwatch 30 >"$tmp/wait.out"
check $? "run did not commit every input offset: $(cat "$tmp/wait.out"); $(tail -n 5 "$tmp/run.err")"
stop_run $run
check $? "run exit status after SIGTERM: $(tail -n 5 "$tmp/run.err")"

kcat -C -b "$bs" -t churn-warnings -o beginning -e -q \
        -f '%K %S %p %o\n%k%s\n' >"$tmp/warnings.bin" 2>"$tmp/kcat.err"
check $? "kcat -C: $(cat "$tmp/kcat.err")"
/usr/bin/python3 - "$src/tests/lib" "$tmp/warnings.bin" <<'PY'
import io, json, sys
sys.path.insert(0, sys.argv[1])
from run_lib import canonical, decode, millis, schema
from kafka.partitioner.default import murmur2
want = [
    {"warning_id": "ce009095dfa431cf3459818bae2529ab", "customer_id": "c1",
     "alert": "purchase_drop", "kind": "RULE", "state": "FIRING", "severity": "high",
     "eval_ts": 1770076800000, "trigger": "TIMER", "score": None,
     "features": {"purchase_trend": 0, "purchases_90d": 3}, "reasons": []},
    {"warning_id": "3f55febfff0fbda4709e1f594dbc1a85", "customer_id": "c2",
     "alert": "churn_lr_v1", "kind": "MODEL", "state": "FIRING", "severity": "high",
     "eval_ts": 1776988800000, "trigger": "TIMER", "score": 0.8005922431513315,
     "features": {"days_since_purchase": 113, "nps_last": 0, "purchases_30d": 0},
     "reasons": ["days_since_purchase"]},
]
sch = schema("churn_warning.avsc")
data, got, ok = open(sys.argv[2], "rb").read(), [], True
while data:  # "KEYLEN VALUELEN PARTITION OFFSET\n" KEY VALUE "\n"
    head, data = data.split(b"\n", 1)
    klen, vlen, part, off = map(int, head.split())
    key, value, data = data[:klen], data[klen:klen + vlen], data[klen + vlen + 1:]
    w = decode(sch, value)
    if w is None:
        sys.exit(f"partition {part} offset {off}: not a ChurnWarning")
    w["eval_ts"], w["emitted_at"] = millis(w["eval_ts"]), millis(w["emitted_at"])
    if key != w["customer_id"].encode():
        print(f"warning for {w['customer_id']} keyed {key!r}")
        ok = False
    if part != (murmur2(key) & 0x7fffffff) % 4:
        print(f"warning for {w['customer_id']} on partition {part}, not murmur2's")
        ok = False
    got.append(w)
g = sorted(canonical(w, False) for w in got)
e = sorted(canonical(dict(w, emitted_at=0), False) for w in want)
if g != e:
    print("got:", *g, "want:", *e, sep="\n  ")
    ok = False
sys.exit(0 if ok else 1)
PY
check $? "warnings read by kcat"

kill -TERM $pid
wait $pid
echo "run_kcat: $pass passed, $fail failed"
[ $fail -eq 0 ]
