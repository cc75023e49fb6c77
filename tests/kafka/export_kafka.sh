#!/bin/sh
# replay --source kafka --features (CONTRACT.md section 10): the training
# set read from the input topics, shard by shard, equals the training sets
# of file replays of the same shards (read back by an independent client)
# laid end to end, byte for byte; warnings and rows come from one pass.
# Usage: export_kafka.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }
start_broker "$bin" "$src" 4

"$bin" gen -c "$tmp/cw.cfg" --customers 1200 --days 60 --seed 9 \
        --labels "$tmp/labels.csv" 2>"$tmp/gen.err"
check $? "gen: $(cat "$tmp/gen.err")"
to=2026-02-25T06:00:00Z
opts="--to $to --sample-every 2d --labels $tmp/labels.csv --horizon 14d"
# shellcheck disable=SC2086 # $opts is a list of options
"$bin" replay -c "$tmp/cw.cfg" --source kafka $opts --features "$tmp/k.csv" \
        --output "$tmp/k.jsonl" 2>"$tmp/k.err"
check $? "replay --source kafka --features: $(cat "$tmp/k.err")"

lib shards "$bs" "$tmp/shards" >"$tmp/shards.out"
check $? "reading the input topics: $(cat "$tmp/shards.out")"
: >"$tmp/f.csv"
for p in 0 1 2 3; do
        d=$tmp/shards/$p
        # shellcheck disable=SC2086
        "$bin" replay -c "$tmp/cw.cfg" $opts --features "$d/f.csv" \
                --input "$d/purchases.avro" "$d/logins.avro" "$d/tickets.avro" \
                "$d/surveys.avro" 2>"$d/err"
        check $? "file replay of shard $p: $(cat "$d/err")"
        if [ $p -eq 0 ]; then cat "$d/f.csv"; else tail -n +2 "$d/f.csv"; fi >>"$tmp/f.csv"
done
rows=$(($(wc -l <"$tmp/k.csv") - 1))
[ "$rows" -gt 1000 ] && grep -q ',1$' "$tmp/k.csv"
check $? "$rows rows, or no positive one: the test proves little"
cmp "$tmp/k.csv" "$tmp/f.csv" >"$tmp/cmp.out" 2>&1
check $? "the Kafka training set differs from the shards' file sets: $(cat "$tmp/cmp.out")"
grep -q "replay: $rows training rows written" "$tmp/k.err"
check $? "the summary does not count $rows rows: $(tail -n 3 "$tmp/k.err")"

kill -TERM $pid
wait $pid
echo "export_kafka: $pass passed, $fail failed"
[ $fail -eq 0 ]
