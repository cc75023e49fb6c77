#!/usr/bin/python3
"""The seeds fuzz/make-corpus.sh cuts out of real files with python3-avro.

usage: make_corpus.py SOURCE_DIR WORK_DIR OUT_DIR

WORK_DIR holds what make-corpus.sh made: events/ (churnwatch gen),
labels.csv, warnings.avro (a replay) and train.csv (replay --features).
"""
import datetime
import io
import json
import os
import re
import sys

import avro.datafile
import avro.io
import avro.schema

STREAMS = ["purchase", "login", "ticket", "survey"]
FILES = {"purchase": "purchases.avro", "login": "logins.avro",
         "ticket": "tickets.avro", "survey": "surveys.avro"}
AVSC = {"purchase": "purchase.avsc", "login": "login.avsc",
        "ticket": "support_ticket.avsc", "survey": "survey.avsc"}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
PER_STREAM = 6


def put(out, harness, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(out, harness, name), "wb") as f:
        f.write(data)


def read_records(path):
    with open(path, "rb") as f:
        r = avro.datafile.DataFileReader(f, avro.io.DatumReader())
        return list(r)


def spread(items, n):
    """n items spread over the list, first and last included."""
    if len(items) <= n:
        return items
    return [items[i * (len(items) - 1) // (n - 1)] for i in range(n)]


def encode(schema, datum):
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def container(schema, datums, codec, block):
    buf = io.BytesIO()
    w = avro.datafile.DataFileWriter(buf, avro.io.DatumWriter(), schema,
                                     codec=codec)
    w.sync_marker = b"churnwatch-fuzz!"  # not random: the same seeds each time
    for i, d in enumerate(datums):
        w.append(d)
        if block and i % block == block - 1:
            w.flush()
    w.flush()
    data = buf.getvalue()
    w.close()
    return data


def millis(d):
    return (d["ts"] - EPOCH) // datetime.timedelta(milliseconds=1)


def evolved(stream, d):
    """A record of ours as the writer schema fuzz/writers/ has for it."""
    if stream == "purchase":
        return {"customer_id": d["customer_id"], "ts": millis(d),
                "currency": d["currency"], "coupon": "WELCOME",
                "amount_cents": d["amount_cents"], "event_id": d["event_id"]}
    if stream == "login":
        return {"tags": ["web", "eu"], "event_id": d["event_id"],
                "customer_id": d["customer_id"], "ts": millis(d),
                "attrs": {"retries": 2, "none": None, "score": 0.5},
                "session_seconds": d["session_seconds"],
                "success": d["success"]}
    if stream == "ticket":
        return {"event_id": d["event_id"], "customer_id": d["customer_id"],
                "ts": millis(d), "meta": {"raw": b"\x00\x01", "tag": b"abcd",
                                          "f": 1.5, "d": -2.25},
                "ticket_id": d["ticket_id"], "status": d["status"],
                "category": d["category"], "severity": d["severity"]}
    return {"event_id": d["event_id"], "customer_id": d["customer_id"],
            "ts": millis(d), "kind": d["kind"]}


def sequence(records):
    """The engine harness's input: stream byte, length byte, value."""
    return b"".join(bytes([i, len(body)]) + body for i, body in records)


def events(src, work, out):
    ours, writers, timed = {}, {}, []
    for i, s in enumerate(STREAMS):
        with open(os.path.join(src, "schemas", AVSC[s])) as f:
            ours[s] = avro.schema.parse(f.read())
        with open(os.path.join(src, "fuzz", "writers", "id%d.avsc" % (5 + i))) as f:
            writers[s] = avro.schema.parse(f.read())
        recs = spread(read_records(os.path.join(work, "events", FILES[s])),
                      PER_STREAM)
        for k, d in enumerate(recs):
            body = encode(ours[s], d)
            timed.append((millis(d), i, body))
            put(out, "decode", "%s-%d" % (s, k), bytes([i]) + body)
            put(out, "framed", "%s-%d" % (s, k),
                bytes([i, 0]) + (i + 1).to_bytes(4, "big") + body)
            put(out, "framed", "%s-id%d-%d" % (s, 5 + i, k),
                bytes([i, 0]) + (5 + i).to_bytes(4, "big")
                + encode(writers[s], evolved(s, d)))
        put(out, "fastread", "%s-null" % s, container(ours[s], recs[:3], "null", 0))
        put(out, "fastread", "%s-deflate-blocks" % s,
            container(ours[s], recs, "deflate", 2))
        put(out, "fastread", "%s-writer-id%d" % (s, 5 + i),
            container(writers[s], [evolved(s, d) for d in recs[:3]], "null", 0))
        put(out, "registry", "%s-and-a-record" % s,
            json.dumps({"schema": str(ours[s])}).encode() + b"\0" + body)
    for k in (9, 10):
        put(out, "framed", "id%d" % k, bytes([0, 0]) + k.to_bytes(4, "big") + b"\2x")
    timed.sort()
    put(out, "engine", "all-in-ts-order", sequence((i, b) for _, i, b in timed))
    for k in range(4):
        put(out, "engine", "every-4th-from-%d" % k,
            sequence((i, b) for _, i, b in timed[k::4]))
    put(out, "engine", "backwards",
        sequence((i, b) for _, i, b in reversed(timed[:8])))


def warnings(work, out):
    recs = read_records(os.path.join(work, "warnings.avro"))
    with open(os.path.join(work, "warnings.avro"), "rb") as f:
        schema = avro.datafile.DataFileReader(f, avro.io.DatumReader()).datum_reader.writers_schema
    for k, d in enumerate(spread(recs, 8)):
        put(out, "warning", "warning-%d" % k, encode(schema, d))


def configs(src, out):
    paths = []
    for folder in ("tests/data/configs/good", "tests/data/configs/bad", "examples"):
        for name in sorted(os.listdir(os.path.join(src, folder))):
            if name.endswith(".cfg"):
                paths.append(os.path.join(src, folder, name))
    exprs = set()
    for p in paths:
        with open(p) as f:
            text = f.read()
        put(out, "config", os.path.basename(os.path.dirname(p)) + "-" + os.path.basename(p), text)
        for line in text.splitlines():
            m = re.search(r'stream\s*=\s*"(\w+)"', line)
            scope = STREAMS.index(m.group(1)) + 1 if m and m.group(1) in STREAMS else 0
            for key, e in re.findall(r'\b(when|clear|where|expr)\s*=\s*"([^"]*)"', line):
                exprs.add((scope if key == "where" else 0, e))
    for k, (scope, e) in enumerate(sorted(exprs)):
        put(out, "expr", "expr-%d" % k, bytes([scope]) + e.encode())


def tables(work, out):
    with open(os.path.join(work, "labels.csv")) as f:
        lines = f.read().splitlines()[:12]
    put(out, "labels", "labels", "\n".join(lines) + "\n")
    rows = [lines[0]]
    for line in lines[1:]:
        cid, at = line.rsplit(",", 1)
        t = EPOCH + datetime.timedelta(milliseconds=int(at))
        rows.append("%s,%s" % (cid, t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"))
    put(out, "labels", "labels-iso", "\r\n".join(rows) + "\r\n")
    with open(os.path.join(work, "train.csv")) as f:
        lines = f.read().splitlines()[:16]
    put(out, "trainfile", "train", "\n".join(lines) + "\n")
    put(out, "trainfile", "train-unlabelled",
        "\n".join(l.rsplit(",", 1)[0] for l in lines) + "\n")


def answers(src, out):
    for name in sorted(os.listdir(os.path.join(src, "schemas"))):
        if name.endswith(".avsc"):
            with open(os.path.join(src, "schemas", name)) as f:
                put(out, "registry", name, json.dumps({"schema": f.read()}))
    for d in ("tests/data/registry", "fuzz/writers"):
        for name in sorted(os.listdir(os.path.join(src, d))):
            with open(os.path.join(src, d, name)) as f:
                put(out, "registry", os.path.basename(d) + "-" + name,
                    json.dumps({"subject": "s", "version": 2, "id": 7,
                                "schema": f.read()}))
    put(out, "registry", "id", '{"id":42}')
    put(out, "registry", "not-found", '{"error_code":40403,"message":"Schema 9 not found"}')
    put(out, "registry", "protobuf", '{"schemaType":"PROTOBUF","schema":"syntax = \\"proto3\\";"}')


def models(src, out):
    for d in ("tests/data/configs/good/models", "tests/data/configs/bad/models"):
        for name in sorted(os.listdir(os.path.join(src, d))):
            with open(os.path.join(src, d, name), "rb") as f:
                put(out, "xgboost", d.split("/")[3] + "-" + name, f.read())


def main():
    src, work, out = sys.argv[1:4]
    events(src, work, out)
    warnings(work, out)
    configs(src, out)
    tables(work, out)
    answers(src, out)
    models(src, out)


if __name__ == "__main__":
    main()
