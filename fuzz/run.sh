#!/bin/sh
# Runs the libFuzzer harnesses of fuzz/ (docs/fuzzing.md), one after
# another: each first replays its seeds (fuzz/corpus/NAME) and regression
# inputs (fuzz/regressions/NAME), then fuzzes for SECONDS. Ends with a
# Markdown table, one row per harness, ready for the README: fuzzing
# time, executions and executions per second, seeds, inputs it added
# (new coverage), and its findings ("none", or the kind of the first one
# and the file holding its input).
#
# Exit 1 when any harness crashed, leaked, hung (10 s on one input) or ran
# out of memory (2 GB): libFuzzer stops that harness at its first finding;
# the input that did it is in BUILD/fuzz-artifacts/ (and, when small,
# printed in base64), the log in BUILD/fuzz-logs/NAME.log. New inputs go
# to BUILD/fuzz-work/NAME, never into fuzz/corpus/.
#
# Usage: fuzz/run.sh NAME[,NAME...]|all SECONDS [BUILD]
#   NAME     decode, framed, fastread, ... (the fuzz/*.c harnesses)
#   SECONDS  fuzzing time per harness (0: replay the inputs only)
#   BUILD    the build folder, configured here when it is not yet with
#            CC=clang (or $CW_FUZZ_CC) -DCW_FUZZ=ON -DCW_TESTS=OFF, and
#            built here (default: build-fuzz in the source tree)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 2 ]; then
        sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
        exit 2
fi
what=$1
seconds=$2
build=${3:-$src/build-fuzz}
case $seconds in '' | *[!0-9]*)
        echo "run.sh: SECONDS must be a whole number, not '$seconds'" >&2
        exit 2 ;;
esac

# Build (incremental: seconds when nothing changed).
if [ ! -f "$build/CMakeCache.txt" ]; then
        mkdir -p "$build"
        CC=${CW_FUZZ_CC:-clang} cmake -S "$src" -B "$build" \
                -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCW_FUZZ=ON -DCW_TESTS=OFF \
                >"$build/configure.log" 2>&1 || {
                cat "$build/configure.log" >&2
                rm -f "$build/CMakeCache.txt"
                exit 1
        }
fi
echo "fuzz: building the harnesses in $build ..."
cmake --build "$build" -j2 --target fuzz_all >"$build/fuzz-build.log" 2>&1 || {
        tail -n 40 "$build/fuzz-build.log" >&2
        exit 1
}

all=$(cd "$src/fuzz" && ls ./*.c | sed 's|^\./||; s|\.c$||' |
        grep -v -x -e util -e seeds | sort)
if [ "$what" = all ]; then
        names=$all
else
        names=$(echo "$what" | tr ',' ' ')
        for n in $names; do
                if [ ! -x "$build/fuzz_$n" ]; then
                        echo "run.sh: no harness '$n'; there are:" $all >&2
                        exit 2
                fi
        done
fi

# avro-c packs the fields of its generic records without alignment, so
# LeakSanitizer, which looks for pointers at aligned addresses only, takes
# the strings a decoder holds between two records for leaks; lsan.supp
# names the leak of libconfig itself.
export LSAN_OPTIONS=use_unaligned=1:suppressions=$src/fuzz/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
unset ASAN_OPTIONS
mkdir -p "$build/fuzz-logs" "$build/fuzz-artifacts"

# The kind of a failed run's first finding, from its log.
finding() {
        sed -n -e 's/^SUMMARY: [A-Za-z]*Sanitizer: \([^ ]*\).*/\1/p' \
                -e 's/.*ERROR: libFuzzer: \(timeout\|out-of-memory\).*/\1/p' \
                -e 's/^fuzz: property broken: .*/property/p' \
                -e 's/.*runtime error: .*/undefined-behaviour/p' "$1" |
                head -n 1
}

# Prints a finding's input in base64 (when small), for CI logs.
show_input() {
        for a in "$build/fuzz-artifacts/$1"-*; do
                [ -f "$a" ] || continue
                echo "fuzz: the input, $(wc -c <"$a") bytes, is $a;" \
                        "save it as fuzz/regressions/$1/<what-it-is>:" >&2
                if [ "$(wc -c <"$a")" -le 8192 ]; then
                        echo "base64 -d >fuzz/regressions/$1/NAME <<'EOF'" >&2
                        base64 "$a" >&2
                        echo "EOF" >&2
                fi
        done
}

rows=""
failed=0
for n in $names; do
        work=$build/fuzz-work/$n
        log=$build/fuzz-logs/$n.log
        rm -rf "$work"
        rm -f "$build/fuzz-artifacts/$n"-*
        mkdir -p "$work"
        set -- "$work"
        seeds=0
        for d in "$src/fuzz/corpus/$n" "$src/fuzz/regressions/$n"; do
                if [ -d "$d" ]; then
                        set -- "$@" "$d"
                        seeds=$((seeds + $(ls "$d" | wc -l)))
                fi
        done
        if [ "$seconds" -eq 0 ]; then
                limit=-runs=0
        else
                limit=-max_total_time=$seconds
        fi
        echo "fuzz: $n for ${seconds}s ..."
        if "$build/fuzz_$n" "$limit" -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$n-" \
                "$@" >"$log" 2>&1; then
                found=none
        else
                failed=1
                kind=$(finding "$log")
                found="${kind:-crash}: $(ls "$build/fuzz-artifacts/$n"-* 2>/dev/null |
                        head -n 1 | sed 's|.*/||')"
                grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: property)|runtime error|ALARM|out-of-memory' \
                        "$log" | head -n 8 >&2
                echo "fuzz: $n failed; its log: $log" >&2
                show_input "$n"
        fi
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
        added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
        [ "$seconds" -eq 0 ] && rate=-
        rows="$rows| $n | $seconds | ${runs:-?} | ${rate:-?} | $seeds | ${added:-?} | $found |
"
done
echo
echo "| harness | seconds | executions | exec/s | seeds | new inputs | findings |"
echo "|---|---:|---:|---:|---:|---:|---|"
printf '%s' "$rows"
exit $failed
