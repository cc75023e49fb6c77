#!/bin/sh
# An aborted transaction rewinds every shard to exactly what was committed,
# whatever else the configuration says (issue 16), on the embedded broker
# (whose read_committed readers see aborted records too). An EndTxn that
# fails with PRODUCER_FENCED aborts the transaction; run replaces its
# producer and starts every shard again from the committed offsets.
#
# (a) auto.offset.reset = latest, the abort before the group's first
#     commit: the shards go back to the end offsets they started from when
#     first assigned, not to the end of now, which would skip the records
#     that came in between. Records already on the topics when run starts
#     are skipped, as latest says; those produced after its assignment,
#     processed in the aborted transaction, are processed again: their
#     warnings come again, and the state finally committed holds them.
# (b) idle_advance_ms: an interval that read no record but moved stream
#     time to the wall clock (a quiet shard's timers) keeps the committed
#     offsets; when it aborts, its changelog records must not come back in
#     the restore (they carry a stream time past the committed one), so
#     the advance, and its warning, happen again.
# Usage: run_abort.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }
run=
# Short sessions: the final restore's instance joins without waiting out
# the stopped one's session on the mock cluster.
session="session_timeout_ms = 3000; heartbeat_interval_ms = 300;"

# produce PREFIX FIRST_DAY: on each of the 2 partitions, customer
# PREFIX-P buys on 5 days from FIRST_DAY (days after 2026-01-01).
produce() {
        for p in 0 1; do
                d=$((20454 + $2))
                lib purchases "$bs" "$1-$p" $p $d $((d + 1)) $((d + 2)) \
                        $((d + 3)) $((d + 4)) || return 1
        done
}

# wait_for PATTERN FILE: until a line of FILE matches PATTERN (30 s). The
# stats line (every 200 ms here) counts what run did since it started;
# --output is written out only when run stops.
wait_for() {
        for _ in $(seq 300); do
                grep -q "$1" "$2" 2>/dev/null && return 0
                sleep 0.1
        done
        return 1
}

# final_restore CFG [OPTION]: a fresh instance restores every shard and
# reads to the end; its restore lines are in $tmp/final.err.
final_restore() {
        "$bin" run -c "$1" --exit-at-end ${2:-} 2>"$tmp/final.err"
        check $? "final restore: $(tail -n 3 "$tmp/final.err")"
}

# ---- (a) auto.offset.reset = latest -------------------------------------
start_broker "$bin" "$src" 2
trap 'exec 9>&-; kill -9 $pid $run 2>/dev/null; rm -rf "$tmp"' EXIT
{
        cat <<'CFG'
features = ( { name = "bought"; stream = "purchase"; agg = "count"; window = "3650d"; } );
rules = ( { name = "buyer"; when = "bought >= 1"; } );
CFG
        sed "s/group_id = \"churnwatch\";/group_id = \"churnwatch\"; auto_offset_reset = \"latest\"; $session/" "$tmp/cw.cfg" |
                grep -A3 '^kafka\|^topics'
        # The first commit comes 20 s after start: after the assignment
        # and the records produced after it.
        echo "commit_interval_ms = 20000;"
        echo "stats_interval_ms = 200;"
} >"$tmp/latest.cfg"
grep -q 'auto_offset_reset = "latest"' "$tmp/latest.cfg"
check $? "could not make the configuration"
produce a 0
check $? "producing the records before run"
broker_cmd "errors EndTxn PRODUCER_FENCED 1" # the first commit fails
"$bin" run -c "$tmp/latest.cfg" --output "$tmp/latest.jsonl" 2>"$tmp/latest.err" &
run=$!
wait_for "restore: shard 1" "$tmp/latest.err" &&
        wait_for "restore: shard 0" "$tmp/latest.err"
check $? "run did not restore its two shards: $(tail -n 5 "$tmp/latest.err")"
produce b 10
check $? "producing the records after the assignment"
wait_for "(10 applied in all)" "$tmp/latest.err"
check $? "the records after the assignment were not processed: $(tail -n 5 "$tmp/latest.err")"
wait_for "transaction aborted" "$tmp/latest.err"
check $? "no transaction was aborted: $(tail -n 5 "$tmp/latest.err")"
grep -B 100 "transaction aborted" "$tmp/latest.err" | grep -q "transactions [1-9][0-9]* committed"
[ $? -ne 0 ]
check $? "a transaction committed before the abort: $(grep 'stats:' "$tmp/latest.err")"
wait_for "(20 applied in all)" "$tmp/latest.err"
check $? "the records after the assignment were skipped after the abort: $(grep 'stats:' "$tmp/latest.err" | tail -n 1)"
stop_run $run
check $? "run exit status: $(tail -n 5 "$tmp/latest.err")"
run=
[ "$(grep -c '"customer_id":"b-' "$tmp/latest.jsonl")" -eq 4 ]
check $? "the buyers after the assignment were not warned of twice (before and after the abort): $(cat "$tmp/latest.jsonl")"
! grep -q '"customer_id":"a-' "$tmp/latest.jsonl"
check $? "records already there at the start were processed (auto.offset.reset = latest)"
final_restore "$tmp/latest.cfg"
for p in 0 1; do
        grep -q "restore: shard $p: 1 customers .* applied events 5, offsets 10 0 0 0" "$tmp/final.err"
        check $? "shard $p: the committed state is not the 5 events after the assignment: $(grep "restore: shard $p" "$tmp/final.err")"
done
kill -TERM $pid
wait $pid
rm -rf "$tmp"

# ---- (b) idle_advance_ms ---------------------------------------------------
start_broker "$bin" "$src" 2
trap 'exec 9>&-; kill -9 $pid $run 2>/dev/null; rm -rf "$tmp"' EXIT
# As run_idle.sh: c1 buys on three days ending 38 days ago; purchase_drop
# fires (TIMER) at the boundary of day last + 30 once stream time follows
# the wall clock.
day=86400000
last=$(( $(date +%s) * 1000 / day - 38 ))
want_ts=$(( (last + 30) * day ))
lib purchases "$bs" c1 0 $((last - 2)) $((last - 1)) "$last"
check $? "producing the purchases"
# The advance comes 8 s after the last record: after the records' commit,
# which the test waits for before it makes the next commit fail (no
# commit comes between: nothing moves).
sed -i "s/group_id = \"churnwatch\";/group_id = \"churnwatch\"; $session/" "$tmp/cw.cfg"
printf 'idle_advance_ms = 8000;\ncommit_interval_ms = 500;\nstats_interval_ms = 200;\n' >>"$tmp/cw.cfg"
"$bin" run -c "$tmp/cw.cfg" --output "$tmp/idle.jsonl" 2>"$tmp/idle.err" &
run=$!
wait_for "(3 applied in all).* transactions 1 committed" "$tmp/idle.err"
check $? "the purchases were not committed: $(tail -n 5 "$tmp/idle.err")"
! grep -q "warnings/s [0-9.]* ([1-9][0-9]* in all)" "$tmp/idle.err"
check $? "the advance came before the fault was set up: $(grep 'stats:' "$tmp/idle.err" | tail -n 1)"
broker_cmd "errors EndTxn PRODUCER_FENCED 1" # the advance's commit fails
firing="\"customer_id\":\"c1\",\"alert\":\"purchase_drop\",\"kind\":\"RULE\",\"state\":\"FIRING\",\"severity\":\"high\",\"eval_ts\":$want_ts,\"trigger\":\"TIMER\""
wait_for "transaction aborted" "$tmp/idle.err"
check $? "no transaction was aborted: $(tail -n 5 "$tmp/idle.err")"
wait_for "warnings/s [0-9.]* (2 in all)" "$tmp/idle.err"
check $? "the advance did not happen again after the abort: $(grep 'stats:' "$tmp/idle.err" | tail -n 1); $(grep 'restore:' "$tmp/idle.err")"
grep "restore: shard 0" "$tmp/idle.err" | sed -n 2p | grep -q "([1-9][0-9]* past the committed offsets skipped)"
check $? "the restore after the abort skipped none of its records: $(grep 'restore: shard 0' "$tmp/idle.err")"
stop_run $run
check $? "run exit status: $(tail -n 5 "$tmp/idle.err")"
run=
[ "$(grep -c "$firing" "$tmp/idle.jsonl")" -eq 2 ]
check $? "purchase_drop did not fire at $want_ts before and after the abort: $(cat "$tmp/idle.jsonl")"
# With librdkafka's topic debug log: neither the inputs nor the changelog
# reader leave a start for librdkafka to look up (librdkafka 2.0.2 fetches
# a partition revoked while that lookup is in flight for good).
sed "s/group_id = \"churnwatch\";/group_id = \"churnwatch\"; debug = \"topic\";/" \
        "$tmp/cw.cfg" >"$tmp/debug.cfg"
final_restore "$tmp/debug.cfg" "--log-level debug"
grep -q "restore: shard 0: 1 customers .* applied events 3, offsets 3 0 0 0" "$tmp/final.err"
check $? "the committed state is not the three purchases: $(grep 'restore: shard 0' "$tmp/final.err")"
grep -q "PARTSTATE" "$tmp/final.err" && ! grep -q "querying for logical offset" "$tmp/final.err"
check $? "librdkafka looked a start up: $(grep -m 3 'logical offset' "$tmp/final.err")"

kill -TERM $pid
wait $pid
echo "run_abort: $pass passed, $fail failed"
[ $fail -eq 0 ]
