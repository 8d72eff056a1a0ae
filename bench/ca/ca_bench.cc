// Conditional Access engine benchmarks over the generated large tenant (issue 2 item 9):
//   BM_EvaluateSignIn          one full decision (per-policy trace included) over 195 policies,
//                              cycling through a pool of varied sign-ins; one core
//   BM_EvaluateSignInLatency   p50/p90/p99/p99.9 of single decisions timed one by one
//   BM_EvaluateAndRenderJson   decision + compact DecisionToJson + dump (the batch CLI's output)
//   BM_ParseEvaluateRender     one JSONL line in, one line out (the batch CLI's whole per-line work)
//   BM_CompileTenant           CompiledPolicySet::Compile over the 100k-user directory
//   BM_TenantMemory            snapshot and compiled-set memory, RSS delta, generation times
// Run through bench/run_ca_benchmarks.sh; figures go to docs/performance.md.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "bench/ca/tenant_generator.h"
#include "ca/compiled_policy_set.h"
#include "ca/decision_json.h"
#include "ca/sign_in_request.h"
#include "core/json_document.h"
#include "nlohmann/json.hpp"

namespace gatehouse::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kPoolSize = 8192;
constexpr std::size_t kLatencySamples = 200000;

std::size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Fixture {
  std::shared_ptr<const directory::DirectorySnapshot> directory;
  std::vector<ca::Policy> policies;
  std::vector<location::NamedLocation> named_locations;
  std::shared_ptr<const ca::CompiledPolicySet> compiled;
  std::vector<ca::SignInRequest> pool;
  std::vector<std::string> lines;  // the same sign-ins as JSON Lines
  double generate_seconds = 0, build_seconds = 0, compile_seconds = 0;
  std::size_t rss_delta_bytes = 0;
};

const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture();
    malloc_trim(0);
    const std::size_t rss_before = RssBytes();
    auto start = Clock::now();
    std::vector<nlohmann::json> sign_ins;
    {
      TenantDocuments docs = GenerateTenantDocuments(TenantShape{});
      f->generate_seconds = Since(start);
      start = Clock::now();
      auto tenant = BuildTenant(docs);
      if (!tenant.ok()) {
        std::fprintf(stderr, "%s\n", std::string(tenant.status().message()).c_str());
        std::abort();
      }
      f->build_seconds = Since(start);
      f->directory = tenant->directory;
      f->policies = tenant->policies;
      f->named_locations = tenant->named_locations;
      start = Clock::now();
      auto compiled = ca::CompiledPolicySet::Compile(std::move(tenant->policies),
                                                     std::move(tenant->named_locations), {},
                                                     tenant->directory);
      if (!compiled.ok()) {
        std::fprintf(stderr, "%s\n", std::string(compiled.status().message()).c_str());
        std::abort();
      }
      f->compile_seconds = Since(start);
      f->compiled = *compiled;
      sign_ins = GenerateSignIns(docs, kPoolSize, /*seed=*/7);
    }
    for (const auto& s : sign_ins) {
      core::ProblemList problems;
      auto request = ca::ReadSignInRequest(s, *f->directory, nullptr, problems);
      if (!request.ok()) {
        std::fprintf(stderr, "bad generated sign-in: %s\n", s.dump().c_str());
        std::abort();
      }
      f->pool.push_back(std::move(*request));
      f->lines.push_back(s.dump());
    }
    sign_ins.clear();
    malloc_trim(0);
    const std::size_t rss_after = RssBytes();
    f->rss_delta_bytes = rss_after > rss_before ? rss_after - rss_before : 0;
    return f;
  }();
  return *fixture;
}

void BM_EvaluateSignIn(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const ca::CompiledPolicySet& set = *f.compiled;
  ca::Decision decision;
  std::size_t i = 0;
  for (auto _ : state) {
    set.Evaluate(f.pool[i].context, decision);
    benchmark::DoNotOptimize(decision.outcome);
    benchmark::DoNotOptimize(decision.applied.data());
    if (++i == f.pool.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["policies"] = static_cast<double>(set.size());
  // What the pool looks like (one pass, outside the timed loop).
  std::size_t block = 0, interrupt = 0, applied = 0;
  for (const auto& r : f.pool) {
    set.Evaluate(r.context, decision);
    block += decision.outcome == ca::Outcome::kBlock;
    interrupt += decision.outcome == ca::Outcome::kInterrupt;
    applied += decision.applied.size();
  }
  const double n = static_cast<double>(f.pool.size());
  state.counters["block_share"] = static_cast<double>(block) / n;
  state.counters["interrupt_share"] = static_cast<double>(interrupt) / n;
  state.counters["applying_policies_avg"] = static_cast<double>(applied) / n;
}
BENCHMARK(BM_EvaluateSignIn);

// The same decision, then every policy's trace entry expanded (what the sign-in log renders).
void BM_EvaluateAndExpandTrace(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const ca::CompiledPolicySet& set = *f.compiled;
  ca::Decision decision;
  std::vector<ca::PolicyTrace> trace;
  std::size_t i = 0;
  for (auto _ : state) {
    set.Evaluate(f.pool[i].context, decision);
    decision.ExpandTrace(trace);
    std::uint32_t folded = 0;
    for (const ca::PolicyTrace& t : trace) {
      folded ^= t.failed_conditions ^ static_cast<std::uint32_t>(t.result);
    }
    benchmark::DoNotOptimize(folded);
    if (++i == f.pool.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_EvaluateAndExpandTrace);

double Percentile(const std::vector<std::int64_t>& sorted, double q) {
  std::size_t index = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[index]);
}

// Single decisions timed one by one with steady_clock: the clock read (~20 ns through the vDSO)
// is included in every sample; timer_overhead_ns reports it so it can be subtracted by eye.
void BM_EvaluateSignInLatency(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const ca::CompiledPolicySet& set = *f.compiled;
  ca::Decision decision;
  std::vector<std::int64_t> samples(kLatencySamples);
  std::vector<std::int64_t> empty(kLatencySamples);
  for (auto _ : state) {
    for (std::size_t k = 0; k < 20000; ++k) set.Evaluate(f.pool[k % f.pool.size()].context, decision);
    for (std::size_t k = 0; k < kLatencySamples; ++k) {
      const auto& context = f.pool[k % f.pool.size()].context;
      auto t0 = Clock::now();
      set.Evaluate(context, decision);
      benchmark::DoNotOptimize(decision.outcome);
      auto t1 = Clock::now();
      samples[k] = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
    }
    for (std::size_t k = 0; k < kLatencySamples; ++k) {
      auto t0 = Clock::now();
      benchmark::ClobberMemory();
      auto t1 = Clock::now();
      empty[k] = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
    }
  }
  std::sort(samples.begin(), samples.end());
  std::sort(empty.begin(), empty.end());
  double sum = 0;
  for (auto s : samples) sum += static_cast<double>(s);
  state.counters["samples"] = static_cast<double>(kLatencySamples);
  state.counters["p50_ns"] = Percentile(samples, 0.50);
  state.counters["p90_ns"] = Percentile(samples, 0.90);
  state.counters["p99_ns"] = Percentile(samples, 0.99);
  state.counters["p999_ns"] = Percentile(samples, 0.999);
  state.counters["max_ns"] = static_cast<double>(samples.back());
  state.counters["mean_ns"] = sum / static_cast<double>(samples.size());
  state.counters["timer_overhead_ns"] = Percentile(empty, 0.50);
}
BENCHMARK(BM_EvaluateSignInLatency)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_EvaluateAndRenderJson(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const ca::CompiledPolicySet& set = *f.compiled;
  ca::Decision decision;
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    set.Evaluate(f.pool[i].context, decision);
    std::string out = ca::DecisionToJson(set, decision, ca::TraceDetail::kCompact).dump();
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
    if (++i == f.pool.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["json_bytes_avg"] =
      static_cast<double>(bytes) / static_cast<double>(std::max<std::int64_t>(state.iterations(), 1));
}
BENCHMARK(BM_EvaluateAndRenderJson);

void BM_ParseEvaluateRender(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const ca::CompiledPolicySet& set = *f.compiled;
  ca::Decision decision;
  std::size_t i = 0;
  for (auto _ : state) {
    core::ProblemList problems;
    auto body = core::ParseJsonDocument(f.lines[i]);
    auto request = ca::ReadSignInRequest(*body, set.directory(), nullptr, problems);
    set.Evaluate(request->context, decision);
    std::string out = ca::DecisionToJson(set, decision, ca::TraceDetail::kCompact).dump();
    benchmark::DoNotOptimize(out.data());
    if (++i == f.lines.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseEvaluateRender);

void BM_CompileTenant(benchmark::State& state) {
  const Fixture& f = GetFixture();
  std::size_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<ca::Policy> policies = f.policies;
    std::vector<location::NamedLocation> locations = f.named_locations;
    state.ResumeTiming();
    auto compiled = ca::CompiledPolicySet::Compile(std::move(policies), std::move(locations), {},
                                                   f.directory);
    bytes = (*compiled)->ApproximateMemoryBytes();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["users"] = static_cast<double>(f.directory->user_count());
  state.counters["groups"] = static_cast<double>(f.directory->group_count());
}
BENCHMARK(BM_CompileTenant)->Unit(benchmark::kMillisecond);

void BM_TenantMemory(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.compiled.get());
  const double mib = 1024.0 * 1024.0;
  const std::size_t directory_bytes = f.directory->ApproximateMemoryBytes();
  const std::size_t compiled_bytes = f.compiled->ApproximateMemoryBytes();
  state.counters["directory_MiB"] = static_cast<double>(directory_bytes) / mib;
  state.counters["compiled_MiB"] = static_cast<double>(compiled_bytes) / mib;
  state.counters["snapshot_MiB"] = static_cast<double>(directory_bytes + compiled_bytes) / mib;
  state.counters["rss_delta_MiB"] = static_cast<double>(f.rss_delta_bytes) / mib;
  state.counters["generate_s"] = f.generate_seconds;
  state.counters["codec_build_s"] = f.build_seconds;
  state.counters["first_compile_s"] = f.compile_seconds;
  state.counters["users"] = static_cast<double>(f.directory->user_count());
  state.counters["devices"] = static_cast<double>(f.directory->devices().size());
}
BENCHMARK(BM_TenantMemory)->Iterations(1);

}  // namespace
}  // namespace gatehouse::bench

BENCHMARK_MAIN();
