#!/bin/sh
# report.html in headless Chromium (tests/backtest/report_html.py): the
# backtest walkthrough of docs/replay.md (gen with labels, replay with a report and sweeps)
# gives a page that loads with no error and no request, whose table equals
# report.json and whose four charts exist with their marks. A backtest with
# no warning at all must give a valid page too. The walkthrough's page is
# screenshot to ./backtest-report.png (docs/replay.md's picture: copy it to
# docs/ when the page changes).
# Usage: backtest_html.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$2/tests/lib/broker_lib.sh" # check, pass, fail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg=$src/examples/churnwatch.cfg
if [ ! -x /usr/bin/chromium ]; then
        echo "backtest_html: /usr/bin/chromium is missing: run deploy/install-deps.sh"
        exit 1
fi

"$bin" gen -c "$cfg" --customers 2000 --days 180 --seed 7 \
        --labels "$tmp/labels.csv" --output-dir "$tmp/ev" 2>"$tmp/gen.err"
check $? "gen: $(cat "$tmp/gen.err")"
"$bin" replay -c "$cfg" --input "$tmp/ev" --from 2026-03-01 \
        --output "$tmp/w.jsonl" --labels "$tmp/labels.csv" --report "$tmp/rep" \
        --sweep churn_lr_v2.fire=0.3:0.95:0.05 \
        --sweep churn_lr_v1.fire=0.5:0.9:0.1 2>"$tmp/replay.err"
check $? "replay: $(cat "$tmp/replay.err")"
/usr/bin/python3 "$src/tests/backtest/report_html.py" "$tmp/rep" \
        --screenshot "$PWD/backtest-report.png" >"$tmp/out" 2>&1
check $? "report.html: $(cat "$tmp/out")"
cat "$tmp/out"

# Nothing warned (the window ends before any warning): empty charts.
"$bin" replay -c "$cfg" --input "$tmp/ev" --to 2025-11-01 \
        --output "$tmp/w0.jsonl" --labels "$tmp/labels.csv" \
        --report "$tmp/rep0" 2>"$tmp/replay.err"
check $? "replay, empty window: $(cat "$tmp/replay.err")"
grep -q '"warned": 0' "$tmp/rep0/report.json" &&
        ! grep -q '"warned": [1-9]' "$tmp/rep0/report.json"
check $? "the empty window warned someone: $(cat "$tmp/rep0/report.json")"
/usr/bin/python3 "$src/tests/backtest/report_html.py" "$tmp/rep0" >"$tmp/out" 2>&1
check $? "report.html, nothing warned: $(cat "$tmp/out")"

echo "backtest_html: $pass passed, $fail failed"
[ $fail -eq 0 ]
