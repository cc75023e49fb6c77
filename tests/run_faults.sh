#!/bin/sh
# Exactly once through broker faults (issue 6, test c), injected with the
# embedded broker's fault injection (`churnwatch broker --commands`) while
# `run` processes: retriable produce and commit errors, the transaction and
# group coordinators moving, a produce error that makes the transaction
# abortable (aborted; every shard starts again from the committed offsets
# with its state restored), a fenced producer (replaced, then the same),
# and a broker going down and up. The result must be that of an
# uninterrupted run: the same distinct warnings, any repeated one an exact
# copy, every restore exactly the events below its offsets, and the same
# final state byte for byte. The log must show the aborts it caused.
# Usage: run_faults.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/broker_lib.sh" # check, stop_run
lib() { /usr/bin/python3 "$src/tests/run_lib.py" "$@"; }
tmp=$(mktemp -d)
run=
mkfifo "$tmp/cmd"
"$bin" broker -c "$src/tests/configs/good/contract.cfg" --partitions 4 \
        --brokers 3 --commands <"$tmp/cmd" >"$tmp/out" 2>"$tmp/broker.err" &
pid=$!
exec 3>"$tmp/cmd"
trap 'exec 3>&-; kill -9 $pid $run 2>/dev/null; [ -n "${CW_KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
for _ in $(seq 50); do
        grep -q '^bootstrap=' "$tmp/out" 2>/dev/null && break
        sleep 0.1
done
bs=$(head -n 1 "$tmp/out" | sed 's/^bootstrap=//')
cmd() {
        echo "$1" >&3
        sleep "${2:-0.3}"
}
# As in run_crash.sh: the input is on the broker first (batches of 50) and
# processing is slowed down so that the faults land mid-stream. A fixed
# transactional.id lets the test move its coordinator.
sed -e "s/127.0.0.1:9092/$bs/" \
    -e 's/group_id = "churnwatch";/group_id = "ref"; batch_num_messages = 50; session_timeout_ms = 6000; heartbeat_interval_ms = 500;/' \
    -e 's/warnings = "churn-warnings"/warnings = "ref-warnings"/' \
    "$src/tests/configs/good/contract.cfg" >"$tmp/ref.cfg"
sed -e 's/group_id = "ref"; batch_num_messages = 50; session_timeout_ms = 6000; heartbeat_interval_ms = 500;/group_id = "churnwatch"; session_timeout_ms = 6000; heartbeat_interval_ms = 500; transactional_id = "cw-faults"; fetch_wait_max_ms = 100; queued_max_messages_kbytes = 32;/' \
    -e 's/warnings = "ref-warnings"/warnings = "churn-warnings"/' \
    "$tmp/ref.cfg" >"$tmp/cw.cfg"
echo "max_idle_ms = 10000;" >>"$tmp/cw.cfg"
grep -q '"ref-warnings"' "$tmp/ref.cfg" && grep -q 'cw-faults' "$tmp/cw.cfg"
check $? "could not make the configurations"
mkdir "$tmp/ref-state" "$tmp/state"
cmd "create ref-state 4"
cmd "create ref-warnings 4"

"$bin" gen -c "$tmp/ref.cfg" --customers 1500 --days 120 --seed 4 \
        2>"$tmp/gen.err"
check $? "gen: $(cat "$tmp/gen.err")"

"$bin" run -c "$tmp/cw.cfg" 2>"$tmp/run.err" &
run=$!
for _ in $(seq 300); do
        grep -q "consumer: shard" "$tmp/run.err" && break
        sleep 0.05
done
sleep 0.5
cmd "errors Produce NOT_LEADER_FOR_PARTITION 3" 0.5
cmd "errors AddPartitionsToTxn CONCURRENT_TRANSACTIONS 3" 0.5
cmd "errors EndTxn NOT_COORDINATOR 2" 0.5
cmd "coordinator transaction cw-faults 2" 0.5
cmd "coordinator group churnwatch 3" 1
cmd "errors Produce OUT_OF_ORDER_SEQUENCE_NUMBER 1" 1.5
cmd "errors EndTxn PRODUCER_FENCED 1" 1.5
cmd "down 1" 1
cmd "up 1" 0.5
kill -0 $run 2>/dev/null
check $? "run died under the faults: $(tail -n 5 "$tmp/run.err")"
lib wait-committed "$bs" churnwatch 90 >"$tmp/wait.out"
check $? "run did not finish: $(cat "$tmp/wait.out"); $(tail -n 5 "$tmp/run.err")"
stop_run $run
check $? "run exit status: $(tail -n 5 "$tmp/run.err")"
run=
grep -q "transaction aborted" "$tmp/run.err"
check $? "no transaction was aborted: the faults tested nothing"
grep -q "starting a new producer" "$tmp/run.err"
check $? "the fenced producer was not replaced"

"$bin" run -c "$tmp/cw.cfg" --exit-at-end --dump-state "$tmp/state" \
        2>"$tmp/final.err"
check $? "final restore: $(tail -n 5 "$tmp/final.err")"
"$bin" run -c "$tmp/ref.cfg" --exit-at-end --output "$tmp/ref.jsonl" \
        2>"$tmp/ref.err"
check $? "uninterrupted run: $(tail -n 5 "$tmp/ref.err")"
"$bin" run -c "$tmp/ref.cfg" --exit-at-end --dump-state "$tmp/ref-state" \
        2>"$tmp/ref2.err"
check $? "uninterrupted run, restore: $(tail -n 5 "$tmp/ref2.err")"
[ "$(wc -l <"$tmp/ref.jsonl")" -gt 100 ]
check $? "the uninterrupted run gave too few warnings to prove anything"

lib warnings "$bs" "$tmp/topic.jsonl" >"$tmp/warnings.out"
check $? "warning topic: $(cat "$tmp/warnings.out")"
lib exactly-once "$tmp/topic.jsonl" "$tmp/ref.jsonl" >"$tmp/eo.out"
check $? "warnings: $(cat "$tmp/eo.out")"
cat "$tmp/eo.out"
lib restore-counts "$bs" "$tmp/run.err" "$tmp/final.err" >"$tmp/rc.out"
check $? "restored counts: $(cat "$tmp/rc.out")"
cat "$tmp/rc.out"
diff -r "$tmp/ref-state" "$tmp/state" >"$tmp/diff.out"
check $? "final state differs from the uninterrupted run's: $(head -c 600 "$tmp/diff.out")"
grep -c "transaction aborted" "$tmp/run.err" | sed 's/^/transactions aborted: /'

echo "run_faults: $pass passed, $fail failed"
[ $fail -eq 0 ]
