#!/usr/bin/python3
"""churnwatch train (CONTRACT.md section 11), against scikit-learn.

Usage: train.py CHURNWATCH SOURCE_DIR

A generated population is exported with labels (replay --features), then
trained twice: every feature with --target-precision, and three inputs
with --l2 3, --validate-from and --fire. For each, this script splits the
rows itself (as_of < T trains; by default T is the first of the last 20 %
of sample times), standardises the training rows with numpy (mean and
population std of the values present, missing values at 0 after) and fits
scikit-learn's LogisticRegression(C = 1 / L): the printed intercept,
weights, means and stds must equal them within 1e-4, and missing = mean.
The entry, pasted into a configuration, must pass check-config; the
validation rows' scores computed as the contract defines a logistic model
must equal sklearn's predict_proba within 1e-4, the engine's own model
functions (model_eval) must give exactly those scores for every
validation row, and a replay with the model must give exactly those
scores in the warnings it emits at the validation sample times. --target-precision must choose the smallest fire
whose precision on the validation rows reaches the target (recomputed
here), and a target no fire reaches must fail with exit 1, a clear
sentence and nothing on stdout. Bad rows are reported as file:line.
"""
import csv
import datetime
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.linear_model import LogisticRegression

BIN, SRC = sys.argv[1], sys.argv[2]
# Built next to churnwatch (tests/models/model_eval.c).
MODEL_EVAL = os.path.join(os.path.dirname(BIN), "model_eval")
CONTRACT = os.path.join(SRC, "tests", "data", "configs", "good",
                        "contract.cfg")
TOL = 1e-4
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("train: FAIL:", what)


def run(args, rc=0):
    p = subprocess.run([BIN] + args, capture_output=True, text=True)
    check(p.returncode == rc, "churnwatch %s: exit %d, expected %d: %s"
          % (" ".join(args), p.returncode, rc, p.stderr[-600:]))
    return p


def ms(text):
    return (datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc) - EPOCH) // datetime.timedelta(
            milliseconds=1)


def read_set(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def parse_entry(text):
    """The printed entry's numbers: intercept, fire, and per input its
    feature, weight, mean, std and missing."""
    num = r"(-?[0-9.]+(?:e[-+]?[0-9]+)?)"
    inputs = [dict(feature=m[0], weight=float(m[1]), mean=float(m[2]),
                   std=float(m[3]), missing=float(m[4]))
              for m in re.findall(
                  r'\{ feature = "(\w+)"; weight = ' + num +
                  r'; transform = "standardize"; mean = ' + num +
                  r"; std = " + num + r"; missing = " + num + r"; \}", text)]
    intercept = float(re.search(r"intercept = " + num, text).group(1))
    fire = float(re.search(r"fire = " + num + r"; \}", text).group(1))
    return intercept, fire, inputs


def engine_score(intercept, inputs, values):
    """CONTRACT.md section 3's logistic score, in the engine's order."""
    z = intercept
    for inp, v in zip(inputs, values):
        x = inp["missing"] if math.isnan(v) else v
        z += inp["weight"] * ((x - inp["mean"]) / inp["std"])
    return 1.0 / (1.0 + math.exp(-z))


def default_split(rows):
    times = sorted({ms(r[1]) for r in rows})
    k = max(1, math.ceil(len(times) * 0.2))
    return times[len(times) - k]


def smallest_fire(scores, labels, target):
    """The smallest score s such that the rows scoring >= s have precision
    >= target, or None."""
    pairs = sorted(zip(scores, labels), reverse=True)
    best, flagged, tp = None, 0, 0
    for i, (s, y) in enumerate(pairs):
        flagged += 1
        tp += y
        last_of_tie = i + 1 == len(pairs) or pairs[i + 1][0] != s
        if last_of_tie and tp / flagged >= target:
            best = s
    return best


def sklearn_fit(X, y, l2):
    mean = np.nanmean(X, axis=0)
    std = np.nanstd(X, axis=0)
    std[std == 0] = 1
    Z = (X - mean) / std
    Z[np.isnan(Z)] = 0
    m = LogisticRegression(C=1 / l2, tol=1e-12, max_iter=1000,
                           solver="newton-cholesky").fit(Z, y)
    return m, mean, std


def verify(what, path, out, names, l2, T=None, target=None):
    """Checks one training run's entry (stdout `out`) against sklearn."""
    header, rows = read_set(path)
    cols = [header.index(n) for n in names]
    if T is None:
        T = default_split(rows)
    comment = out.splitlines()[0]
    check(comment.startswith("# churnwatch train --features %s" % path)
          and ("--validate-from %s" % datetime.datetime.fromtimestamp(
              T / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
          in comment, "%s: comment line %r" % (what, comment))
    X = np.array([[float(r[c]) if r[c] else np.nan for c in cols]
                  for r in rows])
    y = np.array([int(r[-1]) for r in rows])
    tr = np.array([ms(r[1]) < T for r in rows])
    m, mean, std = sklearn_fit(X[tr], y[tr], l2)
    intercept, fire, inputs = parse_entry(out)
    check([i["feature"] for i in inputs] == names, "%s: inputs %s"
          % (what, [i["feature"] for i in inputs]))
    if len(inputs) != len(names):
        return None
    diff = max([abs(intercept - m.intercept_[0])] +
               [abs(i["weight"] - w) for i, w in zip(inputs, m.coef_[0])] +
               [abs(i["mean"] - a) for i, a in zip(inputs, mean)] +
               [abs(i["std"] - s) for i, s in zip(inputs, std)])
    check(diff <= TOL, "%s: differs from sklearn by %g" % (what, diff))
    check(all(i["missing"] == i["mean"] for i in inputs),
          "%s: missing != mean" % what)
    print("train: %s: largest difference from sklearn %.3g" % (what, diff))

    Xv, yv = X[~tr], y[~tr]
    ours = [engine_score(intercept, inputs, row) for row in Xv]
    Zv = (Xv - mean) / std
    Zv[np.isnan(Zv)] = 0
    theirs = m.predict_proba(Zv)[:, 1]
    d = max(abs(a - b) for a, b in zip(ours, theirs))
    check(d <= TOL, "%s: validation scores differ from predict_proba by %g"
          % (what, d))
    if target is not None:
        want = smallest_fire(ours, list(yv), target)
        check(fire == want, "%s: fire %r, the smallest reaching %g is %r"
              % (what, fire, target, want))
    return intercept, fire, inputs, T, rows, cols


def engine_scores(what, cfg, fitted, names):
    """model_eval (tests/models/model_eval.c) scores every validation row
    through the engine's own model functions (features/model.h): each
    score must be the one computed here, which is predict_proba's within
    TOL (checked in verify)."""
    intercept, fire, inputs, T, rows, cols = fitted
    valid = [r for r in rows if ms(r[1]) >= T]
    path = os.path.join(os.path.dirname(cfg), "valid.csv")
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for r in valid:
            f.write(",".join(r[c] for c in cols) + "\n")
    p = subprocess.run([MODEL_EVAL, "-c", cfg, "-m", "m", path],
                       capture_output=True, text=True)
    check(p.returncode == 0, "%s: model_eval: %s" % (what, p.stderr))
    got = [float(line.split("\t")[0]) for line in p.stdout.splitlines()]
    want = [engine_score(intercept, inputs,
                         [float(r[c]) if r[c] else math.nan for c in cols])
            for r in valid]
    bad = sum(a != b for a, b in zip(got, want))
    check(len(got) == len(want) > 1000 and bad == 0,
          "%s: the engine scores %d of %d validation rows otherwise"
          % (what, bad + abs(len(got) - len(want)), len(want)))


def cfg_with(entry, path):
    """The contract's configuration with the entry as its only model."""
    text = open(CONTRACT).read()
    start = text.index("models = (")
    end = text.index(");\n", text.index("fire = 0.8", start)) + 3
    with open(path, "w") as f:
        f.write(text[:start] + "models = (\n" + entry + ");\n" + text[end:])


def replay_scores(what, cfg, ev, fitted):
    """The warnings of the trained model at validation sample times carry
    exactly the scores of the rows they were evaluated on."""
    intercept, fire, inputs, T, rows, cols = fitted
    out = os.path.join(os.path.dirname(cfg), "w.jsonl")
    run(["replay", "-c", cfg, "--input", ev, "--output", out])
    rows_at = {(r[0], ms(r[1])): [float(r[c]) if r[c] else math.nan
                                  for c in cols] for r in rows}
    n = 0
    for line in open(out):
        w = json.loads(line)
        key = (w["customer_id"], w["eval_ts"])
        if w["alert"] != "m" or w["trigger"] != "TIMER" or \
                w["eval_ts"] < T or key not in rows_at:
            continue
        n += 1
        want = engine_score(intercept, inputs, rows_at[key])
        check(w["score"] == want, "%s: %s at %d: warning score %r, row %r"
              % (what, key[0], key[1], w["score"], want))
        check((w["state"] == "FIRING") == (want >= fire),
              "%s: %s %s with score %r, fire %r" % (what, key, w["state"],
                                                    want, fire))
    check(n >= 5, "%s: only %d warnings at validation sample times" % (what, n))


tmp = tempfile.mkdtemp()
try:
    ev, labels = os.path.join(tmp, "ev"), os.path.join(tmp, "labels.csv")
    subprocess.run([BIN, "gen", "-c", CONTRACT, "--customers", "800",
                    "--days", "100", "--seed", "21", "--labels", labels,
                    "--output-dir", ev], check=True, capture_output=True)
    ts = os.path.join(tmp, "train.csv")
    run(["replay", "-c", CONTRACT, "--input", ev, "--features", ts,
         "--labels", labels, "--horizon", "30d"])
    names = read_set(ts)[0][2:-1]

    # Every feature, the default split, the smallest fire reaching 0.35.
    p = run(["train", "--features", ts, "--model", "m",
             "--target-precision", "0.35"])
    check(re.search(r"validation AUC 0\.\d+", p.stderr) and
          "precision" in p.stderr and "recall" in p.stderr and
          "positive" in p.stderr, "figures on stderr: " + p.stderr)
    fitted = verify("all inputs", ts, p.stdout, names, 1.0, target=0.35)
    cfg = os.path.join(tmp, "m.cfg")
    cfg_with(p.stdout, cfg)
    c = run(["check-config", "-c", cfg])
    check(": OK: 7 features (1 expression), 1 rule, 1 model" in c.stdout,
          "check-config: " + c.stdout + c.stderr)
    if fitted:
        engine_scores("all inputs", cfg, fitted, names)
        replay_scores("all inputs", cfg, ev, fitted)

    # Three inputs, --l2 3, --validate-from, --fire.
    three = ["purchases_30d", "nps_last", "days_since_purchase"]
    p = run(["train", "--features", ts, "--model", "m", "--inputs",
             ",".join(three), "--l2", "3", "--validate-from", "2026-03-20",
             "--fire", "0.3"])
    fitted = verify("three inputs", ts, p.stdout, three, 3.0,
                    T=ms("2026-03-20T00:00:00Z"))
    check(fitted and fitted[1] == 0.3, "--fire 0.3 not kept")
    cfg_with(p.stdout, cfg)
    run(["check-config", "-c", cfg])
    if fitted:
        engine_scores("three inputs", cfg, fitted, three)
        replay_scores("three inputs", cfg, ev, fitted)

    # A precision no fire reaches: exit 1, a sentence, nothing on stdout.
    p = run(["train", "--features", ts, "--model", "m", "--inputs",
             "complaints_30d", "--target-precision", "0.9"], 1)
    check(p.stdout == "" and "no fire reaches precision 0.9 " in p.stderr,
          "unreachable target: %r %r" % (p.stdout, p.stderr))

    # Bad files are reported as file:line.
    bad = os.path.join(tmp, "bad.csv")
    lines = open(ts).read().split("\n")
    f = lines[4].split(",")
    f[4] = "abc"
    lines[4] = ",".join(f)
    open(bad, "w").write("\n".join(lines))
    p = run(["train", "--features", bad, "--model", "m", "--fire", "0.5"], 1)
    check("bad.csv:5: column 'spend_90d': 'abc' is not a number" in p.stderr,
          "bad number: " + p.stderr)
    p = run(["train", "--features", ts, "--model", "m", "--fire", "0.5",
             "--inputs", "nps_last,nope"], 1)
    check("train.csv:1: no column 'nope' in the header" in p.stderr,
          "unknown input: " + p.stderr)
    unlabelled = os.path.join(tmp, "unlabelled.csv")
    run(["replay", "-c", CONTRACT, "--input", ev, "--features", unlabelled,
         "--sample-every", "7d"])
    p = run(["train", "--features", unlabelled, "--model", "m", "--fire",
             "0.5"], 1)
    check("no label column" in p.stderr, "no label column: " + p.stderr)
    p = run(["train", "--features", ts, "--model", "m", "--fire", "0.5",
             "--validate-from", "2027-01-01"], 1)
    check("no validation rows" in p.stderr, "no validation rows: " + p.stderr)
finally:
    subprocess.run(["rm", "-rf", tmp])

print("train: %d failures" % len(failures))
sys.exit(1 if failures else 0)
