#!/bin/sh
# Regenerates the seed corpora of fuzz/corpus/ (docs/fuzzing.md) from the
# files the tests make: `churnwatch gen` events, labels and a replay's
# warnings and training set, the configurations of tests/data/configs/
# and examples/, the schemas, the registry test schemas and the xgboost
# model files. Deterministic: the same tree gives the same seeds.
# Usage: fuzz/make-corpus.sh [BUILD_DIR]   (default build-fuzz; made with
#        -DCW_FUZZ=ON by fuzz/run.sh, or by hand: docs/fuzzing.md)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-fuzz}
out=$src/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --build "$build" -j2 --target churnwatch cw_fuzz_seeds >/dev/null
cw=$build/churnwatch
cfg=$src/tests/data/configs/good/contract.cfg
export ASAN_OPTIONS=detect_leaks=0

# Events, labels, warnings and a training set of a small population; the
# examples configuration fires more warnings than the contract's.
"$cw" --log-level error gen -c "$cfg" --customers 40 --days 60 --seed 7 \
        --labels "$tmp/labels.csv" --output-dir "$tmp/events"
"$cw" --log-level error replay -c "$src/examples/churnwatch.cfg" \
        --input "$tmp/events" --output "$tmp/warnings.avro"
"$cw" --log-level error replay -c "$cfg" --input "$tmp/events" \
        --features "$tmp/train.csv" --labels "$tmp/labels.csv" --horizon 30d

for h in decode framed fastread engine warning state changelog config expr labels \
        trainfile registry xgboost; do
        rm -rf "${out:?}/$h"
        mkdir -p "$out/$h"
done
"$build/cw_fuzz_seeds" "$tmp/events" "$out"
/usr/bin/python3 "$src/fuzz/make_corpus.py" "$src" "$tmp" "$out"
du -sh "$out"
