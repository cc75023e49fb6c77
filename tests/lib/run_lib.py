#!/usr/bin/python3
"""Helpers of the `churnwatch run` integration tests (tests/run_*.sh): an
independent reader and writer of the Kafka topics and Avro records, built on
Debian's python3-kafka (kafka-python) and python3-avro. Run with
/usr/bin/python3. The topic names are those of
tests/data/configs/good/contract.cfg.

usage: run_lib.py shards BOOTSTRAP OUTDIR [--group G]
           every record of the four input topics, decoded, into
           OUTDIR/P/{purchases,logins,tickets,surveys}.avro (P = partition
           number = shard) in offset order, our .avsc as writer schema; with
           --group only the records below the group's committed offsets.
           Records that do not decode (dead letters) are left out.
       run_lib.py warnings BOOTSTRAP OUT.jsonl
           the warning topic decoded to JSON lines (replay's format); fails
           unless every key is the customer_id and murmur2-partitioned.
       run_lib.py compare GOT.jsonl WANT.jsonl [--emitted-at]
           equal as multisets of warnings, emitted_at aside unless asked.
       run_lib.py exactly-once GOT.jsonl WANT.jsonl
           every warning_id of GOT that appears more than once is an exact
           copy (emitted_at aside), and GOT's distinct warnings equal WANT.
       run_lib.py restore-counts BOOTSTRAP [--at-end] LOG...
           every "restore: shard S: ... applied events A, offsets O..." line
           of the logs: A equals the input records of shard S below O
           (all of them applied: no bad or late records in the input);
           with --at-end, O are also the end offsets of shard S's inputs
           (a restore after the whole input was processed: none skipped).
       run_lib.py wait-committed BOOTSTRAP GROUP SECONDS [--some]
           waits until the group has committed the end offset of every
           input partition (with --some: any offset above 0).
       run_lib.py purchases BOOTSTRAP CUSTOMER PARTITION DAY...
           one purchase of CUSTOMER at 10:00 UTC of each DAY (days since
           1970-01-01) to purchases [PARTITION], each acknowledged before
           the next is sent.
       run_lib.py offsets BOOTSTRAP TOPIC...
           one line per partition of each topic: TOPIC PARTITION BEGIN END
           (the broker's log start and end offsets).
"""
import collections
import datetime
import io
import json
import os
import signal
import sys
import time

import avro.datafile
import avro.io
import avro.schema
from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "..", "..", "schemas")
# stream: (topic, schema file, file name in a shard folder)
INPUTS = {
    "purchase": ("purchases", "purchase.avsc", "purchases.avro"),
    "login": ("logins", "login.avsc", "logins.avro"),
    "ticket": ("support-tickets", "support_ticket.avsc", "tickets.avro"),
    "survey": ("surveys", "survey.avsc", "surveys.avro"),
}
STREAMS = ["purchase", "login", "ticket", "survey"]
WARNINGS = "churn-warnings"
DEAD_LETTERS = "churnwatch-dlq"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
API = (2, 5, 0)


def schema(name):
    with open(os.path.join(SCHEMAS, name)) as f:
        return avro.schema.parse(f.read())


def millis(v):
    """python3-avro turns timestamp-millis into datetimes (and back)."""
    if isinstance(v, datetime.datetime):
        return (v - EPOCH) // datetime.timedelta(milliseconds=1)
    return v


def to_datetime(ms):
    return EPOCH + datetime.timedelta(milliseconds=ms)


def encode(stream, event):
    """One event (ts in epoch ms) as the bare Avro binary record."""
    buf = io.BytesIO()
    ev = dict(event, ts=to_datetime(event["ts"]))
    avro.io.DatumWriter(schema(INPUTS[stream][1])).write(
        ev, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def decode(sch, value):
    """The record, or None unless `value` is exactly one valid record."""
    if not value:
        return None
    bio = io.BytesIO(value)
    try:
        rec = avro.io.DatumReader(sch).read(avro.io.BinaryDecoder(bio))
    except Exception:
        return None
    return rec if bio.tell() == len(value) else None


def consumer(bootstrap, group=None):
    return KafkaConsumer(bootstrap_servers=bootstrap, api_version=API,
                         group_id=group, enable_auto_commit=False,
                         max_partition_fetch_bytes=8 << 20)


def read_all(c, tps, limits):
    """Every record of partitions `tps` below limits[tp], in offset order."""
    got = {tp: [] for tp in tps}
    todo = {tp for tp in tps if limits[tp] > 0}
    c.assign(list(tps))
    c.seek_to_beginning(*tps)
    deadline = time.time() + 60
    while todo:
        if time.time() > deadline:
            sys.exit("timed out reading " + ", ".join(
                f"{tp.topic} [{tp.partition}]" for tp in sorted(todo)))
        for tp, recs in c.poll(timeout_ms=500, max_records=100000).items():
            for r in recs:
                if r.offset < limits[tp]:
                    got[tp].append(r)
            if c.position(tp) >= limits[tp]:
                todo.discard(tp)
    return got


def partitions_of(c, topic):
    parts = c.partitions_for_topic(topic)
    if not parts:
        sys.exit(f"topic {topic} has no partitions")
    return sorted(parts)


def cmd_shards(bootstrap, outdir, group=None):
    c = consumer(bootstrap)
    tps = [TopicPartition(INPUTS[s][0], p) for s in STREAMS
           for p in partitions_of(c, INPUTS[s][0])]
    limits = c.end_offsets(tps)
    begin = c.beginning_offsets(tps)
    for tp in tps:
        if begin[tp]:  # the mock cluster keeps only ~5 MB a partition
            sys.exit(f"{tp.topic} [{tp.partition}] begins at offset "
                     f"{begin[tp]}: the broker dropped records")
    if group:
        g = consumer(bootstrap, group)
        for tp in tps:
            limits[tp] = g.committed(tp) or 0
        g.close()
    recs = read_all(c, tps, limits)
    c.close()
    counts = collections.Counter()
    for s in STREAMS:
        topic, avsc, name = INPUTS[s]
        sch = schema(avsc)
        for tp in (tp for tp in tps if tp.topic == topic):
            os.makedirs(os.path.join(outdir, str(tp.partition)), exist_ok=True)
            with open(os.path.join(outdir, str(tp.partition), name), "wb") as f:
                w = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(), sch)
                for r in recs[tp]:
                    ev = decode(sch, r.value)
                    counts[s if ev is not None else "bad"] += 1
                    if ev is not None:
                        w.append(ev)
                w.close()
    print(" ".join(f"{k}={counts[k]}" for k in STREAMS + ["bad"]))


def warning_rows(bootstrap):
    """(partitions, [(key, partition, warning)]) of the warning topic."""
    c = consumer(bootstrap)
    parts = partitions_of(c, WARNINGS)
    tps = [TopicPartition(WARNINGS, p) for p in parts]
    recs = read_all(c, tps, c.end_offsets(tps))
    c.close()
    sch = schema("churn_warning.avsc")
    rows = []
    for tp in tps:
        for r in recs[tp]:
            w = decode(sch, r.value)
            if w is None:
                sys.exit(f"{WARNINGS} [{tp.partition}] offset {r.offset}: "
                         "not a ChurnWarning")
            w["eval_ts"] = millis(w["eval_ts"])
            w["emitted_at"] = millis(w["emitted_at"])
            rows.append((r.key, tp.partition, w))
    return len(parts), rows


def cmd_warnings(bootstrap, out):
    n, rows = warning_rows(bootstrap)
    bad = 0
    with open(out, "w") as f:
        for key, part, w in rows:
            want = (murmur2(w["customer_id"].encode()) & 0x7fffffff) % n
            if key != w["customer_id"].encode() or part != want:
                bad += 1
                if bad <= 5:
                    print(f"warning for {w['customer_id']!r} has key {key!r}"
                          f" on partition {part}; murmur2 says {want}")
            f.write(json.dumps(w, separators=(",", ":")) + "\n")
    sys.exit(1 if bad else 0)


def canonical(w, emitted_at):
    w = dict(w)
    if not emitted_at:
        del w["emitted_at"]
    w["features"] = {k: float(v) for k, v in w["features"].items()}
    if w["score"] is not None:
        w["score"] = float(w["score"])
    return json.dumps(w, sort_keys=True)


def cmd_compare(got_path, want_path, emitted_at=False):
    def load(path):
        with open(path) as f:
            return collections.Counter(canonical(json.loads(l), emitted_at)
                                       for l in f if l.strip())
    got, want = load(got_path), load(want_path)
    if got == want:
        print(f"{sum(got.values())} warnings equal")
        return
    extra, missing = got - want, want - got
    print(f"{sum(got.values())} warnings in {got_path}, "
          f"{sum(want.values())} in {want_path}: {sum(extra.values())} "
          f"extra, {sum(missing.values())} missing")
    for tag, diff in (("extra", extra), ("missing", missing)):
        for line in sorted(diff)[:5]:
            print(f"  {tag}: {line} x{diff[line]}")
    sys.exit(1)


def cmd_exactly_once(got_path, want_path):
    by_id, copies = {}, 0
    with open(got_path) as f:
        for line in f:
            if not line.strip():
                continue
            w = json.loads(line)
            c = canonical(w, False)
            if w["warning_id"] in by_id:
                copies += 1
                if by_id[w["warning_id"]] != c:
                    sys.exit(f"warning_id {w['warning_id']} twice with "
                             f"different content:\n  {by_id[w['warning_id']]}"
                             f"\n  {c}")
            by_id[w["warning_id"]] = c
    with open(want_path) as f:
        want = collections.Counter(canonical(json.loads(l), False)
                                   for l in f if l.strip())
    got = collections.Counter(by_id.values())
    print(f"{sum(got.values())} distinct warnings, {copies} exact copies; "
          f"{sum(want.values())} in the uninterrupted run")
    if got != want:
        extra, missing = got - want, want - got
        for tag, diff in (("extra", extra), ("missing", missing)):
            for line in sorted(diff)[:5]:
                print(f"  {tag}: {line}")
        sys.exit(1)


def cmd_restore_counts(bootstrap, logs, at_end=False):
    import re
    pat = re.compile(r"restore: shard (\d+): .* applied events (\d+), "
                     r"offsets (-?\d+) (-?\d+) (-?\d+) (-?\d+)")
    c = consumer(bootstrap)
    checked = 0
    for log in logs:
        with open(log, errors="replace") as f:
            for line in f:
                m = pat.search(line)
                if not m:
                    continue
                shard, applied = int(m.group(1)), int(m.group(2))
                offsets = [int(m.group(i)) for i in range(3, 7)]
                tps = [TopicPartition(INPUTS[s][0], shard) for s in STREAMS]
                low = c.beginning_offsets(tps)
                want = sum(max(0, o - low[tp]) for o, tp in zip(offsets, tps))
                if applied != want:
                    sys.exit(f"{log}: shard {shard} restored with {applied} "
                             f"events applied, but offsets {offsets} hold "
                             f"{want} records")
                end = c.end_offsets(tps)
                if at_end and offsets != [end[tp] for tp in tps]:
                    sys.exit(f"{log}: shard {shard} restored as of offsets "
                             f"{offsets}, not the inputs' ends "
                             f"{[end[tp] for tp in tps]}")
                checked += 1
    c.close()
    if not checked:
        sys.exit("no restore lines in " + " ".join(logs))
    print(f"{checked} restores: events applied equal the records below "
          "their offsets" + (", the inputs' ends" if at_end else ""))


def cmd_wait_committed(bootstrap, group, seconds, some=False):
    c = consumer(bootstrap, group)
    tps = [TopicPartition(INPUTS[s][0], p) for s in STREAMS
           for p in partitions_of(c, INPUTS[s][0])]
    deadline = time.time() + seconds
    while True:
        end = c.end_offsets(tps)
        done = {tp: c.committed(tp) or 0 for tp in tps}
        if some and any(done.values()):
            break
        if not some and all(done[tp] == end[tp] for tp in tps):
            break
        if time.time() > deadline:
            behind = [f"{tp.topic} [{tp.partition}] {done[tp]}/{end[tp]}"
                      for tp in tps if done[tp] != end[tp]]
            print("not committed within", seconds, "s:", ", ".join(behind))
            sys.exit(1)
        time.sleep(0.2)
    c.close()


def cmd_purchases(bootstrap, customer, partition, days):
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=bootstrap, api_version=API)
    for d in days:
        ev = {"event_id": f"{customer}-{d}", "customer_id": customer,
              "ts": d * 86400000 + 36000000, "amount_cents": 1000,
              "currency": "EUR", "channel": None}
        p.send("purchases", key=customer.encode(),
               value=encode("purchase", ev),
               partition=partition).get(timeout=10)
    p.close()


def cmd_offsets(bootstrap, topics):
    c = consumer(bootstrap)
    for topic in topics:
        tps = [TopicPartition(topic, p) for p in partitions_of(c, topic)]
        begin, end = c.beginning_offsets(tps), c.end_offsets(tps)
        for tp in tps:
            print(topic, tp.partition, begin[tp], end[tp])
    c.close()


def main(argv):
    # kafka-python can block for good when the broker goes away.
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(f"{argv[0]}: no answer in 90 s"))
    signal.alarm(90)
    if len(argv) >= 3 and argv[0] == "shards":
        group = argv[4] if len(argv) == 5 and argv[3] == "--group" else None
        cmd_shards(argv[1], argv[2], group)
    elif len(argv) == 3 and argv[0] == "warnings":
        cmd_warnings(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == "compare":
        cmd_compare(argv[1], argv[2], "--emitted-at" in argv[3:])
    elif len(argv) == 3 and argv[0] == "exactly-once":
        cmd_exactly_once(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == "restore-counts":
        logs = [a for a in argv[2:] if a != "--at-end"]
        cmd_restore_counts(argv[1], logs, len(logs) < len(argv) - 2)
    elif len(argv) >= 4 and argv[0] == "wait-committed":
        cmd_wait_committed(argv[1], argv[2], float(argv[3]),
                           "--some" in argv[4:])
    elif len(argv) >= 5 and argv[0] == "purchases":
        cmd_purchases(argv[1], argv[2], int(argv[3]),
                      [int(d) for d in argv[4:]])
    elif len(argv) >= 3 and argv[0] == "offsets":
        cmd_offsets(argv[1], argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
