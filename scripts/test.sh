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
