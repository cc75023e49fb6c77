# Sourced by the Schema Registry tests after broker_lib.sh: the registry
# double (registry_double.py), the npm client (sr_client.mjs), and framed
# input produced from a generated population.
reglib() { /usr/bin/python3 "$src/tests/lib/registry_lib.py" "$@"; }
lib() { /usr/bin/python3 "$src/tests/lib/run_lib.py" "$@"; }
. "$src/tests/lib/node_clients.sh"

# start_registry NAME [OPTIONS...]: the double on a free port (or --port),
# its state in $tmp/NAME.state; $reg_url, $reg_pid.
start_registry() {
        name=$1
        shift
        /usr/bin/python3 "$src/tests/lib/registry_double.py" --state "$tmp/$name.state" "$@" \
                >"$tmp/$name.out" 2>"$tmp/$name.err" &
        reg_pid=$!
        # Up to 30 s: Python's start on a loaded machine took over 5.
        for _ in $(seq 300); do
                grep -q '^port=' "$tmp/$name.out" 2>/dev/null && break
                kill -0 $reg_pid 2>/dev/null || break
                sleep 0.1
        done
        reg_port=$(sed -n 's/^port=//p' "$tmp/$name.out")
        reg_url=http://127.0.0.1:$reg_port
        if [ -z "$reg_port" ]; then
                echo "FAIL the registry double did not start: $(cat "$tmp/$name.err")"
                exit 1
        fi
}

# sr ARGS: the npm client.
sr() { node "$src/tests/lib/sr_client.mjs" "$@"; }

# registry_config FILE URL [MORE]: $tmp/cw.cfg with a schema_registry group,
# and max_idle_ms 10 s (as run_parity.sh): a shard waits for its first
# writer schemas from the registry (a Python double), and on a loaded
# machine an input's first fetch can come more than the default second
# later; a shard that went on without it would take its records as late.
registry_config() {
        cp "$tmp/cw.cfg" "$1"
        printf 'schema_registry = { url = "%s"; %s };\nmax_idle_ms = 10000;\n' \
                "$2" "${3:-}" >>"$1"
}

# framed_input EVDIR HALF: gen's events of EVDIR framed by the npm client
# with the contract's schemas, and, with HALF = evolve, the second half of
# the purchases with the evolved writer schema; into $tmp/in/<stream>.hex
# with the events in $tmp/in/<stream>.jsonl (the evolved ones in
# purchase2.jsonl/.hex).
framed_input() {
        reglib json-events "$1" "$tmp/in"
        check $? "reading gen's files"
        if [ "$2" = evolve ]; then
                total=$(wc -l <"$tmp/in/purchase.jsonl")
                head -n $((total / 2)) "$tmp/in/purchase.jsonl" >"$tmp/in/p1"
                tail -n +$((total / 2 + 1)) "$tmp/in/purchase.jsonl" >"$tmp/in/p2"
                mv "$tmp/in/p1" "$tmp/in/purchase.jsonl"
                reglib evolve "$tmp/in/p2" "$tmp/in/purchase2.jsonl"
                sr encode "$reg_url" purchases-value \
                        "$src/tests/data/registry/purchase_evolved.avsc" \
                        "$tmp/in/purchase2.jsonl" "$tmp/in/purchase2.hex" >"$tmp/in/purchase2.id"
                check $? "npm client: framing the evolved purchases"
        fi
        for s in purchase:purchases:purchase login:logins:login \
                ticket:support-tickets:support_ticket survey:surveys:survey; do
                stream=${s%%:*}
                rest=${s#*:}
                sr encode "$reg_url" "${rest%%:*}-value" "$src/schemas/${rest#*:}.avsc" \
                        "$tmp/in/$stream.jsonl" "$tmp/in/$stream.hex" >"$tmp/in/$stream.id"
                check $? "npm client: framing the $stream events"
        done
}

# produce_input STREAM...: the framed events of those streams to their
# topics, as $tmp/in holds them.
produce_input() {
        for stream in "$@"; do
                reglib produce "$bs" "${stream%2}" "$tmp/in/$stream.jsonl" "$tmp/in/$stream.hex"
                check $? "producing the framed $stream events"
        done
}

# expected_shards: the replay of $tmp/in's events shard by shard
# ($tmp/replay.jsonl, $n warnings), what every run must give.
expected_shards() {
        pairs="purchase=$tmp/in/purchase.jsonl login=$tmp/in/login.jsonl"
        pairs="$pairs ticket=$tmp/in/ticket.jsonl survey=$tmp/in/survey.jsonl"
        [ -f "$tmp/in/purchase2.jsonl" ] && pairs="$pairs purchase=$tmp/in/purchase2.jsonl"
        # shellcheck disable=SC2086
        reglib shards "$tmp/shards" 4 $pairs
        check $? "writing the shards' files"
        replay_shards "$bin" "$tmp/cw.cfg" "expected: "
        [ "$n" -gt 0 ]
        check $? "the replays give no warning: the test proves nothing"
}

# topic_warnings OUT.jsonl: the warning topic decoded by the npm client
# (each value framed, its schema fetched by id), keys checked.
topic_warnings() {
        reglib warnings-hex "$bs" "$tmp/w.hex"
        check $? "reading the warning topic"
        sr decode "$reg_url" "$tmp/w.hex" "$1"
        check $? "npm client: decoding the framed warnings"
        /usr/bin/python3 - "$1" "$tmp/w.hex.keys" <<'PY'
import json, sys
ws = [json.loads(l) for l in open(sys.argv[1])]
ks = [json.loads(l) for l in open(sys.argv[2])]
bad = [k for w, k in zip(ws, ks) if k["key"] != w["customer_id"]]
sys.exit(f"{len(bad)} warnings not keyed by their customer_id" if bad or len(ws) != len(ks) else 0)
PY
        check $? "warning keys"
}
