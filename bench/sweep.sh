#!/bin/sh
# The cost of --sweep: the same backtest (replay --labels --report) with 1
# sweep variant and with 20, on a synthetic population with churn labels
# (cached under $TMPDIR). Medians of 5 runs each, wall clock.
#
#   bench/sweep.sh [CUSTOMERS [DAYS]]     default 100000 customers, 120 days
set -eu
cd "$(dirname "$0")/.."
customers=${1:-100000}
days=${2:-120}
cfg=tests/data/configs/good/contract.cfg
data=${TMPDIR:-/tmp}/churnwatch-sweep-$customers-$days
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 >/dev/null
if [ ! -f "$data/labels.csv" ]; then
        mkdir -p "$data"
        build/churnwatch gen -c "$cfg" --customers "$customers" --days "$days" \
                --labels "$data/labels.csv" --output-dir "$data/ev"
fi
echo "# $(nproc) cores, $(date -u +%Y-%m-%d), $customers customers x $days days"

# median_of LABEL ARGS...: runs replay 5 times, prints the median seconds.
median_of() {
        label=$1
        shift
        times=""
        for i in 1 2 3 4 5; do
                start=$(date +%s.%N)
                build/churnwatch replay -c "$cfg" --input "$data/ev" \
                        --output "$out/w.jsonl" "$@" 2>"$out/err" ||
                        { cat "$out/err" >&2; exit 1; }
                end=$(date +%s.%N)
                times="$times $(awk "BEGIN { print $end - $start }")"
        done
        median=$(echo "$times" | tr ' ' '\n' | grep . | sort -n | sed -n 3p)
        events=$(sed -n 's/.* \([0-9]*\) events read.*/\1/p' "$out/err")
        echo "$label: median $median s, $(awk "BEGIN { printf \"%d\", $events / $median }") events/s"
        eval "t_$(echo "$label" | tr -c 'a-z0-9\n' _)=$median"
}

report="--labels $data/labels.csv --report $out/rep"
# shellcheck disable=SC2086 # $report is several arguments
median_of no_report
# shellcheck disable=SC2086
median_of report_only $report
# shellcheck disable=SC2086
median_of sweep_1 $report --sweep churn_lr_v1.fire=0.5:0.5:0.05
# shellcheck disable=SC2086
median_of sweep_20 $report --sweep churn_lr_v1.fire=0.05:1:0.05
rows=$(grep -c '"variant": "fire=' "$out/rep/report.json")
echo "sweep rows in the last report: $rows"
# shellcheck disable=SC2154 # set by median_of through eval
awk "BEGIN { printf \"20 variants / 1 variant: %.2fx the time\n\", $t_sweep_20 / $t_sweep_1 }"
