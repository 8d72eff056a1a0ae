#include "compliance/native_policy.h"

#include "compliance/test_util.h"
#include "gtest/gtest.h"

namespace gatehouse::compliance {
namespace {

using testing::Judge;
using testing::PolicyFromJson;

constexpr char kDevice[] = R"({"deviceId":"d","operatingSystem":"Android","osVersion":"14",
  "securityPatchLevel":"2024-06-05","manufacturer":"Google","model":"Pixel 8","ownership":"company",
  "jailBroken":false,"threatLevel":"low","installedApps":[{"id":"com.good"}],
  "userPrincipalName":"ann@example.com","observedDateTime":"2025-03-01T00:00:00Z",
  "assignedPolicyIds":["n"]})";

// State of a one-rule native policy on kDevice.
ComplianceState RuleState(const std::string& rule) {
  CompliancePolicy policy =
      PolicyFromJson(R"({"id":"n","platform":"Android","rules":[)" + rule + "]}");
  return Judge({policy}, kDevice).state;
}

TEST(NativePolicy, EqualsOnEachKeyType) {
  EXPECT_EQ(RuleState(R"({"key":"jailBroken","operator":"equals","value":false})"),
            ComplianceState::kCompliant);
  EXPECT_EQ(RuleState(R"({"key":"jailBroken","operator":"equals","value":true})"),
            ComplianceState::kNonCompliant);
  EXPECT_EQ(RuleState(R"({"key":"ownership","operator":"equals","value":"company"})"),
            ComplianceState::kCompliant);
  EXPECT_EQ(RuleState(R"({"key":"manufacturer","operator":"equals","value":"Google"})"),
            ComplianceState::kCompliant);
  EXPECT_EQ(RuleState(R"({"key":"osVersion","operator":"equals","value":"14.0"})"),
            ComplianceState::kCompliant);
}

TEST(NativePolicy, VersionLessAndGreaterAreStrict) {
  EXPECT_EQ(RuleState(R"({"key":"osVersion","operator":"versionGreaterThan","value":"13.9"})"),
            ComplianceState::kCompliant);
  EXPECT_EQ(RuleState(R"({"key":"osVersion","operator":"versionGreaterThan","value":"14"})"),
            ComplianceState::kNonCompliant);
  EXPECT_EQ(RuleState(R"({"key":"osVersion","operator":"versionLessThan","value":"15"})"),
            ComplianceState::kCompliant);
  EXPECT_EQ(
      RuleState(
          R"({"key":"securityPatchLevel","operator":"versionGreaterThan","value":"2024-06-05"})"),
      ComplianceState::kNonCompliant);
}

TEST(NativePolicy, ContainsOnStringsAndApps) {
  EXPECT_EQ(RuleState(R"({"key":"model","operator":"contains","value":"pixel"})"),
            ComplianceState::kCompliant);
  EXPECT_EQ(RuleState(R"({"key":"installedApps","operator":"contains","value":"com.good"})"),
            ComplianceState::kCompliant);
  EXPECT_EQ(
      RuleState(R"({"key":"installedApps","operator":"contains","value":"com.good","not":true})"),
      ComplianceState::kNonCompliant);
}

TEST(NativePolicy, InOverEnumsAndStrings) {
  EXPECT_EQ(RuleState(R"({"key":"threatLevel","operator":"in","value":["secured","low"]})"),
            ComplianceState::kCompliant);
  EXPECT_EQ(RuleState(R"({"key":"threatLevel","operator":"in","value":["secured"]})"),
            ComplianceState::kNonCompliant);
  EXPECT_EQ(RuleState(R"({"key":"userPrincipalName","operator":"in","value":["bob@example.com"]})"),
            ComplianceState::kNonCompliant);
}

TEST(NativePolicy, PresentChecksOnlyThatTheKeyIsReported) {
  EXPECT_EQ(RuleState(R"({"key":"osVersion","operator":"present"})"), ComplianceState::kCompliant);
  EXPECT_EQ(RuleState(R"({"key":"storageEncrypted","operator":"present"})"),
            ComplianceState::kNonCompliant);
}

TEST(NativePolicy, NotReportedKeyNeverPassesEvenNegated) {
  EXPECT_EQ(RuleState(R"({"key":"firewallEnabled","operator":"equals","value":true})"),
            ComplianceState::kNonCompliant);
  EXPECT_EQ(RuleState(R"({"key":"firewallEnabled","operator":"equals","value":true,"not":true})"),
            ComplianceState::kNonCompliant);
}

TEST(NativePolicy, MatchAnyPassesWhenOneRulePasses) {
  const std::string rules = R"("rules":[
    {"name":"a","key":"osVersion","operator":"versionGreaterThan","value":"20"},
    {"name":"b","key":"ownership","operator":"equals","value":"company"}])";
  EXPECT_EQ(
      Judge({PolicyFromJson(R"({"id":"n","platform":"any","match":"any",)" + rules + "}")}, kDevice)
          .state,
      ComplianceState::kCompliant);
  EXPECT_EQ(
      Judge({PolicyFromJson(R"({"id":"n","platform":"any","match":"all",)" + rules + "}")}, kDevice)
          .state,
      ComplianceState::kNonCompliant);
}

TEST(NativePolicy, EscalationDelaysAddUpAndMarkingChainsForward) {
  CompliancePolicy policy = PolicyFromJson(R"({"id":"n","platform":"iOS",
    "rules":[{"key":"jailBroken","operator":"equals","value":false}],
    "actions":[{"action":"notifyUser","markNonCompliant":false},
               {"action":"notifyAdmin","delayHours":12},
               {"action":"removeManagedApps","delayHours":24},
               {"action":"enterpriseWipe","delayHours":48}]})");
  ASSERT_EQ(policy.actions.size(), 4u);
  EXPECT_FALSE(policy.actions[0].marks_noncompliant);
  EXPECT_TRUE(policy.actions[1].marks_noncompliant);  // defaults to checked
  EXPECT_EQ(policy.actions[3].after, absl::Hours(84));
  EXPECT_EQ(policy.GracePeriod(), absl::Hours(12));
}

TEST(NativePolicy, UncheckingMarkAfterAMarkingStepIsAnError) {
  core::ProblemList warnings;
  auto policy = ParseNativePolicy(nlohmann::json::parse(R"({"id":"n","platform":"iOS",
    "rules":[{"key":"jailBroken","operator":"equals","value":false}],
    "actions":[{"action":"blockAccess"},{"action":"notifyUser","markNonCompliant":false}]})"),
                                  "", &warnings);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().message().substr(0, 35), "/actions/1/markNonCompliant: an ear");
}

TEST(NativePolicy, ChainThatNeverMarksKeepsTheDeviceInGrace) {
  CompliancePolicy policy = PolicyFromJson(R"({"id":"n","platform":"Android",
    "rules":[{"key":"jailBroken","operator":"equals","value":true}],
    "actions":[{"action":"notifyUser","markNonCompliant":false}]})");
  EXPECT_FALSE(policy.GracePeriod().has_value());
  auto verdict = Judge({policy}, kDevice);
  EXPECT_EQ(verdict.state, ComplianceState::kInGracePeriod);
  EXPECT_FALSE(verdict.grace_expires.has_value());
}

TEST(NativePolicy, TypeErrorsNameTheRule) {
  core::ProblemList warnings;
  auto parse = [&](const std::string& rule) {
    return ParseNativePolicy(
        nlohmann::json::parse(R"({"id":"n","platform":"any","rules":[)" + rule + "]}"), "/value/2",
        &warnings);
  };
  EXPECT_EQ(parse(R"({"key":"jailBroken","operator":"equals","value":"yes"})").status().message(),
            "/value/2/rules/0/value: expected true or false");
  EXPECT_EQ(parse(R"({"key":"nope","operator":"present"})").status().message(),
            "/value/2/rules/0/key: unknown posture key \"nope\" (see docs/posture.md)");
  EXPECT_EQ(parse(R"({"key":"manufacturer","operator":"versionLessThan","value":"1"})")
                .status()
                .message(),
            "/value/2/rules/0/value: manufacturer is not ordered; use equals or in");
  EXPECT_EQ(parse(R"({"key":"osVersion","operator":"like","value":"1"})")
                .status()
                .message()
                .substr(0, 46),
            "/value/2/rules/0/operator: unknown operator \"l");
}

TEST(NativePolicy, RemediationMustNameARule) {
  core::ProblemList warnings;
  auto policy = ParseNativePolicy(nlohmann::json::parse(R"({"id":"n","platform":"any",
    "rules":[{"key":"jailBroken","operator":"equals","value":false}],
    "remediation":{"typo":"text"}})"),
                                  "", &warnings);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().message(), "/remediation/typo: no rule is named \"typo\"");
}

TEST(NativePolicy, ValidateReportsTheErrorWithItsPointer) {
  core::ProblemList problems = ValidateCompliancePolicy(
      nlohmann::json::parse(R"({"id":"n","platform":"Symbian","rules":[]})"), "/value/0");
  ASSERT_EQ(problems.problems().size(), 1u);
  EXPECT_EQ(problems.problems()[0].pointer, "/value/0/platform");
  EXPECT_TRUE(problems.has_errors());
}

}  // namespace
}  // namespace gatehouse::compliance
