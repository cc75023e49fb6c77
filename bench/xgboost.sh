#!/bin/sh
# The engine's cost per event with an xgboost model of 100 trees of depth
# 6 (bench/xgboost_model.py trains it with python3-xgboost) in place of
# the contract example's logistic model, everything else equal: the two
# configurations run alternately, RUNS times each, on the same events in
# memory (bench_engine), and the script prints the medians and the
# difference per event and per evaluation; then each model alone
# (bench_model) on the rows the model was trained on. The absolute
# figures need a quiet machine.
#
#   bench/xgboost.sh [CUSTOMERS [DAYS [RUNS]]]    default 100000 120 5
set -eu
cd "$(dirname "$0")/.."
customers=${1:-100000}
days=${2:-120}
runs=${3:-5}
cfg=tests/data/configs/good/contract.cfg
data=${TMPDIR:-/tmp}/churnwatch-bench-$customers-$days
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 >/dev/null
if [ ! -f "$data/surveys.avro" ]; then
        build/churnwatch gen -c "$cfg" --customers "$customers" --days "$days" \
                --output-dir "$data"
fi
/usr/bin/python3 bench/xgboost_model.py build/churnwatch "$cfg" "$work"
echo "# $(nproc) cores, $(date -u +%Y-%m-%d), $customers customers x $days days"

# One run of each, alternately, so that a change in the machine's load
# hits both; bench_engine loads the events once per process.
for i in $(seq "$runs"); do
        for c in logistic xgboost; do
                f=$cfg
                [ $c = xgboost ] && f=$work/xgboost.cfg
                build/bench_engine -c "$f" --runs 1 "$data" >"$work/$c.$i"
        done
done
# median FIELD_PATTERN NAME: the median over the runs of a figure.
median() {
        for i in $(seq "$runs"); do
                sed -n "$1" "$work/$2.$i"
        done | sort -n | sed -n "$(((runs + 1) / 2))p"
}
total='s/^engine: median \([0-9.]*\) s.*/\1/p'
alone='s/^events alone.*: median \([0-9.]*\) s.*/\1/p'
events=$(sed -n 's/^engine: .*(\([0-9]*\) events.*/\1/p' "$work/logistic.1")
evals=$(sed -n 's/^evaluations: \([0-9]*\) .*/\1/p' "$work/xgboost.1")
for c in logistic xgboost; do
        echo "$c: engine $(median "$total" $c) s, events alone $(median "$alone" $c) s," \
                "$(grep '^evaluations' "$work/$c.1")"
done
awk -v lt="$(median "$total" logistic)" -v xt="$(median "$total" xgboost)" \
        -v la="$(median "$alone" logistic)" -v xa="$(median "$alone" xgboost)" \
        -v n="$events" -v e="$evals" 'BEGIN {
        printf "per event: logistic %.1f ns, xgboost %.1f ns (+%.1f ns, %.2fx); events alone +%.1f ns\n",
                lt / n * 1e9, xt / n * 1e9, (xt - lt) / n * 1e9, xt / lt, (xa - la) / n * 1e9
        printf "per evaluation (%d in a run): +%.0f ns for the 100 trees\n", e, (xt - lt) / e * 1e9
}'
build/bench_model -c "$work/xgboost.cfg" -m churn_xgb "$work/probe.jsonl"
build/bench_model -c "$cfg" -m churn_lr_v1 "$work/probe.jsonl"
