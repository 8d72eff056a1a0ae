#!/usr/bin/env bash
# HTTP benchmark of `gatehouse serve` (issue 4 item 10): What If decisions per second over HTTP
# against the minimal endpoint (GET /healthz) of the same server, in the same run, with wrk on
# loopback. Goal: the decision endpoint keeps >= 50% of the minimal endpoint's throughput and its
# p99 latency is <= 2 ms at 64 connections.
#
# Environment: BUILD_DIR (default build-bench), SKIP_BUILD=1 to reuse a Release build,
# CONNECTIONS (64), THREADS (2), DURATION (15s), WARMUP (3s), IO_THREADS (server, 0 = per core).
# The server's JSON logs go to a file in the temporary data folder (logging is part of the cost).
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD_DIR=${BUILD_DIR:-build-bench}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
IO_THREADS=${IO_THREADS:-0}
BODY=examples/requests/whatif-alice-sharepoint.json

command -v wrk >/dev/null || { echo "run_wrk.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGATEHOUSE_BENCH=OFF >/dev/null
  cmake --build "$BUILD_DIR" --target gatehouse -j"$(nproc)"
fi
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$BUILD_DIR/CMakeCache.txt" ||
  echo "run_wrk.sh: warning: $BUILD_DIR is not a Release build" >&2

WORK=$(mktemp -d /tmp/gatehouse-wrk.XXXXXX)
SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BUILD_DIR/gatehouse" serve --demo --data-dir "$WORK/data" --listen 127.0.0.1:0 \
  --io-threads "$IO_THREADS" --rate-limit 1000000 --rate-limit-burst 1000000 \
  >"$WORK/stdout" 2>"$WORK/server.log" &
SERVER_PID=$!
URL=
for _ in $(seq 1 100); do
  URL=$(sed -n 's/^Gatehouse is serving on \(http[^ ]*\).*/\1/p' "$WORK/stdout")
  [[ -n "$URL" ]] && grep -q 'health:' "$WORK/stdout" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$URL" ]] || { echo "run_wrk.sh: the server did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }
SECRET=$(sed -n '/its secret, shown once/{n;s/^ *//;p}' "$WORK/stdout")
TOKEN=$(curl -sf "$URL/oauth2/v2.0/token" -d grant_type=client_credentials \
          -d client_id=gatehouse-bootstrap -d "client_secret=$SECRET" |
        sed 's/.*"access_token":"\([^"]*\)".*/\1/')
[[ -n "$TOKEN" ]] || { echo "run_wrk.sh: no token" >&2; exit 1; }
# One request by hand: the endpoint answers 200 with a decision for every policy.
STATUS=$(curl -s -o "$WORK/whatif.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
           -H 'Content-Type: application/json' --data-binary "@$BODY" \
           "$URL/v1.0/identity/conditionalAccess/evaluate")
[[ "$STATUS" == 200 ]] || { echo "run_wrk.sh: What If answered $STATUS" >&2; cat "$WORK/whatif.json" >&2; exit 1; }
POLICIES=$(grep -o '"policyApplies"' "$WORK/whatif.json" | wc -l)

export GATEHOUSE_TOKEN=$TOKEN WHATIF_BODY=$PWD/$BODY
LUA=bench/http/whatif.lua

# Figures from wrk's output, latencies in ms.
to_ms() {  # 812.00us | 1.23ms | 1.01s
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
                         else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
pct() { awk -v p="$2%" '$1 == p { print $2 }' "$1"; }
errors() { awk '/Non-2xx|Socket errors/ { print }' "$1"; }

run() {  # name, output file, wrk arguments...
  local name=$1 out=$2
  shift 2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$@" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$out"
  echo "== $name"
  cat "$out"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: $URL (demo tenant, What If answer lists $POLICIES policies), io threads: $IO_THREADS"
echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION (after a $WARMUP warm-up)"
run "GET /healthz" "$WORK/healthz.txt" "$URL/healthz"
run "POST /v1.0/identity/conditionalAccess/evaluate" "$WORK/whatif.txt" -s "$LUA" "$URL"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

H_RPS=$(rps "$WORK/healthz.txt"); W_RPS=$(rps "$WORK/whatif.txt")
H50=$(to_ms "$(pct "$WORK/healthz.txt" 50)"); H99=$(to_ms "$(pct "$WORK/healthz.txt" 99)")
W50=$(to_ms "$(pct "$WORK/whatif.txt" 50)"); W99=$(to_ms "$(pct "$WORK/whatif.txt" 99)")
RATIO=$(awk -v w="$W_RPS" -v h="$H_RPS" 'BEGIN { printf "%.1f", 100 * w / h }')
echo
echo "| endpoint | requests/s | p50 ms | p99 ms |"
echo "|---|---:|---:|---:|"
echo "| GET /healthz | $H_RPS | $H50 | $H99 |"
echo "| POST .../conditionalAccess/evaluate | $W_RPS | $W50 | $W99 |"
echo
echo "decision / minimal throughput: $RATIO %  (goal >= 50 %)"
echo "decision p99: $W99 ms  (goal <= 2 ms)"
for f in healthz whatif; do
  if [[ -n "$(errors "$WORK/$f.txt")" ]]; then echo "WARNING $f: $(errors "$WORK/$f.txt")"; fi
done
awk -v r="$RATIO" -v p="$W99" 'BEGIN { exit !(r >= 50 && p <= 2) }' &&
  echo "goals: met" || echo "goals: NOT met"
