#include "compliance/intune_policy.h"

#include "compliance/test_util.h"
#include "gtest/gtest.h"

namespace gatehouse::compliance {
namespace {

using testing::FindSetting;
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

TEST(IntunePolicy, MinimumLengthIsEvaluatedEvenWithoutThePasswordSwitch) {
  for (const char* setting : {"passwordMinimumLength", "workProfilePasswordMinimumLength"}) {
    CompliancePolicy policy = PolicyFromJson(
        std::string(R"({"@odata.type":"#microsoft.graph.androidWorkProfileCompliancePolicy",
      "id":"p","passwordRequired":null,")") +
        setting + R"(":6})");
    ASSERT_EQ(policy.checks.size(), 1u) << setting;
    EXPECT_EQ(policy.checks[0].key, PostureKey::kPasscodeMinimumLength);
    EXPECT_EQ(policy.checks[0].op, CompareOp::kGreaterOrEqual);
    EXPECT_EQ(policy.checks[0].number, 6);
  }
  CompliancePolicy ios = PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy",
    "id":"p","passcodeMinimumLength":8})");
  ASSERT_EQ(ios.checks.size(), 1u);
  auto short_pin = Judge({ios}, R"({"deviceId":"d","operatingSystem":"iOS",
    "passcodeMinimumLength":6,"assignedPolicyIds":["p"]})");
  EXPECT_EQ(short_pin.state, ComplianceState::kNonCompliant);
}

TEST(IntunePolicy, PasswordTypeWithoutThePasswordSwitchIsIgnoredWithAWarning) {
  core::ProblemList warnings;
  CompliancePolicy off =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.androidDeviceOwnerCompliancePolicy",
    "id":"p","passwordRequired":null,"passwordRequiredType":"numeric"})",
                     &warnings);
  EXPECT_TRUE(off.checks.empty());
  ASSERT_EQ(warnings.problems().size(), 1u);
  EXPECT_EQ(warnings.problems()[0].pointer, "/passwordRequiredType");
  EXPECT_EQ(warnings.problems()[0].message,
            "passwordRequiredType = \"numeric\" is ignored: passwordRequired is not true in this "
            "policy, so the portal does not apply it");
}

TEST(IntunePolicy, OtherPasswordDetailsAreEvaluatedWithoutThePasswordSwitch) {
  CompliancePolicy policy =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.windows10CompliancePolicy",
    "id":"p","passwordRequired":false,"passwordMinutesOfInactivityBeforeLock":15})");
  ASSERT_EQ(policy.checks.size(), 1u);
  EXPECT_EQ(policy.checks[0].kind, CheckKind::kUnsupported);  // never a silent pass
}

TEST(IntunePolicy, PasswordDetailsAreEvaluatedWhenAPasswordIsRequired) {
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

TEST(IntunePolicy, ActionsWithoutBlockStillMarkAtOnce) {
  CompliancePolicy policy = PolicyFromJson(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy",
    "id":"p","scheduledActionsForRule":[{"scheduledActionConfigurations":[
      {"actionType":"notification","gracePeriodHours":24},
      {"actionType":"retire","gracePeriodHours":720}]}]})");
  ASSERT_EQ(policy.actions.size(), 2u);
  EXPECT_EQ(policy.GracePeriod(), absl::ZeroDuration());
}

TEST(IntunePolicy, AndroidAttestationReadsJailBroken) {
  for (const char* setting : {"securityRequireSafetyNetAttestationBasicIntegrity",
                              "securityRequireSafetyNetAttestationCertifiedDevice"}) {
    CompliancePolicy policy = PolicyFromJson(
        std::string(R"({"@odata.type":"#microsoft.graph.androidDeviceOwnerCompliancePolicy",
      "id":"p",")") +
        setting + R"(":true})");
    ASSERT_EQ(policy.checks.size(), 1u) << setting;
    EXPECT_EQ(policy.checks[0].setting, setting);
    EXPECT_EQ(policy.checks[0].kind, CheckKind::kBoolEquals);
    EXPECT_EQ(policy.checks[0].key, PostureKey::kJailBroken);
    EXPECT_FALSE(policy.checks[0].expect_bool);
  }
}

TEST(IntunePolicy, SafetyNetEvaluationTypeIsAModifierIgnoredSilently) {
  core::ProblemList warnings;
  CompliancePolicy policy =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.androidWorkProfileCompliancePolicy",
    "id":"p","securityRequiredAndroidSafetyNetEvaluationType":"hardwareBacked",
    "securityRequireSafetyNetAttestationBasicIntegrity":true})",
                     &warnings);
  ASSERT_EQ(policy.checks.size(), 1u);
  EXPECT_EQ(policy.checks[0].setting, "securityRequireSafetyNetAttestationBasicIntegrity");
  EXPECT_TRUE(warnings.empty()) << warnings.ToString();
  CompliancePolicy alone =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.androidWorkProfileCompliancePolicy",
    "id":"p","securityRequiredAndroidSafetyNetEvaluationType":"basic"})");
  EXPECT_TRUE(alone.checks.empty());
}

TEST(IntunePolicy, WorkProfilePasswordReadsPasscodeKeys) {
  CompliancePolicy policy =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.androidWorkProfileCompliancePolicy",
    "id":"p","workProfileRequirePassword":true,"workProfilePasswordMinimumLength":6})");
  EXPECT_EQ(FindCheck(policy, "workProfileRequirePassword")->key, PostureKey::kPasscodeSet);
  EXPECT_TRUE(FindCheck(policy, "workProfileRequirePassword")->expect_bool);
  EXPECT_EQ(FindCheck(policy, "workProfilePasswordMinimumLength")->key,
            PostureKey::kPasscodeMinimumLength);
  auto good = Judge({policy}, R"({"deviceId":"d","operatingSystem":"Android","passcodeSet":true,
    "passcodeMinimumLength":6,"assignedPolicyIds":["p"]})");
  EXPECT_EQ(good.state, ComplianceState::kCompliant);
  auto no_pin = Judge({policy}, R"({"deviceId":"d","operatingSystem":"Android","passcodeSet":false,
    "passcodeMinimumLength":6,"assignedPolicyIds":["p"]})");
  EXPECT_EQ(no_pin.state, ComplianceState::kNonCompliant);
}

TEST(IntunePolicy, WindowsBuildRangesRequireTheOsVersionInOneRange) {
  CompliancePolicy policy =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p",
    "validOperatingSystemBuildRanges":[
      {"description":"23H2","lowestVersion":"10.0.22631.4249","highestVersion":"10.0.22631.9999"},
      {"description":"24H2","lowestVersion":"10.0.26100.0","highestVersion":"10.0.26100.9999"}]})");
  ASSERT_EQ(policy.checks.size(), 1u);
  EXPECT_EQ(policy.checks[0].kind, CheckKind::kVersionInRanges);
  EXPECT_EQ(policy.checks[0].key, PostureKey::kOsVersion);
  auto judge = [&](const std::string& version) {
    return Judge({policy}, R"({"deviceId":"d","operatingSystem":"Windows","osVersion":")" +
                               version + R"(","assignedPolicyIds":["p"]})");
  };
  EXPECT_EQ(judge("10.0.22631.4249").state, ComplianceState::kCompliant);  // bounds inclusive
  EXPECT_EQ(judge("10.0.26100.2605").state, ComplianceState::kCompliant);
  // Numeric, not textual: 10.0.22631.10000 is past 9999.
  DeviceVerdict above = judge("10.0.22631.10000");
  EXPECT_EQ(above.state, ComplianceState::kNonCompliant);
  EXPECT_EQ(FindSetting(above, "p", "validOperatingSystemBuildRanges")->reason,
            "The OS version 10.0.22631.10000 is not in an allowed range (10.0.22631.4249 to "
            "10.0.22631.9999 \"23H2\", 10.0.26100.0 to 10.0.26100.9999 \"24H2\"). Install a "
            "supported operating system version.");
  EXPECT_EQ(judge("10.0.22631.4248").state, ComplianceState::kNonCompliant);
  auto unreported = Judge({policy}, R"({"deviceId":"d","operatingSystem":"Windows",
    "assignedPolicyIds":["p"]})");
  EXPECT_EQ(unreported.state, ComplianceState::kNonCompliant);
}

TEST(IntunePolicy, EmptyWindowsBuildRangesAreNotConfigured) {
  core::ProblemList warnings;
  CompliancePolicy policy =
      PolicyFromJson(R"({"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p",
    "validOperatingSystemBuildRanges":[]})",
                     &warnings);
  EXPECT_TRUE(policy.checks.empty());
  EXPECT_TRUE(warnings.empty());
}

TEST(IntunePolicy, MalformedWindowsBuildRangeIsAnErrorWithItsPointer) {
  core::ProblemList warnings;
  auto inverted = ParseIntunePolicy(nlohmann::json::parse(R"({
    "@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p",
    "validOperatingSystemBuildRanges":[{"lowestVersion":"10.0.2","highestVersion":"10.0.1"}]})"),
                                    "", &warnings);
  ASSERT_FALSE(inverted.ok());
  EXPECT_EQ(inverted.status().message(),
            "/validOperatingSystemBuildRanges/0: lowestVersion is higher than highestVersion");
  auto missing = ParseIntunePolicy(nlohmann::json::parse(R"({
    "@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p",
    "validOperatingSystemBuildRanges":[{"lowestVersion":"10.0.1"}]})"),
                                   "", &warnings);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "/validOperatingSystemBuildRanges/0/highestVersion: required: a version string");
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
