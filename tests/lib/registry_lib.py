#!/usr/bin/python3
"""Helpers of the Schema Registry tests (tests/kafka/registry_*.sh), on
Debian's python3-kafka and python3-avro, next to run_lib.py. Framing and
the registry calls are left to the npm client (sr_client.mjs); this moves
bytes to and from the embedded broker and computes what a replay needs.

usage: registry_lib.py json-events EVDIR OUTDIR
           gen's Avro files of EVDIR as OUTDIR/<stream>.jsonl (ts in ms)
       registry_lib.py evolve IN.jsonl OUT.jsonl
           purchases in the shape of tests/data/registry/purchase_evolved.avsc
       registry_lib.py produce BOOTSTRAP STREAM EVENTS.jsonl VALUES.hex
           each value (a hex line) to STREAM's topic, keyed by the
           customer_id of the same line of EVENTS, murmur2-partitioned
       registry_lib.py produce-one BOOTSTRAP TOPIC PARTITION KEY HEX
       registry_lib.py produce-phase BOOTSTRAP PHASE CUTOFF STREAM=EVENTS:HEX...
           as a live producer would: of the events of the given files
           (PHASE 1: those with ts < CUTOFF, but every event of a file named
           *2.jsonl is in phase 2), in ts order across the topics
       registry_lib.py shards OUTDIR PARTITIONS EVENTS.jsonl... STREAM=FILE
           the events (STREAM=path pairs, in order) into OUTDIR/P/<file>
           per partition P as murmur2 places them, with our schemas: what a
           replay of each shard reads
       registry_lib.py warnings-hex BOOTSTRAP OUT.hex
           every value of the warning topic, hex, one a line; fails unless
           each is keyed by its customer_id (checked after decoding, by the
           caller) -- keys go to OUT.hex.keys
       registry_lib.py dead-letters BOOTSTRAP OUT.json
           every dead letter: key, value (hex) and headers
"""
import json
import os
import sys

import avro.datafile
import avro.io
from kafka import KafkaProducer, TopicPartition
from kafka.partitioner.default import murmur2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_lib  # noqa: E402

FILES = {"purchase": "purchases.avro", "login": "logins.avro",
         "ticket": "tickets.avro", "survey": "surveys.avro"}


def cmd_json_events(evdir, outdir):
    os.makedirs(outdir, exist_ok=True)
    for stream, name in FILES.items():
        with open(os.path.join(evdir, name), "rb") as f, \
                open(os.path.join(outdir, stream + ".jsonl"), "w") as out:
            for rec in avro.datafile.DataFileReader(f, avro.io.DatumReader()):
                rec["ts"] = run_lib.millis(rec["ts"])
                out.write(json.dumps(rec) + "\n")


def cmd_evolve(inp, out):
    with open(inp) as f, open(out, "w") as o:
        for line in f:
            r = json.loads(line)
            o.write(json.dumps({"customer_id": r["customer_id"], "ts": r["ts"],
                                "currency": r["currency"], "coupon": "spring",
                                "amount_cents": r["amount_cents"],
                                "event_id": r["event_id"]}) + "\n")


def producer(bootstrap):
    return KafkaProducer(bootstrap_servers=bootstrap, api_version=run_lib.API,
                         linger_ms=5)


def cmd_produce(bootstrap, stream, events, values):
    topic = run_lib.INPUTS[stream][0]
    p = producer(bootstrap)
    with open(events) as e, open(values) as v:
        for ev, val in zip(e, v):
            p.send(topic, key=json.loads(ev)["customer_id"].encode(),
                   value=bytes.fromhex(val.strip()))
    p.flush(timeout=60)
    p.close()


def cmd_produce_phase(bootstrap, phase, cutoff, pairs):
    rows = []
    for order, pair in enumerate(pairs):
        stream, paths = pair.split("=", 1)
        events, values = paths.split(":", 1)
        second = events.endswith("2.jsonl")
        with open(events) as e, open(values) as v:
            for n, (ev, val) in enumerate(zip(e, v)):
                ev = json.loads(ev)
                in2 = second or (not events.endswith("purchase.jsonl")
                                 and ev["ts"] >= int(cutoff))
                if in2 == (phase == "2"):
                    rows.append((ev["ts"], order, n, stream,
                                 ev["customer_id"], val.strip()))
    rows.sort()
    p = producer(bootstrap)
    for _, _, _, stream, key, val in rows:
        p.send(run_lib.INPUTS[stream][0], key=key.encode(),
               value=bytes.fromhex(val))
    p.flush(timeout=60)
    p.close()
    print(len(rows))


def cmd_produce_one(bootstrap, topic, partition, key, value):
    p = producer(bootstrap)
    p.send(topic, key=key.encode(), value=bytes.fromhex(value),
           partition=int(partition)).get(timeout=30)
    p.close()


def cmd_shards(outdir, partitions, pairs):
    """Our schemas; an evolved purchase is the record it resolves to."""
    n = int(partitions)
    for p in range(n):
        os.makedirs(os.path.join(outdir, str(p)), exist_ok=True)
    events = {s: [] for s in FILES}
    for pair in pairs:
        stream, path = pair.split("=", 1)
        with open(path) as f:
            events[stream] += [json.loads(l) for l in f]
    for stream, name in FILES.items():
        sch = run_lib.schema(run_lib.INPUTS[stream][1])
        writers = []
        for p in range(n):
            f = open(os.path.join(outdir, str(p), name), "wb")
            writers.append(avro.datafile.DataFileWriter(
                f, avro.io.DatumWriter(), sch))
        for ev in events[stream]:
            key = ev["customer_id"].encode()
            if stream == "purchase" and "coupon" in ev:
                ev = {k: v for k, v in ev.items() if k != "coupon"}
                ev["channel"] = None
            ev = dict(ev, ts=run_lib.to_datetime(ev["ts"]))
            writers[(murmur2(key) & 0x7fffffff) % n].append(ev)
        for w in writers:
            w.close()


def read_topic(bootstrap, topic):
    c = run_lib.consumer(bootstrap)
    tps = [TopicPartition(topic, p) for p in run_lib.partitions_of(c, topic)]
    recs = run_lib.read_all(c, tps, c.end_offsets(tps))
    c.close()
    return [(tp.partition, r) for tp in tps for r in recs[tp]]


def cmd_warnings_hex(bootstrap, out):
    rows = read_topic(bootstrap, run_lib.WARNINGS)
    n = len({p for p, _ in rows}) or 1
    with open(out, "w") as f, open(out + ".keys", "w") as k:
        for part, r in rows:
            f.write(r.value.hex() + "\n")
            k.write(json.dumps({"key": r.key.decode(), "partition": part}) + "\n")


def cmd_dead_letters(bootstrap, out):
    rows = read_topic(bootstrap, run_lib.DEAD_LETTERS)
    with open(out, "w") as f:
        json.dump([{"key": r.key.decode() if r.key else None,
                    "value": r.value.hex() if r.value else "",
                    "headers": {h: v.decode() for h, v in r.headers}}
                   for _, r in rows], f, indent=1)


def main(argv):
    cmds = {"json-events": (cmd_json_events, 2), "evolve": (cmd_evolve, 2),
            "produce": (cmd_produce, 4), "produce-one": (cmd_produce_one, 5),
            "warnings-hex": (cmd_warnings_hex, 2),
            "dead-letters": (cmd_dead_letters, 2)}
    if argv and argv[0] == "produce-phase" and len(argv) >= 5:
        cmd_produce_phase(argv[1], argv[2], argv[3], argv[4:])
    elif argv and argv[0] == "shards" and len(argv) >= 4:
        cmd_shards(argv[1], argv[2], argv[3:])
    elif argv and argv[0] in cmds and len(argv) == cmds[argv[0]][1] + 1:
        cmds[argv[0]][0](*argv[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
