#!/usr/bin/python3
"""Checks DIR/report.json against the contract's definitions (CONTRACT.md
section 7), computed here independently: the population from the input
Avro files (python3-avro; every event up to --to is applied: the files hold
no late event), the warnings from replay's JSONL output, and the labels.

usage: backtest_report.py REPORT.json WARNINGS.jsonl LABELS.csv TO_MS ALERT... -- AVRO...
"""
import csv
import datetime
import json
import math
import sys

from avro.datafile import DataFileReader
from avro.io import DatumReader

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def millis(v):
    if isinstance(v, datetime.datetime):
        return (v - EPOCH) // datetime.timedelta(milliseconds=1)
    return v


def nearest_rank(v, q):
    v = sorted(v)
    return v[max(math.ceil(q * len(v)), 1) - 1]


def main():
    sep = sys.argv.index("--")
    report, warnings, labels, to = sys.argv[1:5]
    alerts, files = sys.argv[5:sep], sys.argv[sep + 1:]
    to = int(to)
    population = set()
    for path in files:
        for r in DataFileReader(open(path, "rb"), DatumReader()):
            if millis(r["ts"]) <= to:
                population.add(r["customer_id"])
    churned = {}
    with open(labels) as f:
        for row in csv.DictReader(f):
            churned[row["customer_id"]] = int(row["churned_at"])
    first = {}  # (alert, customer) -> first FIRING eval_ts
    for line in open(warnings):
        w = json.loads(line)
        if w["state"] != "FIRING":
            continue
        k = (w["alert"], w["customer_id"])
        first[k] = min(first.get(k, w["eval_ts"]), w["eval_ts"])
    positives = [c for c in population if c in churned]
    want = []
    for alert in alerts + ["any"]:
        firsts = {}
        for (a, c), t in first.items():
            if alert in ("any", a):
                firsts[c] = min(firsts.get(c, t), t)
        warned = [c for c in firsts if c in population]
        tp = [c for c in warned if c in churned and firsts[c] <= churned[c]]
        lead = [(churned[c] - firsts[c]) / 86400000 for c in tp]
        want.append({
            "alert": alert, "variant": "base", "warned": len(warned),
            "true_positives": len(tp), "positives": len(positives),
            "precision": len(tp) / len(warned) if warned else 0,
            "recall": len(tp) / len(positives) if positives else 0,
            "lead_time_days": {q: nearest_rank(lead, p) if lead else None
                               for q, p in (("p10", .1), ("p50", .5), ("p90", .9))},
        })
    got = json.load(open(report))["rows"]

    def close(a, b):
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
        if isinstance(a, float) or isinstance(b, float):
            return a is not None and b is not None and abs(a - b) < 1e-9
        return a == b

    if len(got) != len(want) or not all(close(g, w) for g, w in zip(got, want)):
        print("got: ", json.dumps(got, indent=1))
        print("want:", json.dumps(want, indent=1))
        return 1
    if not any(r["true_positives"] for r in want):
        print("no true positive at all: the check proves little")
        return 1
    return 0


sys.exit(main())
