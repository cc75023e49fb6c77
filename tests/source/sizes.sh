#!/bin/sh
# Size limits of the production code (every folder of LAYERS in
# layers.sh): no .c or .h file over 800 lines, no function over 100 lines,
# counted as ctags counts them, from the first line of the signature to
# the closing brace (the code is clang-formatted: a signature starts in
# column 0, its last line ends in ") {", the body closes with "}").
# Usage: sizes.sh [CHURNWATCH] SOURCE_DIR      (exit 1 over a limit)
#        sizes.sh --list SOURCE_DIR            (the ten longest functions)
set -u
MAX_FILE=800
MAX_FUNCTION=100
list=0
if [ "${1:-}" = "--list" ]; then
        list=1
        shift
fi
src=${2:-${1:-.}}
layers=$(sed -n 's/^LAYERS="\(.*\)"$/\1/p' "$src/tests/source/layers.sh")

files=""
for layer in $layers; do
        for f in "$src/$layer"/*.c "$src/$layer"/*.h; do
                [ -f "$f" ] && files="$files $f"
        done
done

# Every function: "LINES FILE:LINE NAME".
# shellcheck disable=SC2086 # $files is a list of paths without spaces
functions=$(awk '
        FNR == 1 { depth = 0; start = 0; cand = 0 }
        {
                line = $0
                if (depth == 0 && !start) {
                        if (!cand && line ~ /^[A-Za-z_].*\(/) {
                                cand = FNR
                                name = line
                                sub(/\(.*/, "", name)
                                n = split(name, w, /[ *]+/)
                                name = w[n]
                        }
                        if (cand && line ~ /\) \{$/)
                                start = cand
                        else if (cand && (line ~ /;$/ || line ~ /\{$/))
                                cand = 0
                }
                gsub(/"([^"\\]|\\.)*"/, "", line)
                gsub(/\047([^\047\\]|\\.)*\047/, "", line)
                depth += gsub(/\{/, "{", line) - gsub(/\}/, "}", line)
                if (start && depth == 0) {
                        printf "%d %s:%d %s\n", FNR - start + 1, FILENAME, start, name
                        start = cand = 0
                }
        }' $files | sed "s|$src/||" | sort -rn)

if [ $list -eq 1 ]; then
        echo "$functions" | head -n 10
        exit 0
fi

bad=0
# shellcheck disable=SC2086
for f in $files; do
        n=$(wc -l <"$f")
        if [ "$n" -gt $MAX_FILE ]; then
                echo "${f#"$src"/}: $n lines, more than $MAX_FILE: two concepts?"
                bad=1
        fi
done
echo "$functions" | while read -r n where name; do
        if [ "$n" -gt $MAX_FUNCTION ]; then
                echo "$where: $name is $n lines, more than $MAX_FUNCTION"
        fi
done | grep . && bad=1
count=$(echo "$functions" | grep -c .)
longest=$(echo "$functions" | head -n 1)
if [ $bad -eq 0 ]; then
        echo "sizes: $(echo "$files" | wc -w) files up to $MAX_FILE lines, $count functions up to $MAX_FUNCTION lines (longest: $longest)"
fi
exit $bad
