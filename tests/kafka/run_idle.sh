#!/bin/sh
# idle_advance_ms: a quiet shard follows the wall clock, so that timers fire.
# c1 buys on three days ending 38 days ago and nothing more arrives. The
# purchases leave the 30-day window at the boundary of day last + 30 (it
# covers days last + 1 .. last + 30), 8 days ago: purchase_drop FIRING
# (TIMER) then. Without idle_advance stream
# time stays at the last purchase and nothing fires; with
# idle_advance_ms = 1000 the shard's stream time moves to now after a second
# of silence, and the warning is published.
# Usage: run_idle.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }
start_broker "$bin" "$src" 2

day=86400000
today=$(( $(date +%s) * 1000 / day ))
last=$(( today - 38 ))
want_ts=$(( (last + 30) * day ))
lib purchases "$bs" c1 0 $((last - 2)) $((last - 1)) "$last"
check $? "producing the purchases"

# without idle_advance: the events are processed, nothing fires
"$bin" run -c "$tmp/cw.cfg" --exit-at-end --output "$tmp/plain.jsonl" 2>"$tmp/plain.err"
check $? "run --exit-at-end: $(tail -n 3 "$tmp/plain.err")"
[ -f "$tmp/plain.jsonl" ] && [ ! -s "$tmp/plain.jsonl" ]
check $? "warnings without idle_advance: $(cat "$tmp/plain.jsonl")"

# with it: the warning appears within seconds
sed 's/group_id = "churnwatch"/group_id = "idle"/' "$tmp/cw.cfg" >"$tmp/idle.cfg"
broker_cmd "create idle-state 2" # the group's state changelog
echo "idle_advance_ms = 1000;" >>"$tmp/idle.cfg"
"$bin" run -c "$tmp/idle.cfg" --output "$tmp/idle.jsonl" 2>"$tmp/idle.err" &
run=$!
for _ in $(seq 150); do
        grep -q purchase_drop "$tmp/idle.jsonl" 2>/dev/null && break
        sleep 0.1
done
kill -TERM $run
wait $run
check $? "run exit status: $(tail -n 3 "$tmp/idle.err")"
grep -q "\"customer_id\":\"c1\",\"alert\":\"purchase_drop\",\"kind\":\"RULE\",\"state\":\"FIRING\",\"severity\":\"high\",\"eval_ts\":$want_ts,\"trigger\":\"TIMER\"" "$tmp/idle.jsonl"
check $? "purchase_drop FIRING at $want_ts: $(cat "$tmp/idle.jsonl")"
"$bin" tail -c "$tmp/cw.cfg" --json >"$tmp/topic.jsonl" 2>/dev/null
grep -q "\"eval_ts\":$want_ts" "$tmp/topic.jsonl"
check $? "the warning on the topic: $(cat "$tmp/topic.jsonl")"

echo "run_idle: $pass passed, $fail failed"
[ $fail -eq 0 ]
