#!/bin/sh
# File replay of a synthetic population: generates it (with churn labels)
# and replays it through the example configuration, then shows the first
# warnings and the summary.
# Usage: examples/replay-example.sh [BUILD_DIR]   (default: build)
set -eu
cd "$(dirname "$0")/.."
bin=${1:-build}/churnwatch
out=out/example
mkdir -p "$out"
"$bin" gen -c examples/churnwatch.cfg --customers 5000 --days 150 \
        --labels "$out/labels.csv" --output-dir "$out/events"
"$bin" replay -c examples/churnwatch.cfg --input "$out/events" \
        --to 2026-05-31 --output "$out/warnings.jsonl"
echo
echo "First warnings ($out/warnings.jsonl):"
head -n 5 "$out/warnings.jsonl"
echo
echo "Warnings by alert and state:"
sed -n 's/.*"alert":"\([^"]*\)".*"state":"\([^"]*\)".*/\1 \2/p' "$out/warnings.jsonl" |
        sort | uniq -c
echo
echo "Labelled churners: $(($(wc -l <"$out/labels.csv") - 1)) of 5000 ($out/labels.csv)"
