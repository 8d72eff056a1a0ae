// Scoring cost per sign-in (issue 7 goal: <= 5 us on one core). The state is warmed by
// replaying the synthetic traffic (2000 users, 60 days); the benchmarks then score the last
// 20 000 events of the traffic in a loop:
//   BM_Assess            AssessSignIn only (what the sign-in pipeline waits for)
//   BM_AssessAndRecord   assessment plus learning (Record), on a copy of the warmed state
//   BM_ParseSignInLine   the CLI's line parser (Graph signIn JSON → observation)
// Run: taskset -c 0 build-bench/bench/risk/risk_bench --benchmark_min_time=2
#include <memory>

#include "benchmark/benchmark.h"
#include "bench/risk/traffic_generator.h"
#include "risk/risk_state.h"
#include "risk/sign_in_line.h"

namespace {

using gatehouse::bench::TrafficEvent;

struct Fixture {
  std::vector<TrafficEvent> events;
  std::unique_ptr<gatehouse::risk::RiskState> state;
  std::size_t split = 0;
  std::vector<std::string> lines;
};

const Fixture& Warm() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    f->events = gatehouse::bench::GenerateTraffic({});
    f->split = f->events.size() > 20000 ? f->events.size() - 20000 : 0;
    f->state = std::make_unique<gatehouse::risk::RiskState>(
        std::make_shared<const gatehouse::risk::RiskConfig>(gatehouse::bench::TrafficConfig()));
    for (std::size_t i = 0; i < f->split; ++i) f->state->Record(f->events[i].observation);
    for (std::size_t i = f->split; i < f->events.size(); ++i) {
      f->lines.push_back(gatehouse::bench::ToSignInLine(f->events[i], i));
    }
    return f;
  }();
  return *fixture;
}

void BM_Assess(benchmark::State& bench) {
  const Fixture& f = Warm();
  std::size_t i = f.split;
  for (auto _ : bench) {
    auto a = f.state->Assess(f.events[i].observation);
    benchmark::DoNotOptimize(a);
    if (++i == f.events.size()) i = f.split;
  }
  bench.counters["users"] = static_cast<double>(f.state->user_count());
}
BENCHMARK(BM_Assess);

void BM_AssessAndRecord(benchmark::State& bench) {
  const Fixture& f = Warm();
  gatehouse::risk::RiskState state = *f.state;
  std::size_t i = f.split;
  for (auto _ : bench) {
    auto a = state.Assess(f.events[i].observation);
    state.Record(f.events[i].observation, &a);
    if (++i == f.events.size()) i = f.split;
  }
}
BENCHMARK(BM_AssessAndRecord);

void BM_ParseSignInLine(benchmark::State& bench) {
  const Fixture& f = Warm();
  std::size_t i = 0;
  for (auto _ : bench) {
    auto line = gatehouse::risk::ParseSignInLine(f.lines[i]);
    benchmark::DoNotOptimize(line);
    if (++i == f.lines.size()) i = 0;
  }
}
BENCHMARK(BM_ParseSignInLine);

}  // namespace

BENCHMARK_MAIN();
