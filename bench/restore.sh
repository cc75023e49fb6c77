#!/bin/sh
# Restore speed (issue 6): how fast a shard's state comes back from the
# changelog topic. A first `run --exit-at-end` processes a population and
# writes every customer's state to <group_id>-state; a second one, same
# group, finds the input done and only restores every shard. Reported:
# customers restored and customers/s over the restore's wall-clock span,
# from the assignment (the first "shard N assigned" line) to the last shard
# restored; shards restore in parallel, so the span is what a rebalance
# stalls for (before the shards restored in parallel, the span and the sum
# of the shards' restore times were the same).
# The embedded broker keeps only about the latest 5 MB of each partition,
# so the state is spread over PARTITIONS partitions (default 128): every
# customer is written once per commit interval it changed in, and the
# restore must find the same number of customers the first run held.
#
# BROKERS (default 1) spreads the partitions' leaders over that many
# embedded brokers: one reader then fetches from each in parallel, as it
# would from a real cluster's brokers.
#
#   bench/restore.sh [CUSTOMERS [PARTITIONS [RUNS [BROKERS]]]]   default 1000000 128 3 1
set -eu
cd "$(dirname "$0")/.."
customers=${1:-1000000}
partitions=${2:-128}
runs=${3:-3}
brokers=${4:-1}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 >/dev/null
bin=$PWD/build/churnwatch
tmp=$(mktemp -d)
bpid=
trap '[ -n "$bpid" ] && kill $bpid 2>/dev/null; rm -rf "$tmp"' EXIT

"$bin" broker -c tests/data/configs/good/contract.cfg --partitions "$partitions" \
        --brokers "$brokers" >"$tmp/broker.out" 2>"$tmp/broker.err" &
bpid=$!
for _ in $(seq 50); do
        grep -q '^bootstrap=' "$tmp/broker.out" 2>/dev/null && break
        sleep 0.1
done
bs=$(head -n 1 "$tmp/broker.out" | sed 's/^bootstrap=//')
# Short sessions: the mock cluster lets a departed member's session run out
# before the next run's join completes.
sed -e "s/127.0.0.1:9092/$bs/" \
    -e 's/group_id = "churnwatch";/group_id = "churnwatch"; session_timeout_ms = 6000; heartbeat_interval_ms = 500;/' \
    tests/data/configs/good/contract.cfg >"$tmp/cw.cfg"

echo "# $(nproc) cores, $(date -u +%Y-%m-%d), librdkafka $(pkg-config --modversion rdkafka), embedded broker ($brokers), $partitions partitions"
# Four days of events: nearly every customer has state, the input stays
# small.
"$bin" gen -c "$tmp/cw.cfg" --customers "$customers" --days 4 2>"$tmp/gen.err"
tail -n 1 "$tmp/gen.err"
"$bin" run -c "$tmp/cw.cfg" --exit-at-end 2>"$tmp/first.err"
held=$(grep 'stats:' "$tmp/first.err" | tail -n 1 | sed -n 's/.*customers \([0-9]*\),.*/\1/p')
echo "first run: $held customers held"
: >"$tmp/rates"
for i in $(seq "$runs"); do
        "$bin" run -c "$tmp/cw.cfg" --exit-at-end 2>"$tmp/restore.err"
        /usr/bin/python3 - "$tmp/restore.err" >>"$tmp/rates" <<'PY'
import datetime, re, sys
def at(line):
    return datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
n = s = 0.0
first = last = None
for line in open(sys.argv[1]):
    if first is None and re.search(r"consumer: shard \d+ assigned", line):
        first = at(line)
    m = re.search(r"restore: shard \d+: (\d+) customers from \d+ records .* in ([0-9.]+) s", line)
    if m:
        n += int(m.group(1))
        s += float(m.group(2))
        last = at(line)
span = (last - first).total_seconds()
print(f"{n / span:.0f} {n:.0f} {span:.3f} {s:.3f}")
PY
        tail -n 1 "$tmp/rates" | awk '{printf "run %s: %d customers restored in %.3f s (shards'"'"' own times add up to %.3f s): %d customers/s\n", "'"$i"'", $2, $3, $4, $1}'
done
sort -n "$tmp/rates" | awk '{a[NR]=$1} END {printf "median: %d customers/s\n", a[int((NR+1)/2)]}'
if awk -v h="$held" '$2 != h {bad=1} END {exit !bad}' "$tmp/rates"; then
        echo "restored customers differ from the $held held: the broker dropped changelog records (more partitions)" >&2
        exit 1
fi
