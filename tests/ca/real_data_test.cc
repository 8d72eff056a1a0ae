// Every real public Conditional Access export under <shared data>/ca-policies loads: policies
// parse without errors (placeholders are warnings), named locations parse, and a bundle made of
// them compiles and evaluates. Only built when the test command passes the shared data folder.
#include <filesystem>

#include "app/tenant_bundle.h"
#include "ca/policy_codec.h"
#include "core/json_document.h"
#include "gtest/gtest.h"

namespace gatehouse::ca {
namespace {

namespace fs = std::filesystem;

fs::path Root() { return fs::path(GATEHOUSE_SHARED_DATA) / "ca-policies"; }

bool IsNamedLocationFile(const fs::path& path) {
  return path.string().find("NamedLocations") != std::string::npos;
}

TEST(RealCaPolicies, EveryExportLoadsWithoutErrors) {
  int policies = 0, locations = 0;
  for (const auto& entry : fs::recursive_directory_iterator(Root())) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    auto bytes = core::ReadFileToString(entry.path().string());
    ASSERT_TRUE(bytes.ok());
    auto doc = core::ParseJsonDocument(*bytes);
    ASSERT_TRUE(doc.ok()) << doc.status();
    core::ProblemList problems;
    if (IsNamedLocationFile(entry.path())) {
      auto location = location::ParseNamedLocation(*doc, problems);
      EXPECT_TRUE(location.ok()) << problems.ToString();
      ++locations;
    } else {
      auto policy = ParsePolicy(*doc, entry.path().stem().string(), problems);
      EXPECT_TRUE(policy.has_value()) << problems.ToString();
      EXPECT_FALSE(problems.has_errors()) << problems.ToString();
      ++policies;
    }
  }
  EXPECT_GE(policies, 40);
  EXPECT_GE(locations, 3);
}

TEST(RealCaPolicies, BaselineBundleCompilesAndBlocksLegacyAuthentication) {
  fs::path bundle_dir = fs::temp_directory_path() / ("gatehouse-real-bundle-" + std::to_string(::getpid()));
  fs::remove_all(bundle_dir);
  fs::create_directories(bundle_dir / "conditionalAccess/policies");
  fs::create_directories(bundle_dir / "conditionalAccess/namedLocations");
  fs::path baseline = Root() / "j0eyv-ConditionalAccessBaseline";
  for (const auto& entry : fs::directory_iterator(baseline / "ConditionalAccess")) {
    fs::copy_file(entry.path(), bundle_dir / "conditionalAccess/policies" / entry.path().filename());
  }
  for (const auto& entry : fs::directory_iterator(baseline / "NamedLocations")) {
    if (entry.path().extension() == ".json") {
      fs::copy_file(entry.path(),
                    bundle_dir / "conditionalAccess/namedLocations" / entry.path().filename());
    }
  }
  auto bundle = app::LoadTenantBundle(bundle_dir.string());
  fs::remove_all(bundle_dir);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  ASSERT_NE(bundle->compiled, nullptr) << bundle->problems.ToString();
  EXPECT_GE(bundle->policies.size(), 30u);

  // CA002 blocks legacy authentication ("other" clients) for every user.
  SignInContext s;
  s.user_id = "someone";
  s.applications = {"00000002-0000-0ff1-ce00-000000000000"};
  s.client_app_type = ClientAppType::kOther;
  s.platform = DevicePlatform::kWindows;
  s.origin.country = "NL";
  Decision d = bundle->compiled->Evaluate(s);
  EXPECT_EQ(d.outcome, Outcome::kBlock);
}

}  // namespace
}  // namespace gatehouse::ca
