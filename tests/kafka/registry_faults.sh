#!/bin/sh
# Schema Registry (CONTRACT.md section 8) when it fails, against the
# registry double (tests/lib/registry_double.py) and the npm Confluent
# client as the independent producer:
# - the registry answers 500 at start-up, then goes down for 20 s in the
#   middle of the stream while a writer schema churnwatch has not seen yet
#   arrives, then comes back: run waits and retries, skips nothing, sends
#   nothing to the dead-letter topic, and its output equals a file replay;
# - wrong credentials stop run with exit 1 and the registry's message, and
#   the password is in no log line;
# - auto_register = false against a registry without the subject, and a
#   registration the registry refuses as incompatible (409), stop run with
#   exit 1 and the registry's message.
# Usage: registry_faults.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
start_broker "$bin" "$src" 4
. "$src/tests/lib/registry_test_lib.sh"
node_clients "$bin" "$src"
check $? "installing the npm clients (tests/lib/node)"

start_registry reg
"$bin" gen -c "$tmp/cw.cfg" --customers 300 --days 60 --seed 11 --output-dir "$tmp/ev" 2>"$tmp/gen.err"
check $? "gen: $(cat "$tmp/gen.err")"
framed_input "$tmp/ev" evolve
[ $fail -eq 0 ] || exit 1
cutoff=$(head -n 1 "$tmp/in/purchase2.jsonl" | sed 's/.*"ts": \([0-9]*\).*/\1/')
pairs="purchase=$tmp/in/purchase.jsonl:$tmp/in/purchase.hex"
pairs="$pairs purchase=$tmp/in/purchase2.jsonl:$tmp/in/purchase2.hex"
for s in login ticket survey; do pairs="$pairs $s=$tmp/in/$s.jsonl:$tmp/in/$s.hex"; done

# Phase 1 with the registry answering 500 to churnwatch's first requests.
kill $reg_pid
wait $reg_pid 2>/dev/null
start_registry reg --port "$reg_port" --fail 2
registry_config "$tmp/reg.cfg" "$reg_url" "timeout_ms = 2000;"
# shellcheck disable=SC2086
n1=$(reglib produce-phase "$bs" 1 "$cutoff" $pairs)
check $? "producing phase 1"
"$bin" run -c "$tmp/reg.cfg" --output "$tmp/run.jsonl" 2>"$tmp/run.err" &
run=$!
lib wait-committed "$bs" churnwatch 90 >"$tmp/wait1.out"
check $? "phase 1 ($n1 records) not processed: $(cat "$tmp/wait1.out"; tail -n 3 "$tmp/run.err")"
grep -q "registry: subject churn-warnings-value: .*HTTP 500.*trying again" "$tmp/run.err"
check $? "no retry after the registry's 500 at start-up: $(grep registry "$tmp/run.err" | head -n 3)"

# Phase 2 while the registry is down: the evolved purchases' schema id is
# new to churnwatch.
kill $reg_pid
wait $reg_pid 2>/dev/null
# shellcheck disable=SC2086
n2=$(reglib produce-phase "$bs" 2 "$cutoff" $pairs)
check $? "producing phase 2"
sleep 20
kill -0 $run
check $? "run stopped while the registry was down: $(tail -n 3 "$tmp/run.err")"
start_registry reg --port "$reg_port"
lib wait-committed "$bs" churnwatch 90 >"$tmp/wait2.out"
check $? "phase 2 ($n2 records) not processed after the registry came back: $(cat "$tmp/wait2.out"; tail -n 3 "$tmp/run.err")"
stop_run $run
check $? "run exit status: $(tail -n 3 "$tmp/run.err")"
id2=$(cat "$tmp/in/purchase2.id")
grep -q "stats: Schema Registry: [0-9]* schemas fetched, [1-9][0-9]* failed requests" "$tmp/run.err"
check $? "the stats line does not count the failed requests: $(grep 'stats: Schema' "$tmp/run.err" | tail -n 1)"
tries=$(grep -c "registry: schema id $id2: .*trying again" "$tmp/run.err")
[ "$tries" -ge 3 ]
check $? "$tries logged retries of schema id $id2 while the registry was down"
reglib dead-letters "$bs" "$tmp/dlq.json"
[ "$(cat "$tmp/dlq.json")" = "[]" ]
check $? "dead letters while the registry was down: $(head -c 600 "$tmp/dlq.json")"
expected_shards
lib compare "$tmp/run.jsonl" "$tmp/replay.jsonl" >"$tmp/cmp.out"
check $? "run through the registry's outage vs file replay: $(cat "$tmp/cmp.out")"
kill $reg_pid

# Refusals at start-up: exit 1 with the registry's message.
start_registry auth --auth tester:right-pw
registry_config "$tmp/auth.cfg" "$reg_url" 'basic_auth_user_info = "tester:wrong-pw";'
timeout 30 "$bin" run -c "$tmp/auth.cfg" 2>"$tmp/auth.err"
[ $? -eq 1 ] && grep -q "HTTP 401: Unauthorized" "$tmp/auth.err"
check $? "wrong credentials: $(tail -n 2 "$tmp/auth.err")"
! grep -q "wrong-pw" "$tmp/auth.err"
check $? "the password is in a log line: $(grep wrong-pw "$tmp/auth.err")"
kill $reg_pid

start_registry empty
registry_config "$tmp/lookup.cfg" "$reg_url" "auto_register = false;"
timeout 30 "$bin" run -c "$tmp/lookup.cfg" 2>"$tmp/lookup.err"
[ $? -eq 1 ] && grep -q "Subject 'churn-warnings-value' not found" "$tmp/lookup.err"
check $? "auto_register = false without the subject: $(tail -n 2 "$tmp/lookup.err")"
kill $reg_pid

start_registry incompatible --incompatible churn-warnings-value
registry_config "$tmp/409.cfg" "$reg_url"
timeout 30 "$bin" run -c "$tmp/409.cfg" 2>"$tmp/409.err"
[ $? -eq 1 ] && grep -q "HTTP 409: Schema being registered is incompatible" "$tmp/409.err"
check $? "incompatible: $(tail -n 2 "$tmp/409.err")"
kill $reg_pid

# HTTPS: verified against ssl_ca_location; without it, against the
# system's CAs, which do not know this certificate: run waits, logs why,
# and stops on SIGTERM.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
        -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
check $? "openssl: a self-signed certificate"
start_registry tls --tls "$tmp/cert.pem,$tmp/key.pem"
https=https://127.0.0.1:$reg_port
registry_config "$tmp/tls.cfg" "$https" "ssl_ca_location = \"$tmp/cert.pem\";"
sed -i 's/group_id = "churnwatch"/group_id = "tls"/' "$tmp/tls.cfg"
broker_cmd "create tls-state 4"
"$bin" run -c "$tmp/tls.cfg" 2>"$tmp/tls.err" &
run=$!
for _ in $(seq 100); do
        grep -q "churn-warnings-value: schema id" "$tmp/tls.err" && break
        sleep 0.1
done
grep -q "registry: subject churn-warnings-value: schema id [0-9]* (registered)" "$tmp/tls.err"
check $? "HTTPS with ssl_ca_location: $(grep registry "$tmp/tls.err" | tail -n 2)"
stop_run $run
registry_config "$tmp/notls.cfg" "$https"
"$bin" run -c "$tmp/notls.cfg" 2>"$tmp/notls.err" &
run=$!
sleep 3
stop_run $run
[ $? -eq 1 ] && grep -q "SSL certificate problem.*trying again" "$tmp/notls.err" &&
        grep -q "stopped while waiting for the Schema Registry" "$tmp/notls.err"
check $? "HTTPS with an unknown CA: $(grep registry "$tmp/notls.err" | tail -n 2)"
kill $reg_pid

echo "registry_faults: $pass passed, $fail failed"
[ $fail -eq 0 ]
