#!/bin/sh
# Golden end-to-end replay: small Avro files made from the JSONL in
# tests/data/golden/ by tools/events2avro.py (python3-avro, an independent writer), run
# through `churnwatch replay` with the contract's example configuration. The
# expected output was checked by hand: see tests/data/golden/README.md.
# Usage: golden.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
here=$src/tests/data/golden
cfg=$src/tests/data/configs/good/contract.cfg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
check() {
        if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else echo "FAIL $2"; fail=$((fail + 1)); fi
}
conv() { /usr/bin/python3 "$src/tools/events2avro.py" "$@"; }

mkdir "$tmp/in"
conv --stream purchase "$here/purchases.jsonl" "$tmp/in/purchases.avro" &&
        conv --stream survey --codec deflate "$here/surveys.jsonl" "$tmp/in/surveys.avro" &&
        conv --stream ticket "$here/tickets.jsonl" "$tmp/in/tickets.avro" &&
        conv --stream login "$here/unordered.jsonl" "$tmp/unordered.avro"
check $? "events2avro"

# 1. The folder replays to exactly the expected warnings.
"$bin" replay -c "$cfg" --input "$tmp/in" --to 2026-05-01 --output "$tmp/out.jsonl" 2>"$tmp/err"
check $? "replay exit status"
cmp -s "$tmp/out.jsonl" "$here/expected.jsonl"
check $? "replay output differs from expected.jsonl: $(diff "$tmp/out.jsonl" "$here/expected.jsonl" | head -5)"
grep -q "3 files, 9 events read, 0 invalid, 9 applied, 0 late" "$tmp/err"
check $? "summary line: $(cat "$tmp/err")"

# 2. Files named one by one, in another order, give the same result.
"$bin" replay -c "$cfg" --input "$tmp/in/tickets.avro" "$tmp/in/surveys.avro" \
        --input "$tmp/in/purchases.avro" --to 1777593600000 --output "$tmp/out2.jsonl" 2>/dev/null
cmp -s "$tmp/out2.jsonl" "$here/expected.jsonl"
check $? "replay of listed files differs"

# 3. --from writes only warnings from then on; state still builds from before.
"$bin" replay -c "$cfg" --input "$tmp/in" --from 2026-03-01 --to 2026-05-01 \
        --output "$tmp/from.jsonl" 2>/dev/null
tail -n 2 "$here/expected.jsonl" | cmp -s - "$tmp/from.jsonl"
check $? "--from output"

# 4. Without --to nothing is flushed after the last event (day 41).
"$bin" replay -c "$cfg" --input "$tmp/in" --output "$tmp/noto.jsonl" 2>/dev/null
head -n 2 "$here/expected.jsonl" | cmp -s - "$tmp/noto.jsonl"
check $? "replay without --to"

# 5. Avro output is byte-identical from run to run and holds the same records.
for i in 1 2; do
        "$bin" replay -c "$cfg" --input "$tmp/in" --to 2026-05-01 --output "$tmp/out$i.avro" 2>/dev/null
done
cmp -s "$tmp/out1.avro" "$tmp/out2.avro"
check $? "avro output not byte-identical"
/usr/bin/python3 - "$tmp/out1.avro" "$here/expected.jsonl" <<'PY'
import json, sys
from avro.datafile import DataFileReader
from avro.io import DatumReader
def millis(v):  # python3-avro turns timestamp-millis into datetimes
    return round(v.timestamp() * 1000) if hasattr(v, "timestamp") else v
got = [{k: millis(v) for k, v in r.items()}
       for r in DataFileReader(open(sys.argv[1], "rb"), DatumReader())]
want = [json.loads(l) for l in open(sys.argv[2])]
sys.exit(0 if got == want else 1)
PY
check $? "avro output records differ from the JSONL ones"

# 6. A file out of ts order is an error naming it and its first bad record,
#    unless --sort.
"$bin" replay -c "$cfg" --input "$tmp/unordered.avro" --output "$tmp/u.jsonl" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "unordered.avro: record 1: ts 1767225600000 is earlier" "$tmp/err"
check $? "unordered file: $(cat "$tmp/err")"
"$bin" replay -c "$cfg" --input "$tmp/unordered.avro" --sort --output "$tmp/u.jsonl" 2>"$tmp/err"
[ $? -eq 0 ] && grep -q "3 events read, 0 invalid, 3 applied" "$tmp/err"
check $? "--sort: $(cat "$tmp/err")"

# 7. Bad command lines and inputs fail cleanly.
"$bin" replay -c "$cfg" --input "$tmp/in" --output "$tmp/x.csv" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q ".jsonl" "$tmp/err"
check $? "unsupported output: $(cat "$tmp/err")"
"$bin" replay -c "$cfg" --input "$here/purchases.jsonl" --output "$tmp/x.jsonl" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "purchases.jsonl" "$tmp/err"
check $? "non-Avro input: $(cat "$tmp/err")"
"$bin" replay -c "$cfg" --input "$tmp/in" --to yesterday --output "$tmp/x.jsonl" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "bad time" "$tmp/err"
check $? "bad --to: $(cat "$tmp/err")"

echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
