#!/usr/bin/env bash
# Risk engine evaluation (docs/risk.md §6): builds the generator, evaluation and benchmark in
# build-bench, prints the ROC table and detection rates, draws docs/images/risk-roc.png with
# gnuplot (Debian gnuplot-nox, in scripts/install-deps.sh), replays the same traffic through
# `gatehouse risk score`, and runs the scoring benchmark on one core.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build-bench}
out=${OUT_DIR:-$build/risk-eval}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGATEHOUSE_BENCH=ON >/dev/null
cmake --build "$build" --target risk_eval risk_bench gatehouse
mkdir -p "$out"
"$build/bench/risk/risk_eval" --out "$out" --jsonl "$out/signins.jsonl" --config-out "$out/config.json"
gnuplot "$out/roc.gp" && cp "$out/risk-roc.png" docs/images/risk-roc.png
/usr/bin/time -f "gatehouse risk score: %e s, %M KiB max RSS" \
  "$build/gatehouse" risk score --signins "$out/signins.jsonl" --config "$out/config.json" \
  > "$out/scores.jsonl"
echo "$(wc -l < "$out/scores.jsonl") lines scored; by level:"
grep -o '"riskLevelDuringSignIn":"[a-z]*"' "$out/scores.jsonl" | sort | uniq -c
taskset -c 0 "$build/bench/risk/risk_bench" --benchmark_min_time=2
