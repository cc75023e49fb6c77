# Sourced by the tests that use the npm clients of tests/lib/node/: after
# `node_clients CHURNWATCH SOURCE_DIR`, $CW_NODE_MODULES is their
# node_modules folder, installed once per build tree (next to the binary)
# from the pinned package-lock.json, from the npm registry.
node_clients() {
        dir=$(cd "$(dirname "$1")" && pwd)/node-clients
        export CW_NODE_MODULES="$dir/node_modules"
        mkdir -p "$dir"
        (
                flock 8
                if [ ! -f "$dir/.installed" ] ||
                        ! cmp -s "$2/tests/lib/node/package-lock.json" "$dir/package-lock.json"; then
                        cp "$2/tests/lib/node/package.json" "$2/tests/lib/node/package-lock.json" "$dir/"
                        (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) &&
                                touch "$dir/.installed"
                fi
        ) 8>"$dir/.lock"
        [ -f "$dir/.installed" ]
}
