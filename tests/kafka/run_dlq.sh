#!/bin/sh
# `churnwatch run` and bad input: records that cannot be used go to the
# dead-letter topic with their original key and value and the headers
# churnwatch.error (a sentence saying why), .topic, .partition and .offset
# (where they were read); run goes on and the good records around them give
# exactly the warnings they give alone (the scenarios of run_kcat.sh). Each
# bad record, were it applied, would change those warnings or the dead
# letters: the future survey would run c1's sweeps to next month, the
# purchase with trailing bytes (day 33) would keep c1's purchase_drop quiet.
# Usage: run_dlq.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }
start_broker "$bin" "$src" 4

/usr/bin/python3 - "$src/tests/lib" "$bs" "$tmp" <<'PY'
import json, random, sys, time
sys.path.insert(0, sys.argv[1])
from run_lib import encode
from kafka import KafkaProducer
def t(day, hour):
    return 1767225600000 + day * 86400000 + hour * 3600000
def purchase(eid, cust, ts):
    return encode("purchase", {"event_id": eid, "customer_id": cust, "ts": ts,
                               "amount_cents": 1000, "currency": "EUR", "channel": "web"})
def login(eid, cust, ts):
    return encode("login", {"event_id": eid, "customer_id": cust, "ts": ts,
                            "session_seconds": 60, "success": True, "device": None})
def survey(eid, cust, ts, score):
    return encode("survey", {"event_id": eid, "customer_id": cust, "ts": ts,
                             "kind": "NPS", "score": score, "comment": None})
def ticket(eid, cust, ts):
    return encode("ticket", {"event_id": eid, "customer_id": cust, "ts": ts, "ticket_id": "T-1",
                             "status": "OPENED", "category": "complaint", "severity": 2})
future = int(time.time() * 1000) + 30 * 86400000
long_id = "x" * 257
# (topic, partition, key, value, why: a word the error must contain, or None if good)
msgs = [
    ("purchases", 1, b"c1", purchase("p1", "c1", t(1, 9)), None),
    ("purchases", 1, b"rnd", random.Random(7).randbytes(24), "Purchase"),
    ("purchases", 1, b"c1", purchase("p2", "c1", t(2, 9)), None),
    ("purchases", 1, b"c1", purchase("p9", "c1", t(2, 10))[:-4], "Purchase"),
    ("purchases", 1, b"c1", purchase("p3", "c1", t(3, 9)), None),
    ("surveys", 1, b"c1", survey("s9", "c1", future, 0), "max_future"),
    ("logins", 1, b"c1", login("l9", "c1", -5), "negative"),
    ("purchases", 1, b"c1", purchase("p8", "c1", t(33, 8)) + b"\x00junk", "trailing"),
    ("logins", 1, b"c1", login("l1", "c1", t(34, 9)), None),
    ("purchases", 3, b"c2", purchase("p4", "c2", t(0, 10)), None),
    ("support-tickets", 3, b"", ticket("t9", "", t(0, 10)), "empty"),
    ("surveys", 3, b"c2", survey("s1", "c2", t(0, 11), 0), None),
    ("surveys", 3, long_id.encode(), survey("s8", long_id, t(0, 12), 10), "256"),
    ("logins", 0, b"c9", None, "no value"),
    ("logins", 3, b"c2", login("l2", "c2", t(114, 8)), None),
]
p = KafkaProducer(bootstrap_servers=sys.argv[2], api_version=(2, 5, 0))
bad = []
for topic, part, key, value, why in msgs:
    md = p.send(topic, key=key, value=value, partition=part).get(timeout=10)
    if why:
        bad.append({"topic": topic, "partition": part, "offset": md.offset,
                    "key": key.hex(), "value": None if value is None else value.hex(),
                    "why": why})
p.close()
json.dump(bad, open(sys.argv[3] + "/bad.json", "w"))
want = [
    {"warning_id": "ce009095dfa431cf3459818bae2529ab", "customer_id": "c1",
     "alert": "purchase_drop", "kind": "RULE", "state": "FIRING", "severity": "high",
     "eval_ts": 1770076800000, "trigger": "TIMER", "score": None,
     "features": {"purchase_trend": 0, "purchases_90d": 3}, "reasons": [], "emitted_at": 0},
    {"warning_id": "3f55febfff0fbda4709e1f594dbc1a85", "customer_id": "c2",
     "alert": "churn_lr_v1", "kind": "MODEL", "state": "FIRING", "severity": "high",
     "eval_ts": 1776988800000, "trigger": "TIMER", "score": 0.8005922431513315,
     "features": {"days_since_purchase": 113, "nps_last": 0, "purchases_30d": 0},
     "reasons": ["days_since_purchase"], "emitted_at": 0},
]
with open(sys.argv[3] + "/want.jsonl", "w") as f:
    f.writelines(json.dumps(w) + "\n" for w in want)
PY
check $? "producing the records"
nbad=$(/usr/bin/python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$tmp/bad.json")

"$bin" run -c "$tmp/cw.cfg" 2>"$tmp/run.err" &
run=$!
lib wait-committed "$bs" churnwatch 30 >"$tmp/wait.out"
check $? "run did not commit every input offset: $(cat "$tmp/wait.out"); $(tail -n 5 "$tmp/run.err")"
kill -0 $run 2>/dev/null
check $? "run exited on bad input: $(tail -n 5 "$tmp/run.err")"
stop_run $run
check $? "run exit status after SIGTERM: $(tail -n 5 "$tmp/run.err")"
grep -q "dead letters $nbad," "$tmp/run.err"
check $? "stats do not count $nbad dead letters: $(grep stats: "$tmp/run.err" | tail -n 1)"

lib warnings "$bs" "$tmp/topic.jsonl" >"$tmp/warnings.out"
check $? "warning topic: $(cat "$tmp/warnings.out")"
lib compare "$tmp/topic.jsonl" "$tmp/want.jsonl" >"$tmp/cmp.out"
check $? "warnings of the good records: $(cat "$tmp/cmp.out")"

/usr/bin/python3 - "$bs" "$tmp/bad.json" <<'PY'
import json, sys
from kafka import KafkaConsumer, TopicPartition
bad = {(b["topic"], b["partition"], b["offset"]): b for b in json.load(open(sys.argv[2]))}
c = KafkaConsumer(bootstrap_servers=sys.argv[1], api_version=(2, 5, 0), enable_auto_commit=False)
tps = [TopicPartition("churnwatch-dlq", p) for p in c.partitions_for_topic("churnwatch-dlq")]
end = c.end_offsets(tps)
c.assign(tps)
c.seek_to_beginning(*tps)
recs = []
while any(c.position(tp) < end[tp] for tp in tps):
    for rs in c.poll(timeout_ms=1000).values():
        recs.extend(rs)
ok, seen = True, set()
def no(msg):
    global ok
    print(msg)
    ok = False
names = ["churnwatch.error", "churnwatch.topic", "churnwatch.partition", "churnwatch.offset"]
for r in recs:
    h = {k: v.decode() for k, v in (r.headers or [])}
    if sorted(h) != sorted(names):
        no(f"dead letter at offset {r.offset}: headers {sorted(h)}")
        continue
    where = (h["churnwatch.topic"], int(h["churnwatch.partition"]), int(h["churnwatch.offset"]))
    b = bad.get(where)
    if not b:
        no(f"dead letter for {where}, which is not a bad record: {h['churnwatch.error']}")
        continue
    if where in seen:
        no(f"{where} dead-lettered twice")
    seen.add(where)
    err = h["churnwatch.error"]
    if len(err) < 10 or " " not in err or b["why"] not in err:
        no(f"{where}: error {err!r} does not say {b['why']!r}")
    if r.key != bytes.fromhex(b["key"]):
        no(f"{where}: key {r.key!r}, produced {bytes.fromhex(b['key'])!r}")
    if r.value != (None if b["value"] is None else bytes.fromhex(b["value"])):
        no(f"{where}: value {r.value!r} is not the one produced")
for where in sorted(set(bad) - seen):
    no(f"{where} ({bad[where]['why']}) is not on the dead-letter topic")
sys.exit(0 if ok else 1)
PY
check $? "dead-letter topic"

kill -TERM $pid
wait $pid
echo "run_dlq: $pass passed, $fail failed"
[ $fail -eq 0 ]
