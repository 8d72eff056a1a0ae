// Operations surface: health and readiness, Prometheus metrics checked by promtool, and the
// request limits (body size, JSON depth).
#include <gtest/gtest.h>

#include "http/promtool.h"
#include "integration/admin_client.h"

namespace gatehouse::integration {
namespace {

using Operations = ServerTest;

TEST_F(Operations, HealthAndReadinessAnswerWithoutAToken) {
  StartDemoServer();
  AdminClient anonymous(server().port());
  auto health = anonymous.Get("/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(BodyOf(health)["status"], "ok");
  auto ready = anonymous.Get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(BodyOf(ready)["status"], "ready");
  EXPECT_EQ(BodyOf(ready)["policies"], 8);
  EXPECT_FALSE(HeaderOf(health, "X-Request-Id").empty());
  auto keys = anonymous.Get("/discovery/v2.0/keys");
  EXPECT_EQ(keys.status, 200);
  EXPECT_FALSE(BodyOf(keys)["keys"].empty());
}

TEST_F(Operations, MetricsPassPromtoolAndCountRequestsAndDecisions) {
  StartDemoServer();
  json request =
      json::parse(ReadWholeFile(SourcePath("examples/requests/whatif-alice-sharepoint.json")));
  ASSERT_EQ(admin.Post("/v1.0/identity/conditionalAccess/evaluate", request).status, 200);

  AdminClient anonymous(server().port());
  EXPECT_EQ(anonymous.Get("/metrics").status, 401);
  auto metrics = admin.Get("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_EQ(HeaderOf(metrics, "Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  auto checked = http::testing::CheckWithPromtool(metrics.body);
  EXPECT_EQ(checked.exit_code, 0) << checked.output << "\n" << metrics.body;
  EXPECT_NE(metrics.body.find("gatehouse_http_requests_total"), std::string::npos);
  EXPECT_NE(metrics.body.find("gatehouse_ca_decisions_total{"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("mode=\"whatIf\""), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("gatehouse_tenant_policies 8"), std::string::npos) << metrics.body;
}

TEST_F(Operations, MetricsCanBeServedAnonymouslyWhenConfigured) {
  StartServer({"--metrics-anonymous"});
  AdminClient anonymous(server().port());
  auto metrics = anonymous.Get("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_EQ(http::testing::CheckWithPromtool(metrics.body).exit_code, 0);
  // The rest of the API still needs a token.
  EXPECT_EQ(anonymous.Get(kPolicies).status, 401);
}

TEST_F(Operations, ABodyOverTheLimitIsTooLarge) {
  StartServer();
  const std::string body = "{\"displayName\": \"" + std::string(2 * 1024 * 1024, 'x') + "\"}";
  auto response = admin.Send("POST", kPolicies, body);
  EXPECT_EQ(response.status, 413) << response.body.substr(0, 200);
  EXPECT_EQ(BodyOf(admin.Get(kPolicies))["value"].size(), 0u);
  // The server is still fine afterwards.
  EXPECT_EQ(admin.Get("/healthz").status, 200);
}

TEST_F(Operations, DeeplyNestedJsonIsRefused) {
  StartServer();
  const std::string nested = std::string(100, '[') + std::string(100, ']');
  auto response = admin.Send("POST", kPolicies, "{\"conditions\": " + nested + "}");
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(HeaderOf(response, "Content-Type"), "application/problem+json");
  auto what_if = admin.Send("POST", "/v1.0/identity/conditionalAccess/evaluate",
                            "{\"signInIdentity\": " + nested + "}");
  EXPECT_EQ(what_if.status, 400) << what_if.body;
  EXPECT_EQ(admin.Get("/healthz").status, 200);
}

TEST_F(Operations, UnknownPathsAndMethodsAreProblems) {
  StartServer();
  auto unknown = admin.Get("/v1.0/nothing-here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(HeaderOf(unknown, "Content-Type"), "application/problem+json");
  auto wrong_method = admin.Send("PUT", kPolicies, "{}");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_NE(HeaderOf(wrong_method, "Allow").find("GET"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::integration
