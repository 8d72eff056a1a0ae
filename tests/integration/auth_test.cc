// Admin authentication over HTTP: the client-credentials token flow, scopes, and that nothing
// under /v1.0 answers without a token.
#include <gtest/gtest.h>

#include "integration/admin_client.h"

namespace gatehouse::integration {
namespace {

using AdminTokenFlow = ServerTest;

TEST_F(AdminTokenFlow, BootstrapSecretIsPrintedOnceAndBuysATokenWithEveryAdminScope) {
  StartServer();
  EXPECT_NE(server().banner().find("gatehouse-bootstrap"), std::string::npos);
  EXPECT_GE(secret().size(), 32u);

  auto response = admin.RequestToken("gatehouse-bootstrap", secret());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-store");
  json body = BodyOf(response);
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_GT(body["expires_in"].get<int>(), 0);
  const std::string scope = body["scope"];
  for (const char* s : {"Policy.ReadWrite.ConditionalAccess", "Directory.ReadWrite.All",
                        "AuditLog.Read.All", "Metrics.Read.All"}) {
    EXPECT_NE(scope.find(s), std::string::npos) << s << " missing from " << scope;
  }
  // The token works.
  AdminClient client(server().port());
  client.set_token(body["access_token"]);
  EXPECT_EQ(client.Get(kPolicies).status, 200);
}

TEST_F(AdminTokenFlow, WrongSecretAndUnknownClientAreIndistinguishable) {
  StartServer();
  auto wrong_secret = admin.RequestToken("gatehouse-bootstrap", secret() + "x");
  auto unknown_client = admin.RequestToken("no-such-client", secret());
  ASSERT_EQ(wrong_secret.status, 401) << wrong_secret.body;
  ASSERT_EQ(unknown_client.status, 401) << unknown_client.body;
  json a = BodyOf(wrong_secret), b = BodyOf(unknown_client);
  ASSERT_TRUE(a.is_object()) << wrong_secret.body;
  ASSERT_TRUE(b.is_object()) << unknown_client.body;
  EXPECT_EQ(a["error"], "invalid_client");
  EXPECT_NE(a["request_id"], b["request_id"]);
  a.erase("request_id");
  b.erase("request_id");
  EXPECT_EQ(a, b);
  EXPECT_EQ(HeaderOf(wrong_secret, "WWW-Authenticate"),
            HeaderOf(unknown_client, "WWW-Authenticate"));
  EXPECT_EQ(HeaderOf(wrong_secret, "Content-Type"), HeaderOf(unknown_client, "Content-Type"));
}

TEST_F(AdminTokenFlow, MissingCredentialsAndOtherGrantTypesAreRefused) {
  StartServer();
  EXPECT_EQ(admin.RequestToken("gatehouse-bootstrap", "").status, 401);
  auto password_grant =
      admin.Send("POST", "/oauth2/v2.0/token", "grant_type=password&username=a&password=b",
                 {{"Content-Type", "application/x-www-form-urlencoded"}}, false);
  EXPECT_EQ(password_grant.status, 400);
  EXPECT_EQ(BodyOf(password_grant)["error"], "unsupported_grant_type");
}

TEST_F(AdminTokenFlow, RequestingAScopeTheClientLacksIsInvalidScope) {
  StartServer();
  auto response = admin.RequestToken("gatehouse-bootstrap", secret(), "User.ReadWrite.All");
  ASSERT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(BodyOf(response)["error"], "invalid_scope");
  EXPECT_FALSE(BodyOf(response).contains("access_token"));
}

TEST_F(AdminTokenFlow, EveryAdminEndpointRequiresAToken) {
  StartServer();
  const std::string id = "00000000-0000-4000-8000-000000000001";
  std::vector<std::pair<std::string, std::string>> endpoints;
  for (std::string c :
       {std::string(kPolicies), std::string(kNamedLocations), std::string(kStrengths),
        std::string("/v1.0/users"), std::string("/v1.0/groups"), std::string("/v1.0/applications"),
        std::string("/v1.0/devices"),
        std::string("/v1.0/roleManagement/directory/roleAssignments")}) {
    endpoints.push_back({"GET", c});
    endpoints.push_back({"POST", c});
    endpoints.push_back({"GET", c + "/" + id});
    endpoints.push_back({"PATCH", c + "/" + id});
    endpoints.push_back({"DELETE", c + "/" + id});
  }
  endpoints.push_back({"GET", "/v1.0/groups/" + id + "/members"});
  endpoints.push_back({"POST", "/v1.0/groups/" + id + "/members/$ref"});
  endpoints.push_back({"DELETE", "/v1.0/groups/" + id + "/members/" + id + "/$ref"});
  endpoints.push_back({"POST", "/v1.0/identity/conditionalAccess/evaluate"});
  endpoints.push_back({"POST", "/v1.0/gatehouse/signIns/evaluate"});
  endpoints.push_back({"GET", "/v1.0/auditLogs/signIns"});
  endpoints.push_back({"GET", "/v1.0/auditLogs/directoryAudits"});
  endpoints.push_back({"GET", "/metrics"});

  for (const auto& [method, target] : endpoints) {
    for (const std::string& authorization : {std::string(""), std::string("Bearer not.a.jwt"),
                                             std::string("Basic Z2F0ZWhvdXNlOng=")}) {
      std::vector<std::pair<std::string, std::string>> headers;
      if (!authorization.empty()) headers.emplace_back("Authorization", authorization);
      auto response = admin.Send(method, target, method == "GET" || method == "DELETE" ? "" : "{}",
                                 headers, /*with_token=*/false);
      SCOPED_TRACE(method + " " + target + " [" + authorization + "]");
      EXPECT_EQ(response.status, 401) << response.body;
      EXPECT_EQ(HeaderOf(response, "Content-Type"), "application/problem+json");
      EXPECT_EQ(BodyOf(response)["status"], 401);
      EXPECT_NE(HeaderOf(response, "WWW-Authenticate").find("Bearer"), std::string::npos);
    }
  }
}

TEST_F(AdminTokenFlow, ATamperedTokenIsRejected) {
  StartServer();
  std::string token = admin.token();
  // Flip one character of the signature.
  token.back() = token.back() == 'A' ? 'B' : 'A';
  AdminClient tampered(server().port());
  tampered.set_token(token);
  EXPECT_EQ(tampered.Get(kPolicies).status, 401);
}

TEST_F(AdminTokenFlow, ANarrowedTokenCarriesOnlyTheRequestedScope) {
  StartServer();
  auto response =
      admin.RequestToken("gatehouse-bootstrap", secret(), "Policy.Read.ConditionalAccess");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(BodyOf(response)["scope"], "Policy.Read.ConditionalAccess");
  AdminClient reader(server().port());
  reader.set_token(BodyOf(response)["access_token"]);

  EXPECT_EQ(reader.Get(kPolicies).status, 200);
  json policy = {{"displayName", "Reader may not write"},
                 {"state", "disabled"},
                 {"conditions",
                  {{"users", {{"includeUsers", {"All"}}}},
                   {"applications", {{"includeApplications", {"All"}}}}}},
                 {"grantControls", {{"operator", "OR"}, {"builtInControls", {"mfa"}}}}};
  auto write = reader.Post(kPolicies, policy);
  EXPECT_EQ(write.status, 403) << write.body;
  EXPECT_EQ(HeaderOf(write, "Content-Type"), "application/problem+json");
  EXPECT_NE(HeaderOf(write, "WWW-Authenticate").find("insufficient_scope"), std::string::npos);
  EXPECT_EQ(reader.Get("/v1.0/users").status, 403);
  EXPECT_EQ(reader.Get("/v1.0/auditLogs/directoryAudits").status, 403);
  EXPECT_EQ(reader.Get("/metrics").status, 403);
  // Nothing was written.
  EXPECT_EQ(BodyOf(admin.Get(kPolicies))["value"].size(), 0u);
}

TEST_F(AdminTokenFlow, AReadWriteScopeImpliesTheMatchingReadScope) {
  StartServer();
  auto response = admin.RequestToken("gatehouse-bootstrap", secret(), "Directory.ReadWrite.All");
  ASSERT_EQ(response.status, 200) << response.body;
  AdminClient writer(server().port());
  writer.set_token(BodyOf(response)["access_token"]);
  EXPECT_EQ(writer.Get("/v1.0/users").status, 200);
  EXPECT_EQ(writer.Get(kPolicies).status, 403);
}

}  // namespace
}  // namespace gatehouse::integration
