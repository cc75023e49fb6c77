#!/bin/sh
# Schema Registry (CONTRACT.md section 8), the good path, against the
# registry double (tests/lib/registry_double.py, with Basic auth) and the
# npm Confluent client (@kafkajs/confluent-schema-registry with avsc) as
# the independent producer and consumer: framed input, written with two
# writer schemas in one topic (the contract's and an evolved one: a field
# added with a default, one removed, fields reordered, int promoted), gives
# the warnings of a file replay of the same events, shard by shard; the
# warnings are framed with the id churnwatch registered under
# churn-warnings-value and the npm client decodes them; every kind of bad
# framed value lands in the dead-letter topic with its id named, and
# processing goes on; `replay --source kafka` and `tail` read the framed
# topics too; the password appears in no log line.
# Usage: registry_parity.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
. "$src/tests/lib/broker_lib.sh"
start_broker "$bin" "$src" 4
. "$src/tests/lib/registry_test_lib.sh"
node_clients "$bin" "$src"
check $? "installing the npm clients (tests/lib/node)"
export CW_SR_AUTH=tester:s3cret-pw
start_registry reg --auth tester:s3cret-pw
registry_config "$tmp/reg.cfg" "$reg_url" 'basic_auth_user_info = "tester:s3cret-pw";'

"$bin" gen -c "$tmp/cw.cfg" --customers 400 --days 75 --seed 5 --output-dir "$tmp/ev" 2>"$tmp/gen.err"
check $? "gen: $(cat "$tmp/gen.err")"
framed_input "$tmp/ev" evolve
[ $fail -eq 0 ] || exit 1
produce_input purchase purchase2 login ticket survey
[ "$(cat "$tmp/in/purchase.id")" != "$(cat "$tmp/in/purchase2.id")" ]
check $? "the two purchase writer schemas got one id"

# Bad framed values, one of each kind, to partition 1 of surveys.
sr encode "$reg_url" surveys-value "$src/tests/data/registry/survey_unresolvable.avsc" \
        /dev/null "$tmp/unres.hex" >"$tmp/unres.id"
check $? "npm client: registering a schema that does not resolve"
[ $fail -eq 0 ] || exit 1
sid=$(cat "$tmp/in/survey.id")
unres=$(printf '00%08x' "$(cat "$tmp/unres.id")")
for v in 0001 01000000010a0b 000000270f0a0b "${unres}0a0b" \
        "$(printf '00%08x' "$sid")ff"; do
        reglib produce-one "$bs" surveys 1 bad-key "$v"
        check $? "producing a bad value $v"
done

"$bin" run -c "$tmp/reg.cfg" --exit-at-end --output "$tmp/run.jsonl" 2>"$tmp/run.err"
check $? "run: $(tail -n 3 "$tmp/run.err")"
expected_shards
lib compare "$tmp/run.jsonl" "$tmp/replay.jsonl" >"$tmp/cmp.out"
check $? "run vs file replay: $(cat "$tmp/cmp.out")"
topic_warnings "$tmp/topic.jsonl"
lib compare "$tmp/topic.jsonl" "$tmp/replay.jsonl" >"$tmp/cmp2.out"
check $? "warning topic (npm client) vs file replay: $(cat "$tmp/cmp2.out")"

reglib dead-letters "$bs" "$tmp/dlq.json"
/usr/bin/python3 - "$tmp/dlq.json" "$sid" "$(cat "$tmp/unres.id")" <<'PY'
import json, sys
dl = json.load(open(sys.argv[1]))
sid, unres = sys.argv[2], sys.argv[3]
want = [("0001", "shorter than the 5-byte Confluent header"),
        ("01000000010a0b", "not the Confluent magic byte 0"),
        ("000000270f0a0b", "schema id 9999: GET "),
        ("00%08x0a0b" % int(unres), "schema id %s: the writer schema does not resolve" % unres),
        ("00%08xff" % int(sid), "schema id %s: " % sid)]
errs = []
if len(dl) != len(want):
    errs.append(f"{len(dl)} dead letters, want {len(want)}")
for (value, words), d in zip(want, dl):
    e = d["headers"].get("churnwatch.error", "")
    if d["value"] != value or d["key"] != "bad-key" or words not in e:
        errs.append(f"{d['value']}: {e!r} (want {value}, {words!r})")
    if d["headers"].get("churnwatch.topic") != "surveys":
        errs.append(f"{d['value']}: headers {d['headers']}")
print("\n".join(errs))
sys.exit(1 if errs else 0)
PY
check $? "dead letters"
grep -q "404" "$tmp/dlq.json"
check $? "the unknown id's dead letter does not give the registry's 404"

"$bin" replay -c "$tmp/reg.cfg" --source kafka --output "$tmp/rk.jsonl" 2>"$tmp/rk.err"
check $? "replay --source kafka: $(tail -n 3 "$tmp/rk.err")"
lib compare "$tmp/rk.jsonl" "$tmp/run.jsonl" >"$tmp/cmp3.out"
check $? "replay --source kafka vs run: $(cat "$tmp/cmp3.out")"
"$bin" tail -c "$tmp/reg.cfg" --json >"$tmp/tail.jsonl" 2>"$tmp/tail.err"
check $? "tail: $(tail -n 3 "$tmp/tail.err")"
lib compare "$tmp/tail.jsonl" "$tmp/replay.jsonl" >"$tmp/cmp4.out"
check $? "tail vs file replay: $(cat "$tmp/cmp4.out")"

# What the double saw: the content type, auth on every request.
curl -s -X POST -d '{"log": true}' "$reg_url/_control" >"$tmp/seen.json"
/usr/bin/python3 - "$tmp/seen.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))["log"]
ct = "application/vnd.schemaregistry.v1+json"
bad = [r for r in log if not r["authorized"] or
       (r["method"] == "POST" and not (r["content_type"] or "").startswith(ct))]
subjects = {r["path"] for r in log if r["method"] == "POST"}
if "/subjects/churn-warnings-value/versions" not in subjects:
    bad.append("churnwatch did not register churn-warnings-value")
print(bad[:5])
sys.exit(1 if bad else 0)
PY
check $? "requests the double saw"
! grep -h "s3cret-pw" "$tmp"/*.err
check $? "the password appears in a log line"

kill $reg_pid
echo "registry_parity: $pass passed, $fail failed"
[ $fail -eq 0 ]
