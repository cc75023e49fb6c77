# Sourced by the tests that need the embedded broker. After
# `start_broker CHURNWATCH SOURCE_DIR PARTITIONS`: $tmp is a scratch folder
# removed at exit, $pid the broker, $bs its bootstrap address, and
# $tmp/cw.cfg the contract example pointed at it; `broker_cmd LINE` sends
# the broker a command (churnwatch broker --help: fault injection, topic
# creation). `check RC MESSAGE` counts.
pass=0
fail=0
check() {
        if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else echo "FAIL $2"; fail=$((fail + 1)); fi
}

start_broker() {
        tmp=$(mktemp -d)
        mkfifo "$tmp/commands"
        "$1" broker -c "$2/tests/data/configs/good/contract.cfg" --partitions "$3" \
                --commands <"$tmp/commands" >"$tmp/out" 2>"$tmp/err" &
        pid=$!
        exec 9>"$tmp/commands"
        trap 'exec 9>&-; kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
        for _ in $(seq 50); do
                grep -q '^bootstrap=' "$tmp/out" 2>/dev/null && break
                sleep 0.1
        done
        bs=$(head -n 1 "$tmp/out" | sed 's/^bootstrap=//')
        sed "s/127.0.0.1:9092/$bs/" "$2/tests/data/configs/good/contract.cfg" >"$tmp/cw.cfg"
}

broker_cmd() {
        echo "$1" >&9
        sleep 0.2 # the broker reads its commands every 100 ms
}

# stop_run PID: SIGTERM, then up to 10 s for it to exit (SIGKILL after).
# $in_time is 0 when it exited within the 10 s; returns its exit status.
stop_run() {
        kill -TERM "$1"
        for _ in $(seq 100); do
                kill -0 "$1" 2>/dev/null || break
                sleep 0.1
        done
        ! kill -0 "$1" 2>/dev/null
        in_time=$?
        kill -9 "$1" 2>/dev/null
        wait "$1"
}

# replay_shards CHURNWATCH CFG LABEL: replays each shard folder
# $tmp/shards/P (P = 0..3, as `run_lib.py shards` writes them) on its own
# and concatenates the warnings into $tmp/replay.jsonl; $n is their count.
replay_shards() {
        : >"$tmp/replay.jsonl"
        for p in 0 1 2 3; do
                d=$tmp/shards/$p
                "$1" replay -c "$2" --input "$d/purchases.avro" "$d/logins.avro" \
                        "$d/tickets.avro" "$d/surveys.avro" --output "$d/out.jsonl" 2>"$d/err"
                check $? "$3replay of shard $p: $(cat "$d/err")"
                cat "$d/out.jsonl" >>"$tmp/replay.jsonl"
        done
        n=$(wc -l <"$tmp/replay.jsonl")
}

# topic_vs_replay CHURNWATCH CFG LABEL [GROUP]: the records of the input
# topics (with GROUP, only those below its committed offsets), replayed
# shard by shard, give exactly the warnings on the warning topic, as a
# multiset, emitted_at aside; $n is their count. Needs lib() (run_lib.py).
topic_vs_replay() {
        lib shards "$bs" "$tmp/shards" ${4:+--group "$4"} >"$tmp/shards.out"
        check $? "${3}reading the input topics: $(cat "$tmp/shards.out")"
        replay_shards "$1" "$2" "$3"
        [ "$n" -gt 0 ]
        check $? "${3}the replays give no warning; the test proves nothing ($(cat "$tmp/shards.out"))"
        lib warnings "$bs" "$tmp/topic.jsonl" >"$tmp/warnings.out"
        check $? "${3}warning topic: $(cat "$tmp/warnings.out")"
        lib compare "$tmp/topic.jsonl" "$tmp/replay.jsonl" >"$tmp/cmp.out"
        check $? "${3}warning topic vs replay: $(head -n 8 "$tmp/cmp.out")"
}
