#include "app/ca_commands.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kExample = std::string(GATEHOUSE_SOURCE_DIR) + "/examples";

struct CommandRun {
  int code;
  std::string out, err;
};

CommandRun Call(int (*command)(const CaCommandOptions&, CommandStreams), CaCommandOptions options,
         const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  int code = command(options, CommandStreams{in, out, err});
  return {code, out.str(), err.str()};
}

class TempBundle {
 public:
  TempBundle() : dir_(fs::temp_directory_path() / ("gatehouse-test-" + std::to_string(::getpid()) +
                                                   "-" + std::to_string(counter_++))) {
    fs::create_directories(dir_ / "conditionalAccess/policies");
  }
  ~TempBundle() { fs::remove_all(dir_); }
  void Write(const std::string& relative, const std::string& text) {
    std::ofstream(dir_ / relative, std::ios::binary) << text;
  }
  std::string path() const { return dir_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path dir_;
};

TEST(ValidateCommand, AcceptsTheExampleTenant) {
  CommandRun r = Call(RunValidate, {.tenant_dir = kExample + "/tenant"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("8 policies, 2 named locations, 4 users, 3 groups: 0 error(s)"));
}

TEST(ValidateCommand, ListsEveryProblemWithFileAndPointerAndExitsOne) {
  TempBundle bundle;
  bundle.Write("conditionalAccess/policies/a.json",
               R"({"id":"a","state":"sometimes","conditions":{"users":{"includeUsers":["All"]},
                   "applications":{"includeApplications":["All"]}},"grantControls":{"builtInControls":["mfa"]}})");
  bundle.Write("conditionalAccess/policies/b.json", "{\n  \"id\": \"b\",\n  \"state\": \n}");
  CommandRun r = Call(RunValidate, {.tenant_dir = bundle.path()});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("conditionalAccess/policies/a.json: /state: unknown state 'sometimes'"));
  EXPECT_THAT(r.out, HasSubstr("conditionalAccess/policies/b.json: line 4, column 1"));
  EXPECT_THAT(r.out, HasSubstr("2 error(s)"));
}

TEST(ValidateCommand, MissingFolderIsAnError) {
  CommandRun r = Call(RunValidate, {.tenant_dir = "/nonexistent/tenant"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("is not a folder"));
}

TEST(WhatIfCommand, PrintsGraphShapedAnalysisForEveryPolicy) {
  CommandRun r = Call(RunWhatIf, {.tenant_dir = kExample + "/tenant",
                           .input = kExample + "/requests/whatif-alice-sharepoint.json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  ASSERT_EQ(out["value"].size(), 8u);
  EXPECT_EQ(out["value"][0]["displayName"], "CA001 Require MFA for all users");
  EXPECT_EQ(out["value"][0]["policyApplies"], true);
  EXPECT_EQ(out["value"][1]["analysisReasons"], "clientApps");
}

TEST(WhatIfCommand, BadRequestNamesThePointerAndExitsOne) {
  CommandRun r = Call(RunWhatIf, {.tenant_dir = kExample + "/tenant", .input = "-"},
               R"({"signInIdentity":{"userId":"alice@contoso.example"},
                   "signInContext":{"includeApplications":["x"]},
                   "signInConditions":{"devicePlatform":"amiga","ipAddress":"300.1.1.1"}})");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("/signInConditions/devicePlatform: unknown value 'amiga'"));
  EXPECT_THAT(r.err, HasSubstr("/signInConditions/ipAddress: '300.1.1.1' is not an IPv4 or IPv6"));
}

TEST(WhatIfCommand, TruncatedRequestReportsLineAndColumn) {
  CommandRun r = Call(RunWhatIf, {.tenant_dir = kExample + "/tenant", .input = "-"}, "{\"signIn");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("line 1, column"));
}

TEST(EvaluateCommand, UnregisteredDeviceForCompliantDevicePolicyIs530003) {
  CommandRun r = Call(RunEvaluate, {.tenant_dir = kExample + "/tenant",
                             .input = kExample + "/signins/alice-payroll-unregistered.json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["decision"], "interrupt");
  EXPECT_EQ(out["errorCode"], "530003");
  EXPECT_EQ(out["requiredControls"], nlohmann::json::parse(R"(["compliantDevice","domainJoinedDevice"])"));
  EXPECT_EQ(out["appliedConditionalAccessPolicies"].size(), 8u);
}

TEST(EvaluateCommand, BatchKeepsOneOutputLinePerInputLineAndFlagsBadOnes) {
  std::string lines =
      R"({"signInIdentity":{"userId":"bob@contoso.example"},"signInContext":{"includeApplications":["00000002-0000-0ff1-ce00-000000000000"]},"signInConditions":{"clientAppType":"other"}})"
      "\n"
      "{not json}\n"
      R"({"signInIdentity":{"userId":"alice@contoso.example"},"signInContext":{"includeApplications":["00000003-0000-0ff1-ce00-000000000000"]},"signInConditions":{"clientAppType":"browser","ipAddress":"203.0.113.4"},"session":{"authenticationMethods":["password","sms"]}})"
      "\n";
  CommandRun r = Call(RunEvaluate, {.tenant_dir = kExample + "/tenant", .input = "-", .batch = true},
               lines);
  EXPECT_EQ(r.code, 1);
  std::istringstream out(r.out);
  std::string first, second, third;
  std::getline(out, first);
  std::getline(out, second);
  std::getline(out, third);
  EXPECT_EQ(nlohmann::json::parse(first)["decision"], "block");
  EXPECT_EQ(nlohmann::json::parse(second)["line"], 2);
  auto decision = nlohmann::json::parse(third);
  EXPECT_EQ(decision["decision"], "allow");
  // Compact trace: only policies that did something.
  for (const auto& p : decision["appliedConditionalAccessPolicies"]) {
    EXPECT_NE(p["result"], "notApplied");
  }
}


TEST(EvaluateCommand, SignInLogRecordsAreGraphShaped) {
  CommandRun r = Call(RunEvaluate, {.tenant_dir = kExample + "/tenant",
                                    .input = kExample + "/signins/alice-payroll-unregistered.json",
                                    .sign_in_log = true});
  ASSERT_EQ(r.code, 0) << r.err;
  auto record = nlohmann::json::parse(r.out);
  EXPECT_EQ(record["id"], "signin-1");
  EXPECT_EQ(record["userPrincipalName"], "alice@contoso.example");
  EXPECT_EQ(record["appDisplayName"], "Payroll");
  EXPECT_EQ(record["status"]["errorCode"], 530003);
  EXPECT_EQ(record["conditionalAccessStatus"], "failure");
  EXPECT_EQ(record["createdDateTime"], "2026-11-28T09:00:00Z");
  EXPECT_EQ(record["deviceDetail"]["deviceId"], "");
  EXPECT_EQ(record["appliedConditionalAccessPolicies"].size(), 8u);
}

}  // namespace
}  // namespace gatehouse::app
