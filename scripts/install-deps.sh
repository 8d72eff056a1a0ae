#!/usr/bin/env bash
# Installs the Debian packages Gatehouse needs to build, test and benchmark.
# Idempotent: asks apt only for packages that are not installed yet.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libabsl-dev libre2-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libmaxminddb-dev libsqlite3-dev libssl-dev libargon2-dev
  libboost1.74-dev libboost-system1.74-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  libmaxmind-db-writer-perl mmdb-bin wrk prometheus
  gnuplot-nox
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
