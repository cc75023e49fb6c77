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
set -eu
cd "$(dirname "$0")/.."
mode=all
if [ "${1:-}" = "--state" ]; then
        mode=state
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

echo "## plain avro-c decoding of the same files"
build/bench_decode --runs 5 "$data"/*.avro | tail -n 1

echo "## churnwatch replay (decode, merge, engine, JSONL output)"
times=""
for i in 1 2 3 4 5; do
        start=$(date +%s.%N)
        build/churnwatch replay -c "$cfg" --input "$data" --output "$data.jsonl" 2>/dev/null
        end=$(date +%s.%N)
        times="$times $(awk "BEGIN { print $end - $start }")"
done
events=$(build/churnwatch replay -c "$cfg" --input "$data" --output "$data.jsonl" 2>&1 |
        sed -n 's/.* \([0-9]*\) events read.*/\1/p')
median=$(echo "$times" | tr ' ' '\n' | grep . | sort -n | sed -n 3p)
echo "replay: median $median s, $(awk "BEGIN { printf \"%d\", $events / $median }") events/s ($events events, 5 runs)"

echo "## engine alone (events decoded into memory first)"
build/bench_engine -c "$cfg" --runs 5 "$data" | tail -n 4

echo "## expressions"
build/bench_expr | tail -n 2
