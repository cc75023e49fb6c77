#!/bin/sh
# ctest `fuzz` (label fuzz, docs/fuzzing.md): builds every libFuzzer
# harness of fuzz/ with clang in BUILD/fuzz-build (its own build folder,
# apart from the sanitizer build of the other tests), then runs each on
# its committed corpus and regression inputs and fuzzes it for SECONDS
# (fuzz/run.sh). Any crash, leak, hang or broken property fails it, with
# the input printed so that it can become a regression input.
#
# Without clang or its libFuzzer (deploy/install-deps.sh installs both)
# the test is skipped (exit 77) and says why.
#
# Usage: tests/fuzz/fuzz.sh SOURCE_DIR BUILD_DIR [SECONDS]   (default 6)
set -eu
src=$1
build=$2/fuzz-build
seconds=${3:-6}
cc=${CW_FUZZ_CC:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
        echo "fuzz: SKIPPED: no $cc on PATH; deploy/install-deps.sh installs" \
                "clang and libclang-rt-dev (libFuzzer)"
        exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return d && n; }\n' \
        >"$probe/probe.c"
if ! "$cc" -fsanitize=fuzzer,address "$probe/probe.c" -o "$probe/probe" \
        >"$probe/log" 2>&1; then
        echo "fuzz: SKIPPED: $cc cannot link libFuzzer" \
                "(Debian: libclang-rt-dev; deploy/install-deps.sh installs it):"
        cat "$probe/log"
        exit 77
fi
exec "$src/fuzz/run.sh" all "$seconds" "$build"
