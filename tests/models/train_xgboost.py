#!/usr/bin/python3
"""tools/train_xgboost.py on a training set in CONTRACT.md section 10's
format, and churnwatch on what it wrote.

Usage: train_xgboost.py MODEL_EVAL CHURNWATCH SOURCE_DIR

The tool must split rows by as_of (the last 20 % of the sample times
validate, or --validate-from), save a model whose feature_names are the
inputs and whose base_score is the training rows' share of positives, and
print a `models` entry that check-config accepts in a configuration with
the training set's features. churnwatch must then score every row (empty
fields missing, infinities included) exactly as predict() scores the
model the tool saved. With --target-precision P (and --tree-method hist)
its entry's fire must be the smallest predict() score of the validation
rows at which their precision reaches P, as the test finds it by trying
every score; when no score reaches P it must print no entry and exit 1.
A file that is not a training set is refused.
"""
import datetime
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

check = Checks("train_xgboost")
EVAL, BIN, SRC = (os.path.abspath(a) for a in sys.argv[1:4])
TOOL = os.path.join(SRC, "tools", "train_xgboost.py")
NAMES = ["visits_30d", "spend_90d", "trend"]


def training_set(path, rng):
    """10 daily sample times x 300 customers; trend is sometimes missing
    or infinite (a division by zero in an expression feature)."""
    rows = []
    start = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
    for day in range(10):
        as_of = (start + datetime.timedelta(days=day)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        for c in range(300):
            visits = rng.poisson(4)
            spend = round(float(rng.exponential(5000)), 2)
            trend = rng.choice(["", "inf", "-inf", repr(float(rng.normal()))],
                               p=[0.1, 0.05, 0.05, 0.8])
            z = 1.0 - 0.5 * visits + (2.0 if trend == "inf" else 0.0)
            label = int(rng.random() < 1 / (1 + np.exp(-z)))
            rows.append(["c%04d" % c, as_of, str(visits), repr(spend), trend,
                         str(label)])
    with open(path, "w") as f:
        f.write("customer_id,as_of,%s,label\n" % ",".join(NAMES))
        for r in rows:
            f.write(",".join(r) + "\n")
    return rows


def target_precision(tmp, csv, rows, x):
    """--target-precision: the smallest fire reaching it on the validation
    rows, found by trying every score; and a target none reaches."""
    p = subprocess.run(["/usr/bin/python3", TOOL, "--features", csv,
                        "--model", "churn_hist", "--output", "hist.json",
                        "--depth", "3", "--rounds", "30", "--tree-method",
                        "hist", "--target-precision", "0.6"], cwd=tmp,
                       capture_output=True, text=True)
    check(p.returncode == 0, "--target-precision 0.6 failed: %s" % p.stderr)
    check("tree_method hist" in p.stdout and
          "validation precision >= 0.6" in p.stdout,
          "the comment line does not say how: %s" % p.stdout)
    booster = xgb.Booster(model_file=os.path.join(tmp, "hist.json"))
    valid = np.array([r[1] >= "2026-03-09" for r in rows])
    y = np.array([int(r[5]) for r in rows])[valid]
    score = booster.predict(xgb.DMatrix(x[valid], feature_names=NAMES))
    reach = [float(s) for s in sorted(set(score))
             if y[score >= s].mean() >= 0.6]
    fire = re.search(r"fire = (\S+); \}", p.stdout)
    check(reach and fire and float(fire.group(1)) == reach[0],
          "fire %s, not the smallest score reaching precision 0.6, %r"
          % (fire and fire.group(1), reach[:1]))
    check("precision 0.6" in p.stderr, "stderr: %s" % p.stderr)

    # Validation rows without a positive: no fire has any precision.
    none = os.path.join(tmp, "none.csv")
    with open(none, "w") as f:
        f.write("customer_id,as_of,%s,label\n" % ",".join(NAMES))
        for r in rows:
            f.write(",".join(r[:5] + [r[5] if r[1] < "2026-03-09" else "0"])
                    + "\n")
    n = subprocess.run(["/usr/bin/python3", TOOL, "--features", none,
                        "--model", "m", "--output", "none.json", "--rounds",
                        "5", "--target-precision", "0.5"], cwd=tmp,
                       capture_output=True, text=True)
    check(n.returncode == 1 and n.stdout == "" and
          "no fire reaches precision 0.5" in n.stderr,
          "an unreachable target: exit %d, stdout %r, stderr %s"
          % (n.returncode, n.stdout, n.stderr))


def main():
    tmp = tempfile.mkdtemp()
    rng = np.random.default_rng(9)
    try:
        csv = os.path.join(tmp, "train.csv")
        rows = training_set(csv, rng)
        p = subprocess.run(["/usr/bin/python3", TOOL, "--features", csv,
                            "--model", "churn_xgb", "--output", "churn.json",
                            "--depth", "3", "--rounds", "30"], cwd=tmp,
                           capture_output=True, text=True)
        check(p.returncode == 0, "the tool failed: %s" % p.stderr)
        print(p.stderr.strip())
        n_train = sum(r[1] < "2026-03-09" for r in rows)
        check("%d rows" % n_train in p.stderr and
              "as_of >= 2026-03-09T00:00:00Z" in p.stderr,
              "not the last 2 of 10 sample times validating: %s" % p.stderr)
        with open(os.path.join(tmp, "churn.json")) as f:
            learner = json.load(f)["learner"]
        check(learner["feature_names"] == NAMES, "feature_names %s"
              % learner["feature_names"])
        share = np.float32(np.mean([int(r[5]) for r in rows
                                    if r[1] < "2026-03-09"]))
        check(np.float32(float(learner["learner_model_param"]["base_score"]))
              == share, "base_score %s, not the share of positives %s"
              % (learner["learner_model_param"]["base_score"], share))

        cfg = os.path.join(tmp, "churn.cfg")
        with open(cfg, "w") as f:
            f.write('features = (\n'
                    ' { name = "visits_30d"; stream = "login"; agg = "count";'
                    ' window = "30d"; },\n'
                    ' { name = "spend_90d"; stream = "purchase"; agg = "sum";'
                    ' field = "amount_cents"; window = "90d"; },\n'
                    ' { name = "trend"; expr = "visits_30d / spend_90d"; }'
                    '\n);\nmodels = (\n%s\n);\n' % p.stdout)
        c = subprocess.run([BIN, "check-config", "-c", cfg],
                           capture_output=True, text=True)
        check(c.returncode == 0, "check-config refused the entry: %s"
              % c.stderr)

        scored = os.path.join(tmp, "rows.csv")
        with open(scored, "w") as f:
            f.write(",".join(NAMES) + "\n")
            f.writelines(",".join(r[2:5]) + "\n" for r in rows)
        e = subprocess.run([EVAL, "-c", cfg, "-m", "churn_xgb", scored],
                           capture_output=True, text=True)
        check(e.returncode == 0, "model_eval failed: %s" % e.stderr)
        booster = xgb.Booster(model_file=os.path.join(tmp, "churn.json"))
        # Empty fields and infinities are missing.
        x = np.array([[float(v) if v not in ("", "inf", "-inf") else np.nan
                       for v in r[2:5]] for r in rows])
        pred = booster.predict(xgb.DMatrix(x, feature_names=NAMES))
        got = [float(line.split("\t")[0]) for line in e.stdout.splitlines()]
        differ = sum(g != float(w) for g, w in zip(got, pred))
        check(len(got) == len(rows) and differ == 0,
              "%d rows scored of %d, %d differ from predict()"
              % (len(got), len(rows), differ))

        target_precision(tmp, csv, rows, x)

        with open(os.path.join(tmp, "bad.csv"), "w") as f:
            f.write("customer_id,visits_30d\nc1,3\n")
        b = subprocess.run(["/usr/bin/python3", TOOL, "--features",
                            os.path.join(tmp, "bad.csv"), "--model", "m",
                            "--output", os.path.join(tmp, "bad.json")],
                           capture_output=True, text=True)
        check(b.returncode == 1 and "is not a training set" in b.stderr,
              "a file without as_of and label: exit %d, %s"
              % (b.returncode, b.stderr))
    finally:
        subprocess.run(["rm", "-rf", tmp])
    check.finish()


main()
