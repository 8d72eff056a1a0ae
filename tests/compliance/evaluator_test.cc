#include "compliance/evaluator.h"

#include "compliance/test_util.h"
#include "gtest/gtest.h"

namespace gatehouse::compliance {
namespace {

using testing::At;
using testing::FindSetting;
using testing::Judge;
using testing::PolicyFromJson;

CompliancePolicy IosPolicy(int grace_hours = 0) {
  return PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy","id":"ios",
    "osMinimumVersion":"17.4","securityBlockJailbrokenDevices":true,"passcodeRequired":true,
    "scheduledActionsForRule":[{"scheduledActionConfigurations":[
      {"actionType":"block","gracePeriodHours":)" +
                        std::to_string(grace_hours) + "}]}]}");
}

std::string Iphone(const std::string& extra) {
  return R"({"deviceId":"d","operatingSystem":"iOS","osVersion":"17.10","jailBroken":false,
    "passcodeSet":true,"observedDateTime":"2025-03-01T10:00:00Z","assignedPolicyIds":["ios"])" +
         extra + "}";
}

TEST(Evaluator, SeverityOrderIsIntunes) {
  EXPECT_LT(ComplianceState::kUnknown, ComplianceState::kNotApplicable);
  EXPECT_LT(ComplianceState::kNotApplicable, ComplianceState::kCompliant);
  EXPECT_LT(ComplianceState::kCompliant, ComplianceState::kInGracePeriod);
  EXPECT_LT(ComplianceState::kInGracePeriod, ComplianceState::kNonCompliant);
  EXPECT_LT(ComplianceState::kNonCompliant, ComplianceState::kError);
}

TEST(Evaluator, DeviceMeetingEverySettingIsCompliant) {
  DeviceVerdict verdict = Judge({IosPolicy()}, Iphone(""));
  EXPECT_EQ(verdict.state, ComplianceState::kCompliant);
  ASSERT_EQ(verdict.policies.size(), 1u);
  EXPECT_EQ(verdict.policies[0].settings.size(), 3u);
  for (const SettingResult& setting : verdict.policies[0].settings) {
    EXPECT_EQ(setting.state, ComplianceState::kCompliant) << setting.setting;
    EXPECT_TRUE(setting.reason.empty());
  }
}

TEST(Evaluator, FailingSettingIsNamedByItsGraphPropertyWithARemedy) {
  DeviceVerdict verdict = Judge({IosPolicy()}, Iphone(R"(,"osVersion":"17.3.1")"));
  EXPECT_EQ(verdict.state, ComplianceState::kNonCompliant);
  const SettingResult* setting = FindSetting(verdict, "ios", "osMinimumVersion");
  ASSERT_NE(setting, nullptr);
  EXPECT_EQ(setting->state, ComplianceState::kNonCompliant);
  EXPECT_EQ(setting->reason,
            "The OS version 17.3.1 does not meet the requirement (at least 17.4). Install the "
            "latest operating system update.");
}

TEST(Evaluator, NotReportedKeyFailsTheSetting) {
  DeviceVerdict verdict = Judge({IosPolicy()}, R"({"deviceId":"d","operatingSystem":"iOS",
    "osVersion":"17.10","passcodeSet":true,"observedDateTime":"2025-03-01T10:00:00Z",
    "assignedPolicyIds":["ios"]})");
  EXPECT_EQ(verdict.state, ComplianceState::kNonCompliant);
  const SettingResult* setting = FindSetting(verdict, "ios", "securityBlockJailbrokenDevices");
  ASSERT_NE(setting, nullptr);
  EXPECT_EQ(setting->state, ComplianceState::kNonCompliant);
  EXPECT_NE(setting->reason.find("jailBroken was not reported"), std::string::npos);
}

TEST(Evaluator, UnsupportedSettingIsAnErrorNeverAPass) {
  CompliancePolicy policy = PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy",
    "id":"ios","managedEmailProfileRequired":true})");
  DeviceVerdict verdict = Judge({policy}, Iphone(""));
  EXPECT_EQ(verdict.state, ComplianceState::kError);
  EXPECT_EQ(FindSetting(verdict, "ios", "managedEmailProfileRequired")->state,
            ComplianceState::kError);
}

TEST(Evaluator, WorstStateWinsAcrossPolicies) {
  CompliancePolicy broken = PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy",
    "id":"broken","managedEmailProfileRequired":true})");
  CompliancePolicy graceful = IosPolicy(48);
  graceful.id = "graceful";
  DeviceVerdict in_grace = Judge({IosPolicy(), graceful},
                                 R"({"deviceId":"d","operatingSystem":"iOS","osVersion":"17.10",
    "jailBroken":false,"passcodeSet":false,"observedDateTime":"2025-03-01T10:00:00Z",
    "firstNoncompliantDateTime":"2025-03-01T00:00:00Z","assignedPolicyIds":["graceful"]})");
  EXPECT_EQ(in_grace.state, ComplianceState::kInGracePeriod);
  DeviceVerdict worst = Judge({IosPolicy(), graceful, broken},
                              R"({"deviceId":"d","operatingSystem":"iOS","osVersion":"17.10",
    "jailBroken":false,"passcodeSet":false,"observedDateTime":"2025-03-01T10:00:00Z",
    "firstNoncompliantDateTime":"2025-03-01T00:00:00Z","assignedPolicyIds":["graceful","ios","broken"]})");
  EXPECT_EQ(worst.policies[0].state, ComplianceState::kInGracePeriod);
  EXPECT_EQ(worst.policies[1].state, ComplianceState::kNonCompliant);
  EXPECT_EQ(worst.policies[2].state, ComplianceState::kError);
  EXPECT_EQ(worst.state, ComplianceState::kError);
}

TEST(Evaluator, PolicyOfAnotherPlatformIsNotApplicable) {
  CompliancePolicy windows = PolicyFromJson(
      R"({"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"win","bitLockerEnabled":true})");
  DeviceVerdict verdict =
      Judge({IosPolicy(), windows}, Iphone(R"(,"assignedPolicyIds":["ios","win"])"));
  EXPECT_EQ(verdict.policies[1].state, ComplianceState::kNotApplicable);
  EXPECT_TRUE(verdict.policies[1].settings.empty());
  EXPECT_EQ(verdict.state, ComplianceState::kCompliant);
}

TEST(Evaluator, NoApplicablePolicyFollowsSecureByDefault) {
  CompliancePolicy windows = PolicyFromJson(
      R"({"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"win","bitLockerEnabled":true})");
  const std::string device = Iphone(R"(,"assignedPolicyIds":["win"])");
  DeviceVerdict secure = Judge({windows}, device);
  EXPECT_EQ(secure.state, ComplianceState::kNonCompliant);
  EXPECT_EQ(
      FindSetting(secure, std::string(kBuiltInPolicyId), "hasCompliancePolicyAssigned")->state,
      ComplianceState::kNonCompliant);
  TenantSettings lenient;
  lenient.secure_by_default = false;
  DeviceVerdict open = Judge({windows}, device, "2025-03-01T12:00:00Z", lenient);
  EXPECT_EQ(open.state, ComplianceState::kCompliant);
  EXPECT_EQ(open.policies.size(), 1u);  // the built-in policy is listed only when it fails
}

TEST(Evaluator, StaleDeviceIsNotCompliantWhateverSecureByDefaultSays) {
  TenantSettings lenient;
  lenient.secure_by_default = false;
  lenient.checkin_threshold_days = 7;
  DeviceVerdict fresh = Judge({IosPolicy()}, Iphone(""), "2025-03-08T10:00:00Z", lenient);
  EXPECT_EQ(fresh.state, ComplianceState::kCompliant);
  DeviceVerdict stale = Judge({IosPolicy()}, Iphone(""), "2025-03-08T10:00:01Z", lenient);
  EXPECT_EQ(stale.state, ComplianceState::kNonCompliant);
  EXPECT_EQ(FindSetting(stale, std::string(kBuiltInPolicyId), "isActive")->state,
            ComplianceState::kNonCompliant);
}

TEST(Evaluator, LastCheckInWinsOverObservedTime) {
  DeviceVerdict verdict =
      Judge({IosPolicy()}, Iphone(R"(,"lastCheckInDateTime":"2024-01-01T00:00:00Z")"));
  EXPECT_EQ(verdict.state, ComplianceState::kNonCompliant);
}

TEST(Evaluator, DeviceWithoutAnyTimestampIsNotStaleBecauseThePostureIsTheCheckIn) {
  DeviceVerdict verdict = Judge({IosPolicy()}, R"({"deviceId":"d","operatingSystem":"iOS",
    "osVersion":"17.10","jailBroken":false,"passcodeSet":true,"assignedPolicyIds":["ios"]})");
  EXPECT_EQ(verdict.state, ComplianceState::kCompliant);
  EXPECT_EQ(FindSetting(verdict, std::string(kBuiltInPolicyId), "isActive"), nullptr);
  EXPECT_EQ(verdict.policies.size(), 1u);
}

TEST(Evaluator, IsStaleIsFalseWithoutATimestampAndTrueOnlyPastTheThreshold) {
  TenantSettings settings;
  settings.checkin_threshold_days = 1;
  const absl::Time now = At("2025-03-02T00:00:00Z");
  EXPECT_FALSE(IsStale(std::nullopt, settings, now));
  EXPECT_FALSE(IsStale(At("2025-03-01T00:00:00Z"), settings, now));
  EXPECT_TRUE(IsStale(At("2025-02-28T23:59:59Z"), settings, now));
}

TEST(Evaluator, BatchAgreesThatADeviceWithoutTimestampsIsNotStale) {
  auto set = testing::Compile({IosPolicy()});
  DeviceBatch batch(set);
  ASSERT_TRUE(batch
                  .Add(testing::DeviceFromJson(R"({"deviceId":"d","operatingSystem":"iOS",
    "osVersion":"17.10","jailBroken":false,"passcodeSet":true,"assignedPolicyIds":["ios"]})"))
                  .ok());
  batch.Evaluate({}, At("2025-03-01T12:00:00Z"));
  EXPECT_EQ(batch.record(0).state, ComplianceState::kCompliant);
}

TEST(Evaluator, IntunePolicyWithOnlyANotificationMarksAFailingDeviceAtOnce) {
  CompliancePolicy notify_only =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy","id":"ios",
    "securityBlockJailbrokenDevices":true,
    "scheduledActionsForRule":[{"scheduledActionConfigurations":[
      {"actionType":"notification","gracePeriodHours":72}]}]})");
  DeviceVerdict verdict = Judge({notify_only}, Iphone(R"(,"jailBroken":true)"));
  EXPECT_EQ(verdict.state, ComplianceState::kNonCompliant);
  EXPECT_FALSE(verdict.grace_expires.has_value());
}

TEST(Evaluator, GraceRunsFromFirstNoncompliance) {
  const std::string device =
      Iphone(R"(,"jailBroken":true,"firstNoncompliantDateTime":"2025-03-01T00:00:00Z")");
  DeviceVerdict during = Judge({IosPolicy(24)}, device, "2025-03-01T12:00:00Z");
  EXPECT_EQ(during.state, ComplianceState::kInGracePeriod);
  ASSERT_TRUE(during.grace_expires.has_value());
  EXPECT_EQ(*during.grace_expires, At("2025-03-02T00:00:00Z"));
  EXPECT_EQ(during.policies[0].state, ComplianceState::kInGracePeriod);
  DeviceVerdict after = Judge({IosPolicy(24)}, device, "2025-03-02T00:00:00Z");
  EXPECT_EQ(after.state, ComplianceState::kNonCompliant);
  EXPECT_FALSE(after.grace_expires.has_value());
}

TEST(Evaluator, GraceStartsNowWithoutFirstNoncompliantTime) {
  DeviceVerdict verdict =
      Judge({IosPolicy(6)}, Iphone(R"(,"jailBroken":true)"), "2025-03-01T12:00:00Z");
  EXPECT_EQ(verdict.state, ComplianceState::kInGracePeriod);
  EXPECT_EQ(*verdict.grace_expires, At("2025-03-01T18:00:00Z"));
}

TEST(Evaluator, ZeroGraceMarksAtOnce) {
  DeviceVerdict verdict = Judge({IosPolicy(0)}, Iphone(R"(,"jailBroken":true)"));
  EXPECT_EQ(verdict.state, ComplianceState::kNonCompliant);
}

TEST(Evaluator, UnreportedOperatingSystemMakesPoliciesUnknown) {
  DeviceVerdict verdict =
      Judge({IosPolicy()}, R"({"deviceId":"d","observedDateTime":"2025-03-01T10:00:00Z",
    "assignedPolicyIds":["ios"]})");
  EXPECT_EQ(verdict.policies[0].state, ComplianceState::kUnknown);
  EXPECT_EQ(verdict.state, ComplianceState::kUnknown);
}

TEST(Evaluator, AdminRemediationTextReplacesTheBuiltInOne) {
  CompliancePolicy policy = IosPolicy();
  policy.remediation["securityBlockJailbrokenDevices"] = "Call the help desk on 1234.";
  DeviceVerdict verdict = Judge({policy}, Iphone(R"(,"jailBroken":true)"));
  EXPECT_EQ(FindSetting(verdict, "ios", "securityBlockJailbrokenDevices")->reason,
            "Call the help desk on 1234.");
}

TEST(Evaluator, UnknownAssignedPolicyIsAnError) {
  auto set = testing::Compile({IosPolicy()});
  auto verdict =
      EvaluateDevice(*set, testing::DeviceFromJson(Iphone(R"(,"assignedPolicyIds":["nope"])")),
                     TenantSettings{}, At("2025-03-01T12:00:00Z"));
  EXPECT_FALSE(verdict.ok());
}

TEST(Evaluator, DuplicatePolicyIdsDoNotCompile) {
  EXPECT_FALSE(CompiledPolicySet::Compile({IosPolicy(), IosPolicy()}).ok());
}

TEST(Evaluator, VerdictJsonHasTheDesignShape) {
  DeviceVerdict verdict =
      Judge({IosPolicy(24)},
            Iphone(R"(,"jailBroken":true,"firstNoncompliantDateTime":"2025-03-01T00:00:00Z")"));
  nlohmann::json json = DeviceVerdictToJson(verdict);
  EXPECT_EQ(json["deviceId"], "d");
  EXPECT_EQ(json["complianceState"], "inGracePeriod");
  EXPECT_EQ(json["graceExpiresDateTime"], "2025-03-02T00:00:00Z");
  EXPECT_EQ(json["policies"][0]["id"], "ios");
  EXPECT_EQ(json["policies"][0]["state"], "inGracePeriod");
  EXPECT_TRUE(json["policies"][0]["settings"][0]["reason"].is_null());
}

TEST(DeviceBatch, AgreesWithTheSingleDevicePath) {
  CompliancePolicy windows = PolicyFromJson(
      R"({"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"win","bitLockerEnabled":true})");
  CompliancePolicy native = PolicyFromJson(R"({"id":"apps","platform":"any","rules":[
    {"key":"installedApps","operator":"contains","value":"com.bad","not":true}]})");
  auto set = testing::Compile({IosPolicy(24), windows, native});
  const std::vector<std::string> devices = {
      Iphone(""),
      Iphone(R"(,"jailBroken":true,"firstNoncompliantDateTime":"2025-03-01T00:00:00Z")"),
      Iphone(R"(,"assignedPolicyIds":["win"])"),
      Iphone(R"(,"assignedPolicyIds":["ios","apps"],"installedApps":[{"id":"com.bad"}])"),
      Iphone(R"(,"observedDateTime":"2024-01-01T00:00:00Z")"),
      R"({"deviceId":"x","assignedPolicyIds":["ios"]})",
  };
  DeviceBatch batch(set);
  for (const std::string& device : devices) {
    ASSERT_TRUE(batch.Add(testing::DeviceFromJson(device)).ok());
  }
  const absl::Time now = At("2025-03-01T12:00:00Z");
  batch.Evaluate(TenantSettings{}, now);
  for (size_t i = 0; i < devices.size(); ++i) {
    auto verdict = EvaluateDevice(*set, testing::DeviceFromJson(devices[i]), TenantSettings{}, now);
    ASSERT_TRUE(verdict.ok());
    EXPECT_EQ(batch.record(i).state, verdict->state) << devices[i];
    EXPECT_EQ(batch.record(i).grace_expires_unix,
              verdict->grace_expires ? absl::ToUnixSeconds(*verdict->grace_expires) : kNoTime);
  }
  EXPECT_EQ(batch.device_id(5), "x");
}

TEST(DeviceBatch, ResidentRecordStaysCompact) {
  EXPECT_LE(sizeof(CompactPosture), 96u);
  EXPECT_LE(sizeof(DeviceRecord), 136u);
}

}  // namespace
}  // namespace gatehouse::compliance
