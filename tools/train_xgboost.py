#!/usr/bin/python3
"""Train an XGBoost model for churnwatch from a training set.

usage: train_xgboost.py --features TRAIN.csv --model NAME --output MODEL.json
                        [--inputs f1,f2,...] [--validate-from T]
                        [--depth 4] [--rounds 200] [--eta 0.1] [--seed 1]
                        [--tree-method exact|approx|hist]
                        [--fire 0.5 | --target-precision P]

TRAIN.csv is what `churnwatch replay --features TRAIN.csv --labels ...`
writes (CONTRACT.md section 10): customer_id, as_of, the features, label.
Rows with as_of < T train and the rest validate (default: the last 20 % of
the sample times validate). The model (booster gbtree, objective
binary:logistic, base_score the training rows' share of positives,
feature_names the inputs) goes to MODEL.json as save_model() writes it;
stdout gets the `models` entry that reads it (`file` as given to
--output: relative to the configuration file's folder), stderr the rows,
positives and the validation AUC. --target-precision P takes the smallest
fire whose precision on the validation rows (rows scoring >= fire flagged)
is at least P, as `churnwatch train --target-precision` does; the
candidates are predict()'s scores, which churnwatch's score equals, so a
replay flags the same rows. When no fire reaches P it prints no entry and
exits 1. --tree-method is XGBoost's (default: XGBoost's own, which picks
exact on small data; hist is much faster on a few hundred thousand rows).

An empty field is missing, and so are inf and -inf (XGBoost refuses
infinite values), as churnwatch scores them. Needs Debian's
python3-xgboost: run it with /usr/bin/python3.
"""
import argparse
import csv
import datetime
import sys

import numpy as np
import xgboost as xgb

# The doubles from here up round to an infinite float32.
F32_LIMIT = 2.0 ** 128 - 2.0 ** 103


def number(text):
    """A value as churnwatch's xgboost models read it: empty, infinite and
    beyond float32 are missing."""
    v = float(text) if text else np.nan
    return v if abs(v) < F32_LIMIT else np.nan


def read(path, wanted):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if not header or header[:2] != ["customer_id", "as_of"] or \
                header[-1] != "label":
            sys.exit("train_xgboost: %s is not a training set: its header "
                     "must be customer_id,as_of,<features>,label" % path)
        features = header[2:-1]
        inputs = wanted or features
        unknown = [n for n in inputs if n not in features]
        if unknown:
            sys.exit("train_xgboost: %s has no column %s (features: %s)"
                     % (path, ", ".join(unknown), ", ".join(features)))
        cols = [header.index(n) for n in inputs]
        as_of, x, y = [], [], []
        for line, r in enumerate(rows, 2):
            if len(r) != len(header) or r[-1] not in ("0", "1"):
                sys.exit("train_xgboost: %s:%d: expected %d fields ending "
                         "in a label 0 or 1" % (path, line, len(header)))
            as_of.append(r[1])
            x.append([number(r[c]) for c in cols])
            y.append(int(r[-1]))
    return inputs, np.array(as_of), np.array(x, dtype=np.float64), \
        np.array(y)


def split_time(as_of, validate_from):
    """The first validation time: --validate-from, or the sample time at
    which the last 20 % of the sample times start."""
    if validate_from:
        t = validate_from
        if t.isdigit():  # epoch millis
            return datetime.datetime.fromtimestamp(
                int(t) / 1000, datetime.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%SZ")
        return t + "T00:00:00Z" if len(t) == 10 else t
    times = sorted(set(as_of))
    return times[int(len(times) * 0.8)] if len(times) > 1 else None


def auc(y, p):
    """The probability that a positive outranks a negative (ties half)."""
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sp = p[order]
    i = 0
    while i < len(sp):
        j = i
        while j + 1 < len(sp) and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    if not n_pos or not n_neg:
        return float("nan")
    return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def smallest_fire(p, y, target):
    """The smallest score s with precision(p >= s) >= target, and that
    precision; or None and the best precision there is, with its s.
    Lowering fire through the distinct scores flags one tie group more
    each time (learn/metrics.c does the same)."""
    order = np.argsort(-p, kind="mergesort")
    ps, ys = p[order], y[order]
    fire, prec_at, top, top_fire = None, 0.0, -1.0, 1.0
    tp = flagged = 0
    i = 0
    while i < len(ps):
        j = i
        while j < len(ps) and ps[j] == ps[i]:
            tp += int(ys[j])
            flagged += 1
            j += 1
        prec = tp / flagged
        if prec >= target:
            fire, prec_at = float(ps[i]), prec
        if prec > top:
            top, top_fire = prec, float(ps[i])
        i = j
    return (fire, prec_at) if fire is not None else (None, (top, top_fire))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--features", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--inputs")
    ap.add_argument("--validate-from")
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--eta", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tree-method", choices=["exact", "approx", "hist"])
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--fire", type=float, default=0.5)
    how.add_argument("--target-precision", type=float)
    a = ap.parse_args()
    if a.target_precision is not None and not 0 < a.target_precision <= 1:
        ap.error("--target-precision must be above 0 and at most 1")

    inputs, as_of, x, y = read(a.features, a.inputs.split(",")
                               if a.inputs else None)
    t = split_time(as_of, a.validate_from)
    train = as_of < t if t else np.ones(len(y), dtype=bool)
    if not train.any() or not y[train].any() or y[train].all():
        sys.exit("train_xgboost: the training rows (as_of < %s) need both "
                 "labels" % t)
    base = float(y[train].mean())
    params = {"objective": "binary:logistic", "booster": "gbtree",
              "max_depth": a.depth, "eta": a.eta, "base_score": base,
              "seed": a.seed}
    if a.tree_method:
        params["tree_method"] = a.tree_method
    booster = xgb.train(params,
                        xgb.DMatrix(x[train], label=y[train],
                                    feature_names=inputs), a.rounds)
    booster.save_model(a.output)

    valid = ~train
    msg = "train_xgboost: %d rows, %d positives train" % (train.sum(),
                                                          y[train].sum())
    if a.target_precision is not None and not valid.any():
        sys.exit("train_xgboost: --target-precision needs validation rows "
                 "(as_of >= %s): there are none" % t)
    if valid.any():
        p = booster.predict(xgb.DMatrix(x[valid], feature_names=inputs))
        if a.target_precision is not None:
            a.fire, got = smallest_fire(p, y[valid], a.target_precision)
            if a.fire is None:
                print(msg, file=sys.stderr)
                sys.exit("train_xgboost: no fire reaches precision %g on the "
                         "%d validation rows (the best is %.4f, at fire = %r)"
                         ": lower --target-precision, or give --fire"
                         % (a.target_precision, valid.sum(), got[0], got[1]))
        warned = p >= a.fire
        tp = int((warned & (y[valid] == 1)).sum())
        msg += ("; %d rows, %d positives validate (as_of >= %s): AUC %.4f, "
                "at fire %g precision %s recall %s"
                % (valid.sum(), y[valid].sum(), t, auc(y[valid], p), a.fire,
                   "%.4f" % (tp / warned.sum()) if warned.any() else "-",
                   "%.4f" % (tp / y[valid].sum()) if y[valid].any() else "-"))
    print(msg, file=sys.stderr)
    print("// train_xgboost.py on %s: %d rows as_of < %s, depth %d, %d "
          "rounds, eta %g, seed %d%s%s"
          % (a.features, train.sum(), t, a.depth, a.rounds, a.eta, a.seed,
             ", tree_method %s" % a.tree_method if a.tree_method else "",
             ", fire: the smallest with validation precision >= %g"
             % a.target_precision if a.target_precision is not None else ""))
    print('{ name = "%s"; type = "xgboost"; file = "%s";\n  inputs = [%s];\n'
          '  fire = %r; }' % (a.model, a.output,
                              ", ".join('"%s"' % n for n in inputs), a.fire))


main()
