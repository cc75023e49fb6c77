#!/bin/sh
# The learning loop of docs/learning.md, end to end, on a synthetic
# history whose churners are known:
#   1. gen: 270 days from 2026-01-01 (to 2026-09-27) of the rich scenario
#      (gen --scenario rich), with labels;
#   2. replay --features: a training set of April and May (January to
#      March fill the 90-day windows), labelled over 30 days, so that no
#      label needs a churn from 2026-07-01 on;
#   3. churnwatch train: a logistic model, and
#   4. tools/train_xgboost.py (Debian's python3-xgboost): an XGBoost model,
#      each with the smallest fire whose precision on its validation rows
#      (the last 20 % of the sample times) is at least 0.8;
#   5. learned.cfg: examples/churnwatch.cfg with both models added;
#   6. one replay from 2026-07-01 to the end: the example's hand-written
#      rules and models and the two trained models, scored against the
#      customers who churned from 2026-07-01 on (report.json and
#      report.html, with a sweep of each trained model's fire);
#   7. the report's table, per alert.
# Usage: examples/learn.sh [BUILD_DIR [OUT_DIR]]
#        (defaults: build and out/learn, relative to the source folder)
# CUSTOMERS (default 10000) and SEED (default 7) size and seed the
# population. 30-40 s on 2 cores with 10000 customers.
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
bin=${1:-build}/churnwatch
out=${2:-out/learn}
customers=${CUSTOMERS:-10000}
seed=${SEED:-7}
cfg=examples/churnwatch.cfg
# The period the alerts are scored on, and the training set's.
later=2026-07-01
train_from=2026-04-01
train_to=2026-06-01
horizon=30d
precision=0.8

mkdir -p "$out"
rm -rf "$out/events" "$out/report"
# The example's features, rules and models, forgetting customers after 60
# silent days instead of 365 (state_ttl), for every alert alike: no
# synthetic customer who stays is silent that long, and an alert should
# not go on warning about customers long gone (each of its warnings on
# them would count against it).
sed 's/^state_ttl = "365d";$/state_ttl = "60d";/' "$cfg" >"$out/base.cfg"
grep -q '^state_ttl = "60d";$' "$out/base.cfg"
cfg=$out/base.cfg
echo "1. gen: $customers customers, 270 days, the rich scenario"
"$bin" --log-level warn gen -c "$cfg" --customers "$customers" --days 270 \
        --seed "$seed" --scenario rich --labels "$out/labels.csv" \
        --output-dir "$out/events"

echo "2. replay --features: the training set, $train_from to $train_to"
"$bin" --log-level warn replay -c "$cfg" --input "$out/events" \
        --from "$train_from" --to "$train_to" --features "$out/train.csv" \
        --labels "$out/labels.csv" --horizon "$horizon"

echo "3. churnwatch train: churn_lr_learned"
"$bin" train --features "$out/train.csv" --model churn_lr_learned \
        --target-precision "$precision" >"$out/churn_lr_learned.cfg"

echo "4. tools/train_xgboost.py: churn_xgb_learned"
# From inside $out: the entry's file is relative to the configuration.
(cd "$out" && /usr/bin/python3 "$src/tools/train_xgboost.py" \
        --features train.csv --model churn_xgb_learned \
        --output churn_xgb_learned.json --tree-method hist \
        --target-precision "$precision" >churn_xgb_learned.cfg)

echo "5. $out/learned.cfg: the example with both models added"
awk -v lr="$out/churn_lr_learned.cfg" -v xgb="$out/churn_xgb_learned.cfg" '
        { print }
        /^models = \($/ {
                while ((getline line < lr) > 0) print line
                print ","
                while ((getline line < xgb) > 0) print line
                print ","
                added = 1
        }
        END { if (!added) exit 1 }' "$cfg" >"$out/learned.cfg"
"$bin" check-config -c "$out/learned.cfg"

echo "6. replay from $later: every alert, scored against the churners from then on"
from_ms=$(($(date -u -d "$later" +%s) * 1000))
awk -F, -v from="$from_ms" 'NR == 1 || $2 >= from' "$out/labels.csv" \
        >"$out/labels-later.csv"
"$bin" --log-level warn replay -c "$out/learned.cfg" --input "$out/events" \
        --from "$later" --output "$out/warnings.jsonl" \
        --labels "$out/labels-later.csv" --report "$out/report" \
        --sweep churn_lr_learned.fire=0.1:0.9:0.1 \
        --sweep churn_xgb_learned.fire=0.1:0.9:0.1

echo
echo "7. $out/report/report.json (and report.html), from $later:"
/usr/bin/python3 - "$out/report/report.json" <<'EOF'
import json
import sys

rows = json.load(open(sys.argv[1]))["rows"]
print("%-18s %6s %5s %9s %9s %6s  %s" % (
    "alert", "warned", "TP", "positives", "precision", "recall",
    "lead time p10/p50/p90 (days)"))
for r in rows:
    if r["variant"] != "base" or r["alert"] == "any":
        continue
    lead = r["lead_time_days"]
    print("%-18s %6d %5d %9d %9.3f %6.3f  %s" % (
        r["alert"], r["warned"], r["true_positives"], r["positives"],
        r["precision"], r["recall"],
        "/".join("%.1f" % lead[k] if lead[k] is not None else "-"
                 for k in ("p10", "p50", "p90"))))
EOF
