#include "compliance/intune_policy.h"

#include "compliance/test_util.h"
#include "gtest/gtest.h"

namespace gatehouse::compliance {
namespace {

using testing::Judge;
using testing::PolicyFromJson;

const SettingCheck* FindCheck(const CompliancePolicy& policy, const std::string& setting) {
  for (const SettingCheck& check : policy.checks) {
    if (check.setting == setting) return &check;
  }
  return nullptr;
}

TEST(IntunePolicy, PlatformFollowsTheODataType) {
  struct Case {
    const char* type;
    OperatingSystem os;
  } cases[] = {{"iosCompliancePolicy", OperatingSystem::kIos},
               {"androidDeviceOwnerCompliancePolicy", OperatingSystem::kAndroid},
               {"androidWorkProfileCompliancePolicy", OperatingSystem::kAndroid},
               {"androidCompliancePolicy", OperatingSystem::kAndroid},
               {"windows10CompliancePolicy", OperatingSystem::kWindows},
               {"macOSCompliancePolicy", OperatingSystem::kMacOs}};
  for (const Case& c : cases) {
    CompliancePolicy policy = PolicyFromJson(std::string(R"({"@odata.type":"#microsoft.graph.)") +
                                             c.type + R"(","id":"p"})");
    ASSERT_EQ(policy.platforms.size(), 1u) << c.type;
    EXPECT_EQ(policy.platforms[0], c.os) << c.type;
  }
}

TEST(IntunePolicy, NotConfiguredValuesProduceNoSetting) {
  core::ProblemList warnings;
  CompliancePolicy policy = PolicyFromJson(R"({
    "@odata.type": "#microsoft.graph.macOSCompliancePolicy", "id": "p",
    "osMinimumVersion": null, "storageRequireEncryption": false,
    "gatekeeperAllowedAppSource": "notConfigured", "passwordRequiredType": "deviceDefault",
    "deviceThreatProtectionRequiredSecurityLevel": "unavailable", "restrictedApps": [],
    "firewallBlockAllIncoming": false})",
                                           &warnings);
  EXPECT_TRUE(policy.checks.empty());
  EXPECT_TRUE(warnings.empty()) << warnings.ToString();
}

TEST(IntunePolicy, MetadataIsIgnoredSilently) {
  core::ProblemList warnings;
  CompliancePolicy policy = PolicyFromJson(R"({
    "@odata.context": "x", "@odata.type": "#microsoft.graph.iosCompliancePolicy",
    "roleScopeTagIds@odata.type": "#Collection.String", "roleScopeTagIds": ["0"],
    "id": "p", "displayName": "P", "description": "d", "version": 3,
    "createdDateTime": "2024-10-09T10:34:13Z", "lastModifiedDateTime": "2024-10-09T10:34:13Z",
    "assignments": [{"target": {}}], "#microsoft.graph.assign": {"title": "assign"}})",
                                           &warnings);
  EXPECT_EQ(policy.display_name, "P");
  EXPECT_TRUE(policy.checks.empty());
  EXPECT_TRUE(warnings.empty()) << warnings.ToString();
}

TEST(IntunePolicy, UnsupportedSettingIsAWarningAndAnErrorCheck) {
  core::ProblemList warnings;
  CompliancePolicy policy = PolicyFromJson(R"({
    "@odata.type": "#microsoft.graph.windows10CompliancePolicy", "id": "p", "tpmRequired": true})",
                                           &warnings);
  ASSERT_EQ(policy.checks.size(), 1u);
  EXPECT_EQ(policy.checks[0].kind, CheckKind::kUnsupported);
  ASSERT_EQ(warnings.problems().size(), 1u);
  EXPECT_EQ(warnings.problems()[0].pointer, "/tpmRequired");
  EXPECT_EQ(warnings.problems()[0].severity, core::Severity::kWarning);
}

TEST(IntunePolicy, WindowsSettingsReadTheirPostureKeys) {
  CompliancePolicy policy = PolicyFromJson(R"({
    "@odata.type": "#microsoft.graph.windows10CompliancePolicy", "id": "p",
    "bitLockerEnabled": true, "activeFirewallRequired": true, "rtpEnabled": true,
    "osMinimumBuildVersion": "10.0.22631.2861"})");
  EXPECT_EQ(FindCheck(policy, "bitLockerEnabled")->key, PostureKey::kBitLockerEnabled);
  EXPECT_EQ(FindCheck(policy, "activeFirewallRequired")->key, PostureKey::kFirewallEnabled);
  EXPECT_EQ(FindCheck(policy, "rtpEnabled")->key, PostureKey::kRealTimeProtectionEnabled);
  EXPECT_EQ(FindCheck(policy, "osMinimumBuildVersion")->key, PostureKey::kOsBuildVersion);
}

TEST(IntunePolicy, WindowsBuildRevisionOnlyVersionIsReadAsTenZero) {
  core::ProblemList warnings;
  CompliancePolicy policy = PolicyFromJson(R"({
    "@odata.type": "#microsoft.graph.windows10CompliancePolicy", "id": "p",
    "osMinimumVersion": "22631.4249"})",
                                           &warnings);
  EXPECT_EQ(FindCheck(policy, "osMinimumVersion")->version.ToString(), "10.0.22631.4249");
  EXPECT_EQ(warnings.problems().size(), 1u);
  auto old = Judge({policy}, R"({"deviceId":"d","operatingSystem":"Windows",
      "osVersion":"10.0.22631.2861","observedDateTime":"2025-03-01T00:00:00Z","assignedPolicyIds":["p"]})");
  EXPECT_EQ(old.state, ComplianceState::kNonCompliant);
  auto current = Judge({policy}, R"({"deviceId":"d","operatingSystem":"Windows",
      "osVersion":"10.0.26100.1","observedDateTime":"2025-03-01T00:00:00Z","assignedPolicyIds":["p"]})");
  EXPECT_EQ(current.state, ComplianceState::kCompliant);
}

TEST(IntunePolicy, ThreatLevelIsEvaluatedOnlyWhenThreatProtectionIsEnabled) {
  CompliancePolicy off = PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy",
    "id":"p","deviceThreatProtectionEnabled":false,"deviceThreatProtectionRequiredSecurityLevel":"medium"})");
  EXPECT_TRUE(off.checks.empty());
  CompliancePolicy on = PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy",
    "id":"p","deviceThreatProtectionEnabled":true,"deviceThreatProtectionRequiredSecurityLevel":"medium"})");
  ASSERT_EQ(on.checks.size(), 1u);
  EXPECT_EQ(on.checks[0].key, PostureKey::kThreatLevel);
  EXPECT_EQ(on.checks[0].op, CompareOp::kLessOrEqual);
}

TEST(IntunePolicy, PasswordDetailsCountOnlyWhenAPasswordIsRequired) {
  CompliancePolicy off =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.androidDeviceOwnerCompliancePolicy",
    "id":"p","passwordRequired":null,"passwordRequiredType":"numeric","passwordMinimumLength":6})");
  EXPECT_TRUE(off.checks.empty());
  core::ProblemList warnings;
  CompliancePolicy on =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.androidDeviceOwnerCompliancePolicy",
    "id":"p","passwordRequired":true,"passwordRequiredType":"numeric","passwordMinimumLength":6})",
                     &warnings);
  EXPECT_EQ(FindCheck(on, "passwordRequired")->key, PostureKey::kPasscodeSet);
  EXPECT_EQ(FindCheck(on, "passwordMinimumLength")->number, 6);
  EXPECT_EQ(FindCheck(on, "passwordRequiredType")->kind, CheckKind::kUnsupported);
}

TEST(IntunePolicy, AndroidPatchLevelAcceptsGraphLongDate) {
  CompliancePolicy policy =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.androidWorkProfileCompliancePolicy",
    "id":"p","minAndroidSecurityPatchLevel":"February 1, 2025"})");
  ASSERT_EQ(policy.checks.size(), 1u);
  EXPECT_EQ(policy.checks[0].key, PostureKey::kSecurityPatchLevel);
  EXPECT_EQ(policy.checks[0].operand_text, "2025-02-01");
}

TEST(IntunePolicy, GraceComesFromTheBlockAction) {
  CompliancePolicy policy = PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy",
    "id":"p","scheduledActionsForRule":[{"scheduledActionConfigurations":[
      {"actionType":"notification","gracePeriodHours":0},
      {"actionType":"block","gracePeriodHours":48},
      {"actionType":"retire","gracePeriodHours":720}]}]})");
  ASSERT_EQ(policy.actions.size(), 3u);
  EXPECT_EQ(policy.GracePeriod(), absl::Hours(48));
  EXPECT_EQ(policy.actions[0].type, ActionType::kNotifyUser);
  EXPECT_EQ(policy.actions[2].type, ActionType::kRetire);
  EXPECT_FALSE(policy.actions[2].marks_noncompliant);
}

TEST(IntunePolicy, NoActionsMeansMarkedAtOnce) {
  CompliancePolicy policy =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy","id":"p"})");
  EXPECT_EQ(policy.GracePeriod(), absl::ZeroDuration());
}

TEST(IntunePolicy, LinuxSettingsCatalogEncryptionIsSupported) {
  core::ProblemList warnings;
  CompliancePolicy policy = PolicyFromJson(R"({
    "@odata.type": "#microsoft.graph.deviceManagementCompliancePolicy", "id": "l", "name": "Linux",
    "platforms": "linux", "technologies": "linuxMdm", "settingCount": 2,
    "settings": [
      {"id": "0", "settingInstance": {"settingDefinitionId": "linux_deviceencryption_required",
        "choiceSettingValue": {"value": "linux_deviceencryption_required_true", "children": []}}},
      {"id": "1", "settingInstance": {"settingDefinitionId": "linux_distribution_alloweddistros",
        "groupSettingCollectionValue": []}}]})",
                                           &warnings);
  ASSERT_EQ(policy.platforms.size(), 1u);
  EXPECT_EQ(policy.platforms[0], OperatingSystem::kLinux);
  EXPECT_EQ(policy.display_name, "Linux");
  ASSERT_EQ(policy.checks.size(), 2u);
  EXPECT_EQ(policy.checks[0].key, PostureKey::kStorageEncrypted);
  EXPECT_EQ(policy.checks[1].kind, CheckKind::kUnsupported);
  ASSERT_EQ(warnings.problems().size(), 1u);
  EXPECT_EQ(warnings.problems()[0].pointer, "/settings/1");
}

TEST(IntunePolicy, UnknownTypeIsAnErrorWithPointer) {
  core::ProblemList warnings;
  auto policy = ParseIntunePolicy(
      nlohmann::json::parse(
          R"({"@odata.type":"#microsoft.graph.windows81CompliancePolicy","id":"p"})"),
      "/value/0", &warnings);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().message(),
            "/value/0/@odata.type: unsupported compliance policy type "
            "\"#microsoft.graph.windows81CompliancePolicy\"");
}

TEST(IntunePolicy, MalformedKnownValueIsAnErrorWithPointer) {
  core::ProblemList warnings;
  auto policy = ParseIntunePolicy(nlohmann::json::parse(R"({
    "@odata.type":"#microsoft.graph.iosCompliancePolicy","id":"p","osMinimumVersion":17})"),
                                  "", &warnings);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().message(), "/osMinimumVersion: expected a version string or null");
  auto grace = ParseIntunePolicy(nlohmann::json::parse(R"({
    "@odata.type":"#microsoft.graph.iosCompliancePolicy","id":"p","scheduledActionsForRule":[
    {"scheduledActionConfigurations":[{"actionType":"block","gracePeriodHours":-1}]}]})"),
                                 "", &warnings);
  ASSERT_FALSE(grace.ok());
  EXPECT_EQ(grace.status().message(),
            "/scheduledActionsForRule/0/scheduledActionConfigurations/0/gracePeriodHours: "
            "expected a number of hours between 0 and 8760");
}

TEST(IntunePolicy, RestrictedAppsFailWhenOneIsInstalled) {
  CompliancePolicy policy = PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy",
    "id":"p","restrictedApps":[{"name":"Bad","appId":"com.bad"}]})");
  auto verdict = Judge({policy}, R"({"deviceId":"d","operatingSystem":"iOS",
    "installedApps":[{"id":"com.ok"},{"id":"com.bad"}],"observedDateTime":"2025-03-01T00:00:00Z",
    "assignedPolicyIds":["p"]})");
  const SettingResult* result = testing::FindSetting(verdict, "p", "restrictedApps");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->state, ComplianceState::kNonCompliant);
  EXPECT_EQ(result->reason, "Restricted apps are installed: com.bad. Uninstall them.");
}

TEST(IntunePolicy, MacOsFirewallAndSystemIntegrityProtection) {
  CompliancePolicy policy =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.macOSCompliancePolicy",
    "id":"p","firewallEnabled":true,"systemIntegrityProtectionEnabled":true})");
  auto verdict =
      Judge({policy}, R"({"deviceId":"d","operatingSystem":"macOS","firewallEnabled":true,
    "systemIntegrityProtectionEnabled":false,"observedDateTime":"2025-03-01T00:00:00Z","assignedPolicyIds":["p"]})");
  EXPECT_EQ(testing::FindSetting(verdict, "p", "firewallEnabled")->state,
            ComplianceState::kCompliant);
  EXPECT_EQ(testing::FindSetting(verdict, "p", "systemIntegrityProtectionEnabled")->state,
            ComplianceState::kNonCompliant);
}

}  // namespace
}  // namespace gatehouse::compliance
