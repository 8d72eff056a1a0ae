#include "app/compliance_command.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/json_document.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

const std::string kTestData = std::string(GATEHOUSE_SOURCE_DIR) + "/tests/compliance/testdata";

// A scratch folder under the build tree, emptied per test.
std::string Scratch(const std::string& name) {
  const std::string dir = std::string(GATEHOUSE_BINARY_DIR) + "/compliance_test_scratch/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

ComplianceEvaluateOptions GoldenOptions() {
  ComplianceEvaluateOptions options;
  options.policies_dir = kTestData + "/policies";
  options.devices_path = kTestData + "/devices.json";
  options.settings_path = kTestData + "/settings.json";
  options.now = "2025-03-01T12:00:00Z";
  return options;
}

// Set GATEHOUSE_UPDATE_GOLDEN=1 to rewrite testdata/expected.json from the current output.
TEST(ComplianceEvaluateCommand, MatchesTheGoldenOutput) {
  core::ProblemList warnings;
  ComplianceEvaluateOptions options = GoldenOptions();
  options.warnings = &warnings;
  auto output = RunComplianceEvaluate(options);
  ASSERT_TRUE(output.ok()) << output.status();
  const std::string golden = kTestData + "/expected.json";
  if (std::getenv("GATEHOUSE_UPDATE_GOLDEN") != nullptr) Write(golden, *output);
  auto expected = core::ReadFileToString(golden);
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(*output, *expected);
  // tpmRequired in windows-health.json is not supported: one warning naming file and pointer.
  ASSERT_EQ(warnings.problems().size(), 1u);
  EXPECT_EQ(warnings.problems()[0].pointer, "/value/1/tpmRequired");
  EXPECT_NE(warnings.problems()[0].file.find("windows-health.json"), std::string::npos);
}

TEST(ComplianceEvaluateCommand, BadPolicyNamesFileAndPointer) {
  const std::string dir = Scratch("bad_policy");
  Write(dir + "/p.json", R"([{"id":"n","platform":"iOS","rules":[{"key":"osVersion",
    "operator":"versionLessThan","value":"x!"}]}])");
  ComplianceEvaluateOptions options = GoldenOptions();
  options.policies_dir = dir;
  auto output = RunComplianceEvaluate(options);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(std::string(output.status().message()).substr(0, dir.size() + 27),
            dir + "/p.json: /0/rules/0/value: ");
}

TEST(ComplianceEvaluateCommand, MalformedJsonNamesFileAndLine) {
  const std::string dir = Scratch("bad_json");
  Write(dir + "/p.json", "{\n  \"id\": \n}");
  ComplianceEvaluateOptions options = GoldenOptions();
  options.policies_dir = dir;
  auto output = RunComplianceEvaluate(options);
  ASSERT_FALSE(output.ok());
  EXPECT_NE(std::string(output.status().message()).find("p.json: line 3"), std::string::npos)
      << output.status();
}

TEST(ComplianceEvaluateCommand, UnknownAssignedPolicyNamesDevicePointer) {
  const std::string dir = Scratch("unknown_policy");
  Write(dir + "/devices.json",
        R"([{"deviceId":"d","assignedPolicyIds":["ios-baseline","ghost"]}])");
  ComplianceEvaluateOptions options = GoldenOptions();
  options.devices_path = dir + "/devices.json";
  auto output = RunComplianceEvaluate(options);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().message(),
            dir + "/devices.json: /0/assignedPolicyIds/1: no policy with id \"ghost\" under " +
                kTestData + "/policies");
}

TEST(ComplianceEvaluateCommand, BadDeviceEntriesAreReportedAndTheOthersStillJudged) {
  const std::string dir = Scratch("bad_devices");
  Write(dir + "/devices.json", R"([
    {"deviceId":"good-1","operatingSystem":"iOS","assignedPolicyIds":[]},
    {"deviceId":"ghosted","operatingSystem":"iOS","assignedPolicyIds":["ghost"]},
    {"deviceId":"empty-version","operatingSystem":"iOS","osVersion":""},
    {"deviceId":"good-2","operatingSystem":"iOS"}])");
  core::ProblemList device_errors;
  ComplianceEvaluateOptions options = GoldenOptions();
  options.devices_path = dir + "/devices.json";
  options.device_errors = &device_errors;
  auto output = RunComplianceEvaluate(options);
  ASSERT_TRUE(output.ok()) << output.status();
  auto json = nlohmann::json::parse(*output);
  ASSERT_EQ(json["value"].size(), 2u);
  EXPECT_EQ(json["value"][0]["deviceId"], "good-1");
  EXPECT_EQ(json["value"][1]["deviceId"], "good-2");
  ASSERT_EQ(device_errors.problems().size(), 2u);
  EXPECT_TRUE(device_errors.has_errors());
  EXPECT_EQ(device_errors.problems()[0].message,
            dir + "/devices.json: /1/assignedPolicyIds/0: no policy with id \"ghost\" under " +
                kTestData + "/policies");
  const std::string prefix = dir + "/devices.json: /2/osVersion: expected a version";
  EXPECT_EQ(device_errors.problems()[1].message.substr(0, prefix.size()), prefix);
}

TEST(ComplianceEvaluateCommand, WithoutAnErrorSinkTheFirstBadDeviceFailsTheRun) {
  const std::string dir = Scratch("bad_devices_strict");
  Write(dir + "/devices.json", R"([{"deviceId":"d","operatingSystem":"iOS","osVersion":""}])");
  ComplianceEvaluateOptions options = GoldenOptions();
  options.devices_path = dir + "/devices.json";
  EXPECT_FALSE(RunComplianceEvaluate(options).ok());
}

TEST(ComplianceEvaluateCommand, BadSettingsNameFileAndPointer) {
  const std::string dir = Scratch("bad_settings");
  Write(dir + "/settings.json", R"({"deviceComplianceCheckinThresholdDays": 500})");
  ComplianceEvaluateOptions options = GoldenOptions();
  options.settings_path = dir + "/settings.json";
  auto output = RunComplianceEvaluate(options);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().message(),
            dir +
                "/settings.json: /deviceComplianceCheckinThresholdDays: expected an integer "
                "number of days between 1 and 120");
}

TEST(ComplianceEvaluateCommand, IdenticalCopiesLoadOnceDifferentOnesFail) {
  const std::string dir = Scratch("duplicates");
  const std::string policy =
      R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy","id":"p","osMinimumVersion":"17.0"})";
  Write(dir + "/a.json", policy);
  std::filesystem::create_directories(dir + "/copy");
  Write(dir + "/copy/b.json", policy);
  auto loaded = LoadCompliancePolicies(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->policies.size(), 1u);
  EXPECT_EQ(loaded->warnings.problems().size(), 1u);
  Write(
      dir + "/copy/b.json",
      R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy","id":"p","osMinimumVersion":"18.0"})");
  EXPECT_FALSE(LoadCompliancePolicies(dir).ok());
}

TEST(ComplianceEvaluateCommand, ReadsUtf16PolicyFiles) {
  const std::string dir = Scratch("utf16");
  const std::string text =
      R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy","id":"p","osMinimumVersion":"17.0"})";
  std::string bytes = "\xFF\xFE";
  for (char c : text) {
    bytes += c;
    bytes += '\0';
  }
  Write(dir + "/p.json", bytes);
  auto loaded = LoadCompliancePolicies(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->policies.size(), 1u);
  EXPECT_EQ(loaded->policies[0].id, "p");
}

}  // namespace
}  // namespace gatehouse::app
