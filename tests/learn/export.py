#!/usr/bin/python3
"""replay --features (CONTRACT.md section 10), against an independent
computation.

Usage: export.py CHURNWATCH SOURCE_DIR

A small generated population (churnwatch gen) is exported with
tests/learn/export.cfg, whose 16 features cover every aggregation and
mostly no alert reads them, once daily with labels and once every 3 days
for a share of the customers between --from and --to. Every row must equal
what this script computes from the contract's definitions over the same
Avro files, read with python3-avro: the processing order, the day sweeps
with their evictions (state_ttl) and the sample times they pass, the
windows, last and days_since_last, the expressions in IEEE arithmetic,
FNV-1a sampling, labels in (as_of, as_of + horizon] and no row once
churned, customers in bytewise order. Numbers must read back as the same
double, NaN as an empty field, infinities as inf and -inf. --features must
not change the warnings written, and its usage errors must say what is
wrong.
"""
import csv
import datetime
import math
import os
import subprocess
import sys
import tempfile
from fractions import Fraction

from avro.datafile import DataFileReader
from avro.io import DatumReader

BIN, SRC = sys.argv[1], sys.argv[2]
CFG = os.path.join(SRC, "tests", "learn", "export.cfg")
DAY = 86400000
LATENESS, TTL = 7 * DAY, 20 * DAY
STREAMS = ["purchases", "logins", "tickets", "surveys"]  # processing order
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("export: FAIL:", what)


def day(ts):
    return ts // DAY


def fmin(a, b):
    return b if math.isnan(a) else a if math.isnan(b) else min(a, b)


def div(a, b):
    """C's a / b on doubles: inf for x/0, NaN for 0/0."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def windowed(evs, t, n, stream, where):
    lo = day(t) - n + 1
    return [r for s, r in evs if s == stream and lo <= day(r["ts"]) <= day(t)
            and where(r)]


def latest(evs, stream, where):
    """The matching event with the largest ts (ties: processed later)."""
    best = None
    for s, r in evs:
        if s == stream and where(r) and (best is None or r["ts"] >= best["ts"]):
            best = r
    return best


def agg_sum(rs, f):
    return float(sum(r[f] for r in rs)) if rs else math.nan


def features(evs, t):
    """export.cfg's features at t, in configuration order."""
    every = lambda r: True
    buy7 = windowed(evs, t, 7, 0, every)
    buy30 = windowed(evs, t, 30, 0, every)
    web30 = windowed(evs, t, 30, 0, lambda r: r["channel"] == "web")
    buy14 = windowed(evs, t, 14, 0, every)
    eur14 = windowed(evs, t, 14, 0, lambda r: r["currency"] == "EUR")
    ok14 = windowed(evs, t, 14, 1, lambda r: r["success"])
    long7 = windowed(evs, t, 7, 1, lambda r: r["session_seconds"] > 600)
    failed3 = windowed(evs, t, 3, 1, lambda r: not r["success"])
    ios7 = windowed(evs, t, 7, 1, lambda r: r["device"] == "ios")
    login = latest(evs, 1, every)
    ticket = latest(evs, 2, every)
    complaints = windowed(evs, t, 30, 2, lambda r: r["category"] == "complaint"
                          and r["status"] == "OPENED")
    nps = latest(evs, 3, lambda r: r["kind"] == "NPS")
    survey = latest(evs, 3, every)

    v = {}
    v["purchases_7d"] = float(len(buy7))
    v["spend_30d"] = agg_sum(buy30, "amount_cents")
    v["web_basket_30d"] = (agg_sum(web30, "amount_cents") / len(web30)
                           if web30 else math.nan)
    v["min_basket_14d"] = (float(min(r["amount_cents"] for r in buy14))
                           if buy14 else math.nan)
    v["max_eur_basket_14d"] = (float(max(r["amount_cents"] for r in eur14))
                               if eur14 else math.nan)
    v["login_days_14d"] = float(len({day(r["ts"]) for r in ok14}))
    v["long_sessions_7d"] = float(len(long7))
    v["failed_logins_3d"] = float(len(failed3))
    v["ios_logins_7d"] = float(len(ios7))
    v["days_since_login"] = (float(day(t) - day(login["ts"])) if login
                             else math.nan)
    v["last_severity"] = float(ticket["severity"]) if ticket else math.nan
    v["complaints_30d"] = float(len(complaints))
    v["nps_last"] = float(nps["score"]) if nps else math.nan
    v["days_since_survey"] = (float(day(t) - day(survey["ts"])) if survey
                              else math.nan)
    v["spend_per_purchase"] = div(v["spend_30d"], v["purchases_7d"])
    nps5 = 5.0 if math.isnan(v["nps_last"]) else v["nps_last"]
    v["engagement"] = (nps5 - fmin(v["days_since_login"], 30.0) / 10
                       + math.log1p(v["purchases_7d"]))
    return v


def fnv1a64(b):
    h = 14695981039346656037
    for c in b:
        h = ((h ^ c) * 1099511628211) % (1 << 64)
    return h


def read_events(folder):
    evs = []
    for s, name in enumerate(STREAMS):
        with open(os.path.join(folder, name + ".avro"), "rb") as f:
            for pos, r in enumerate(DataFileReader(f, DatumReader())):
                # python3-avro turns timestamp-millis into datetimes.
                r["ts"] = (r["ts"] - EPOCH) // datetime.timedelta(
                    milliseconds=1)
                evs.append((r["ts"], s, pos, r))
    evs.sort(key=lambda e: e[:3])
    return evs


def expected(events, labels, every, fraction, lo, hi, horizon, to=None):
    """The rows the contract defines, in order: [(id, B, values, label)]."""
    held, last_ts, rows = {}, {}, []
    stream_time = None

    def sweep(B):
        t = B * DAY
        for c in [c for c in held if t - last_ts[c] >= TTL]:
            del held[c], last_ts[c]
        if B % every or not lo <= t <= hi:
            return
        for c in sorted(held, key=lambda c: c.encode()):
            h = Fraction(fnv1a64(c.encode()))
            if fraction < 1 and not h < Fraction(fraction) * 2 ** 64:
                continue
            at = labels.get(c)
            if at is not None and at <= t:
                continue
            label = int(at is not None and t < at <= t + horizon)
            rows.append((c, t, features(held[c], t), label))

    for ts, s, _, r in events:
        if to is not None and ts > to:
            continue
        if stream_time is not None and ts < stream_time - LATENESS:
            continue
        if stream_time is not None:
            for B in range(day(stream_time) + 1, day(ts) + 1):
                sweep(B)
        stream_time = ts if stream_time is None else max(stream_time, ts)
        c = r["customer_id"]
        held.setdefault(c, []).append((s, r))
        last_ts[c] = max(last_ts.get(c, ts), ts)
    if to is not None and stream_time is not None:
        for B in range(day(stream_time) + 1, day(to) + 1):
            sweep(B)
    return rows


def read_labels(path):
    with open(path) as f:
        return {r["customer_id"]: int(r["churned_at"])
                for r in csv.DictReader(f)}


def iso(t):
    return (EPOCH + datetime.timedelta(milliseconds=t)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def same_number(text, v):
    if math.isnan(v):
        return text == ""
    if math.isinf(v):
        return text == ("inf" if v > 0 else "-inf")
    try:
        return float(text) == v and text not in ("inf", "-inf")
    except ValueError:
        return False


def compare(path, rows, names, labelled, what):
    with open(path, newline="") as f:
        got = list(csv.reader(f))
    header = ["customer_id", "as_of"] + names + (["label"] if labelled else [])
    check(got and got[0] == header, "%s: header %s" % (what, got[:1]))
    got = got[1:]
    check(len(got) == len(rows), "%s: %d rows, expected %d"
          % (what, len(got), len(rows)))
    check(len(rows) > 100, "%s: only %d rows: the test proves little"
          % (what, len(rows)))
    bad = 0
    for g, (c, t, v, label) in zip(got, rows):
        want = [c, iso(t)] + [None] * len(names) + \
            ([str(label)] if labelled else [])
        ok = len(g) == len(want) and g[:2] == want[:2] and \
            all(same_number(g[2 + i], v[n]) for i, n in enumerate(names)) and \
            g[2 + len(names):] == want[2 + len(names):]
        if not ok and bad < 5:
            print("export: %s: got  %s\n        expected %s %s %s"
                  % (what, g, want[:2], [v[n] for n in names], want[2 + len(names):]))
        bad += not ok
    check(bad == 0, "%s: %d rows differ" % (what, bad))


def run(args, expect_rc=0):
    p = subprocess.run([BIN] + args, capture_output=True, text=True)
    check(p.returncode == expect_rc, "%s: exit %d, expected %d: %s"
          % (" ".join(args[:1] + args[-4:]), p.returncode, expect_rc, p.stderr))
    return p


tmp = tempfile.mkdtemp()
try:
    ev, labels_csv = os.path.join(tmp, "ev"), os.path.join(tmp, "labels.csv")
    subprocess.run([BIN, "gen", "-c", CFG, "--customers", "400", "--days",
                    "75", "--seed", "5", "--labels", labels_csv,
                    "--output-dir", ev], check=True, capture_output=True)
    events, labels = read_events(ev), read_labels(labels_csv)
    names = [l.split('"')[1] for l in open(CFG)
             if l.strip().startswith('{ name = "') and "stream" in l
             or "expr =" in l and "name" in l]
    check(len(names) == 16, "read %d feature names from export.cfg" % len(names))
    check(any(labels.values()), "no churner labelled: the test proves little")

    # Daily, all customers, labelled with a 21-day horizon.
    daily = os.path.join(tmp, "daily.csv")
    run(["replay", "-c", CFG, "--input", ev, "--features", daily,
         "--labels", labels_csv, "--horizon", "21d"])
    rows = expected(events, labels, 1, 1.0, -2 ** 63, 2 ** 63, 21 * DAY)
    compare(daily, rows, names, True, "daily export")
    check(sum(r[3] for r in rows) > 20, "few positive rows")
    check(any(math.isinf(r[2]["spend_per_purchase"]) for r in rows),
          "no infinite value: the test proves little")

    # Every 3 days, some customers, bounded, no labels. FNV-1a's top bits
    # mix poorly when ids differ only at the end: the 400 sequential ids
    # all hash to [0.66, 0.77) * 2^64, so F = 0.7 samples part of them.
    frm, to = "2026-01-20", "2026-03-05T12:00:00Z"
    lo, hi = 1768867200000, 1772712000000
    some = os.path.join(tmp, "some.csv")
    run(["replay", "-c", CFG, "--input", ev, "--from", frm, "--to", to,
         "--features", some, "--sample-every", "3d", "--sample-customers",
         "0.7"])
    rows = expected(events, {}, 3, 0.7, lo, hi, 0, to=hi)
    compare(some, rows, names, False, "sampled export")
    sampled = {r[0] for r in rows}
    check(40 < len(sampled) < 360, "%d customers sampled" % len(sampled))

    # --features does not change the warnings (this configuration, the
    # contract's and the example's).
    for cfg in (CFG, os.path.join(SRC, "tests/data/configs/good/contract.cfg"),
                os.path.join(SRC, "examples/churnwatch.cfg")):
        a, b = os.path.join(tmp, "a.jsonl"), os.path.join(tmp, "b.jsonl")
        run(["replay", "-c", cfg, "--input", ev, "--output", a])
        run(["replay", "-c", cfg, "--input", ev, "--output", b, "--features",
             os.path.join(tmp, "x.csv"), "--labels", labels_csv, "--horizon",
             "30d"])
        wa, wb = open(a, "rb").read(), open(b, "rb").read()
        check(wa == wb and wa.count(b"\n") > 10,
              "%s: warnings with --features differ (or too few: %d)"
              % (cfg, wa.count(b"\n")))

    # Usage errors say what is wrong.
    for args, text in (
            (["--features", "x.csv", "--labels", labels_csv], "--horizon"),
            (["--features", "x.csv", "--sample-every", "36h"], "whole days"),
            (["--features", "x.csv", "--sample-customers", "0"], "0 < F <= 1"),
            (["--output", "x.jsonl", "--sample-every", "2d"], "--features"),
            (["--features", "x.csv", "--horizon", "30d"], "--labels")):
        p = run(["replay", "-c", CFG, "--input", ev] + args, 2)
        check(text in p.stderr, "%s: %s" % (args, p.stderr))
finally:
    subprocess.run(["rm", "-rf", tmp])

print("export: %d failures" % len(failures))
sys.exit(1 if failures else 0)
