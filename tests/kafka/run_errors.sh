#!/bin/sh
# `churnwatch run` refuses input topics it cannot shard, at once (exit 1, a
# sentence naming the topics and their partition counts), before joining
# the group; and a state changelog that is not co-partitioned with them.
#
# The embedded broker (librdkafka 2.0.2's mock cluster) answers Metadata only
# up to v2, which has no AllowAutoTopicCreation flag, so any topic a client
# asks about is created on the spot with the mock's default of 4 partitions;
# it does not implement CreateTopics (kafka-python's KafkaAdminClient gets
# IncompatibleBrokerVersion). So the broker runs with 3 partitions a topic,
# and a 4-partition topic is made by asking kcat for its metadata. For the
# same reason a missing input topic cannot stay missing here: run's own
# metadata request creates it with 4 partitions, and run stops on the
# mismatch, naming it. (Against real Kafka, whose consumers send
# AllowAutoTopicCreation=false, run says "input topic T (Broker: Unknown topic
# or partition) does not exist".)
# Usage: run_errors.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
start_broker "$bin" "$src" 3
now_ms() { /usr/bin/python3 -c 'import time; print(int(time.time() * 1000))'; }

# run_with CFG: runs `run` for at most 30 s; $rc, $ms (how long) and
# $tmp/run.err (its log) after.
run_with() {
        t0=$(now_ms)
        timeout -s KILL 30 "$bin" run -c "$1" 2>"$tmp/run.err"
        rc=$?
        ms=$(($(now_ms) - t0))
}

kcat -b "$bs" -L -t purchases-4 >/dev/null 2>&1
kcat -b "$bs" -L -t purchases-4 2>&1 | grep -q 'topic "purchases-4" with 4 partitions'
check $? "kcat did not make a 4-partition topic: $(kcat -b "$bs" -L 2>&1)"
sed 's/purchase = "purchases"/purchase = "purchases-4"/' "$tmp/cw.cfg" >"$tmp/mismatch.cfg"
run_with "$tmp/mismatch.cfg"
[ $rc -eq 1 ] && [ $ms -lt 10000 ]
check $? "mismatched partition counts: exit $rc after $ms ms: $(cat "$tmp/run.err")"
grep -q 'different partition counts: purchases-4 4, logins 3, support-tickets 3, surveys 3' "$tmp/run.err"
check $? "the error does not name the counts: $(cat "$tmp/run.err")"
! grep -q 'shard .* assigned' "$tmp/run.err"
check $? "run joined the group before refusing the topics: $(cat "$tmp/run.err")"

# A topic that does not exist (see above: the mock creates it).
kcat -b "$bs" -L 2>&1 | grep -q '"no-such-surveys"'
[ $? -ne 0 ]
check $? "no-such-surveys exists before the test"
sed 's/survey = "surveys"/survey = "no-such-surveys"/' "$tmp/cw.cfg" >"$tmp/missing.cfg"
run_with "$tmp/missing.cfg"
[ $rc -eq 1 ] && [ $ms -lt 10000 ]
check $? "missing input topic: exit $rc after $ms ms: $(cat "$tmp/run.err")"
grep -Eq 'input topic no-such-surveys .*does not exist|no-such-surveys 4' "$tmp/run.err"
check $? "the error does not name the missing topic: $(cat "$tmp/run.err")"

# The state changelog of another group, which the mock creates with its
# default 4 partitions when run looks it up, against 3-partition inputs:
# run refuses it, naming both counts.
sed 's/group_id = "churnwatch"/group_id = "other"/' "$tmp/cw.cfg" >"$tmp/other.cfg"
run_with "$tmp/other.cfg"
[ $rc -eq 1 ]
check $? "state changelog of another count: exit $rc: $(cat "$tmp/run.err")"
grep -q 'the state changelog topic other-state has 4 partitions and the input topics 3' "$tmp/run.err"
check $? "the error does not name the changelog counts: $(cat "$tmp/run.err")"

# No broker at all: the metadata request times out (10 s), and run says so.
sed "s/$bs/127.0.0.1:1/" "$tmp/cw.cfg" >"$tmp/nobroker.cfg"
run_with "$tmp/nobroker.cfg"
[ $rc -eq 1 ] && [ $ms -lt 20000 ]
check $? "no broker: exit $rc after $ms ms: $(tail -n 3 "$tmp/run.err")"
grep -q 'error run: cannot read the metadata of topic purchases' "$tmp/run.err"
check $? "no broker: $(tail -n 3 "$tmp/run.err")"

kill -TERM $pid
wait $pid
echo "run_errors: $pass passed, $fail failed"
[ $fail -eq 0 ]
