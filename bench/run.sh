#!/bin/sh
# Reproduces the performance table (docs/performance.md): builds the Release tree,
# generates a synthetic population with `churnwatch gen` (cached under
# $TMPDIR), and runs each benchmark; every figure is a median of 5 runs
# unless said otherwise.
#
#   bench/run.sh [CUSTOMERS [DAYS]]          default 100000 customers, 120 days
#   bench/run.sh --state 1000000             state and sweep figures only
#                                            (streams from the files: the
#                                            decoded events would not fit)
#   bench/run.sh --features [CUSTOMERS [DAYS]]
#                                            the cost of replay --features:
#                                            replay alone, with a daily and
#                                            a weekly training set of every
#                                            customer, runs interleaved
set -eu
cd "$(dirname "$0")/.."
mode=all
if [ "${1:-}" = "--state" ] || [ "${1:-}" = "--features" ]; then
        mode=${1#--}
        shift
fi
customers=${1:-100000}
days=${2:-120}
cfg=tests/data/configs/good/contract.cfg
data=${TMPDIR:-/tmp}/churnwatch-bench-$customers-$days

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 >/dev/null
if [ ! -f "$data/surveys.avro" ]; then
        build/churnwatch gen -c "$cfg" --customers "$customers" --days "$days" \
                --output-dir "$data"
fi
echo "# $(nproc) cores, $(date -u +%Y-%m-%d), $customers customers x $days days: $(du -sh "$data" | cut -f1)"

if [ "$mode" = state ]; then
        build/bench_engine -c "$cfg" --stream "$data"
        exit 0
fi

# seconds CMD...: runs CMD (stderr to $data.log) and prints its wall time.
seconds() {
        start=$(date +%s.%N)
        "$@" 2>"$data.log"
        end=$(date +%s.%N)
        awk "BEGIN { print $end - $start }"
}
median() { echo "$1" | tr ' ' '\n' | grep . | sort -n | sed -n 3p; }

if [ "$mode" = features ]; then
        echo "## replay alone, and with --features (every customer), 5 runs each, interleaved"
        plain="" daily="" weekly=""
        for i in 1 2 3 4 5; do
                plain="$plain $(seconds build/churnwatch replay -c "$cfg" --input "$data" \
                        --output "$data.jsonl")"
                daily="$daily $(seconds build/churnwatch replay -c "$cfg" --input "$data" \
                        --output "$data.jsonl" --features "$data.csv")"
                daily_rows=$(sed -n 's/.* \([0-9]*\) training rows written.*/\1/p' "$data.log")
                daily_size=$(du -h "$data.csv" | cut -f1)
                weekly="$weekly $(seconds build/churnwatch replay -c "$cfg" --input "$data" \
                        --output "$data.jsonl" --features "$data.csv" --sample-every 7d)"
                weekly_rows=$(sed -n 's/.* \([0-9]*\) training rows written.*/\1/p' "$data.log")
        done
        rm -f "$data.csv" "$data.log"
        p=$(median "$plain") d=$(median "$daily") w=$(median "$weekly")
        echo "replay:                       median $p s"
        awk "BEGIN { printf \"replay --features, daily:     median %s s (+%.2f s, %.0f ns a row): $daily_rows rows, $daily_size\\n\", $d, $d - $p, ($d - $p) * 1e9 / $daily_rows }"
        awk "BEGIN { printf \"replay --features, every 7d:  median %s s (+%.2f s, %.0f ns a row): $weekly_rows rows\\n\", $w, $w - $p, ($w - $p) * 1e9 / $weekly_rows }"
        exit 0
fi

echo "## plain avro-c decoding of the same files"
build/bench_decode --runs 5 "$data"/*.avro | tail -n 1

echo "## churnwatch replay (decode, merge, engine, JSONL output)"
times=""
for i in 1 2 3 4 5; do
        times="$times $(seconds build/churnwatch replay -c "$cfg" --input "$data" \
                --output "$data.jsonl")"
done
events=$(sed -n 's/.* \([0-9]*\) events read.*/\1/p' "$data.log")
median=$(median "$times")
echo "replay: median $median s, $(awk "BEGIN { printf \"%d\", $events / $median }") events/s ($events events, 5 runs)"

echo "## engine alone (events decoded into memory first)"
build/bench_engine -c "$cfg" --runs 5 "$data" | tail -n 4

echo "## expressions"
build/bench_expr | tail -n 2
