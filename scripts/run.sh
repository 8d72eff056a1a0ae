#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: the Gatehouse server with the demo
# tenant on an embedded SQLite data folder (./gatehouse-data). Extra arguments go to
# `gatehouse serve` (e.g. --listen 127.0.0.1:9090).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
exec build/gatehouse serve --demo --data-dir ./gatehouse-data "$@"
