#!/usr/bin/python3
"""xgboost models (CONTRACT.md section 11) against XGBoost's own predict().

Usage: xgboost_predict.py MODEL_EVAL CHURNWATCH SOURCE_DIR

For several models trained here by Debian's python3-xgboost (depths 1 to 6,
hist, approx and exact with pruned nodes, missing values in training,
base_score 0.5 and not, with and without feature_names), thousands of rows
(missing values, values exactly on split thresholds, doubles that round to
a threshold in float32) are scored by model_eval, which calls the engine's
own functions. Every score must equal predict() bit for bit (and so be
within 1e-6), every input's contribution must equal
predict(pred_contribs=True, approx_contribs=True), and the reasons must be
the top 3 positive contributions, largest first, ties by name. Models that
XGBoost saves with another objective or booster must be configuration
errors at the `file` line.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import xgboost as xgb

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from checks import Checks  # noqa: E402

check = Checks("xgboost_predict")
EVAL, BIN, SRC = (os.path.abspath(a) for a in sys.argv[1:4])
# Configuration order is not name order, so ties by name are visible.
NAMES = ["zeta", "alpha", "mid", "beta", "omega"]
CASES = [
    # (name, rounds, training params, base_score or None, feature_names)
    ("stumps", 30, {"max_depth": 1}, 0.27, True),
    ("hist_d3", 40, {"max_depth": 3, "tree_method": "hist"}, None, True),
    ("approx_d4", 25, {"max_depth": 4, "tree_method": "approx"}, 0.8, False),
    ("exact_d6_pruned", 40, {"max_depth": 6, "tree_method": "exact",
                             "gamma": 2.0}, 0.1, True),
    ("hist_d6", 100, {"max_depth": 6, "eta": 0.1}, 0.65, False),
]
infinities = [0]  # Infinity tokens in the models' JSON


def rows(rng, n, p_missing):
    """Columns of different scales: normal, counts, money (now and then
    3e38, near the largest float32: XGBoost then writes a split above it
    as Infinity), bounded, tiny."""
    x = np.column_stack([
        rng.normal(size=n), rng.poisson(3, size=n).astype(float),
        np.where(rng.random(n) < 0.02, 3e38, rng.exponential(1e4, size=n)),
        rng.uniform(-1, 1, size=n), rng.normal(size=n) * 1e-3])
    x[rng.random(x.shape) < p_missing] = np.nan
    return x


def labels(rng, x):
    z = (1.5 * np.nan_to_num(x[:, 0]) + 0.5 * (np.nan_to_num(x[:, 1], nan=5)
         - 3) + 0.2 * np.log1p(np.nan_to_num(x[:, 2])) - 1.5
         + np.sin(5 * np.nan_to_num(x[:, 3])) + 300 * np.nan_to_num(x[:, 4]))
    return (rng.random(len(x)) < 1 / (1 + np.exp(-z))).astype(int)


def edge_rows(rng, model, n):
    """Rows whose values sit exactly on split thresholds, and doubles just
    below a threshold that float32 rounds up onto it (they must go right),
    the other columns random, missing, infinite or beyond float32 (both
    missing to churnwatch, and refused by predict())."""
    splits = []
    for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
        for i, left in enumerate(tree["left_children"]):
            if left >= 0:
                splits.append((tree["split_indices"][i],
                               tree["split_conditions"][i]))
    x = rows(rng, n, 0.2)
    for r in range(n):
        for _ in range(3):
            f, t = splits[rng.integers(len(splits))]
            v = float(np.float32(t))
            x[r, f] = np.nextafter(v, -np.inf) if r % 2 else v
        if r % 5 == 0:
            x[r, rng.integers(len(NAMES))] = [np.inf, -np.inf, 1e300,
                                              -1e300][r % 4]
    return x


def as_missing(x):
    """x with what churnwatch reads as missing made NaN for predict()."""
    x = x.copy()
    x[~(np.abs(np.nan_to_num(x, nan=np.inf)) < 2.0 ** 128 - 2.0 ** 103)] = \
        np.nan
    return x


def write_rows(path, x):
    with open(path, "w") as f:
        f.write(",".join(NAMES) + "\n")
        for r in x:
            f.write(",".join("" if np.isnan(v) else repr(float(v))
                             for v in r) + "\n")


def write_config(path, model_file):
    feats = ",\n".join('  { name = "%s"; stream = "purchase"; agg = "count"; '
                       'window = "30d"; }' % n for n in NAMES)
    with open(path, "w") as f:
        f.write('features = (\n%s\n);\nmodels = (\n  { name = "m"; '
                'type = "xgboost"; file = "%s";\n    inputs = [%s];\n'
                '    fire = 0.5; }\n);\n'
                % (feats, model_file, ", ".join('"%s"' % n for n in NAMES)))


def want_reasons(contrib):
    top = sorted((-float(c), NAMES[k]) for k, c in enumerate(contrib)
                 if c > 0)
    return ",".join(name for _, name in top[:3])


def run_case(tmp, case, rng):
    name, rounds, params, base, with_names = case
    x = rows(rng, 4000, 0.15)
    train = xgb.DMatrix(x, label=labels(rng, x),
                        feature_names=NAMES if with_names else None)
    p = {"objective": "binary:logistic", "seed": 1, **params}
    if base is not None:
        p["base_score"] = base
    booster = xgb.train(p, train, rounds)
    # The model in a subfolder, named relative to the configuration file.
    os.makedirs(os.path.join(tmp, name, "models"))
    booster.save_model(os.path.join(tmp, name, "models", "m.json"))
    with open(os.path.join(tmp, name, "models", "m.json")) as f:
        text = f.read()
    infinities[0] += text.count("Infinity")
    model = json.loads(text)
    cfg = os.path.join(tmp, name, "m.cfg")
    write_config(cfg, "models/m.json")
    score = np.vstack([rows(rng, 3000, 0.2), edge_rows(rng, model, 1000)])
    csv = os.path.join(tmp, name, "rows.csv")
    write_rows(csv, score)

    out = subprocess.run([EVAL, "-c", cfg, "-m", "m", csv], cwd="/",
                         capture_output=True, text=True)
    if out.returncode:
        check(False, "%s: model_eval failed: %s" % (name, out.stderr))
        return
    got = [line.split("\t") for line in out.stdout.splitlines()]
    check(len(got) == len(score), "%s: %d rows scored of %d"
          % (name, len(got), len(score)))
    m = xgb.DMatrix(as_missing(score),
                    feature_names=NAMES if with_names else None)
    pred = booster.predict(m)
    contribs = booster.predict(m, pred_contribs=True, approx_contribs=True)
    worst, exact, bad_contrib, bad_reasons = 0.0, 0, 0, 0
    for i, (s, reasons, contrib) in enumerate(got):
        s = float(s)
        worst = max(worst, abs(s - float(pred[i])))
        exact += s == float(pred[i])
        mine = [np.float32(float(c)) for c in contrib.split(",")]
        if mine != list(contribs[i][:len(NAMES)]):
            bad_contrib += 1
            if bad_contrib == 1:
                print("%s: row %d contributions %s, xgboost %s"
                      % (name, i, mine, contribs[i]))
        if reasons != want_reasons(contribs[i][:len(NAMES)]):
            bad_reasons += 1
            if bad_reasons == 1:
                print("%s: row %d reasons %r, xgboost's contributions give %r"
                      % (name, i, reasons,
                         want_reasons(contribs[i][:len(NAMES)])))
    depth = max(n_levels(t) for t in
                model["learner"]["gradient_booster"]["model"]["trees"])
    print("%s: %d trees, depth %d, base_score %s: %d rows, %d scores "
          "bit-exact, largest difference %.3g; contributions differ on %d, "
          "reasons on %d" % (name, rounds, depth,
                             model["learner"]["learner_model_param"]
                             ["base_score"], len(got), exact, worst,
                             bad_contrib, bad_reasons))
    check(worst <= 1e-6, "%s: a score %.3g from predict()" % (name, worst))
    check(exact == len(score), "%s: %d scores not bit-exact"
          % (name, len(score) - exact))
    check(bad_contrib == 0, "%s: contributions differ on %d rows"
          % (name, bad_contrib))
    check(bad_reasons == 0, "%s: reasons differ on %d rows"
          % (name, bad_reasons))


def n_levels(tree):
    """The depth of a tree in XGBoost's layout (a stump has depth 1)."""
    deepest, todo = 0, [(0, 0)]
    while todo:
        node, d = todo.pop()
        if tree["left_children"][node] < 0:
            deepest = max(deepest, d)
        else:
            todo += [(tree["left_children"][node], d + 1),
                     (tree["right_children"][node], d + 1)]
    return deepest


def refused(tmp, name, params, want):
    """A model XGBoost saves with other params is a configuration error at
    the line of `file`."""
    rng = np.random.default_rng(7)
    x = rows(rng, 500, 0.1)
    booster = xgb.train(params, xgb.DMatrix(x, label=labels(rng, x),
                                            feature_names=NAMES), 3)
    os.makedirs(os.path.join(tmp, name))
    booster.save_model(os.path.join(tmp, name, "m.json"))
    cfg = os.path.join(tmp, name, "m.cfg")
    write_config(cfg, "m.json")
    p = subprocess.run([BIN, "check-config", "-c", cfg], capture_output=True,
                       text=True)
    with open(cfg) as f:
        at = [n for n, text in enumerate(f, 1) if "file = " in text][0]
    line = "%s:%d: model 'm': m.json: %s" % (cfg, at, want)
    check(p.returncode == 1 and line in p.stderr,
          "%s: exit %d, stderr %r, expected %r"
          % (name, p.returncode, p.stderr, line))


def main():
    tmp = tempfile.mkdtemp()
    rng = np.random.default_rng(2026)
    try:
        for case in CASES:
            run_case(tmp, case, rng)
        print("%d Infinity tokens in the models" % infinities[0])
        check(infinities[0] > 0, "no model has a threshold of Infinity")
        refused(tmp, "squarederror", {"objective": "reg:squarederror"},
                'the objective is "reg:squarederror"')
        refused(tmp, "logitraw", {"objective": "binary:logitraw"},
                'the objective is "binary:logitraw"')
        refused(tmp, "dart", {"objective": "binary:logistic",
                              "booster": "dart"}, 'the booster is "dart"')
        refused(tmp, "gblinear", {"objective": "binary:logistic",
                                  "booster": "gblinear"},
                'the booster is "gblinear"')
    finally:
        subprocess.run(["rm", "-rf", tmp])
    print("xgboost", xgb.__version__)
    check.finish()


main()
