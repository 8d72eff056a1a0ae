#include "ca/compiled_policy_set.h"

#include "ca/decision_json.h"
#include "ca/sign_in_request.h"
#include "ca_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::ca {
namespace {

using testing::Compile;
using testing::MakeDirectory;
using testing::MakePolicy;

constexpr const char* kUsers = R"([
  {"id":"u-alice","userPrincipalName":"alice@contoso.example","userType":"Member"},
  {"id":"u-bob","userPrincipalName":"bob@contoso.example","userType":"Member"},
  {"id":"u-guest","userPrincipalName":"g_fabrikam#EXT#@contoso.example","userType":"Guest"}])";
constexpr const char* kGroups = R"([
  {"id":"g-staff","members":["u-alice","u-bob",{"@odata.type":"#microsoft.graph.group","id":"g-breakglass"}]},
  {"id":"g-breakglass","members":["u-bob"]}])";
constexpr const char* kDevices = R"([
  {"deviceId":"d-compliant","displayName":"Laptop","isCompliant":true,"trustType":"AzureAD","deviceOwnership":"Company"},
  {"deviceId":"d-noncompliant","displayName":"Old laptop","isCompliant":false,"trustType":"Workplace"},
  {"deviceId":"d-hybrid","isCompliant":false,"trustType":"ServerAD"}])";

std::string PolicyJson(const std::string& id, const std::string& state, const std::string& grant,
                       const std::string& extra_conditions = "",
                       const std::string& users = R"({"includeUsers":["All"]})") {
  return R"({"id":")" + id + R"(","displayName":")" + id + R"(","state":")" + state +
         R"(","conditions":{"users":)" + users +
         R"(,"applications":{"includeApplications":["All"]},"clientAppTypes":["all"])" +
         extra_conditions + R"(},"grantControls":)" + grant + "}";
}

class CompiledPolicySetTest : public ::testing::Test {
 protected:
  std::shared_ptr<const directory::DirectorySnapshot> directory_ =
      MakeDirectory(kUsers, kGroups, R"({"62e90394-69f5-4237-9190-012177145e10":["u-alice"]})",
                    kDevices);

  SignInContext SignIn(const std::string& user = "u-alice") const {
    SignInContext s;
    s.user = directory_->FindUser(user);
    s.user_id = user;
    if (s.user) s.external_guest_type = directory_->user(*s.user).guest_type;
    s.applications = {"app-1"};
    s.client_app_type = ClientAppType::kBrowser;
    s.platform = DevicePlatform::kWindows;
    return s;
  }
};

TEST_F(CompiledPolicySetTest, BlockWinsOverEverySatisfiedPolicy) {
  auto set = Compile({MakePolicy(PolicyJson("mfa", "enabled", R"({"builtInControls":["mfa"]})")),
                      MakePolicy(PolicyJson("block", "enabled", R"({"builtInControls":["block"]})"))},
                     directory_);
  SignInContext s = SignIn();
  s.session.authentication_methods = kMethodPassword | kMethodSoftwareOath;
  Decision d = set->Evaluate(s);
  EXPECT_EQ(d.outcome, Outcome::kBlock);
  EXPECT_EQ(d.error_code, "53003");
  EXPECT_EQ(d.trace(0).result, PolicyResult::kSuccess);
  EXPECT_EQ(d.trace(1).result, PolicyResult::kFailure);
  EXPECT_EQ(d.status, AccessStatus::kFailure);
}

TEST_F(CompiledPolicySetTest, AndNeedsEveryControlOrNeedsOne) {
  auto set = Compile(
      {MakePolicy(PolicyJson("and", "enabled",
                             R"({"operator":"AND","builtInControls":["mfa","compliantDevice"]})")),
       MakePolicy(PolicyJson("or", "enabled",
                             R"({"operator":"OR","builtInControls":["mfa","compliantDevice"]})"))},
      directory_);
  SignInContext s = SignIn();
  s.session.authentication_methods = kMethodPassword | kMethodMicrosoftAuthenticatorPush;
  Decision d = set->Evaluate(s);
  EXPECT_EQ(d.trace(0).result, PolicyResult::kFailure);
  EXPECT_EQ(d.trace(0).unmet_controls, Bit(GrantControl::kCompliantDevice));
  EXPECT_EQ(d.trace(1).result, PolicyResult::kSuccess);
  EXPECT_EQ(d.outcome, Outcome::kInterrupt);
  EXPECT_EQ(d.required_controls, Bit(GrantControl::kCompliantDevice));
}

TEST_F(CompiledPolicySetTest, DeviceRequirementWithoutDeviceIdentityIs530003) {
  auto set = Compile({MakePolicy(PolicyJson("c", "enabled", R"({"builtInControls":["compliantDevice"]})"))},
                     directory_);
  SignInContext s = SignIn();
  EXPECT_EQ(set->Evaluate(s).error_code, "530003");
  s.device = directory_->FindDevice("d-noncompliant");
  EXPECT_EQ(set->Evaluate(s).error_code, "53000");
  s.device = directory_->FindDevice("d-compliant");
  Decision d = set->Evaluate(s);
  EXPECT_EQ(d.outcome, Outcome::kAllow);
  EXPECT_EQ(d.error_code, "");
}

TEST_F(CompiledPolicySetTest, HybridJoinRequirementGives53001ForRegisteredDevice) {
  auto set = Compile(
      {MakePolicy(PolicyJson("h", "enabled", R"({"builtInControls":["domainJoinedDevice"]})"))},
      directory_);
  SignInContext s = SignIn();
  s.device = directory_->FindDevice("d-noncompliant");
  EXPECT_EQ(set->Evaluate(s).error_code, "53001");
  s.device = directory_->FindDevice("d-hybrid");
  EXPECT_EQ(set->Evaluate(s).outcome, Outcome::kAllow);
}

TEST_F(CompiledPolicySetTest, FirstUnmetControlInPromptOrderDecidesTheErrorCode) {
  auto set = Compile(
      {MakePolicy(PolicyJson("dev", "enabled", R"({"builtInControls":["compliantDevice"]})")),
       MakePolicy(PolicyJson("mfa", "enabled", R"({"builtInControls":["mfa"]})"))},
      directory_);
  Decision d = set->Evaluate(SignIn());
  EXPECT_EQ(d.error_code, "50076");
  EXPECT_EQ(d.required_controls, Bit(GrantControl::kMfa) | Bit(GrantControl::kCompliantDevice));
  EXPECT_EQ(ControlsToJson(d.required_controls).dump(), R"(["mfa","compliantDevice"])");
}

TEST_F(CompiledPolicySetTest, ReportOnlyIsEvaluatedButNeverEnforced) {
  auto set = Compile(
      {MakePolicy(PolicyJson("ro-block", "enabledForReportingButNotEnforced", R"({"builtInControls":["block"]})")),
       MakePolicy(PolicyJson("ro-mfa", "enabledForReportingButNotEnforced", R"({"builtInControls":["mfa"]})")),
       MakePolicy(PolicyJson("ro-dev", "enabledForReportingButNotEnforced", R"({"builtInControls":["compliantDevice"]})")),
       MakePolicy(PolicyJson("ro-guests", "enabledForReportingButNotEnforced", R"({"builtInControls":["block"]})",
                             "", R"({"includeUsers":["GuestsOrExternalUsers"]})"))},
      directory_);
  Decision d = set->Evaluate(SignIn());
  EXPECT_EQ(d.outcome, Outcome::kAllow);
  EXPECT_EQ(d.status, AccessStatus::kNotApplied);
  EXPECT_EQ(d.trace(0).result, PolicyResult::kReportOnlyFailure);
  EXPECT_EQ(d.trace(1).result, PolicyResult::kReportOnlyInterrupted);
  EXPECT_EQ(d.trace(2).result, PolicyResult::kReportOnlyFailure);
  EXPECT_EQ(d.trace(3).result, PolicyResult::kReportOnlyNotApplied);
}

TEST_F(CompiledPolicySetTest, ReportOnlyResultDoesNotDependOnEnforcedBlock) {
  auto set = Compile(
      {MakePolicy(PolicyJson("block", "enabled", R"({"builtInControls":["block"]})")),
       MakePolicy(PolicyJson("ro", "enabledForReportingButNotEnforced", R"({"builtInControls":["mfa"]})"))},
      directory_);
  SignInContext s = SignIn();
  s.session.authentication_methods = kMethodFido2;
  Decision d = set->Evaluate(s);
  EXPECT_EQ(d.outcome, Outcome::kBlock);
  EXPECT_EQ(d.trace(1).result, PolicyResult::kReportOnlySuccess);
}

TEST_F(CompiledPolicySetTest, DisabledPoliciesAreNotEnabled) {
  auto set = Compile({MakePolicy(PolicyJson("off", "disabled", R"({"builtInControls":["block"]})"))},
                     directory_);
  Decision d = set->Evaluate(SignIn());
  EXPECT_EQ(d.trace(0).result, PolicyResult::kNotEnabled);
  EXPECT_EQ(d.outcome, Outcome::kAllow);
}

TEST_F(CompiledPolicySetTest, ExclusionThroughNestedGroupWins) {
  auto set = Compile({MakePolicy(PolicyJson("p", "enabled", R"({"builtInControls":["block"]})", "",
                                            R"({"includeGroups":["g-staff"],"excludeGroups":["g-breakglass"]})"))},
                     directory_);
  EXPECT_EQ(set->Evaluate(SignIn("u-alice")).outcome, Outcome::kBlock);
  Decision bob = set->Evaluate(SignIn("u-bob"));
  EXPECT_EQ(bob.outcome, Outcome::kAllow);
  EXPECT_EQ(bob.trace(0).failed_conditions, 1u << static_cast<int>(Condition::kUsers));
}

TEST_F(CompiledPolicySetTest, RolesMatchByTemplateId) {
  auto set = Compile({MakePolicy(PolicyJson("admins", "enabled", R"({"builtInControls":["mfa"]})", "",
                                            R"({"includeRoles":["62E90394-69F5-4237-9190-012177145E10"]})"))},
                     directory_);
  EXPECT_TRUE(set->Evaluate(SignIn("u-alice")).trace(0).applies);
  EXPECT_FALSE(set->Evaluate(SignIn("u-bob")).trace(0).applies);
}

TEST_F(CompiledPolicySetTest, UnknownPlatformMatchesOnlyAll) {
  auto set = Compile(
      {MakePolicy(PolicyJson("block-unknown", "enabled", R"({"builtInControls":["block"]})",
                             R"(,"platforms":{"includePlatforms":["all"],"excludePlatforms":["android","iOS","windows","macOS"]})")),
       MakePolicy(PolicyJson("windows-only", "enabled", R"({"builtInControls":["mfa"]})",
                             R"(,"platforms":{"includePlatforms":["windows"]})"))},
      directory_);
  SignInContext s = SignIn();
  s.platform = DevicePlatform::kUnknown;
  Decision d = set->Evaluate(s);
  EXPECT_EQ(d.outcome, Outcome::kBlock);
  EXPECT_FALSE(d.trace(1).applies);
  s.platform = DevicePlatform::kWindows;
  d = set->Evaluate(s);
  EXPECT_FALSE(d.trace(0).applies);
  EXPECT_TRUE(d.trace(1).applies);
}

TEST_F(CompiledPolicySetTest, ExcludeFilterWithPositiveRuleNeverExemptsUnregisteredDevices) {
  auto set = Compile(
      {MakePolicy(PolicyJson("p", "enabled", R"({"builtInControls":["block"]})",
                             R"(,"devices":{"deviceFilter":{"mode":"exclude","rule":"device.isCompliant -eq True -and device.deviceOwnership -eq \"Company\""}})"))},
      directory_);
  SignInContext s = SignIn();
  EXPECT_EQ(set->Evaluate(s).outcome, Outcome::kBlock);  // no device: rule false, policy applies
  s.device = directory_->FindDevice("d-compliant");
  EXPECT_EQ(set->Evaluate(s).outcome, Outcome::kAllow);
}

TEST_F(CompiledPolicySetTest, AuthenticationStrengthNeedsAnAllowedCombination) {
  auto set = Compile({MakePolicy(PolicyJson(
                         "phr", "enabled",
                         R"({"authenticationStrength":{"id":"00000000-0000-0000-0000-000000000004"}})"))},
                     directory_);
  SignInContext s = SignIn();
  s.session.authentication_methods = kMethodPassword | kMethodSoftwareOath;
  Decision d = set->Evaluate(s);
  EXPECT_EQ(d.outcome, Outcome::kInterrupt);
  EXPECT_EQ(d.required_controls, Bit(GrantControl::kAuthenticationStrength));
  s.session.authentication_methods = kMethodFido2;
  EXPECT_EQ(set->Evaluate(s).outcome, Outcome::kAllow);
}

TEST_F(CompiledPolicySetTest, EnforcementTreatsUnknownOriginAsOutsideEveryLocation) {
  core::ProblemList problems;
  auto trusted = location::ParseNamedLocation(
      nlohmann::json::parse(R"({"@odata.type":"#microsoft.graph.ipNamedLocation","id":"loc-hq",
        "isTrusted":true,"ipRanges":[{"cidrAddress":"203.0.113.0/24"}]})"),
      problems);
  ASSERT_TRUE(trusted.ok()) << problems.ToString();
  auto set = Compile({MakePolicy(PolicyJson("p", "enabled", R"({"builtInControls":["block"]})",
                                            R"(,"locations":{"includeLocations":["All"],"excludeLocations":["AllTrusted"]})"))},
                     directory_, {*trusted});
  SignInContext s = SignIn();
  EXPECT_EQ(set->Evaluate(s).outcome, Outcome::kBlock);
  s.origin.ip = location::IpAddress::Parse("203.0.113.9");
  EXPECT_EQ(set->Evaluate(s).outcome, Outcome::kAllow);
  s.origin.ip.reset();
  s.what_if = true;
  Decision d = set->Evaluate(s);
  EXPECT_FALSE(d.trace(0).applies);
  EXPECT_STREQ(AnalysisReason(set->policy(0), d.trace(0)), "notEnoughInformation");
}

TEST_F(CompiledPolicySetTest, SessionControlsMergeToTheStrictest) {
  auto session_policy = [](const std::string& id, const std::string& session) {
    return MakePolicy(R"({"id":")" + id + R"(","state":"enabled","conditions":{"users":{"includeUsers":["All"]},
        "applications":{"includeApplications":["All"]}},"grantControls":null,"sessionControls":)" +
                      session + "}");
  };
  auto set = Compile(
      {session_policy("a", R"({"signInFrequency":{"value":12,"type":"hours","isEnabled":true},
                               "persistentBrowser":{"mode":"always","isEnabled":true}})"),
       session_policy("b", R"({"signInFrequency":{"value":1,"type":"days","isEnabled":true},
                               "persistentBrowser":{"mode":"never","isEnabled":true}})")},
      directory_);
  Decision d = set->Evaluate(SignIn());
  EXPECT_EQ(d.outcome, Outcome::kAllow);
  EXPECT_EQ(d.session.sign_in_frequency_hours, 12);
  EXPECT_EQ(d.session.persistent_browser, PersistentBrowserMode::kNever);
  EXPECT_EQ(d.trace(0).result, PolicyResult::kSuccess);
}

TEST_F(CompiledPolicySetTest, DecisionJsonListsEveryPolicyWithGraphResultValues) {
  auto set = Compile({MakePolicy(PolicyJson("mfa", "enabled", R"({"builtInControls":["mfa"]})")),
                      MakePolicy(PolicyJson("guests", "enabled", R"({"builtInControls":["block"]})",
                                            "", R"({"includeUsers":["GuestsOrExternalUsers"]})"))},
                     directory_);
  nlohmann::json out = DecisionToJson(*set, set->Evaluate(SignIn()), TraceDetail::kFull);
  EXPECT_EQ(out["decision"], "interrupt");
  EXPECT_EQ(out["errorCode"], "50076");
  EXPECT_EQ(out["conditionalAccessStatus"], "failure");
  ASSERT_EQ(out["appliedConditionalAccessPolicies"].size(), 2u);
  EXPECT_EQ(out["appliedConditionalAccessPolicies"][0]["result"], "failure");
  EXPECT_EQ(out["appliedConditionalAccessPolicies"][0]["enforcedGrantControls"][0], "Mfa");
  EXPECT_EQ(out["appliedConditionalAccessPolicies"][1]["result"], "notApplied");
  EXPECT_EQ(out["appliedConditionalAccessPolicies"][1]["conditionsNotSatisfied"], "users");
  nlohmann::json compact = DecisionToJson(*set, set->Evaluate(SignIn()), TraceDetail::kCompact);
  EXPECT_EQ(compact["appliedConditionalAccessPolicies"].size(), 1u);
}

TEST_F(CompiledPolicySetTest, GuestsAreTypedFromTheDirectory) {
  auto set = Compile({MakePolicy(PolicyJson("guests", "enabled", R"({"builtInControls":["block"]})",
                                            "", R"({"includeGuestsOrExternalUsers":{"guestOrExternalUserTypes":"b2bCollaborationGuest"}})"))},
                     directory_);
  EXPECT_EQ(set->Evaluate(SignIn("u-guest")).outcome, Outcome::kBlock);
  EXPECT_EQ(set->Evaluate(SignIn("u-alice")).outcome, Outcome::kAllow);
}


TEST(Decision, ExpandTraceAgreesWithPerPolicyTrace) {
  Decision d;
  d.Reset(4);
  d.Record(0, PolicyState::kEnabled, {0, 0, PolicyResult::kSuccess, true});
  d.Record(1, PolicyState::kDisabled, {0, 0, PolicyResult::kNotEnabled, false});
  d.Record(2, PolicyState::kReportOnly,
           {1u << static_cast<int>(Condition::kUsers), 0, PolicyResult::kReportOnlyNotApplied, false});
  d.Record(3, PolicyState::kEnabled,
           {0, Bit(GrantControl::kMfa), PolicyResult::kFailure, true});
  std::vector<PolicyTrace> all;
  d.ExpandTrace(all);
  ASSERT_EQ(all.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(all[i].result, d.trace(i).result);
    EXPECT_EQ(all[i].failed_conditions, d.trace(i).failed_conditions);
    EXPECT_EQ(all[i].unmet_controls, d.trace(i).unmet_controls);
    EXPECT_EQ(all[i].applies, d.trace(i).applies);
  }
  EXPECT_EQ(all[1].result, PolicyResult::kNotEnabled);
  EXPECT_EQ(all[2].result, PolicyResult::kReportOnlyNotApplied);
  EXPECT_EQ(all[3].unmet_controls, Bit(GrantControl::kMfa));
}

}  // namespace
}  // namespace gatehouse::ca

namespace gatehouse::ca {
namespace {

TEST(SignInFrequency, OldAuthenticationNeedsAFreshSignIn) {
  auto directory = testing::MakeDirectory(R"([{"id":"u1"}])");
  auto set = testing::Compile(
      {testing::MakePolicy(R"({"id":"sif","state":"enabled","conditions":{"users":{"includeUsers":["All"]},
          "applications":{"includeApplications":["All"]}},"grantControls":null,
          "sessionControls":{"signInFrequency":{"value":12,"type":"hours","isEnabled":true,
          "frequencyInterval":"timeBased"}}})"),
       testing::MakePolicy(R"({"id":"every","state":"enabled","conditions":{"users":{"includeUsers":["All"]},
          "applications":{"includeApplications":["intune-enrollment"]}},"grantControls":null,
          "sessionControls":{"signInFrequency":{"value":null,"type":null,"isEnabled":true,
          "authenticationType":"primaryAndSecondaryAuthentication","frequencyInterval":"everyTime"}}})")},
      directory);
  SignInContext s;
  s.user = directory->FindUser("u1");
  s.user_id = "u1";
  s.applications = {"app"};
  s.time = absl::FromUnixSeconds(1'800'000'000);
  Decision d = set->Evaluate(s);
  EXPECT_EQ(d.outcome, Outcome::kAllow);  // no authentication time given: nothing to check
  s.session.last_authentication_time = s.time - absl::Hours(11);
  EXPECT_EQ(set->Evaluate(s).outcome, Outcome::kAllow);
  s.session.last_authentication_time = s.time - absl::Hours(13);
  d = set->Evaluate(s);
  EXPECT_EQ(d.outcome, Outcome::kInterrupt);
  EXPECT_EQ(d.error_code, "70043");
  EXPECT_TRUE(d.reauthentication_required);
  // everyTime: 5 minutes of tolerance.
  s.applications = {"intune-enrollment"};
  s.session.last_authentication_time = s.time - absl::Minutes(4);
  EXPECT_EQ(set->Evaluate(s).outcome, Outcome::kAllow);
  s.session.last_authentication_time = s.time - absl::Minutes(6);
  EXPECT_EQ(set->Evaluate(s).error_code, "70043");
}

TEST(WhatIfDeviceInfo, ExtensionAttributesAndProfileTypeAreRead) {
  auto directory = testing::MakeDirectory(R"([{"id":"u1"}])");
  auto set = testing::Compile(
      {testing::MakePolicy(R"({"id":"saw","state":"enabled","conditions":{"users":{"includeUsers":["All"]},
          "applications":{"includeApplications":["All"]},
          "devices":{"deviceFilter":{"mode":"include","rule":"device.extensionAttribute1 -eq \"SAW\" -and device.profileType -eq \"RegisteredDevice\""}}},
          "grantControls":{"builtInControls":["block"]}})"),
       testing::MakePolicy(R"({"id":"noncompliant","state":"enabled","conditions":{"users":{"includeUsers":["All"]},
          "applications":{"includeApplications":["All"]},
          "devices":{"deviceFilter":{"mode":"include","rule":"device.isCompliant -eq False"}}},
          "grantControls":{"builtInControls":["mfa"]}})")},
      directory);
  core::ProblemList problems;
  auto request = ReadWhatIfRequest(nlohmann::json::parse(R"({
      "signInIdentity":{"userId":"u1"},"signInContext":{"includeApplications":["app"]},
      "signInConditions":{"deviceInfo":{"extensionAttribute1":"SAW","profileType":"Standard"}}})"),
                                   *directory, nullptr, problems);
  ASSERT_TRUE(request.ok()) << problems.ToString();
  Decision d = set->Evaluate(request->context);
  EXPECT_TRUE(d.trace(0).applies);   // attributes a What If gives are visible; Standard = RegisteredDevice
  EXPECT_FALSE(d.trace(1).applies);  // isCompliant not given: null, so -eq False is false
}

TEST(UserActions, DeviceRegistrationIsCarvedOutOfDeviceCompliancePolicies) {
  auto directory = testing::MakeDirectory(R"([{"id":"u1"}])");
  auto set = testing::Compile(
      {testing::MakePolicy(R"({"id":"compliant","state":"enabled","conditions":{"users":{"includeUsers":["All"]},
          "applications":{"includeApplications":["All"]}},
          "grantControls":{"operator":"OR","builtInControls":["compliantDevice","domainJoinedDevice"]}})"),
       testing::MakePolicy(R"({"id":"mfa","state":"enabled","conditions":{"users":{"includeUsers":["All"]},
          "applications":{"includeApplications":["All"]}},
          "grantControls":{"builtInControls":["mfa"]}})")},
      directory);
  SignInContext s;
  s.user = directory->FindUser("u1");
  s.user_id = "u1";
  s.resource = ResourceKind::kUserAction;
  s.user_action = UserAction::kRegisterDevice;
  Decision d = set->Evaluate(s);
  EXPECT_FALSE(d.trace(0).applies);  // a device cannot be compliant before it is registered
  EXPECT_TRUE(d.trace(1).applies);
  EXPECT_EQ(d.error_code, "50076");
  s.user_action = UserAction::kRegisterSecurityInfo;
  EXPECT_TRUE(set->Evaluate(s).trace(0).applies);
}

}  // namespace
}  // namespace gatehouse::ca
