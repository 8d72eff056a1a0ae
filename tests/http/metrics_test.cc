#include "http/metrics.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/promtool.h"

namespace gatehouse::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using testing::CheckWithPromtool;
using testing::PromtoolResult;

std::string RenderPopulatedRegistry() {
  MetricsRegistry registry;
  registry.DeclareCounter("gatehouse_http_requests_total", "HTTP requests answered.");
  registry.DeclareGauge("gatehouse_snapshot_policies", "Policies in the current snapshot.");
  registry.DeclareHistogram("gatehouse_http_request_duration_seconds", "Request latency.",
                            {0.0005, 0.001, 0.01, 0.1, 1, 10});
  registry.Increment("gatehouse_http_requests_total", {{"method", "GET"}, {"status", "200"}});
  registry.Increment("gatehouse_http_requests_total", {{"method", "GET"}, {"status", "200"}}, 2);
  registry.Increment("gatehouse_http_requests_total", {{"method", "POST"}, {"status", "400"}});
  registry.Set("gatehouse_snapshot_policies", {}, 12);
  registry.Observe("gatehouse_http_request_duration_seconds", {{"method", "GET"}}, 0.000244140625);
  registry.Observe("gatehouse_http_request_duration_seconds", {{"method", "GET"}}, 0.5);
  registry.Observe("gatehouse_http_request_duration_seconds", {{"method", "GET"}}, 30);
  return registry.Render();
}

TEST(MetricsRegistry, RendersCountersWithHelpTypeAndLabels) {
  const std::string text = RenderPopulatedRegistry();
  EXPECT_THAT(text, HasSubstr("# HELP gatehouse_http_requests_total HTTP requests answered.\n"
                              "# TYPE gatehouse_http_requests_total counter\n"
                              "gatehouse_http_requests_total{method=\"GET\",status=\"200\"} 3\n"
                              "gatehouse_http_requests_total{method=\"POST\",status=\"400\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE gatehouse_snapshot_policies gauge\n"
                              "gatehouse_snapshot_policies 12\n"));
}

TEST(MetricsRegistry, RendersHistogramsWithCumulativeBucketsSumAndCount) {
  const std::string text = RenderPopulatedRegistry();
  const std::string name = "gatehouse_http_request_duration_seconds";
  EXPECT_THAT(
      text,
      HasSubstr(
          "# TYPE " + name + " histogram\n" + name + "_bucket{method=\"GET\",le=\"0.0005\"} 1\n" +
          name + "_bucket{method=\"GET\",le=\"0.001\"} 1\n" + name +
          "_bucket{method=\"GET\",le=\"0.01\"} 1\n" + name +
          "_bucket{method=\"GET\",le=\"0.1\"} 1\n" + name + "_bucket{method=\"GET\",le=\"1\"} 2\n" +
          name + "_bucket{method=\"GET\",le=\"10\"} 2\n" + name +
          "_bucket{method=\"GET\",le=\"+Inf\"} 3\n" + name +
          "_sum{method=\"GET\"} 30.500244140625\n" + name + "_count{method=\"GET\"} 3\n"));
}

TEST(MetricsRegistry, CountsAnObservationEqualToABoundInThatBucket) {
  MetricsRegistry registry;
  registry.DeclareHistogram("latency_seconds", "x", {1, 2});
  registry.Observe("latency_seconds", {}, 1);
  EXPECT_THAT(registry.Render(), HasSubstr("latency_seconds_bucket{le=\"1\"} 1\n"));
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelpText) {
  MetricsRegistry registry;
  registry.DeclareCounter("odd_total", "line one\nback\\slash");
  registry.Increment("odd_total", {{"path", "a\"b\\c\nd"}});
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# HELP odd_total line one\\nback\\\\slash\n"));
  EXPECT_THAT(text, HasSubstr("odd_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"));
  EXPECT_EQ(CheckWithPromtool(text).exit_code, 0) << CheckWithPromtool(text).output;
}

TEST(MetricsRegistry, DeclaringTwiceKeepsTheFirstDeclaration) {
  MetricsRegistry registry;
  registry.DeclareCounter("things_total", "first");
  registry.DeclareGauge("things_total", "second");
  registry.Increment("things_total");
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# HELP things_total first\n# TYPE things_total counter\n"));
}

TEST(MetricsRegistry, IgnoresRecordingOfTheWrongTypeAndNegativeIncrements) {
  MetricsRegistry registry;
  registry.DeclareCounter("things_total", "things");
  registry.Observe("things_total", {}, 1);
  registry.Set("things_total", {}, 7);
  registry.Increment("things_total", {}, -1);
  EXPECT_THAT(registry.Render(), Not(HasSubstr("\nthings_total ")));
}

TEST(MetricsRegistry, DeclaresUndeclaredMetricsOnFirstUse) {
  MetricsRegistry registry;
  registry.Increment("jobs_total");
  registry.Observe("job_seconds", {}, 0.2);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE jobs_total counter\njobs_total 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE job_seconds histogram\n"));
  EXPECT_EQ(CheckWithPromtool(text).exit_code, 0) << CheckWithPromtool(text).output;
}

TEST(MetricsRegistry, IgnoresInvalidMetricNames) {
  MetricsRegistry registry;
  registry.DeclareCounter("9bad name", "x");
  registry.Increment("bad-name");
  EXPECT_EQ(registry.Render(), "");
}

TEST(MetricsRegistry, RecordsConcurrentIncrementsExactly) {
  MetricsRegistry registry;
  registry.DeclareCounter("hits_total", "hits");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry] {
      for (int i = 0; i < 1000; ++i) registry.Increment("hits_total", {{"shard", "a"}});
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(registry.Render(), HasSubstr("hits_total{shard=\"a\"} 4000\n"));
}

TEST(MetricsRegistry, OutputPassesPromtoolCheckMetrics) {
  const PromtoolResult result = CheckWithPromtool(RenderPopulatedRegistry());
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(MetricsRegistry, PromtoolRejectsBrokenExpositionSoTheCheckIsMeaningful) {
  const PromtoolResult result = CheckWithPromtool("# TYPE x_total counter\nx_total{a=\"1\" 1\n");
  EXPECT_NE(result.exit_code, 0);
}

}  // namespace
}  // namespace gatehouse::http
