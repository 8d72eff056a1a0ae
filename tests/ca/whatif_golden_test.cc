// Golden What If cases (testdata/whatif/*/): a tenant bundle, a request, and the expected
// policyApplies / analysisReasons of every policy. See testdata/whatif/README.md.
#include <filesystem>

#include "app/tenant_bundle.h"
#include "ca/decision_json.h"
#include "ca/sign_in_request.h"
#include "core/json_document.h"
#include "gtest/gtest.h"

namespace gatehouse::ca {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry :
       fs::directory_iterator(fs::path(GATEHOUSE_SOURCE_DIR) / "tests/ca/testdata/whatif")) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

nlohmann::json ReadJson(const fs::path& path) {
  auto bytes = core::ReadFileToString(path.string());
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  auto doc = core::ParseJsonDocument(bytes.value_or("null"));
  EXPECT_TRUE(doc.ok()) << path << ": " << doc.status();
  return doc.value_or(nullptr);
}

class WhatIfGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(WhatIfGolden, MatchesExpectedAnalysis) {
  fs::path dir = fs::path(GATEHOUSE_SOURCE_DIR) / "tests/ca/testdata/whatif" / GetParam();
  auto bundle = app::LoadTenantBundle((dir / "tenant").string());
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  ASSERT_NE(bundle->compiled, nullptr) << bundle->problems.ToString();
  core::ProblemList problems;
  auto request = ReadWhatIfRequest(ReadJson(dir / "request.json"), bundle->compiled->directory(),
                                   nullptr, problems);
  ASSERT_TRUE(request.ok()) << problems.ToString();
  Decision decision = bundle->compiled->Evaluate(request->context);
  nlohmann::json got = WhatIfToJson(*bundle->compiled, decision, request->applied_policies_only);
  nlohmann::json expected = ReadJson(dir / "expected.json");

  std::map<std::string, std::pair<bool, std::string>> got_by_id, expected_by_id;
  for (const auto& p : got["value"]) {
    std::string id = p["id"];
    std::transform(id.begin(), id.end(), id.begin(), ::tolower);
    got_by_id[id] = {p["policyApplies"].get<bool>(), p["analysisReasons"]};
  }
  for (const auto& p : expected["value"]) {
    std::string id = p["id"];
    std::transform(id.begin(), id.end(), id.begin(), ::tolower);
    expected_by_id[id] = {p["policyApplies"].get<bool>(), p["analysisReasons"]};
  }
  EXPECT_EQ(got_by_id, expected_by_id);
}

INSTANTIATE_TEST_SUITE_P(Cases, WhatIfGolden, ::testing::ValuesIn(CaseNames()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace gatehouse::ca
