#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, and runs every test.
#   scripts/test.sh [--shared-data DIR]
# --shared-data points at real public policy exports (the team's shared/data); the tests that
# read them are defined only when it is given.
set -euo pipefail
cd "$(dirname "$0")/.."

shared_data=""
while [ $# -gt 0 ]; do
  case "$1" in
    --shared-data) shared_data="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "usage: scripts/test.sh [--shared-data DIR]" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh
bash scripts/build.sh -DGATEHOUSE_WERROR=ON -DGATEHOUSE_SHARED_DATA="$shared_data"
cd build
ctest --output-on-failure -j "$(nproc)"

# Fuzz smoke run: every libFuzzer target for a short while on its checked-in corpus
# (clang build in its own folder; `ctest -L fuzz`).
cd ..
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGATEHOUSE_FUZZ=ON -DGATEHOUSE_BENCH=OFF -DGATEHOUSE_WERROR=ON >/dev/null
fuzz_targets=$(cmake --build build-fuzz --target help | grep -oE '^[a-z_]+_fuzz' | sort -u)
cmake --build build-fuzz -j "$(nproc)" --target $fuzz_targets
ctest --test-dir build-fuzz -L fuzz --output-on-failure -j "$(nproc)"
