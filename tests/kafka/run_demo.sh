#!/bin/sh
# `churnwatch demo` with nothing else running: broker, generator and live
# pipeline in one process. It must end by itself once everything generated
# is processed, print warnings as table rows, and a summary whose counts
# add up; and stop within 10 s of SIGTERM mid-run.
# Usage: run_demo.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
. "$2/tests/lib/broker_lib.sh" # check, pass, fail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

timeout -s KILL 120 "$bin" demo --customers 300 --days 90 --rate 20000 \
        >"$tmp/out" 2>"$tmp/err"
check $? "demo exit status: $(tail -n 5 "$tmp/err")"
gen=$(sed -n 's/^Summary after .*: \([0-9]*\) events generated, \([0-9]*\) processed .*/\1/p' "$tmp/out")
done_=$(sed -n 's/^Summary after .*: \([0-9]*\) events generated, \([0-9]*\) processed .*/\2/p' "$tmp/out")
[ -n "$gen" ] && [ "$gen" -gt 0 ] && [ "$gen" = "$done_" ]
check $? "generated $gen, processed $done_: $(tail -n 5 "$tmp/out")"
firing=$(grep -c '  FIRING  ' "$tmp/out")
summary=$(sed -n 's/.*dead letters); \([0-9]*\) FIRING and .*/\1/p' "$tmp/out")
[ "$firing" -gt 0 ] && [ "$firing" = "$summary" ]
check $? "$firing FIRING rows, summary says $summary"
grep -q '^Churners (ground truth): [0-9]* of 300 customers' "$tmp/out"
check $? "no ground-truth line: $(tail -n 4 "$tmp/out")"

"$bin" demo --customers 2000 --days 120 --rate 2000 >"$tmp/out2" 2>"$tmp/err2" &
demo=$!
sleep 6
kill -TERM $demo
for _ in $(seq 100); do
        kill -0 $demo 2>/dev/null || break
        sleep 0.1
done
! kill -0 $demo 2>/dev/null
check $? "demo still running 10 s after SIGTERM"
kill -9 $demo 2>/dev/null
wait $demo
check $? "demo exit status after SIGTERM: $(tail -n 3 "$tmp/err2")"
grep -q '^Summary after' "$tmp/out2"
check $? "no summary after SIGTERM"

echo "run_demo: $pass passed, $fail failed"
[ $fail -eq 0 ]
