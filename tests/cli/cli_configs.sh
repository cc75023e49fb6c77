#!/bin/sh
# Every broken configuration under configs/bad must make check-config exit 1
# with each message its "// expect: LINE: TEXT" comments name, as
# "FILE:LINE: TEXT"; every good one (and the example) must be accepted.
# Usage: cli_configs.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
fail=0
pass=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

for f in "$src"/tests/data/configs/bad/*.cfg; do
        "$bin" check-config -c "$f" >"$out" 2>"$err"
        rc=$?
        ok=1
        if [ "$rc" -ne 1 ]; then
                echo "FAIL $f: exit $rc, expected 1"
                ok=0
        fi
        grep '^// expect: ' "$f" | sed 's|^// expect: ||' | {
                bad=0
                while IFS= read -r want; do
                        if ! grep -qF -- "$f:$want" "$err"; then
                                echo "FAIL $f: no message '$f:$want'"
                                bad=1
                        fi
                done
                exit $bad
        } || ok=0
        if [ $ok -eq 1 ]; then
                pass=$((pass + 1))
        else
                echo "--- stderr was:"
                cat "$err"
                fail=$((fail + 1))
        fi
done

for f in "$src"/tests/data/configs/good/*.cfg "$src"/examples/churnwatch.cfg; do
        if "$bin" check-config -c "$f" >"$out" 2>"$err" && grep -q ': OK: ' "$out"; then
                pass=$((pass + 1))
        else
                echo "FAIL $f: rejected"
                cat "$err"
                fail=$((fail + 1))
        fi
done

echo "cli_configs: $pass passed, $fail failed"
[ $fail -eq 0 ]
