#!/usr/bin/python3
"""The model of bench/xgboost.sh: 100 trees of depth 6 over the contract
example's 7 features, trained by python3-xgboost on what the engine
computes for a small generated population.

usage: xgboost_model.py CHURNWATCH CONTRACT.cfg OUT_DIR

Replays 2,000 customers x 120 days (seed 2) with a probe rule that fires
and resolves at every evaluation, so that its warnings carry every
feature; labels are churn within 30 days. Writes OUT_DIR/bench_xgb.json
and OUT_DIR/xgboost.cfg: the contract example with the xgboost model in
place of its logistic one (fire at the training scores' 90th
percentile).
"""
import json
import os
import re
import subprocess
import sys

import numpy as np
import xgboost as xgb

BIN, CFG, OUT = sys.argv[1:4]
DAY = 86400000


def main():
    with open(CFG) as f:
        text = f.read()
    start = text.index("features = (")
    names = re.findall(r'name = "(\w+)"',
                       text[start:text.index(");", start)])
    ev, labels = os.path.join(OUT, "train-ev"), os.path.join(OUT, "train.csv")
    subprocess.run([BIN, "gen", "-c", CFG, "--customers", "2000", "--days",
                    "120", "--seed", "2", "--labels", labels, "--output-dir",
                    ev], check=True, capture_output=True)
    probe = os.path.join(OUT, "probe.cfg")
    cond = " + ".join("coalesce(%s, 0) * 0" % n for n in names) + " + 1"
    with open(probe, "w") as f:
        f.write(text[:text.index("rules = (")] +
                'rules = ( { name = "probe"; when = "%s"; clear = "%s"; } );\n'
                % (cond, cond))
    rows = os.path.join(OUT, "probe.jsonl")
    subprocess.run([BIN, "replay", "-c", probe, "--input", ev, "--output",
                    rows], check=True, capture_output=True)
    churned = {}
    with open(labels) as f:
        for line in f.read().splitlines()[1:]:
            cid, at = line.split(",")
            churned[cid] = int(at)
    with open(rows) as f:
        ws = [json.loads(line) for line in f][::2]
    x = np.array([[w["features"].get(n, np.nan) for n in names] for w in ws])
    y = [int(0 < churned.get(w["customer_id"], -1) - w["eval_ts"] <= 30 * DAY)
         for w in ws]
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 6,
                         "eta": 0.1, "base_score": float(np.mean(y)),
                         "seed": 1},
                        xgb.DMatrix(x, label=y, feature_names=names), 100)
    booster.save_model(os.path.join(OUT, "bench_xgb.json"))
    p = np.sort(booster.predict(xgb.DMatrix(x, feature_names=names)))
    fire = float(p[int(len(p) * 0.9)])
    model = ('models = (\n  { name = "churn_xgb"; type = "xgboost"; '
             'file = "bench_xgb.json";\n    inputs = [%s];\n'
             '    fire = %.6f; clear = %.6f; severity = "high"; }\n);\n'
             % (", ".join('"%s"' % n for n in names), fire, fire * 0.8))
    m0 = text.index("models = (")
    m1 = text.index("\n);", m0) + 4
    with open(os.path.join(OUT, "xgboost.cfg"), "w") as f:
        f.write(text[:m0] + model + text[m1:])
    trees = json.loads(booster.save_raw("json"))["learner"][
        "gradient_booster"]["model"]["trees"]
    nodes = sum(int(t["tree_param"]["num_nodes"]) for t in trees)
    print("model: %d trees, %d nodes (a full depth-6 tree has 127), trained "
          "on %d rows, %d positives; fire %.4f" % (len(trees), nodes, len(y),
                                                   sum(y), fire))


main()
