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
. "$src/tests/lib/broker_lib.sh" # check, stop_run
. "$src/tests/lib/eos_lib.sh"
# Three brokers, so that coordinators can move; processing slowed down (see
# eos_lib.sh) so that the faults land mid-stream; a fixed transactional.id
# lets the test move its coordinator.
eos_start 4 3 "transactional_id = \"cw-faults\"; fetch_wait_max_ms = 100; queued_max_messages_kbytes = 32;"


"$bin" gen -c "$tmp/ref.cfg" --customers 1500 --days 120 --seed 4 \
        2>"$tmp/gen.err"
check $? "gen: $(cat "$tmp/gen.err")"

"$bin" run -c "$tmp/cw.cfg" 2>"$tmp/run.err" &
run=$!
runs=$run
wait_assigned "$tmp/run.err"
sleep 0.5
eos_cmd "errors Produce NOT_LEADER_FOR_PARTITION 3" 0.5
eos_cmd "errors AddPartitionsToTxn CONCURRENT_TRANSACTIONS 3" 0.5
eos_cmd "errors EndTxn NOT_COORDINATOR 2" 0.5
eos_cmd "coordinator transaction cw-faults 2" 0.5
eos_cmd "coordinator group churnwatch 3" 1
eos_cmd "errors Produce OUT_OF_ORDER_SEQUENCE_NUMBER 1" 1.5
eos_cmd "errors EndTxn PRODUCER_FENCED 1" 1.5
eos_cmd "down 1" 1
eos_cmd "up 1" 0.5
kill -0 $run 2>/dev/null
check $? "run died under the faults: $(tail -n 5 "$tmp/run.err")"
lib wait-committed "$bs" churnwatch 90 >"$tmp/wait.out"
check $? "run did not finish: $(cat "$tmp/wait.out"); $(tail -n 5 "$tmp/run.err")"
stop_run $run
check $? "run exit status: $(grep -A 40 -E 'Sanitizer|leak of' "$tmp/run.err" | head -n 120; tail -n 5 "$tmp/run.err")"
runs=
grep -q "transaction aborted" "$tmp/run.err"
check $? "no transaction was aborted: the faults tested nothing"
grep -q "starting a new producer" "$tmp/run.err"
check $? "the fenced producer was not replaced"

eos_verify "$tmp/run.err"
grep -c "transaction aborted" "$tmp/run.err" | sed 's/^/transactions aborted: /'

echo "run_faults: $pass passed, $fail failed"
[ $fail -eq 0 ]
