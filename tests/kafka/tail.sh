#!/bin/sh
# `churnwatch tail` against the embedded broker: warnings that an independent
# writer (python3-avro, kafka-python) put on the warning topic come out as
# the same JSON, and as table lines; a bad record is reported and skipped.
# Usage: tail.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
start_broker "$bin" "$src" 2

/usr/bin/python3 - "$bs" "$src/schemas/churn_warning.avsc" "$tmp/expected.jsonl" <<'PY'
import datetime, io, json, sys
import avro.io, avro.schema
from kafka import KafkaProducer
schema = avro.schema.parse(open(sys.argv[2]).read())
rows = [
    {"warning_id": "0123456789abcdef0123456789abcdef", "customer_id": "c1",
     "alert": "purchase_drop", "kind": "RULE", "state": "FIRING", "severity": "high",
     "eval_ts": 1770076800000, "trigger": "TIMER", "score": None,
     "features": {"purchase_trend": 0.0, "purchases_90d": 3.0}, "reasons": [],
     "emitted_at": 1770076800123},
    {"warning_id": "fedcba9876543210fedcba9876543210", "customer_id": "c\"2",
     "alert": "churn_lr_v1", "kind": "MODEL", "state": "RESOLVED", "severity": "high",
     "eval_ts": 1776988800000, "trigger": "EVENT", "score": 0.25,
     "features": {"days_since_purchase": 113.0}, "reasons": ["days_since_purchase"],
     "emitted_at": 1776988800000},
]
def ms(v):  # python3-avro writes timestamp-millis from datetimes only
    return datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(milliseconds=v)
p = KafkaProducer(bootstrap_servers=sys.argv[1], api_version=(2, 5, 0))
for i, r in enumerate(rows):
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(
        dict(r, eval_ts=ms(r["eval_ts"]), emitted_at=ms(r["emitted_at"])), avro.io.BinaryEncoder(buf))
    p.send("churn-warnings", key=r["customer_id"].encode(), value=buf.getvalue(), partition=i).get(timeout=10)
p.send("churn-warnings", key=b"junk", value=b"\x01\x02", partition=0).get(timeout=10)
# The first warning delivered twice, as an at-least-once producer may.
buf = io.BytesIO()
avro.io.DatumWriter(schema).write(dict(rows[0], eval_ts=ms(rows[0]["eval_ts"]), emitted_at=ms(rows[0]["emitted_at"])), avro.io.BinaryEncoder(buf))
p.send("churn-warnings", key=b"c1", value=buf.getvalue(), partition=1).get(timeout=10)
p.close()
with open(sys.argv[3], "w") as f:
    for r in rows:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
PY
check $? "python producer"

"$bin" tail -c "$tmp/cw.cfg" --json >"$tmp/got.jsonl" 2>"$tmp/tail.err"
rc=$?
[ $rc -eq 1 ]
check $? "exit status with a bad record: $rc"
grep -q "churn-warnings \[0\] at offset 1" "$tmp/tail.err"
check $? "bad record named: $(cat "$tmp/tail.err")"
/usr/bin/python3 - "$tmp/got.jsonl" "$tmp/expected.jsonl" <<'PY'
import json, sys
want = {json.loads(l)["warning_id"]: json.loads(l) for l in open(sys.argv[2])}
rows = {json.loads(l)["warning_id"]: json.loads(l) for l in open(sys.argv[1])}
sys.exit(0 if sorted(rows) == sorted(want) and all(rows[k] == want[k] for k in want) else 1)
PY
check $? "JSON differs: $(cat "$tmp/got.jsonl")"

"$bin" tail -c "$tmp/cw.cfg" --json --dedup >"$tmp/dedup.jsonl" 2>"$tmp/dedup.err"
[ "$(wc -l <"$tmp/got.jsonl")" -eq 3 ] && [ "$(wc -l <"$tmp/dedup.jsonl")" -eq 2 ] &&
        grep -q "1 duplicate warning dropped" "$tmp/dedup.err"
check $? "--dedup: $(wc -l <"$tmp/got.jsonl") lines without, $(wc -l <"$tmp/dedup.jsonl") with; $(cat "$tmp/dedup.err")"

"$bin" tail -c "$tmp/cw.cfg" >"$tmp/table" 2>/dev/null
grep -q "2026-02-03T00:00:00.000Z  c1 .*purchase_drop .*FIRING .*TIMER .*high .*purchase_trend=0 purchases_90d=3" "$tmp/table"
check $? "table line: $(cat "$tmp/table")"
grep -q 'churn_lr_v1 .*RESOLVED .*score=0.250 reasons=days_since_purchase' "$tmp/table"
check $? "model line: $(cat "$tmp/table")"

kill -TERM $pid
wait $pid
echo "tail: $pass passed, $fail failed"
[ $fail -eq 0 ]
