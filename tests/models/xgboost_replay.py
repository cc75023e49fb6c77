#!/usr/bin/python3
"""An xgboost model end to end through `churnwatch replay` (CONTRACT.md
sections 4, 7 and 11).

Usage: xgboost_replay.py CHURNWATCH SOURCE_DIR

A generated population is replayed once with a probe rule that fires and
resolves at every evaluation, so that its warnings carry the contract
example's features as the engine computes them; python3-xgboost trains a
model on those rows (labels: churn within 30 days). A replay with that
model must then give warnings whose score is exactly what predict() gives
for the warning's `features` map (an absent feature is missing) and whose
reasons are the top 3 positive approx_contribs; a --sweep of the model's
fire must leave the warnings written unchanged and give, for each variant,
the report row of a separate replay with that fire.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import xgboost as xgb

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from checks import Checks  # noqa: E402

check = Checks("xgboost_replay")
BIN, SRC = sys.argv[1], sys.argv[2]
CONTRACT = os.path.join(SRC, "tests", "data", "configs", "good",
                        "contract.cfg")
DAY = 86400000


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True)
    if p.returncode:
        sys.exit("xgboost_replay: %s failed: %s" % (args[0], p.stderr))


def features_of(text):
    """The contract example's features section and its feature names."""
    start = text.index("features = (")
    end = text.index(");", start) + 2
    return text[start:end], re.findall(r'name = "(\w+)"', text[start:end])


def warnings(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def matrix(ws, names):
    return np.array([[w["features"].get(n, np.nan) for n in names]
                     for w in ws], dtype=np.float64)


def train(tmp, features, names, ev, labels):
    """Rows from a probe rule that references every feature."""
    probe = os.path.join(tmp, "probe.cfg")
    cond = " + ".join("coalesce(%s, 0) * 0" % n for n in names) + " + 1"
    with open(probe, "w") as f:
        f.write('%s\nrules = ( { name = "probe"; when = "%s"; clear = "%s"; '
                '} );\n' % (features, cond, cond))
    run("replay", "-c", probe, "--input", ev, "--output",
        os.path.join(tmp, "probe.jsonl"))
    rows = warnings(os.path.join(tmp, "probe.jsonl"))[::3]
    churned = {}
    with open(labels) as f:
        for line in f.read().splitlines()[1:]:
            cid, at = line.split(",")
            churned[cid] = int(at)
    y = [1 if 0 < churned.get(w["customer_id"], -1) - w["eval_ts"] <= 30 * DAY
         else 0 for w in rows]
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 5,
                         "base_score": 0.2, "eta": 0.3, "seed": 3},
                        xgb.DMatrix(matrix(rows, names), label=y,
                                    feature_names=names), 50)
    booster.save_model(os.path.join(tmp, "churn.json"))
    scores = sorted(booster.predict(xgb.DMatrix(matrix(rows, names),
                                                feature_names=names)))
    print("xgboost_replay: trained on %d rows, %d positives" %
          (len(rows), sum(y)))
    # fire at the 90th percentile of the training rows' scores: warnings
    # come and go.
    return booster, float(scores[int(len(scores) * 0.9)])


def model_config(path, features, names, fire, clear):
    with open(path, "w") as f:
        f.write('%s\nmodels = ( { name = "xgb"; type = "xgboost"; '
                'file = "churn.json";\n  inputs = [%s];\n  fire = %r; '
                'clear = %r; severity = "high"; } );\n'
                % (features, ", ".join('"%s"' % n for n in names), fire,
                   clear))


def check_scores(booster, names, ws):
    m = xgb.DMatrix(matrix(ws, names), feature_names=names)
    pred = booster.predict(m)
    contribs = booster.predict(m, pred_contribs=True, approx_contribs=True)
    bad_score = bad_reasons = 0
    for w, p, c in zip(ws, pred, contribs):
        bad_score += w["score"] != float(p)
        top = sorted((-float(v), names[k]) for k, v in
                     enumerate(c[:len(names)]) if v > 0)[:3]
        bad_reasons += w["reasons"] != [n for _, n in top]
    print("xgboost_replay: %d warnings, %d scores differ from predict(), "
          "%d reasons from approx_contribs" % (len(ws), bad_score,
                                               bad_reasons))
    check(len(ws) >= 200, "only %d warnings" % len(ws))
    check(bad_score == 0, "%d scores differ from predict()" % bad_score)
    check(bad_reasons == 0, "%d reasons differ" % bad_reasons)


def report(tmp, cfg, name, ev, labels, extra=()):
    out, rep = os.path.join(tmp, name + ".jsonl"), os.path.join(tmp, name)
    run("replay", "-c", cfg, "--input", ev, "--output", out, "--labels",
        labels, "--report", rep, "--from", "2026-03-01", *extra)
    with open(os.path.join(rep, "report.json")) as f:
        rows = json.load(f)["rows"]
    with open(out, "rb") as f:
        return f.read(), {(r["alert"], r["variant"]): r for r in rows}


def check_sweep(tmp, features, names, ev, labels, fire, clear):
    cfg = os.path.join(tmp, "xgb.cfg")
    base_out, base = report(tmp, cfg, "base", ev, labels)
    # One fire below the configured clear (then clear = fire), one above.
    fires = [round(clear - 0.05, 4), round(fire + 0.05, 4)]
    out, swept = report(tmp, cfg, "swept", ev, labels,
                        [a for v in fires for a in
                         ("--sweep", "xgb.fire=%r:%r:1" % (v, v))])
    check(out == base_out, "the sweep changed the warnings written")
    for v in fires:
        alone = os.path.join(tmp, "fire%r.cfg" % v)
        model_config(alone, features, names, v, min(clear, v))
        _, rows = report(tmp, alone, "fire%r" % v, ev, labels)
        want = dict(rows[("xgb", "base")])
        got = swept.get(("xgb", "fire=%g" % v))
        check(got is not None, "no report row for fire=%g" % v)
        if got:
            want["variant"] = got["variant"]
            check(got == want, "fire=%g: swept row %s, separate replay %s"
                  % (v, got, want))


def main():
    tmp = tempfile.mkdtemp()
    try:
        ev, labels = os.path.join(tmp, "ev"), os.path.join(tmp, "labels.csv")
        run("gen", "-c", CONTRACT, "--customers", "1500", "--days", "150",
            "--seed", "5", "--labels", labels, "--output-dir", ev)
        with open(CONTRACT) as f:
            features, names = features_of(f.read())
        booster, fire = train(tmp, features, names, ev, labels)
        clear = round(fire * 0.8, 6)
        model_config(os.path.join(tmp, "xgb.cfg"), features, names,
                     round(fire, 6), clear)
        run("replay", "-c", os.path.join(tmp, "xgb.cfg"), "--input", ev,
            "--output", os.path.join(tmp, "xgb.jsonl"))
        check_scores(booster, names, warnings(os.path.join(tmp,
                                                           "xgb.jsonl")))
        check_sweep(tmp, features, names, ev, labels, round(fire, 6), clear)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    check.finish()


main()
