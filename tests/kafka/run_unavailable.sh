#!/bin/sh
# An input partition that holds records the instance cannot fetch yet
# holds its shard back however long that takes: nothing is processed past
# it, so none of its records becomes late (skipped). One broker of three
# goes down as `run`'s shards are assigned, for several max_idle_ms (the
# default, 1 s): the input partitions it leads have
# records on the broker that no fetch can bring, as an input whose first
# fetch is slow on a loaded machine (run_faults' uninterrupted run once
# took 1,836 logins as late that way). Every record must be applied, none
# late, and the warnings must be those of a replay of the same records.
# Usage: run_unavailable.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh" # check, stop_run
. "$src/tests/lib/eos_lib.sh"
eos_start 4 3 ""
# At least once (no transaction coordinator to wait for), the default
# max_idle_ms, and the group's coordinator on a broker that stays up.
sed -i '/^max_idle_ms/d' "$tmp/cw.cfg"
echo 'processing_guarantee = "at_least_once";' >>"$tmp/cw.cfg"
eos_cmd "coordinator group churnwatch 2" 0.5

"$bin" gen -c "$tmp/cw.cfg" --customers 1500 --days 120 --seed 4 \
        2>"$tmp/gen.err"
check $? "gen: $(cat "$tmp/gen.err")"
records=$(lib offsets "$bs" purchases logins support-tickets surveys |
        awk '{ n += $4 } END { print n }')

"$bin" run -c "$tmp/cw.cfg" 2>"$tmp/run.err" &
run=$!
runs=$run
wait_assigned "$tmp/run.err"
# Assigned (the starts looked up): now broker 1 goes, for five times
# max_idle_ms, before the inputs it leads can have been fetched whole.
eos_cmd "down 1" 5
eos_cmd "up 1" 0.5
lib wait-committed "$bs" churnwatch 90 >"$tmp/wait.out"
check $? "run did not finish: $(cat "$tmp/wait.out"); $(tail -n 5 "$tmp/run.err")"
stop_run $run
check $? "run exit status: $(tail -n 5 "$tmp/run.err")"
runs=

grep 'stats: events/s' "$tmp/run.err" | tail -n 1 >"$tmp/stats"
grep -q "($records applied in all).*dead letters 0, late 0" "$tmp/stats"
check $? "not every one of the $records records applied: $(cat "$tmp/stats"); $(grep -m 3 'late event' "$tmp/run.err")"
topic_vs_replay "$bin" "$tmp/cw.cfg" ""
[ $fail -eq 0 ] && echo "$records records applied, none late; $n warnings as the replay's"

echo "run_unavailable: $pass passed, $fail failed"
[ $fail -eq 0 ]
