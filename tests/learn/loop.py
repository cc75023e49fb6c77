#!/usr/bin/python3
"""examples/learn.sh, the learning loop end to end, on 2,000 customers.

Usage: loop.py CHURNWATCH SOURCE_DIR

The script must generate a labelled history, export a training set whose
labels need no churn after the later period starts, train a logistic
model (churnwatch train) and an XGBoost model (tools/train_xgboost.py),
backtest the example's rules and models and both trained models in one
replay, and print the report's table. Checked against the files it wrote:
report.json has a base row for every alert of examples/churnwatch.cfg and
for both trained models, and the sweep rows; report.html names them all;
the printed table is report.json's; the positives are the labelled
churners of the later period; and each trained model does better than
chance on that period: its precision is at least twice the share of
churners in the population, with true positives.
"""
import csv
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from checks import Checks  # noqa: E402

check = Checks("learn_loop")
BIN, SRC = (os.path.abspath(a) for a in sys.argv[1:3])
LATER = datetime.datetime(2026, 7, 1, tzinfo=datetime.timezone.utc)
LEARNED = ["churn_lr_learned", "churn_xgb_learned"]


def example_alerts():
    """The names of the rules and models of examples/churnwatch.cfg, in
    configuration order (the report's: rules, then models)."""
    text = open(os.path.join(SRC, "examples", "churnwatch.cfg")).read()
    text = re.sub(r"//[^\n]*", "", text)
    names = []
    for section in ("rules", "models"):
        body = re.search(r"^%s = \((.*?)^\);" % section, text,
                         re.S | re.M).group(1)
        names += re.findall(r'\{ name = "(\w+)"', body)
    return names


def printed_table(stdout):
    """The rows the script printed after the table's header line."""
    lines = stdout.splitlines()
    head = next((i for i, l in enumerate(lines) if l.startswith("alert ")),
                None)
    if head is None:
        return {}
    rows = {}
    for line in lines[head + 1:]:
        f = line.split()
        if len(f) == 7:
            rows[f[0]] = f[1:]
    return rows


def expected_line(r):
    lead = r["lead_time_days"]
    return ["%d" % r["warned"], "%d" % r["true_positives"],
            "%d" % r["positives"], "%.3f" % r["precision"],
            "%.3f" % r["recall"],
            "/".join("%.1f" % lead[k] if lead[k] is not None else "-"
                     for k in ("p10", "p50", "p90"))]


def training_set(out):
    """The customers of the training set and its last sample time."""
    ids, last = set(), ""
    with open(os.path.join(out, "train.csv"), newline="") as f:
        for row in csv.DictReader(f):
            ids.add(row["customer_id"])
            last = max(last, row["as_of"])
    return ids, last


def main():
    tmp = tempfile.mkdtemp()
    out = os.path.join(tmp, "learn")
    try:
        env = dict(os.environ, CUSTOMERS="2000", SEED="7")
        p = subprocess.run([os.path.join(SRC, "examples", "learn.sh"),
                            os.path.dirname(BIN), out], env=env,
                           capture_output=True, text=True)
        print(p.stdout)
        check(p.returncode == 0, "learn.sh failed (exit %d): %s"
              % (p.returncode, p.stderr[-3000:]))
        if p.returncode != 0:
            return
        report = json.load(open(os.path.join(out, "report", "report.json")))
        base = {r["alert"]: r for r in report["rows"]
                if r["variant"] == "base"}
        alerts = example_alerts()
        check(len(alerts) == 6, "examples/churnwatch.cfg: alerts %s" % alerts)
        for a in alerts + LEARNED:
            check(a in base, "no base row for %s" % a)
        for m in LEARNED:
            sweeps = [r["variant"] for r in report["rows"]
                      if r["alert"] == m and r["variant"] != "base"]
            check(sweeps == ["fire=%g" % (v / 10) for v in range(1, 10)],
                  "%s's sweep rows: %s" % (m, sweeps))
        html = open(os.path.join(out, "report", "report.html")).read()
        for a in alerts + LEARNED:
            check(a in html, "report.html does not name %s" % a)

        table = printed_table(p.stdout)
        for a in alerts + LEARNED:
            check(a in base and table.get(a) == expected_line(base[a]),
                  "%s printed as %s, report.json has %s"
                  % (a, table.get(a), expected_line(base[a])
                     if a in base else None))
        check(set(table) == set(alerts + LEARNED),
              "the table's rows: %s" % sorted(table))

        # No label of the training set needs churn from the later period:
        # its last sample time is 30 days (the horizon) before it.
        ids, last = training_set(out)
        check(last == "2026-06-01T00:00:00Z",
              "the training set's last sample time is %s" % last)
        later_ms = int(LATER.timestamp() * 1000)
        with open(os.path.join(out, "labels.csv"), newline="") as f:
            churned = {r["customer_id"]: int(r["churned_at"])
                       for r in csv.DictReader(f)}
        positives = sum(t >= later_ms for t in churned.values())
        check(all(r["positives"] == positives for r in base.values()),
              "positives %s, not the %d labelled churners from %s"
              % (sorted({r["positives"] for r in base.values()}), positives,
                 LATER.date()))

        # Every customer of the training set had events, so the backtest's
        # population holds them all: the share of churners in it is at
        # most positives / len(ids). Chance would warn at about that
        # precision.
        rate = positives / len(ids)
        print("learn_loop: %d positives, %d customers in the training set: "
              "base rate at most %.3f" % (positives, len(ids), rate))
        for m in LEARNED:
            r = base.get(m)
            if not r:
                continue
            check(r["precision"] >= 2 * rate and r["true_positives"] >= 10,
                  "%s: precision %.3f with %d true positives, against a "
                  "base rate of %.3f" % (m, r["precision"],
                                         r["true_positives"], rate))
    finally:
        subprocess.run(["rm", "-rf", tmp])
    check.finish()


main()
