#!/bin/sh
# The reference of the root settings in docs/configuration.md is the table
# config/settings.c holds, as build/cw_settings_doc prints it, between the
# "settings:begin" and "settings:end" markers.
# Usage: settings_doc.sh CHURNWATCH SOURCE_DIR       (the check)
#        settings_doc.sh --write BUILD_DIR SOURCE_DIR (rewrites the block)
set -u
write=0
if [ "$1" = "--write" ]; then
        write=1
        shift
        tool=$1/cw_settings_doc
else
        tool=$(dirname "$1")/cw_settings_doc
fi
doc=$2/docs/configuration.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$tool" >"$tmp/table" || { echo "settings_doc: $tool failed"; exit 1; }
grep -q '^<!-- settings:begin' "$doc" && grep -q '^<!-- settings:end' "$doc" ||
        { echo "settings_doc: $doc has no settings:begin/end markers"; exit 1; }
# The file with the block replaced by the generated table.
awk -v table="$tmp/table" '
        /^<!-- settings:begin/ { print; while ((getline l < table) > 0) print l; skip = 1; next }
        /^<!-- settings:end/ { skip = 0 }
        !skip' "$doc" >"$tmp/doc"
if [ $write -eq 1 ]; then
        cp "$tmp/doc" "$doc"
        echo "settings_doc: $doc rewritten"
elif cmp -s "$tmp/doc" "$doc"; then
        echo "settings_doc: docs/configuration.md lists the $(($(wc -l <"$tmp/table") - 2)) root settings of config/settings.c"
else
        echo "settings_doc: docs/configuration.md differs from config/settings.c; run"
        echo "  tests/source/settings_doc.sh --write build $2"
        diff "$doc" "$tmp/doc"
        exit 1
fi
