#!/bin/sh
# Exactly once across crashes and scale-out (issue 6, tests a and b), on the
# embedded broker. Its limits shape what can be shown: librdkafka 2.0.2's
# mock cluster neither hides aborted transactions from read_committed
# readers nor removes them, so a warning of an interval that a crash cut
# short may stay visible. What must hold:
# - the distinct warnings on the warning topic equal those of an
#   uninterrupted run over the same input (its own group and topics);
# - every warning seen more than once is an exact copy (same warning_id,
#   same content, emitted_at aside);
# - each restore brings back exactly the events below the committed offsets:
#   the "applied events" of the restored metadata equal the input records
#   below its offsets (run_lib.py restore-counts);
# - the final state, restored from the changelog, equals the uninterrupted
#   run's byte for byte (--dump-state), so no event was applied twice or
#   skipped anywhere on the way.
# (a) kill -9 at random points, four times, restarting each time.
# (b) a second instance joins mid-stream, then the first is killed.
# Usage: run_crash.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/broker_lib.sh" # check, stop_run
lib() { /usr/bin/python3 "$src/tests/run_lib.py" "$@"; }
rand_ms() { # rand_ms LO HI
        /usr/bin/python3 -c "import random; print(random.randint($1, $2) / 1000)"
}
tmp=$(mktemp -d)
runs=
mkfifo "$tmp/cmd"
"$bin" broker -c "$src/tests/configs/good/contract.cfg" --partitions 8 \
        --commands <"$tmp/cmd" >"$tmp/out" 2>"$tmp/broker.err" &
pid=$!
exec 3>"$tmp/cmd"
trap 'exec 3>&-; kill -9 $pid $runs 2>/dev/null; [ -n "${CW_KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
for _ in $(seq 50); do
        grep -q '^bootstrap=' "$tmp/out" 2>/dev/null && break
        sleep 0.1
done
bs=$(head -n 1 "$tmp/out" | sed 's/^bootstrap=//')
# The input is all on the broker before the crashes, so that processing
# order is that of a replay whatever the interruptions (the merge waits for
# every input that still has records). To be interrupted mid-stream,
# processing is slowed down instead: gen writes batches of at most 50
# records, and the processors keep at most 64 KB fetched ahead
# (queued.max.messages.kbytes), so the whole input takes some 16 s
# (max_idle_ms 10 s keeps the merge waiting between fetches). Short
# sessions let the group notice a killed member within seconds.
sed -e "s/127.0.0.1:9092/$bs/" \
    -e 's/group_id = "churnwatch";/group_id = "ref"; batch_num_messages = 50; session_timeout_ms = 6000; heartbeat_interval_ms = 500;/' \
    -e 's/warnings = "churn-warnings"/warnings = "ref-warnings"/' \
    "$src/tests/configs/good/contract.cfg" >"$tmp/ref.cfg"
sed -e 's/group_id = "ref"; batch_num_messages = 50; session_timeout_ms = 6000; heartbeat_interval_ms = 500;/group_id = "churnwatch"; session_timeout_ms = 3000; heartbeat_interval_ms = 300; fetch_wait_max_ms = 100; queued_max_messages_kbytes = 64;/' \
    -e 's/warnings = "ref-warnings"/warnings = "churn-warnings"/' \
    "$tmp/ref.cfg" >"$tmp/cw.cfg"
echo "max_idle_ms = 10000;" >>"$tmp/cw.cfg"
grep -q '"ref-warnings"' "$tmp/ref.cfg" && grep -q 'fetch_wait_max_ms' "$tmp/cw.cfg"
check $? "could not make the configurations"
mkdir "$tmp/ref-state" "$tmp/state"
echo "create ref-state 8" >&3
echo "create ref-warnings 8" >&3

# About 150,000 events, in batches of 50 (see above).
"$bin" gen -c "$tmp/ref.cfg" --customers 2000 --days 120 --seed 8 \
        2>"$tmp/gen.err"
check $? "gen: $(cat "$tmp/gen.err")"

# kill_after_assigned PID LOG: waits until the instance has shards, then
# kills it -9 at a random moment of the next 0.3 to 1.5 s.
kill_after_assigned() {
        for _ in $(seq 300); do
                grep -q "consumer: shard" "$2" && break
                sleep 0.05
        done
        sleep "$(rand_ms 300 1500)"
        kill -9 "$1"
        wait "$1" 2>/dev/null
}

# (a) kill -9 at random points.
for i in 1 2 3 4; do
        "$bin" run -c "$tmp/cw.cfg" 2>"$tmp/crash$i.err" &
        runs=$!
        kill_after_assigned $! "$tmp/crash$i.err"
done
cat "$tmp/crash2.err" "$tmp/crash3.err" "$tmp/crash4.err" |
        grep -q "restore: shard .* applied events [1-9]"
check $? "no crash came after any progress: nothing was restored"

# (b) a second instance mid-stream, then the first killed.
"$bin" run -c "$tmp/cw.cfg" 2>"$tmp/a.err" &
a=$!
runs=$a
for _ in $(seq 300); do
        grep -q "consumer: shard" "$tmp/a.err" && break
        sleep 0.05
done
"$bin" run -c "$tmp/cw.cfg" 2>"$tmp/b.err" &
b=$!
runs="$a $b"
for _ in $(seq 300); do
        grep -q "consumer: shard" "$tmp/b.err" && break
        sleep 0.05
done
sleep "$(rand_ms 200 1000)"
lib wait-committed "$bs" churnwatch 0 >/dev/null
[ $? -ne 0 ]
check $? "everything was committed before the first instance was killed: nothing was killed mid-stream"
kill -9 $a
wait $a 2>/dev/null
lib wait-committed "$bs" churnwatch 60 >"$tmp/wait.out"
check $? "the second instance did not finish: $(cat "$tmp/wait.out"); $(tail -n 5 "$tmp/b.err")"
stop_run $b
check $? "second instance, exit status: $(tail -n 5 "$tmp/b.err")"
grep -q "restore: shard" "$tmp/b.err"
check $? "the second instance restored nothing: $(tail -n 5 "$tmp/b.err")"
runs=

"$bin" run -c "$tmp/cw.cfg" --exit-at-end --dump-state "$tmp/state" \
        2>"$tmp/final.err"
check $? "final restore: $(tail -n 5 "$tmp/final.err")"

# The uninterrupted run over the same input, then its final state as a
# restore sees it.
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
lib restore-counts "$bs" "$tmp"/crash*.err "$tmp/a.err" "$tmp/b.err" \
        "$tmp/final.err" >"$tmp/rc.out"
check $? "restored counts: $(cat "$tmp/rc.out")"
cat "$tmp/rc.out"
diff -r "$tmp/ref-state" "$tmp/state" >"$tmp/diff.out"
check $? "final state differs from the uninterrupted run's: $(head -c 600 "$tmp/diff.out")"
[ "$(cat "$tmp"/state/*.state | wc -l)" -gt 2000 ]
check $? "the dumped state holds too few customers"
! grep -h ' error ' "$tmp"/crash*.err "$tmp/b.err" "$tmp/final.err" >"$tmp/errors"
check $? "errors logged: $(head -5 "$tmp/errors")"

echo "run_crash: $pass passed, $fail failed"
[ $fail -eq 0 ]
