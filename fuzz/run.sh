#!/bin/sh
# Runs the libFuzzer harnesses of fuzz/ (docs/fuzzing.md), one after
# another: each first replays its seeds (fuzz/corpus/NAME) and regression
# inputs (fuzz/regressions/NAME), then fuzzes for SECONDS. Ends with one
# line per harness: runs, executions per second, corpus size, result.
# Exit 1 when any harness crashed, leaked, hung or ran out of memory; the
# input that did it is in BUILD/fuzz-artifacts/ and the log in
# BUILD/fuzz-logs/NAME.log.
#
# Usage: fuzz/run.sh NAME|all SECONDS [BUILD]
#   NAME     decode, framed, fastread, ... (the fuzz/*.c harnesses)
#   SECONDS  fuzzing time per harness (0: replay the inputs only)
#   BUILD    the build folder, configured with CC=clang (or $CW_FUZZ_CC)
#            -DCW_FUZZ=ON and
#            built here when needed (default: build-fuzz in the source tree)
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
        CC=${CW_FUZZ_CC:-clang} cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
                -DCW_FUZZ=ON -DCW_TESTS=OFF >"$build.configure.log" 2>&1 || {
                cat "$build.configure.log" >&2
                exit 1
        }
        rm -f "$build.configure.log"
fi
cmake --build "$build" -j2 --target fuzz_all >"$build/fuzz-build.log" 2>&1 || {
        tail -n 40 "$build/fuzz-build.log" >&2
        exit 1
}

if [ "$what" = all ]; then
        names=$(cd "$build" && ls fuzz_* | sed 's/^fuzz_//' | sort)
elif [ -x "$build/fuzz_$what" ]; then
        names=$what
else
        echo "run.sh: no harness '$what'; there are:" \
                "$(cd "$build" && ls fuzz_* | sed 's/^fuzz_//' | tr '\n' ' ')" >&2
        exit 2
fi

# avro-c packs the fields of its generic records without alignment, so
# LeakSanitizer, which looks for pointers at aligned addresses only, takes
# the strings a decoder holds between two records for leaks; lsan.supp
# names the leak of libconfig itself.
export LSAN_OPTIONS=use_unaligned=1:suppressions=$src/fuzz/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$build/fuzz-logs" "$build/fuzz-artifacts"
summary=""
failed=0
for n in $names; do
        work=$build/fuzz-work/$n
        log=$build/fuzz-logs/$n.log
        rm -rf "$work"
        mkdir -p "$work"
        set -- "$work"
        for d in "$src/fuzz/corpus/$n" "$src/fuzz/regressions/$n"; do
                [ -d "$d" ] && set -- "$@" "$d"
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
                result=ok
        else
                result=FAILED
                failed=1
                grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: property)|runtime error|Test unit written|ALARM|out-of-memory' \
                        "$log" | head -n 8 >&2
                echo "fuzz: $n failed; its log: $log" >&2
        fi
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
        corpus=$(ls "$work" | wc -l)
        summary="$summary$(printf '%-10s %8s %10s %9s %8s %s' "$n" "${seconds}s" \
                "${runs:-?}" "${rate:-?}" "+$corpus" "$result")
"
done
echo
printf '%-10s %8s %10s %9s %8s %s\n' harness time runs execs/s "new" result
printf '%s' "$summary"
exit $failed
