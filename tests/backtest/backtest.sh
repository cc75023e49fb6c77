#!/bin/sh
# replay --labels --report: report.json as CONTRACT.md section 7 defines it,
# recomputed independently by tests/backtest/backtest_report.py from the input
# files, the written warnings and the labels; and label-file errors.
# Usage: backtest.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$2/tests/lib/broker_lib.sh" # check, pass, fail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg=$src/tests/data/configs/good/contract.cfg

"$bin" gen -c "$cfg" --customers 1500 --days 150 --seed 3 \
        --labels "$tmp/labels.csv" --output-dir "$tmp/ev" 2>"$tmp/gen.err"
check $? "gen: $(cat "$tmp/gen.err")"
"$bin" replay -c "$cfg" --input "$tmp/ev" --from 2026-02-01 --to 2026-05-20 \
        --output "$tmp/w.jsonl" --labels "$tmp/labels.csv" --report "$tmp/rep" \
        2>"$tmp/replay.err"
check $? "replay: $(cat "$tmp/replay.err")"
to=$(( $(date -u -d 2026-05-20 +%s) * 1000 ))
/usr/bin/python3 "$src/tests/backtest/backtest_report.py" "$tmp/rep/report.json" \
        "$tmp/w.jsonl" "$tmp/labels.csv" "$to" purchase_drop churn_lr_v1 -- \
        "$tmp"/ev/*.avro >"$tmp/cmp.out" 2>&1
check $? "report.json: $(cat "$tmp/cmp.out")"

printf 'customer,when\ncust-1,2026-01-01\n' >"$tmp/bad.csv"
"$bin" replay -c "$cfg" --input "$tmp/ev" --output "$tmp/x.jsonl" \
        --labels "$tmp/bad.csv" --report "$tmp/rep2" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "bad.csv:1: the header must be customer_id,churned_at" "$tmp/err"
check $? "bad header: $(cat "$tmp/err")"
printf 'customer_id,churned_at\ncust-1,yesterday\n' >"$tmp/bad.csv"
"$bin" replay -c "$cfg" --input "$tmp/ev" --output "$tmp/x.jsonl" \
        --labels "$tmp/bad.csv" --report "$tmp/rep2" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "bad.csv:2: churned_at: " "$tmp/err"
check $? "bad time: $(cat "$tmp/err")"
"$bin" replay -c "$cfg" --input "$tmp/ev" --output "$tmp/x.jsonl" \
        --labels "$tmp/labels.csv" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- "--labels and --report go together" "$tmp/err"
check $? "--labels alone: $(cat "$tmp/err")"

echo "backtest: $pass passed, $fail failed"
[ $fail -eq 0 ]
