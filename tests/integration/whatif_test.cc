// What If over HTTP against the demo tenant (same engine and shapes as the CLI), and the lockout
// guard that refuses policy writes blocking every Global Administrator or emergency account.
#include <gtest/gtest.h>

#include <map>

#include "integration/admin_client.h"

namespace gatehouse::integration {
namespace {

constexpr const char* kEvaluate = "/v1.0/identity/conditionalAccess/evaluate";
constexpr const char* kAlice = "11111111-0000-4000-8000-000000000001";
constexpr const char* kBob = "11111111-0000-4000-8000-000000000002";
constexpr const char* kSharePoint = "00000003-0000-0ff1-ce00-000000000000";

json ReadJson(const std::string& path) {
  json doc = json::parse(ReadWholeFile(path), nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << path;
  return doc;
}

// id -> {policyApplies, analysisReasons}
std::map<std::string, json> Verdicts(const json& what_if) {
  std::map<std::string, json> verdicts;
  for (const auto& entry : what_if.value("value", json::array())) {
    verdicts[entry["id"]] = {{"policyApplies", entry["policyApplies"]},
                             {"analysisReasons", entry["analysisReasons"]}};
  }
  return verdicts;
}

json BlockPolicy(const std::string& name, const std::string& state, json users) {
  return {{"displayName", name},
          {"state", state},
          {"conditions",
           {{"users", std::move(users)},
            {"applications", {{"includeApplications", {"All"}}}},
            {"clientAppTypes", {"all"}}}},
          {"grantControls", {{"operator", "OR"}, {"builtInControls", {"block"}}}}};
}

using WhatIfOverHttp = ServerTest;

TEST_F(WhatIfOverHttp, AnswersExactlyLikeTheCommandLine) {
  StartDemoServer();
  const std::string request_path = SourcePath("examples/requests/whatif-alice-sharepoint.json");
  CommandResult cli = RunGatehouse(
      {"whatif", "--tenant", SourcePath("examples/tenant"), "--request", request_path});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  json cli_answer = json::parse(cli.out, nullptr, false);
  ASSERT_FALSE(cli_answer.is_discarded()) << cli.out;

  auto http_response = admin.Post(kEvaluate, ReadJson(request_path));
  ASSERT_EQ(http_response.status, 200) << http_response.body;
  json http_answer = BodyOf(http_response);

  auto from_cli = Verdicts(cli_answer);
  auto from_http = Verdicts(http_answer);
  EXPECT_EQ(from_cli.size(), 8u);  // appliedPoliciesOnly is false: every demo policy is listed
  EXPECT_EQ(from_http, from_cli);
  int applying = 0;
  for (const auto& [id, verdict] : from_http) applying += verdict["policyApplies"].get<bool>();
  EXPECT_GT(applying, 0) << http_response.body;
}

TEST_F(WhatIfOverHttp, APolicyCreatedOverTheApiChangesTheNextAnswer) {
  StartDemoServer();
  json request = ReadJson(SourcePath("examples/requests/whatif-alice-sharepoint.json"));
  auto before = admin.Post(kEvaluate, request);
  ASSERT_EQ(before.status, 200) << before.body;

  json policy = BlockPolicy("Block Alice from SharePoint", "enabled", {{"includeUsers", {kAlice}}});
  policy["conditions"]["applications"]["includeApplications"] = {kSharePoint};
  auto created = admin.Post(kPolicies, policy);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = BodyOf(created)["id"];

  auto after = admin.Post(kEvaluate, request);
  ASSERT_EQ(after.status, 200) << after.body;
  auto verdicts = Verdicts(BodyOf(after));
  EXPECT_EQ(verdicts.size(), Verdicts(BodyOf(before)).size() + 1);
  ASSERT_TRUE(verdicts.count(id)) << after.body;
  EXPECT_EQ(verdicts[id]["policyApplies"], true);

  // Bob is not in scope of the new policy.
  request["signInIdentity"]["userId"] = "bob@contoso.example";
  auto bob = Verdicts(BodyOf(admin.Post(kEvaluate, request)));
  EXPECT_EQ(bob[id]["policyApplies"], false);

  // Deleting the policy takes it out of the next answer too.
  ASSERT_EQ(admin.Delete(std::string(kPolicies) + "/" + id).status, 204);
  request["signInIdentity"]["userId"] = "alice@contoso.example";
  EXPECT_EQ(Verdicts(BodyOf(admin.Post(kEvaluate, request))).count(id), 0u);
}

TEST_F(WhatIfOverHttp, AnInvalidRequestIsAProblemWithPointers) {
  StartDemoServer();
  json request = ReadJson(SourcePath("examples/requests/whatif-alice-sharepoint.json"));
  request["signInConditions"]["devicePlatform"] = "amiga";
  auto response = admin.Post(kEvaluate, request);
  ASSERT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(HeaderOf(response, "Content-Type"), "application/problem+json");
  EXPECT_EQ(BodyOf(response)["errors"][0]["pointer"], "/signInConditions/devicePlatform")
      << response.body;
}

// Demo tenant: Bob and breakglass hold Global Administrator; the emergency-access group holds
// breakglass only. The guard refuses a change when *every* GA holder, or *every* emergency
// member, would be blocked on every representative sign-in.
using LockoutGuard = ServerTest;

std::size_t PolicyCount(const AdminClient& admin) {
  return BodyOf(admin.Get(std::string(kPolicies) + "?$top=1000"))["value"].size();
}

TEST_F(LockoutGuard, BlockingAllUsersIsRefusedWithAnExplanation) {
  StartDemoServer();
  const std::size_t before = PolicyCount(admin);
  auto response =
      admin.Post(kPolicies, BlockPolicy("Block everyone", "enabled", {{"includeUsers", {"All"}}}));
  ASSERT_EQ(response.status, 409) << response.body;
  EXPECT_EQ(HeaderOf(response, "Content-Type"), "application/problem+json");
  json body = BodyOf(response);
  EXPECT_NE(body["detail"].get<std::string>().find("Global Administrator"), std::string::npos)
      << response.body;
  EXPECT_EQ(body["acceptRiskHeader"], "X-Gatehouse-Accept-Lockout-Risk: true");
  EXPECT_EQ(PolicyCount(admin), before);
}

TEST_F(LockoutGuard, TheAcceptRiskHeaderLetsTheWriteThrough) {
  StartDemoServer();
  const std::size_t before = PolicyCount(admin);
  auto response =
      admin.Post(kPolicies, BlockPolicy("Block everyone", "enabled", {{"includeUsers", {"All"}}}),
                 {{"X-Gatehouse-Accept-Lockout-Risk", "true"}});
  EXPECT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(PolicyCount(admin), before + 1);
}

TEST_F(LockoutGuard, ReportOnlyAndDisabledPoliciesAreNeverALockout) {
  StartDemoServer();
  for (const char* state : {"enabledForReportingButNotEnforced", "disabled"}) {
    auto response = admin.Post(kPolicies, BlockPolicy(std::string("Block everyone ") + state, state,
                                                      {{"includeUsers", {"All"}}}));
    EXPECT_EQ(response.status, 201) << state << ": " << response.body;
  }
}

TEST_F(LockoutGuard, EnablingABlockAllPolicyByPatchIsRefusedToo) {
  StartDemoServer();
  auto created = admin.Post(
      kPolicies, BlockPolicy("Block everyone later", "disabled", {{"includeUsers", {"All"}}}));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string target =
      std::string(kPolicies) + "/" + BodyOf(created)["id"].get<std::string>();
  auto enabled = admin.Patch(target, {{"state", "enabled"}});
  EXPECT_EQ(enabled.status, 409) << enabled.body;
  EXPECT_EQ(BodyOf(admin.Get(target))["state"], "disabled");
  EXPECT_EQ(
      admin.Patch(target, {{"state", "enabled"}}, {{"X-Gatehouse-Accept-Lockout-Risk", "true"}})
          .status,
      204);
  EXPECT_EQ(BodyOf(admin.Get(target))["state"], "enabled");
}

TEST_F(LockoutGuard, ExcludingTheEmergencyGroupAndTheAdministratorRoleIsAccepted) {
  StartDemoServer();
  auto response = admin.Post(kPolicies, BlockPolicy("Block all but admins", "enabled",
                                                    {{"includeUsers", {"All"}},
                                                     {"excludeGroups", {kEmergencyGroup}},
                                                     {"excludeRoles", {kGlobalAdministrator}}}));
  EXPECT_EQ(response.status, 201) << response.body;
}

TEST_F(LockoutGuard, OneUnblockedAdministratorIsEnough) {
  // Excluding only the emergency group leaves Bob (GA) blocked, but breakglass (also GA) can
  // still sign in: not every GA holder is blocked, so the guard lets it through.
  StartDemoServer();
  auto response = admin.Post(
      kPolicies, BlockPolicy("Block all but emergency", "enabled",
                             {{"includeUsers", {"All"}}, {"excludeGroups", {kEmergencyGroup}}}));
  EXPECT_EQ(response.status, 201) << response.body;
}

TEST_F(LockoutGuard, BlockingEveryEmergencyAccountIsRefusedEvenWhenAnAdministratorRemains) {
  // Excluding Bob keeps one GA holder able to sign in, but the whole emergency-access group
  // (breakglass) is blocked.
  StartDemoServer();
  auto response =
      admin.Post(kPolicies, BlockPolicy("Block all but Bob", "enabled",
                                        {{"includeUsers", {"All"}}, {"excludeUsers", {kBob}}}));
  ASSERT_EQ(response.status, 409) << response.body;
  const std::string detail = BodyOf(response)["detail"];
  EXPECT_NE(detail.find("emergency-access group"), std::string::npos) << detail;
  EXPECT_NE(detail.find(kEmergencyGroup), std::string::npos) << detail;
}

TEST_F(LockoutGuard, RequiringMfaForEveryoneIsNotALockout) {
  StartDemoServer();
  json policy = BlockPolicy("MFA for all", "enabled", {{"includeUsers", {"All"}}});
  policy["grantControls"]["builtInControls"] = {"mfa", "compliantDevice"};
  policy["grantControls"]["operator"] = "AND";
  EXPECT_EQ(admin.Post(kPolicies, policy).status, 201);
}

}  // namespace
}  // namespace gatehouse::integration
