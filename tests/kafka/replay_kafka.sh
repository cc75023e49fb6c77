#!/bin/sh
# replay --source kafka: reads each shard as `run` does, commits nothing,
# and gives the warnings `run` gave from the same records (emitted_at
# aside), byte-identical from one replay to the next; with --from/--to it
# equals file replays of the same shards with the same bounds.
# Usage: replay_kafka.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }
start_broker "$bin" "$src" 4

"$bin" gen -c "$tmp/cw.cfg" --customers 1500 --days 90 --seed 7 2>"$tmp/gen.err"
check $? "gen: $(cat "$tmp/gen.err")"
"$bin" replay -c "$tmp/cw.cfg" --source kafka --output "$tmp/k1.jsonl" 2>"$tmp/k1.err"
check $? "replay --source kafka: $(cat "$tmp/k1.err")"
"$bin" replay -c "$tmp/cw.cfg" --source kafka --output "$tmp/k2.jsonl" 2>"$tmp/k2.err"
cmp -s "$tmp/k1.jsonl" "$tmp/k2.jsonl"
check $? "two replays differ"
lib wait-committed "$bs" churnwatch 1 --some >/dev/null 2>&1
[ $? -ne 0 ]
check $? "replay committed offsets for group churnwatch"

"$bin" run -c "$tmp/cw.cfg" --exit-at-end --output "$tmp/run.jsonl" 2>"$tmp/run.err"
check $? "run: $(tail -n 3 "$tmp/run.err")"
n=$(wc -l <"$tmp/k1.jsonl")
[ "$n" -gt 0 ]
check $? "no warnings: the test proves nothing"
lib compare "$tmp/k1.jsonl" "$tmp/run.jsonl" >"$tmp/cmp.out"
check $? "replay --source kafka vs run: $(cat "$tmp/cmp.out")"

from=2026-02-15
to=2026-03-20
"$bin" replay -c "$tmp/cw.cfg" --source kafka --from $from --to $to \
        --output "$tmp/kb.jsonl" 2>"$tmp/kb.err"
check $? "replay --source kafka --from --to: $(cat "$tmp/kb.err")"
lib shards "$bs" "$tmp/shards" >"$tmp/shards.out"
check $? "reading the input topics: $(cat "$tmp/shards.out")"
: >"$tmp/fb.jsonl"
for p in 0 1 2 3; do
        d=$tmp/shards/$p
        "$bin" replay -c "$tmp/cw.cfg" --from $from --to $to --input "$d/purchases.avro" \
                "$d/logins.avro" "$d/tickets.avro" "$d/surveys.avro" \
                --output "$d/b.jsonl" 2>"$d/err"
        check $? "file replay of shard $p: $(cat "$d/err")"
        cat "$d/b.jsonl" >>"$tmp/fb.jsonl"
done
[ -s "$tmp/fb.jsonl" ]
check $? "no warnings between $from and $to"
lib compare "$tmp/kb.jsonl" "$tmp/fb.jsonl" --emitted-at >"$tmp/cmp.out"
check $? "bounded replay from Kafka vs from files: $(cat "$tmp/cmp.out")"

kill -TERM $pid
wait $pid
echo "replay_kafka: $pass passed, $fail failed"
[ $fail -eq 0 ]
