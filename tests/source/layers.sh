#!/bin/sh
# The layer rule (docs/architecture.md): each folder below is one layer and
# may include only headers of its own folder or of folders before it in
# LAYERS; a header named *_int.h is private to its folder; features/ and
# common/ know neither libconfig, Kafka, Avro nor JSON, and config/ no Avro.
# CMakeLists.txt reads LAYERS from this line, so the order is written once:
LAYERS="common features config schemas registry kafka consumers sinks backtest learn pipeline metrics devtools cli"
#
# Usage: layers.sh [CHURNWATCH] SOURCE_DIR      (exit 1 on any violation)
#        layers.sh --self-test SOURCE_DIR       (the check must catch an
#                                                upward include planted in
#                                                a copy of the tree)
set -u

# rank LAYER: its position in LAYERS (1 = lowest), 0 when not a layer.
rank() {
        i=1
        for l in $LAYERS; do
                [ "$l" = "$1" ] && { echo $i; return; }
                i=$((i + 1))
        done
        echo 0
}

# check ROOT: prints every violation as file:line: sentence; returns 1 if any.
check() {
        root=$1
        bad=0
        for layer in $LAYERS; do
                [ -d "$root/$layer" ] || { echo "$layer/: missing layer folder"; bad=1; continue; }
                own=$(rank "$layer")
                for f in "$root/$layer"/*.c "$root/$layer"/*.h; do
                        [ -f "$f" ] || continue
                        rel=${f#"$root"/}
                        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]' "$f" |
                                sed 's/^\([0-9]*\):[[:space:]]*#[[:space:]]*include[[:space:]]*\(["<]\)\([^">]*\)[">].*/\1 \2 \3/' >"$tmp/inc"
                        while read -r line kind inc; do
                                msg=""
                                case "$kind$inc" in
                                '<'libconfig.h | '<'librdkafka/* | '<'avro.h | '<'avro/*)
                                        case "$layer:$inc" in
                                        common:* | features:*) msg="includes <$inc>: $layer/ knows neither libconfig, Kafka nor Avro" ;;
                                        config:avro*) msg="includes <$inc>: config/ knows no Avro" ;;
                                        esac ;;
                                '<'jansson.h)
                                        case "$layer" in
                                        common | features) msg="includes <$inc>: $layer/ knows no JSON (config/ reads the model files)" ;;
                                        esac ;;
                                '"'*/*)
                                        dir=${inc%%/*}
                                        r=$(rank "$dir")
                                        if [ "$r" -eq 0 ]; then
                                                msg="includes \"$inc\": $dir/ is not a layer"
                                        elif [ "$r" -gt "$own" ]; then
                                                msg="includes \"$inc\" of layer $dir/, which is above $layer/"
                                        elif [ "$r" -ne "$own" ] && [ "${inc%_int.h}" != "$inc" ]; then
                                                msg="includes \"$inc\": a private header of $dir/"
                                        elif [ ! -f "$root/$inc" ]; then
                                                msg="includes \"$inc\", which does not exist"
                                        fi ;;
                                '"'*)
                                        [ -f "$root/$layer/$inc" ] ||
                                                msg="includes \"$inc\", not a header of $layer/: name another layer's header as \"folder/$inc\"" ;;
                                esac
                                if [ -n "$msg" ]; then
                                        echo "$rel:$line: $msg"
                                        bad=1
                                fi
                        done <"$tmp/inc"
                done
        done
        return $bad
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = "--self-test" ]; then
        src=$2
        # A copy of the layers' sources with one upward include planted in
        # the engine, one private header borrowed, and Avro and JSON in
        # features/.
        mkdir "$tmp/tree"
        for layer in $LAYERS; do
                mkdir "$tmp/tree/$layer"
                cp "$src/$layer"/*.[ch] "$tmp/tree/$layer/" 2>/dev/null
        done
        check "$tmp/tree" >"$tmp/clean" ||
                { echo "layers self-test: the clean copy fails:"; cat "$tmp/clean"; exit 1; }
        printf '#include "pipeline/pipeline.h"\n' >>"$tmp/tree/features/engine.c"
        printf '#include "features/engine_int.h"\n' >>"$tmp/tree/config/config.c"
        printf '#include <avro.h>\n' >>"$tmp/tree/features/expr.c"
        printf '#include <jansson.h>\n' >>"$tmp/tree/features/trees.c"
        if check "$tmp/tree" >"$tmp/out"; then
                echo "layers self-test: planted violations passed the check"
                exit 1
        fi
        cat "$tmp/out"
        fail=0
        grep -q '^features/engine.c:[0-9]*: includes "pipeline/pipeline.h" of layer pipeline/, which is above features/$' "$tmp/out" || fail=1
        grep -q '^config/config.c:[0-9]*: includes "features/engine_int.h": a private header of features/$' "$tmp/out" || fail=1
        grep -q '^features/expr.c:[0-9]*: includes <avro.h>: features/ knows neither' "$tmp/out" || fail=1
        grep -q '^features/trees.c:[0-9]*: includes <jansson.h>: features/ knows no JSON' "$tmp/out" || fail=1
        [ "$(wc -l <"$tmp/out")" -eq 4 ] || fail=1
        [ $fail -eq 0 ] && echo "layers self-test: the 4 planted violations were reported"
        exit $fail
fi

src=${2:-${1:-.}}
if check "$src"; then
        echo "layers: $(echo $LAYERS | wc -w) layers, every include points down"
else
        exit 1
fi
