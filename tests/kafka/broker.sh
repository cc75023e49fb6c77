#!/bin/sh
# `churnwatch broker`: independent clients (kcat, kafka-python) see the
# configured topics, produce and consume through it; SIGTERM stops it.
# Usage: broker.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
start_broker "$bin" "$src" 3
head -n 1 "$tmp/out" | grep -qE '^bootstrap=127\.0\.0\.1:[0-9]+$'
check $? "first line: $(head -n 1 "$tmp/out")"

kcat -b "$bs" -L -m 5 >"$tmp/meta" 2>&1
for t in purchases logins support-tickets surveys churn-warnings churnwatch-dlq; do
        grep -q "topic \"$t\" with 3 partitions" "$tmp/meta"
        check $? "topic $t: $(cat "$tmp/meta")"
done

printf 'hello\n' | kcat -b "$bs" -P -t logins -p 2 -k cust-7 -m 5
kcat -b "$bs" -C -t logins -p 2 -o beginning -e -m 5 -f '%k=%s\n' >"$tmp/got" 2>/dev/null
grep -qx 'cust-7=hello' "$tmp/got"
check $? "kcat round trip: $(cat "$tmp/got")"

/usr/bin/python3 - "$bs" <<'PY'
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1], api_version=(2, 5, 0))
p.send("surveys", key=b"cust-9", value=b"from-python", partition=0).get(timeout=10)
p.close()
PY
check $? "kafka-python produce"
kcat -b "$bs" -C -t surveys -p 0 -o beginning -e -m 5 -f '%k=%s\n' >"$tmp/got" 2>/dev/null
grep -qx 'cust-9=from-python' "$tmp/got"
check $? "kafka-python to kcat: $(cat "$tmp/got")"

kill -TERM $pid
for _ in $(seq 50); do
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
done
! kill -0 $pid 2>/dev/null
check $? "still running 5 s after SIGTERM"
wait $pid
check $? "exit status after SIGTERM"

echo "broker: $pass passed, $fail failed"
[ $fail -eq 0 ]
