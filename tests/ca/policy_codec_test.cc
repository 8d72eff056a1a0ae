#include "ca/policy_codec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::ca {
namespace {

using ::testing::HasSubstr;

std::optional<Policy> Parse(const std::string& text, core::ProblemList& problems) {
  return ParsePolicy(nlohmann::json::parse(text), "fallback", problems);
}

TEST(ParsePolicy, ReadsSpecialValuesCaseInsensitively) {
  core::ProblemList problems;
  auto policy = Parse(R"j({"id":"P1","state":"Enabled","conditions":{
      "users":{"includeUsers":["all"],"excludeUsers":["GUESTSOREXTERNALUSERS"]},
      "applications":{"includeApplications":["ALL"]},"clientAppTypes":["All"],
      "locations":{"includeLocations":["all"],"excludeLocations":["allTrusted"]}},
      "grantControls":{"operator":"and","builtInControls":["MFA","compliantDevice"]}})j",
                      problems);
  ASSERT_TRUE(policy.has_value()) << problems.ToString();
  EXPECT_EQ(policy->id, "P1");  // kept as written
  EXPECT_EQ(policy->state, PolicyState::kEnabled);
  EXPECT_TRUE(policy->users.include_all);
  EXPECT_NE(policy->users.exclude_guest_types, 0u);
  EXPECT_TRUE(policy->applications.include_all);
  EXPECT_EQ(policy->client_app_types, 0u);
  EXPECT_TRUE(policy->locations.exclude_all_trusted);
  EXPECT_TRUE(policy->grant.require_all);
  EXPECT_EQ(policy->grant.built_in, Bit(GrantControl::kMfa) | Bit(GrantControl::kCompliantDevice));
}

TEST(ParsePolicy, SplitsFlagEnumsGivenAsCommaStrings) {
  core::ProblemList problems;
  auto policy = Parse(R"j({"id":"p","state":"enabled","conditions":{
      "users":{"includeGuestsOrExternalUsers":{"guestOrExternalUserTypes":"internalGuest, b2bCollaborationGuest"}},
      "applications":{"includeApplications":["All"]},
      "insiderRiskLevels":"elevated,moderate",
      "authenticationFlows":{"transferMethods":"deviceCodeFlow,authenticationTransfer"}},
      "grantControls":{"operator":"OR","builtInControls":["block"]}})j",
                      problems);
  ASSERT_TRUE(policy.has_value()) << problems.ToString();
  EXPECT_EQ(policy->users.include_guest_types, 3u);
  EXPECT_EQ(policy->insider_risk_levels,
            Bit(InsiderRiskLevel::kElevated) | Bit(InsiderRiskLevel::kModerate));
  EXPECT_EQ(policy->transfer_methods,
            Bit(TransferMethod::kDeviceCodeFlow) | Bit(TransferMethod::kAuthenticationTransfer));
}

TEST(ParsePolicy, IgnoresODataAnnotationsAndUnknownFields) {
  core::ProblemList problems;
  auto policy = Parse(R"j({"@odata.context":"x","id":"p","state":"enabled","futureField":{"a":1},
      "#microsoft.graph.restore":{"title":"r"},
      "conditions":{"@odata.type":"#microsoft.graph.conditionalAccessConditionSet",
        "users":{"includeUsers@odata.type":"#Collection(String)","includeUsers":["All"]},
        "applications":{"includeApplications":["All"]},"agents":null},
      "grantControls":{"builtInControls":["mfa"]}})j",
                      problems);
  ASSERT_TRUE(policy.has_value());
  EXPECT_FALSE(problems.has_errors()) << problems.ToString();
}

TEST(ParsePolicy, ReportsEveryErrorWithItsPointer) {
  core::ProblemList problems;
  auto policy = Parse(R"j({"id":"p","state":"on","conditions":{
      "users":{"includeUsers":["All"]},"applications":{"includeApplications":["All"]},
      "clientAppTypes":["browser","fax"],
      "platforms":{"includePlatforms":["symbian"]}},
      "grantControls":{"operator":"XOR","builtInControls":["mfa","dance"]}})j",
                      problems);
  EXPECT_FALSE(policy.has_value());
  std::string all = problems.ToString();
  EXPECT_THAT(all, HasSubstr("/state: unknown state 'on'"));
  EXPECT_THAT(all, HasSubstr("/conditions/clientAppTypes/1: unknown value 'fax'"));
  EXPECT_THAT(all, HasSubstr("/conditions/platforms/includePlatforms/0: unknown value 'symbian'"));
  EXPECT_THAT(all, HasSubstr("/grantControls/operator: expected AND or OR, found 'XOR'"));
  EXPECT_THAT(all, HasSubstr("/grantControls/builtInControls/1: unknown control 'dance'"));
}

TEST(ParsePolicy, PlaceholdersAreWarningsNotErrors) {
  core::ProblemList problems;
  auto policy = Parse(R"j({"id":"p","state":"enabledForReportingButNotEnforced","conditions":{
      "users":{"includeUsers":["All"],"excludeGroups":["<EmergencyAccessAccountsGroup>"]},
      "applications":{"includeApplications":["All"]}},
      "grantControls":{"builtInControls":["mfa"]}})j",
                      problems);
  ASSERT_TRUE(policy.has_value());
  EXPECT_FALSE(problems.has_errors());
  EXPECT_THAT(problems.ToString(),
              HasSubstr("warning: /conditions/users/excludeGroups/0: '<EmergencyAccessAccountsGroup>' "
                        "is a placeholder"));
}

TEST(ParsePolicy, MissingIdUsesFallbackWithWarning) {
  core::ProblemList problems;
  auto policy = Parse(R"j({"state":"enabled","conditions":{"users":{"includeUsers":["All"]},
      "applications":{"includeApplications":["All"]}},"grantControls":{"builtInControls":["mfa"]}})j",
                      problems);
  ASSERT_TRUE(policy.has_value());
  EXPECT_EQ(policy->id, "fallback");
  EXPECT_THAT(problems.ToString(), HasSubstr("warning: /id: missing; using 'fallback'"));
}

TEST(ParsePolicy, BadDeviceFilterNamesRuleAndPosition) {
  core::ProblemList problems;
  auto policy = Parse(R"j({"id":"p","state":"enabled","conditions":{"users":{"includeUsers":["All"]},
      "applications":{"includeApplications":["All"]},
      "devices":{"deviceFilter":{"mode":"exclude","rule":"device.isCompliant -eq"}}},
      "grantControls":{"builtInControls":["block"]}})j",
                      problems);
  EXPECT_FALSE(policy.has_value());
  EXPECT_THAT(problems.ToString(), HasSubstr("/conditions/devices/deviceFilter/rule: position"));
}

TEST(ParsePolicy, RequiresTargets) {
  core::ProblemList problems;
  auto policy = Parse(R"j({"id":"p","state":"enabled","conditions":{"users":{},
      "applications":{"includeApplications":[]}},"grantControls":{"builtInControls":["mfa"]}})j",
                      problems);
  EXPECT_FALSE(policy.has_value());
  EXPECT_THAT(problems.ToString(), HasSubstr("/conditions/users: required"));
  EXPECT_THAT(problems.ToString(), HasSubstr("/conditions/applications: targets nothing"));
}

TEST(ParsePolicy, ReadsSessionControls) {
  core::ProblemList problems;
  auto policy = Parse(R"j({"id":"p","state":"enabled","conditions":{"users":{"includeUsers":["All"]},
      "applications":{"includeApplications":["All"]}},"grantControls":null,
      "sessionControls":{"signInFrequency":{"value":2,"type":"days","isEnabled":true,
        "frequencyInterval":"timeBased"},"persistentBrowser":{"mode":"never","isEnabled":true},
        "cloudAppSecurity":{"cloudAppSecurityType":"blockDownloads","isEnabled":true}}})j",
                      problems);
  ASSERT_TRUE(policy.has_value()) << problems.ToString();
  EXPECT_EQ(policy->session.sign_in_frequency_hours, 48);
  EXPECT_EQ(policy->session.persistent_browser, PersistentBrowserMode::kNever);
  EXPECT_EQ(policy->session.cloud_app_security, CloudAppSecurityType::kBlockDownloads);
}

TEST(ParsePolicy, RejectsNonObjects) {
  core::ProblemList problems;
  EXPECT_FALSE(ParsePolicy(nlohmann::json::array(), "x", problems).has_value());
  EXPECT_THAT(problems.ToString(), HasSubstr("expected a conditionalAccessPolicy object"));
}

TEST(ParsePolicy, WrongTypesAreErrorsNotCrashes) {
  core::ProblemList problems;
  auto policy = Parse(R"j({"id":5,"state":true,"conditions":{"users":"All",
      "applications":{"includeApplications":[1,2]},"clientAppTypes":7},
      "grantControls":{"builtInControls":{"a":1}}})j",
                      problems);
  EXPECT_FALSE(policy.has_value());
  std::string all = problems.ToString();
  EXPECT_THAT(all, HasSubstr("/id: expected a string"));
  EXPECT_THAT(all, HasSubstr("/conditions/users: expected an object"));
}

}  // namespace
}  // namespace gatehouse::ca
