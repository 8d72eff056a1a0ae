// Loads every real compliance policy export under <shared data>/compliance-policies
// (IntuneBaselines …): each must load (warnings allowed), and the folder as a whole must compile
// into one set.
#include <filesystem>

#include "app/compliance_command.h"
#include "compliance/evaluator.h"
#include "compliance/native_policy.h"
#include "core/json_document.h"
#include "gtest/gtest.h"

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

}  // namespace
}  // namespace gatehouse::app
