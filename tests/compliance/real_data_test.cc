// Loads every real compliance policy export under <shared data>/compliance-policies
// (IntuneBaselines …): each must load (warnings allowed), and the folder as a whole must compile
// into one set.
#include <filesystem>
#include <iostream>
#include <set>

#include "app/compliance_command.h"
#include "compliance/evaluator.h"
#include "compliance/native_policy.h"
#include "core/iso_time.h"
#include "core/json_document.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

const std::string kFolder = std::string(GATEHOUSE_SHARED_DATA_DIR) + "/compliance-policies";

TEST(RealCompliancePolicies, EveryExportLoads) {
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kFolder)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    ++files;
    auto bytes = core::ReadFileToString(entry.path().string());
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto document = core::ParseJsonDocument(*bytes);
    ASSERT_TRUE(document.ok()) << entry.path() << ": " << document.status();
    core::ProblemList problems = compliance::ValidateCompliancePolicy(*document);
    EXPECT_FALSE(problems.has_errors()) << entry.path() << ":\n" << problems.ToString();
  }
  // IntuneBaselines holds 22 compliance exports (a LICENSE file sits beside them).
  EXPECT_GE(files, 22);
  RecordProperty("policy_files", files);
}

TEST(RealCompliancePolicies, FolderCompilesAndEvaluates) {
  auto loaded = LoadCompliancePolicies(kFolder);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  // 22 files, of which four are the same Windows device-health policy: 19 distinct policies.
  EXPECT_GE(loaded->files.size(), 22u);
  EXPECT_GE(loaded->policies.size(), 19u);
  EXPECT_FALSE(loaded->warnings.has_errors());
  RecordProperty("distinct_policies", static_cast<int>(loaded->policies.size()));
  std::vector<std::string> ids;
  for (const auto& policy : loaded->policies) ids.push_back(policy.id);
  auto set = compliance::CompiledPolicySet::Compile(std::move(loaded->policies));
  ASSERT_TRUE(set.ok()) << set.status();
  compliance::DeviceInput device;
  device.posture.device_id = "d";
  device.posture.operating_system = compliance::OperatingSystem::kWindows;
  device.assigned_policy_ids = ids;
  device.last_check_in = absl::FromUnixSeconds(1740000000);
  auto verdict = compliance::EvaluateDevice(**set, device, {}, absl::FromUnixSeconds(1740000000));
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->policies.size(), ids.size());
}

// The reviewer's check: a healthy device per platform, assigned every baseline policy of its
// platform. No setting may fail; what remains `error` is exactly the unsupported settings listed
// here (docs/compliance-policies.md), so a new mapping or a regression shows up as a diff.
TEST(RealCompliancePolicies, HealthyDevicePerPlatformFailsNothing) {
  auto loaded = LoadCompliancePolicies(kFolder);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::vector<compliance::CompliancePolicy> policies = loaded->policies;
  auto set = compliance::CompiledPolicySet::Compile(std::move(loaded->policies));
  ASSERT_TRUE(set.ok()) << set.status();
  const std::string now = "2025-03-01T12:00:00Z";
  struct Platform {
    compliance::OperatingSystem os;
    const char* posture;
    const char* expected_state;
    std::set<std::string> expected_errors;
  } platforms[] = {
      {compliance::OperatingSystem::kIos,
       R"({"deviceId":"ios","operatingSystem":"iOS","osVersion":"17.5","jailBroken":false,
         "passcodeSet":true,"passcodeMinimumLength":6,"threatLevel":"secured","installedApps":[]})",
       "compliant",
       {}},
      {compliance::OperatingSystem::kAndroid,
       R"({"deviceId":"android","operatingSystem":"Android","osVersion":"14",
         "securityPatchLevel":"2025-02-05","jailBroken":false,"passcodeSet":true,
         "passcodeMinimumLength":6,"storageEncrypted":true,"threatLevel":"secured"})",
       "error",
       {"passwordMinutesOfInactivityBeforeLock", "passwordRequiredType",
        "requiredPasswordComplexity", "securityRequireCompanyPortalAppIntegrity",
        "securityRequireGooglePlayServices", "securityRequireIntuneAppIntegrity",
        "securityRequireUpToDateSecurityProviders", "workProfileInactiveBeforeScreenLockInMinutes",
        "workProfilePasswordRequiredType", "workProfileRequiredPasswordComplexity"}},
      {compliance::OperatingSystem::kWindows,
       R"({"deviceId":"windows","operatingSystem":"Windows","osVersion":"10.0.26100.3194",
         "osBuildVersion":"10.0.26100.3194","passcodeSet":true,"bitLockerEnabled":true,
         "secureBootEnabled":true,"codeIntegrityEnabled":true,"firewallEnabled":true,
         "antivirusEnabled":true,"antiSpywareEnabled":true,"realTimeProtectionEnabled":true,
         "storageEncrypted":true,"threatLevel":"secured"})",
       "error",
       {"signatureOutOfDate", "tpmRequired"}},
      {compliance::OperatingSystem::kMacOs,
       R"({"deviceId":"mac","operatingSystem":"macOS","osVersion":"15.3","passcodeSet":true,
         "storageEncrypted":true,"firewallEnabled":true,"systemIntegrityProtectionEnabled":true,
         "threatLevel":"secured"})",
       "error",
       {"gatekeeperAllowedAppSource"}},
      {compliance::OperatingSystem::kLinux,
       R"({"deviceId":"linux","operatingSystem":"Linux","storageEncrypted":true})", "compliant",
       {}},
  };
  for (const Platform& platform : platforms) {
    auto device = compliance::ParseDeviceInput(nlohmann::json::parse(platform.posture));
    ASSERT_TRUE(device.ok()) << device.status();
    for (const auto& policy : policies) {
      if (policy.AppliesTo(platform.os)) device->assigned_policy_ids.push_back(policy.id);
    }
    ASSERT_FALSE(device->assigned_policy_ids.empty()) << platform.posture;
    auto verdict =
        compliance::EvaluateDevice(**set, *device, {}, *core::ParseIsoDateTime(now));
    ASSERT_TRUE(verdict.ok()) << verdict.status();
    std::set<std::string> errors;
    for (const auto& policy : verdict->policies) {
      std::cout << verdict->device_id << "  " << policy.policy_id << "  "
                << compliance::ComplianceStateName(policy.state) << "\n";
      for (const auto& setting : policy.settings) {
        EXPECT_NE(setting.state, compliance::ComplianceState::kNonCompliant)
            << verdict->device_id << " " << policy.policy_id << " " << setting.setting << ": "
            << setting.reason;
        if (setting.state == compliance::ComplianceState::kError) errors.insert(setting.setting);
      }
    }
    EXPECT_EQ(errors, platform.expected_errors) << verdict->device_id;
    EXPECT_EQ(compliance::ComplianceStateName(verdict->state), platform.expected_state)
        << verdict->device_id;
  }
}

}  // namespace
}  // namespace gatehouse::app
