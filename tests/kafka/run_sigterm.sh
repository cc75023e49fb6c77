#!/bin/sh
# `churnwatch run` stopped by SIGTERM while events keep arriving: it exits 0
# within 10 s, and the offsets it committed match the warnings it delivered.
# `gen --rate` produces a population live; run is stopped mid-stream; then
# the records below the group's committed offsets (read by kafka-python),
# replayed shard by shard, must give exactly the warnings on the warning
# topic (as a multiset, emitted_at aside): nothing committed without its
# warnings, no warning from a record left uncommitted.
#
# The configuration is the contract's example, whose alerts read only
# purchases and surveys: gen's producer appends to each partition on its own
# (batches lingering up to 1 ms), so a record may reach the broker after a
# later one of another stream, and run may then rightly take them in that
# order where the replay sorts them by ts; an alert reading logins or
# tickets (examples/churnwatch.cfg) could then differ. run_order.sh checks
# the order itself, with a producer that appends in ts order. max_idle_ms
# keeps its default (1 s): while gen runs no input of a shard is quiet that
# long (even tickets, the rarest, come some 15 a second a shard).
# Usage: run_sigterm.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }
now_ms() { /usr/bin/python3 -c 'import time; print(int(time.time() * 1000))'; }
start_broker "$bin" "$src" 4

# About 33,000 events (100 days, some 9 days a second) at 3,000/s: gen runs
# for some 11 s; warnings begin after a month or so of data.
"$bin" gen -c "$tmp/cw.cfg" --customers 500 --days 100 --seed 5 --rate 3000 \
        2>"$tmp/gen.err" &
gen=$!
run=
trap 'kill -9 $pid $gen $run 2>/dev/null; rm -rf "$tmp"' EXIT
"$bin" run -c "$tmp/cw.cfg" 2>"$tmp/run.err" &
run=$!
lib wait-committed "$bs" churnwatch 30 --some >"$tmp/wait.out"
check $? "run committed nothing: $(cat "$tmp/wait.out"); $(tail -n 5 "$tmp/run.err")"
# A few more commits, and warnings among them (they begin after a month
# of data): how far run gets in a given time depends on the machine's load.
for _ in $(seq 20); do
        lib offsets "$bs" churn-warnings | awk '{ n += $4 } END { exit !(n > 0) }' && break
        sleep 0.5
done
sleep 1
kill -0 $gen 2>/dev/null
check $? "gen finished before run was stopped: the test stops nothing mid-stream"

t0=$(now_ms)
stop_run $run
rc=$?
check $in_time "run still running 10 s after SIGTERM"
check $rc "run exit status after SIGTERM: $(tail -n 5 "$tmp/run.err")"
stop_ms=$(($(now_ms) - t0))
kill $gen 2>/dev/null
wait $gen 2>/dev/null
! grep -q ' error ' "$tmp/run.err"
check $? "run logged errors: $(grep ' error ' "$tmp/run.err" | head -5)"

topic_vs_replay "$bin" "$tmp/cw.cfg" "committed records: " churnwatch

kill -TERM $pid
wait $pid
echo "run_sigterm: stopped in $stop_ms ms; committed $(cat "$tmp/shards.out"); $n warnings; $pass passed, $fail failed"
[ $fail -eq 0 ]
