# Sourced by the exactly-once tests (run_crash.sh, run_faults.sh), after
# broker_lib.sh (check, stop_run) with $bin and $src set.
#
# eos_start PARTITIONS BROKERS CW_PROPS: an embedded broker taking commands
# on fd 3 (`eos_cmd LINE`), $bs, $tmp (removed at exit unless CW_KEEP_TMP),
# and two configurations of the contract's example:
# - $tmp/ref.cfg, group "ref", warnings to "ref-warnings": the
#   uninterrupted run, and gen's (batches of at most 50 records);
# - $tmp/cw.cfg, group "churnwatch", warnings to "churn-warnings", with the
#   extra librdkafka properties CW_PROPS and max_idle_ms 10 s.
# The input is all on the broker before the faults, so that processing
# order is that of a replay whatever the interruptions (the merge waits for
# every input that still has records); to be interrupted mid-stream, the
# tests slow processing down with CW_PROPS instead (queued.max.messages.
# kbytes: little fetched ahead; max_idle_ms keeps the merge waiting between
# fetches). Short sessions let the group notice a killed member quickly.
# $runs: processes killed at exit besides the broker.

lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }

eos_cmd() {
        echo "$1" >&3
        sleep "${2:-0.3}"
}

eos_start() {
        tmp=$(mktemp -d)
        runs=
        mkfifo "$tmp/cmd"
        "$bin" broker -c "$src/tests/data/configs/good/contract.cfg" \
                --partitions "$1" --brokers "$2" --commands <"$tmp/cmd" \
                >"$tmp/out" 2>"$tmp/broker.err" &
        pid=$!
        exec 3>"$tmp/cmd"
        trap 'exec 3>&-; kill -9 $pid $runs 2>/dev/null; [ -n "${CW_KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
        for _ in $(seq 50); do
                grep -q '^bootstrap=' "$tmp/out" 2>/dev/null && break
                sleep 0.1
        done
        bs=$(head -n 1 "$tmp/out" | sed 's/^bootstrap=//')
        sed -e "s/127.0.0.1:9092/$bs/" \
            -e 's/group_id = "churnwatch";/group_id = "ref"; batch_num_messages = 50; session_timeout_ms = 3000; heartbeat_interval_ms = 300;/' \
            -e 's/warnings = "churn-warnings"/warnings = "ref-warnings"/' \
            "$src/tests/data/configs/good/contract.cfg" >"$tmp/ref.cfg"
        sed -e "s/group_id = \"ref\"; batch_num_messages = 50;/group_id = \"churnwatch\"; $3/" \
            -e 's/warnings = "ref-warnings"/warnings = "churn-warnings"/' \
            "$tmp/ref.cfg" >"$tmp/cw.cfg"
        echo "max_idle_ms = 10000;" >>"$tmp/cw.cfg"
        grep -q '"ref-warnings"' "$tmp/ref.cfg" &&
                grep -q 'group_id = "churnwatch"' "$tmp/cw.cfg"
        check $? "could not make the configurations"
        mkdir "$tmp/ref-state" "$tmp/state"
        eos_cmd "create ref-state $1"
        eos_cmd "create ref-warnings $1"
}

# wait_assigned LOG: until the instance logging to LOG has shards (15 s).
wait_assigned() {
        for _ in $(seq 300); do
                grep -q "consumer: shard" "$1" && break
                sleep 0.05
        done
}

# eos_verify RESTORE_LOG...: after the faults, with the group done. Checks
# the warning topic and the final state against an uninterrupted run over
# the same input, every restore in the logs against its offsets, and that
# both final restores (the faults run's, the uninterrupted run's) are as of
# the inputs' end offsets with every record below them applied.
eos_verify() {
        "$bin" run -c "$tmp/cw.cfg" --exit-at-end --dump-state "$tmp/state" \
                2>"$tmp/final.err"
        check $? "final restore: $(tail -n 5 "$tmp/final.err")"
        "$bin" run -c "$tmp/ref.cfg" --exit-at-end --output "$tmp/ref.jsonl" \
                2>"$tmp/ref.err"
        check $? "uninterrupted run: $(tail -n 5 "$tmp/ref.err")"
        "$bin" run -c "$tmp/ref.cfg" --exit-at-end \
                --dump-state "$tmp/ref-state" 2>"$tmp/ref2.err"
        check $? "uninterrupted run, restore: $(tail -n 5 "$tmp/ref2.err")"
        # The input holds no bad record and comes in ts order: a dead letter
        # or a late (skipped) event in either run is a record lost.
        for f in ref.err ref2.err final.err; do
                grep 'stats: events/s' "$tmp/$f" | tail -n 1 |
                        grep -q 'dead letters 0, late 0,'
                check $? "$f: records dead-lettered or skipped as late: $(grep -m 3 'late event\|dead letter' "$tmp/$f")"
        done
        [ "$(wc -l <"$tmp/ref.jsonl")" -gt 100 ]
        check $? "the uninterrupted run gave too few warnings to prove anything"

        lib warnings "$bs" "$tmp/topic.jsonl" >"$tmp/warnings.out"
        check $? "warning topic: $(cat "$tmp/warnings.out")"
        lib exactly-once "$tmp/topic.jsonl" "$tmp/ref.jsonl" >"$tmp/eo.out"
        check $? "warnings: $(cat "$tmp/eo.out")"
        cat "$tmp/eo.out"
        lib restore-counts "$bs" "$@" "$tmp/ref.err" >"$tmp/rc.out"
        check $? "restored counts: $(cat "$tmp/rc.out")"
        cat "$tmp/rc.out"
        # Both final restores are of the whole input: a state that differs
        # then names the side that skipped or repeated records.
        lib restore-counts "$bs" --at-end "$tmp/final.err" >"$tmp/rc.out"
        check $? "the faults run's final restore: $(cat "$tmp/rc.out")"
        lib restore-counts "$bs" --at-end "$tmp/ref2.err" >"$tmp/rc.out"
        check $? "the uninterrupted run's restore: $(cat "$tmp/rc.out")"
        diff -r "$tmp/ref-state" "$tmp/state" >"$tmp/diff.out"
        check $? "final state differs from the uninterrupted run's: $(head -c 600 "$tmp/diff.out")"
        [ "$(cat "$tmp"/state/*.state | wc -l)" -gt 1000 ]
        check $? "the dumped state holds too few customers"
}
