# Sourced by the tests that need the embedded broker. After
# `start_broker CHURNWATCH SOURCE_DIR PARTITIONS`: $tmp is a scratch folder
# removed at exit, $pid the broker, $bs its bootstrap address, and
# $tmp/cw.cfg the contract example pointed at it. `check RC MESSAGE` counts.
pass=0
fail=0
check() {
        if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else echo "FAIL $2"; fail=$((fail + 1)); fi
}

start_broker() {
        tmp=$(mktemp -d)
        "$1" broker -c "$2/tests/configs/good/contract.cfg" --partitions "$3" \
                >"$tmp/out" 2>"$tmp/err" &
        pid=$!
        trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
        for _ in $(seq 50); do
                grep -q '^bootstrap=' "$tmp/out" 2>/dev/null && break
                sleep 0.1
        done
        bs=$(head -n 1 "$tmp/out" | sed 's/^bootstrap=//')
        sed "s/127.0.0.1:9092/$bs/" "$2/tests/configs/good/contract.cfg" >"$tmp/cw.cfg"
}
