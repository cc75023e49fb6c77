#!/bin/sh
# `churnwatch gen` to the embedded broker: every event arrives on its topic,
# keyed by customer_id and partitioned with Java's murmur2, so one customer
# keeps one partition number across the four topics.
# Usage: gen_kafka.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
start_broker "$bin" "$src" 3

"$bin" gen -c "$tmp/cw.cfg" --customers 150 --days 20 --labels "$tmp/labels.csv" 2>"$tmp/gen.err"
check $? "gen to Kafka: $(cat "$tmp/gen.err")"
"$bin" gen -c "$tmp/cw.cfg" --customers 150 --days 20 --output-dir "$tmp/files" 2>/dev/null
check $? "gen to files"

for t in purchases:purchases logins:logins support-tickets:tickets surveys:surveys; do
        topic=${t%%:*}
        file=${t##*:}
        kcat -b "$bs" -C -t "$topic" -o beginning -e -q -f '%p %k\n' >"$tmp/$topic.txt" 2>/dev/null
        want=$(/usr/bin/python3 -c "
import sys
from avro.datafile import DataFileReader
from avro.io import DatumReader
print(sum(1 for _ in DataFileReader(open('$tmp/files/$file.avro', 'rb'), DatumReader())))")
        got=$(wc -l <"$tmp/$topic.txt")
        [ "$got" -eq "$want" ] && [ "$got" -gt 0 ]
        check $? "$topic: $got messages, the files hold $want"
done

/usr/bin/python3 - "$tmp" <<'PY'
import glob, sys
from kafka.partitioner.default import murmur2
seen = {}
for path in glob.glob(sys.argv[1] + "/*.txt"):
    for line in open(path):
        p, key = line.split()
        want = (murmur2(key.encode()) & 0x7fffffff) % 3
        if int(p) != want or seen.setdefault(key, int(p)) != int(p):
            print("key", key, "on partition", p, "murmur2 says", want)
            sys.exit(1)
PY
check $? "murmur2 co-partitioning"

"$bin" gen -c "$tmp/cw.cfg" --customers 20 --days 2 --rate 0 2>"$tmp/rate.err"
[ $? -eq 2 ] && grep -q -- "--rate '0'" "$tmp/rate.err"
check $? "--rate 0 refused: $(cat "$tmp/rate.err")"

kill -TERM $pid
wait $pid
echo "gen_kafka: $pass passed, $fail failed"
[ $fail -eq 0 ]
