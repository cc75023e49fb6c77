#!/bin/sh
# Kafka figures of docs/performance.md, through the embedded broker (`churnwatch
# broker`, librdkafka's mock cluster) on this machine:
#
#  1. throughput: events/s of `churnwatch run --exit-at-end` (decode, merge,
#     engine, warnings produced and acknowledged, offsets committed) against
#     `kcat -C` reading the same four topics (one kcat per topic, in
#     parallel, to /dev/null), on the same preloaded broker, alternately;
#     medians of RUNS runs. churnwatch's time runs from its assignment to
#     its end (the mock cluster's group join takes a fixed ~3 s that kcat's
#     partition assignment does not need).
#     Also `replay --source kafka` over the same topics (whole command).
#     Both processing guarantees: exactly once (transactions, the default)
#     and at least once. And the same events framed the Confluent way
#     (Schema Registry, CONTRACT.md section 8; the registry is the tests'
#     double, tests/lib/registry_double.py) on topics f-*, written by
#     `gen` with a schema_registry group: `run` on them against `run` on
#     the raw values, in the same runs. And exactly once again with the
#     metrics endpoint on (http_listen) and /metrics fetched every second,
#     against the same run with it off (interleaved in each run).
#  2. latency: `gen --rate RATE` produces live while `run` consumes (with
#     bench/latency.cfg, whose extra rule makes many warnings); run
#     reports event-to-warning latency (the input record's timestamp to the
#     broker's acknowledgement of the warning) for every warning caused by
#     a record; medians over RUNS runs of each run's p50 and p99. Also what
#     commits cost the processing thread (`run` logs the longest block and
#     the mean when it stops). Exactly once, a read_committed subscriber of
#     a Kafka cluster sees a warning when its transaction has committed:
#     `run` logs that latency too (input record's timestamp to the end of
#     the commit); bench/visible.py measures what a read_committed reader
#     (`churnwatch tail`) of the embedded broker sees, which is earlier: the
#     mock serves records of open transactions. Exactly once is measured
#     again with /metrics fetched every second.
#
#   bench/kafka.sh [--customers N] [--days N] [--partitions N] [--runs N]
#                  [--rate EV/S] [--seconds S]
set -eu
cd "$(dirname "$0")/.."
customers=20000
days=60
lat_customers=3000
partitions=16
runs=5
rate=1000
seconds=30
while [ $# -gt 0 ]; do
        case $1 in
        --customers) customers=$2 ;;
        --days) days=$2 ;;
        --partitions) partitions=$2 ;;
        --runs) runs=$2 ;;
        --rate) rate=$2 ;;
        --seconds) seconds=$2 ;;
        *) echo "usage: $0 [--customers N] [--days N] [--partitions N] [--runs N] [--rate EV/S] [--seconds S]" >&2; exit 2 ;;
        esac
        shift 2
done
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 >/dev/null
bin=$PWD/build/churnwatch
tmp=$(mktemp -d)
bpid=
spid=
rpid_reg=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; [ -n "$bpid" ] && kill $bpid 2>/dev/null; [ -n "$rpid_reg" ] && kill $rpid_reg 2>/dev/null; rm -rf "$tmp"' EXIT

# start_broker PARTITIONS: $bs, $bpid, and $tmp/cw.cfg (the contract's
# example pointed at it). `group NAME` makes NAME's state changelog (the
# mock cluster has no CreateTopics).
start_broker() {
        [ -n "$bpid" ] && kill $bpid 2>/dev/null && wait $bpid 2>/dev/null || true
        rm -f "$tmp/commands"
        mkfifo "$tmp/commands"
        "$bin" broker -c tests/data/configs/good/contract.cfg --partitions "$1" \
                --commands <"$tmp/commands" >"$tmp/broker.out" \
                2>"$tmp/broker.err" &
        bpid=$!
        exec 9>"$tmp/commands"
        bparts=$1
        for _ in $(seq 50); do
                grep -q '^bootstrap=' "$tmp/broker.out" 2>/dev/null && break
                sleep 0.1
        done
        bs=$(head -n 1 "$tmp/broker.out" | sed 's/^bootstrap=//')
        sed "s/127.0.0.1:9092/$bs/" tests/data/configs/good/contract.cfg >"$tmp/cw.cfg"
}

group() {
        echo "create $1-state $bparts" >&9
        sleep 0.3
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

free_port() {
        /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# scrape PORT: fetches /metrics every second until killed, counting the
# answers in $tmp/scrapes.
scrape() {
        while :; do
                curl -sf -o /dev/null "http://127.0.0.1:$1/metrics" && echo >>"$tmp/scrapes"
                sleep 1
        done
}

# with_metrics CFG: CFG with the endpoint on a free port ($mport).
with_metrics() {
        mport=$(free_port)
        echo "http_listen = \"127.0.0.1:$mport\";" >>"$1"
}

# Seconds between two of run's log timestamps (first match of each).
log_span() {
        /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import sys, datetime
def at(pat):
    for line in open(sys.argv[1]):
        if pat in line:
            return datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
    sys.exit("no line with " + pat)
print((at(sys.argv[3]) - at(sys.argv[2])).total_seconds())
PY
}

echo "# $(nproc) cores, $(date -u +%Y-%m-%d), librdkafka $(pkg-config --modversion rdkafka), embedded broker"
start_broker "$partitions"
"$bin" gen -c "$tmp/cw.cfg" --customers "$customers" --days "$days" 2>"$tmp/gen.err"
events=$(sed -n 's/.* \([0-9]*\) events in .*/\1/p' "$tmp/gen.err")
# The same population framed, on topics of their own.
/usr/bin/python3 tests/lib/registry_double.py >"$tmp/reg.out" 2>"$tmp/reg.err" &
rpid_reg=$!
for _ in $(seq 50); do grep -q '^port=' "$tmp/reg.out" 2>/dev/null && break; sleep 0.1; done
for t in purchases logins support-tickets surveys churn-warnings churnwatch-dlq; do
        echo "create f-$t $partitions" >&9
done
sleep 0.5
sed 's/"purchases"/"f-purchases"/; s/"logins"/"f-logins"/; s/"support-tickets"/"f-support-tickets"/; s/"surveys"/"f-surveys"/; s/"churn-warnings"/"f-churn-warnings"/; s/"churnwatch-dlq"/"f-churnwatch-dlq"/' \
        "$tmp/cw.cfg" >"$tmp/framed.cfg"
printf 'schema_registry = { url = "http://127.0.0.1:%s"; };\n' \
        "$(sed -n 's/^port=//p' "$tmp/reg.out")" >>"$tmp/framed.cfg"
"$bin" gen -c "$tmp/framed.cfg" --customers "$customers" --days "$days" 2>"$tmp/genf.err"
echo "## throughput: $events events ($customers customers x $days days), $partitions partitions per topic, $runs runs"
: >"$tmp/kcat"
: >"$tmp/run-eos"
: >"$tmp/run-eosm"
: >"$tmp/run-alos"
: >"$tmp/scrapes"
: >"$tmp/run-framed-eos"
: >"$tmp/run-framed-alos"
: >"$tmp/replay"
for i in $(seq "$runs"); do
        t0=$(date +%s.%N)
        pids=
        for t in purchases logins support-tickets surveys; do
                kcat -b "$bs" -C -t "$t" -o beginning -e -q >/dev/null 2>&1 &
                pids="$pids $!"
        done
        wait $pids
        t1=$(date +%s.%N)
        echo "$events / ($t1 - $t0)" | bc -l >>"$tmp/kcat"
        for g in eos eosm alos framed-eos framed-alos; do
                group "bench-$g-$i"
                cfg=$tmp/cw.cfg
                case $g in framed-*) cfg=$tmp/framed.cfg ;; esac
                sed "s/group_id = \"churnwatch\"/group_id = \"bench-$g-$i\"/" "$cfg" >"$tmp/run.cfg"
                case $g in *alos) echo 'processing_guarantee = "at_least_once";' >>"$tmp/run.cfg" ;; esac
                spid=
                if [ $g = eosm ]; then
                        with_metrics "$tmp/run.cfg"
                        scrape "$mport" &
                        spid=$!
                fi
                "$bin" run -c "$tmp/run.cfg" --exit-at-end 2>"$tmp/run.err"
                if [ -n "$spid" ]; then kill $spid; spid=; fi
                grep -q "every input read to its end" "$tmp/run.err"
                span=$(log_span "$tmp/run.err" "assigned" "every input read to its end")
                echo "$events / $span" | bc -l >>"$tmp/run-$g"
        done
        t0=$(date +%s.%N)
        "$bin" replay -c "$tmp/cw.cfg" --source kafka --output - >/dev/null 2>"$tmp/replay.err"
        t1=$(date +%s.%N)
        echo "$events / ($t1 - $t0)" | bc -l >>"$tmp/replay"
done
k=$(median <"$tmp/kcat")
r=$(median <"$tmp/run-eos")
a=$(median <"$tmp/run-alos")
printf 'kcat -C (4 topics in parallel):   %.0f events/s\n' "$k"
printf 'churnwatch run, exactly once:     %.0f events/s\n' "$r"
printf 'churnwatch run, at least once:    %.0f events/s\n' "$a"
printf 'ratio exactly once / kcat:        %.2f (target >= 0.8)\n' "$(echo "$r / $k" | bc -l)"
printf 'ratio at least once / kcat:       %.2f\n' "$(echo "$a / $k" | bc -l)"
m=$(median <"$tmp/run-eosm")
printf 'churnwatch run, exactly once, /metrics fetched every 1 s: %.0f events/s (%d fetches answered)\n' "$m" "$(wc -l <"$tmp/scrapes")"
printf 'ratio endpoint on / off, exactly once: %.3f\n' "$(echo "$m / $r" | bc -l)"
printf 'replay --source kafka (shard by shard, no group): %.0f events/s\n' "$(median <"$tmp/replay")"
fe=$(median <"$tmp/run-framed-eos")
fa=$(median <"$tmp/run-framed-alos")
printf 'churnwatch run, framed values (Schema Registry), exactly once: %.0f events/s, %.2f x raw (goal >= 0.95)\n' "$fe" "$(echo "$fe / $r" | bc -l)"
printf 'churnwatch run, framed values (Schema Registry), at least once: %.0f events/s, %.2f x raw\n' "$fa" "$(echo "$fa / $a" | bc -l)"

for lat_guarantee in exactly_once at_least_once exactly_once+metrics; do
echo "## latency, $lat_guarantee: gen --rate $rate for ${seconds} s while run consumes (fetch.wait.max.ms = 1), $runs runs"
: >"$tmp/p50"
: >"$tmp/p99"
: >"$tmp/block"
: >"$tmp/cmean"
: >"$tmp/vis"
: >"$tmp/tailvis"
# About 0.7 events per customer and day.
d=$(( (seconds * rate * 10 / 7 + lat_customers - 1) / lat_customers ))
for i in $(seq "$runs"); do
        start_broker 4
        sed "s/127.0.0.1:9092/$bs\"; fetch_wait_max_ms = \"1/" \
                bench/latency.cfg >"$tmp/lat.cfg"
        echo "processing_guarantee = \"${lat_guarantee%+metrics}\";" >>"$tmp/lat.cfg"
        spid=
        if [ "$lat_guarantee" = exactly_once+metrics ]; then
                with_metrics "$tmp/lat.cfg"
                scrape "$mport" &
                spid=$!
        fi
        "$bin" run -c "$tmp/lat.cfg" 2>"$tmp/lat.err" &
        rpid=$!
        for _ in $(seq 100); do
                grep -q "assigned" "$tmp/lat.err" && break
                sleep 0.1
        done
        vpid=
        if [ "$lat_guarantee" = exactly_once ]; then
                /usr/bin/python3 bench/visible.py "$bin" "$tmp/lat.cfg" "$bs" >"$tmp/vis.out" 2>&1 &
                vpid=$!
                sleep 2
        fi
        "$bin" gen -c "$tmp/lat.cfg" --customers "$lat_customers" --days "$d" \
                --rate "$rate" --start "$(date -u -d "-$d days" +%Y-%m-%d)" 2>/dev/null
        sleep 1
        if [ -n "$vpid" ]; then
                kill -TERM $vpid
                wait $vpid
                sed -n 's/.* p99 \([0-9.]*\) ms.*/\1/p' "$tmp/vis.out" >>"$tmp/tailvis"
        fi
        kill -TERM $rpid
        wait $rpid
        if [ -n "$spid" ]; then kill $spid; spid=; fi
        line=$(grep 'stats:' "$tmp/lat.err" | tail -n 1)
        echo "$line" | sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p' >>"$tmp/p50"
        echo "$line" | sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' >>"$tmp/p99"
        sed -n 's/.*blocked by one at most \([0-9.]*\) ms.*/\1/p' "$tmp/lat.err" >>"$tmp/block"
        sed -n 's/.* ms at a time, \([0-9.]*\) ms a commit.*/\1/p' "$tmp/lat.err" >>"$tmp/cmean"
        sed -n 's/.*read_committed subscribers.* p99 \([0-9.]*\) ms.*/\1/p' "$tmp/lat.err" >>"$tmp/vis"
done
printf 'event-to-warning latency at %s events/s: p50 %s ms, p99 %s ms (target p99 <= 10 ms)\n' \
        "$rate" "$(median <"$tmp/p50")" "$(median <"$tmp/p99")"
printf 'longest block of the processing loop by a commit: %s ms (goal <= 5 ms); %s ms a commit on average\n' \
        "$(median <"$tmp/block")" "$(median <"$tmp/cmean")"
if [ -s "$tmp/vis" ]; then
        printf 'event to warning visible to read_committed (its transaction committed), p99: %s ms (goal <= commit interval + 10 ms)\n' \
                "$(median <"$tmp/vis")"
fi
if [ -s "$tmp/tailvis" ]; then
        printf 'the same seen by a read_committed reader of the embedded broker (churnwatch tail; the mock serves open transactions), p99: %s ms\n' \
                "$(median <"$tmp/tailvis")"
fi
done
