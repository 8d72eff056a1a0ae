#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: What If on the bundled example tenant.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
echo "== gatehouse whatif --tenant examples/tenant --request examples/requests/whatif-alice-sharepoint.json"
build/gatehouse whatif --tenant examples/tenant --request examples/requests/whatif-alice-sharepoint.json
