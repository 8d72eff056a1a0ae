#!/usr/bin/env bash
# Conditional Access benchmarks (issue 2 item 9), end to end:
#   1. Release build of ca_bench, gatehouse_tenant_gen and gatehouse (in $BUILD_DIR)
#   2. the generated tenant (195 policies, 100k users, 5k groups, 50k devices) as a bundle,
#      plus $SIGNINS sign-ins as JSON Lines
#   3. ca_bench (Google Benchmark), pinned to one core
#   4. `gatehouse evaluate --signins` over the whole file: wall time, throughput, max RSS
#   5. the Cedar peer (bench/peers/cedar) over the same tenant and sign-ins
# and prints one summary. Figures are recorded in docs/performance.md.
#
# usage: bench/run_ca_benchmarks.sh [--quick]
#   env: BUILD_DIR (default build-bench), WORK_DIR (default $BUILD_DIR/ca-bench-data),
#        SIGNINS (default 200000), CEDAR_COUNT (default 5000), REPETITIONS (default 3),
#        CPU (default 0)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build-bench}"
WORK_DIR="${WORK_DIR:-$BUILD_DIR/ca-bench-data}"
SIGNINS="${SIGNINS:-200000}"
CEDAR_COUNT="${CEDAR_COUNT:-5000}"
REPETITIONS="${REPETITIONS:-3}"
CPU="${CPU:-0}"
MIN_TIME=2
if [[ "${1:-}" == "--quick" ]]; then
  SIGNINS=20000 CEDAR_COUNT=1000 REPETITIONS=1 MIN_TIME=0.3
fi

PIN=()
if command -v taskset >/dev/null && taskset -c "$CPU" true 2>/dev/null; then
  PIN=(taskset -c "$CPU")
fi
TIME=()
if [[ -x /usr/bin/time ]]; then TIME=(/usr/bin/time -v); fi

echo "== build (Release) in $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGATEHOUSE_BENCH=ON \
  -DGATEHOUSE_TESTS=OFF -DGATEHOUSE_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" --target ca_bench gatehouse_tenant_gen gatehouse -j"$(nproc)" >/dev/null

mkdir -p "$WORK_DIR"
TENANT="$WORK_DIR/tenant"
SIGNIN_FILE="$WORK_DIR/signins.jsonl"
echo "== generate tenant and $SIGNINS sign-ins in $WORK_DIR"
"$BUILD_DIR/bench/ca/gatehouse_tenant_gen" --out "$TENANT" --signins "$SIGNIN_FILE" \
  --count "$SIGNINS"

echo "== ca_bench (${PIN[*]:-unpinned}, $REPETITIONS repetitions)"
"${PIN[@]}" "$BUILD_DIR/bench/ca/ca_bench" --benchmark_repetitions="$REPETITIONS" \
  --benchmark_min_time="$MIN_TIME" --benchmark_out="$WORK_DIR/ca_bench.json" \
  --benchmark_out_format=json | tee "$WORK_DIR/ca_bench.txt"

echo "== gatehouse evaluate --signins ($SIGNINS sign-ins, ${PIN[*]:-unpinned})"
DECISIONS="$WORK_DIR/decisions.jsonl"
start=$(date +%s.%N)
"${TIME[@]}" "${PIN[@]}" "$BUILD_DIR/gatehouse" evaluate --tenant "$TENANT" \
  --signins "$SIGNIN_FILE" >"$DECISIONS" 2>"$WORK_DIR/cli_time.txt"
end=$(date +%s.%N)
# The same bundle load alone (validate), to separate start-up from per-line work.
load_start=$(date +%s.%N)
"${PIN[@]}" "$BUILD_DIR/gatehouse" validate --tenant "$TENANT" >/dev/null
load_end=$(date +%s.%N)

echo "== Cedar peer (cedar-wasm, $CEDAR_COUNT sign-ins)"
if [[ ! -d bench/peers/cedar/node_modules/@cedar-policy/cedar-wasm ]]; then
  (cd bench/peers/cedar && npm ci --no-audit --no-fund >/dev/null)
fi
CEDAR_JSON="$WORK_DIR/cedar.json"
"${PIN[@]}" node bench/peers/cedar/cedar_bench.mjs --tenant "$TENANT" --signins "$SIGNIN_FILE" \
  --count "$CEDAR_COUNT" --warmup 1000 --stateless-count 100 --gatehouse-decisions "$DECISIONS" \
  --emit-policies "$WORK_DIR/policies.cedar" --json >"$CEDAR_JSON"

echo
echo "== summary"
python3 - "$WORK_DIR/ca_bench.json" "$CEDAR_JSON" "$WORK_DIR/cli_time.txt" "$SIGNINS" \
  "$start" "$end" "$load_start" "$load_end" <<'EOF'
import json, re, sys
bench_file, cedar_file, cli_time, signins, start, end, load_start, load_end = sys.argv[1:]
bench = json.load(open(bench_file))
def agg(name, key, how="median"):
    vals = [b[key] for b in bench["benchmarks"]
            if b["run_name"].split("/")[0] == name and b.get("run_type") == "iteration" and key in b]
    vals.sort()
    return vals[len(vals) // 2] if vals else float("nan")
cedar = json.load(open(cedar_file))
wall = float(end) - float(start)
load = float(load_end) - float(load_start)
n = int(signins)
rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(cli_time).read())
eval_ns = agg("BM_EvaluateSignIn", "real_time")
dps = 1e9 / eval_ns
print(f"cpu: {bench['context'].get('num_cpus')} x {bench['context'].get('mhz_per_cpu')} MHz")
print(f"full decision (195 policies, trace), median of reps: {eval_ns:.0f} ns  -> {dps:,.0f} decisions/s")
print(f"single decisions: p50 {agg('BM_EvaluateSignInLatency', 'p50_ns'):.0f} ns, "
      f"p90 {agg('BM_EvaluateSignInLatency', 'p90_ns'):.0f} ns, "
      f"p99 {agg('BM_EvaluateSignInLatency', 'p99_ns'):.0f} ns, "
      f"p99.9 {agg('BM_EvaluateSignInLatency', 'p999_ns'):.0f} ns "
      f"(timer overhead {agg('BM_EvaluateSignInLatency', 'timer_overhead_ns'):.0f} ns)")
print(f"evaluate + compact JSON: {agg('BM_EvaluateAndRenderJson', 'real_time'):.0f} ns; "
      f"parse + evaluate + render: {agg('BM_ParseEvaluateRender', 'real_time'):.0f} ns")
print(f"compile: {agg('BM_CompileTenant', 'real_time'):.1f} ms")
print(f"snapshot: directory {agg('BM_TenantMemory', 'directory_MiB'):.1f} MiB + compiled "
      f"{agg('BM_TenantMemory', 'compiled_MiB'):.1f} MiB; RSS delta {agg('BM_TenantMemory', 'rss_delta_MiB'):.1f} MiB")
print(f"CLI batch: {n} sign-ins in {wall:.2f} s wall ({n / wall:,.0f}/s incl. {load:.2f} s bundle load; "
      f"{n / max(wall - load, 1e-9):,.0f}/s after load), max RSS {int(rss.group(1)) / 1024 if rss else float('nan'):.0f} MiB")
print(f"Cedar {cedar['cedar_version']} (wasm): {cedar['decisions_per_s']:,.0f} decisions/s, "
      f"p50 {cedar['p50_us']:.0f} us, p99 {cedar['p99_us']:.0f} us "
      f"({cedar['policies_translated']} policies; stateless isAuthorized {cedar['stateless_isAuthorized_us']:.0f} us)")
if cedar.get("agreement"):
    a = cedar["agreement"]
    print(f"Cedar vs gatehouse outcome agreement: {a['same_outcome'] * 100:.2f}% of {a['compared']}")
print(f"ratio gatehouse/Cedar decisions per second: {dps / cedar['decisions_per_s']:,.0f}x")
EOF
