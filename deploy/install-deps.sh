#!/bin/sh
# Installs what churnwatch needs to build, run and test, from Debian 12's
# packages. Idempotent: installs only what is missing. Needs root or sudo.
# chromium (headless) is for the tests only: they load the backtest's
# report.html in it; so is python3-sklearn, which `train` is checked
# against. python3-xgboost (1.7.4 in Debian 12) trains the models that the
# xgboost tests compare churnwatch with, and that tools/train_xgboost.py
# writes. Node.js and npm (the tests' npm clients of the Schema Registry)
# come from Debian when the machine has no node of its own. prometheus (a
# real server scrapes `run`'s /metrics, and promtool checks it),
# docker-compose (`config` checks deploy/compose.yaml offline; no Docker
# engine is needed), yamllint and python3-yaml are for the tests too, and
# so are clang, libclang-rt-dev (its libFuzzer and sanitizer runtimes) and
# llvm (llvm-symbolizer, for the sanitizers' stacks): the `fuzz` test
# builds the harnesses of fuzz/ with them (docs/fuzzing.md).
set -eu

PACKAGES="build-essential cmake pkg-config zlib1g-dev
librdkafka-dev libavro-dev libconfig-dev libmicrohttpd-dev libcriterion-dev
libcurl4-openssl-dev libjansson-dev
kcat curl openssl python3 python3-avro python3-kafka python3-sklearn
python3-xgboost python3-yaml
chromium fonts-dejavu-core prometheus docker-compose yamllint
clang libclang-rt-dev llvm"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
        PACKAGES="$PACKAGES nodejs npm"

missing=""
for p in $PACKAGES; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
                missing="$missing $p"
        fi
done
if [ -z "$missing" ]; then
        echo "install-deps: all dependencies present"
        exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
elif command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
else
        echo "install-deps: missing:$missing; run as root or install sudo" >&2
        exit 1
fi

echo "install-deps: installing$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
