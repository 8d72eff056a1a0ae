// Unit tests of the server's parts that need no network: OData query parsing, admin tokens,
// the lockout guard and policy-as-code round trips.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/admin_auth.h"
#include "app/lockout_guard.h"
#include "app/odata_query.h"
#include "app/tenant_io.h"
#include "ca/policy_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "store/store.h"

namespace gatehouse::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kExampleTenant = std::string(GATEHOUSE_SOURCE_DIR) + "/examples/tenant";

class ScratchDir {
 public:
  ScratchDir()
      : path_(fs::temp_directory_path() /
              ("gatehouse-app-" + std::to_string(::getpid()) + "-" + std::to_string(next_++))) {
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }
  fs::path path() const { return path_; }

 private:
  static inline int next_ = 0;
  fs::path path_;
};

TEST(ParseFilter, ReadsClausesJoinedByAnd) {
  auto clauses = ParseFilter("userId eq 'a''b' and status/errorCode eq 53003 and "
                             "createdDateTime ge 2026-01-01T00:00:00Z");
  ASSERT_TRUE(clauses.ok()) << clauses.status();
  ASSERT_EQ(clauses->size(), 3u);
  EXPECT_EQ((*clauses)[0].value, "a'b");
  EXPECT_TRUE((*clauses)[0].quoted);
  EXPECT_EQ((*clauses)[1].field, "status/errorCode");
  EXPECT_FALSE((*clauses)[1].quoted);
  EXPECT_EQ((*clauses)[2].op, "ge");
}

TEST(ParseFilter, NamesThePositionOfWhatIsWrong) {
  EXPECT_THAT(ParseFilter("userId eq 'x' or appId eq 'y'").status().message(),
              HasSubstr("position 15: expected 'and'"));
  EXPECT_THAT(ParseFilter("userId contains 'x'").status().message(),
              HasSubstr("position 8: expected eq, ne, ge, gt, le or lt"));
  EXPECT_THAT(ParseFilter("userId eq 'open").status().message(),
              HasSubstr("unterminated string"));
}

TEST(ParsePageRequest, ValidatesTopAndRejectsUnknownOptions) {
  EXPECT_FALSE(ParsePageRequest({{"$top", "0"}}).ok());
  EXPECT_FALSE(ParsePageRequest({{"$top", "1001"}}).ok());
  EXPECT_FALSE(ParsePageRequest({{"$orderby", "x"}}).ok());
  auto page = ParsePageRequest({{"$top", "5"}, {"$skiptoken", "42"}});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->top, 5);
  EXPECT_EQ(page->skip_token, 42);
}

class AdminAuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(dir_.str());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auth_ = std::make_unique<AdminAuthority>(*store_, "https://gatehouse.test");
    ASSERT_TRUE(auth_->Initialize().ok());
  }
  ScratchDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AdminAuthority> auth_;
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
};

TEST_F(AdminAuthorityTest, IssuesTokensThatAuthenticateWithTheirScopes) {
  auto secret = auth_->CreateClient("ops", "Ops", {"Policy.ReadWrite.ConditionalAccess"}, "test");
  ASSERT_TRUE(secret.ok());
  auto result = auth_->IssueToken("grant_type=client_credentials&client_id=ops&client_secret=" +
                                      *secret,
                                  "", now_);
  ASSERT_FALSE(result.error.has_value()) << result.error->description;
  auto token = nlohmann::json::parse(result.json);
  EXPECT_EQ(token["token_type"], "Bearer");
  auto who = auth_->Authenticate("Bearer " + token["access_token"].get<std::string>(), now_);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->client_id, "ops");
  EXPECT_TRUE(ScopeAllows(who->scopes, "Policy.Read.ConditionalAccess"));
  EXPECT_FALSE(ScopeAllows(who->scopes, "Directory.Read.All"));
  // An hour and a bit later the token has expired.
  EXPECT_FALSE(auth_->Authenticate("Bearer " + token["access_token"].get<std::string>(),
                                   now_ + absl::Minutes(62))
                   .ok());
}

TEST_F(AdminAuthorityTest, UnknownClientAndWrongSecretLookTheSame) {
  ASSERT_TRUE(auth_->CreateClient("ops", "Ops", {"Directory.Read.All"}, "test").ok());
  auto wrong = auth_->IssueToken("grant_type=client_credentials&client_id=ops&client_secret=x", "", now_);
  auto unknown = auth_->IssueToken("grant_type=client_credentials&client_id=nobody&client_secret=x", "", now_);
  ASSERT_TRUE(wrong.error && unknown.error);
  EXPECT_EQ(wrong.error->http_status, unknown.error->http_status);
  EXPECT_EQ(wrong.error->error, unknown.error->error);
  EXPECT_EQ(wrong.error->description, unknown.error->description);
}

TEST_F(AdminAuthorityTest, AcceptsHttpBasicAndNarrowsScopes) {
  auto secret = auth_->CreateClient("ops", "Ops", {"Directory.ReadWrite.All", "AuditLog.Read.All"}, "test");
  ASSERT_TRUE(secret.ok());
  std::string basic = "ops:" + *secret;
  // Standard base64 of the credentials.
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < basic.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(basic[i]) << 16;
    if (i + 1 < basic.size()) n |= static_cast<unsigned char>(basic[i + 1]) << 8;
    if (i + 2 < basic.size()) n |= static_cast<unsigned char>(basic[i + 2]);
    encoded += kAlphabet[(n >> 18) & 63];
    encoded += kAlphabet[(n >> 12) & 63];
    encoded += i + 1 < basic.size() ? kAlphabet[(n >> 6) & 63] : '=';
    encoded += i + 2 < basic.size() ? kAlphabet[n & 63] : '=';
  }
  auto result = auth_->IssueToken("grant_type=client_credentials&scope=Directory.Read.All",
                                  "Basic " + encoded, now_);
  ASSERT_FALSE(result.error.has_value()) << result.error->description;
  EXPECT_EQ(nlohmann::json::parse(result.json)["scope"], "Directory.Read.All");
  auto too_much = auth_->IssueToken(
      "grant_type=client_credentials&scope=Policy.Read.ConditionalAccess", "Basic " + encoded, now_);
  ASSERT_TRUE(too_much.error.has_value());
  EXPECT_EQ(too_much.error->error, "invalid_scope");
}

TEST_F(AdminAuthorityTest, RejectsTokensOfAnotherIssuerAndGarbage) {
  AdminAuthority other(*store_, "https://elsewhere.test");
  ASSERT_TRUE(other.Initialize().ok());  // same keys (same store), other issuer
  auto secret = other.CreateClient("x", "X", {"Directory.Read.All"}, "test");
  ASSERT_TRUE(secret.ok());
  auto token = other.IssueToken("grant_type=client_credentials&client_id=x&client_secret=" + *secret, "", now_);
  ASSERT_FALSE(token.error.has_value());
  std::string bearer = "Bearer " + nlohmann::json::parse(token.json)["access_token"].get<std::string>();
  EXPECT_THAT(auth_->Authenticate(bearer, now_).status().message(), HasSubstr("not issued for this API"));
  EXPECT_FALSE(auth_->Authenticate("Bearer abc.def.ghi", now_).ok());
  EXPECT_FALSE(auth_->Authenticate("", now_).ok());
}

ca::Policy BlockEveryone(const std::string& excluded_groups_json = "[]") {
  core::ProblemList problems;
  auto policy = ca::ParsePolicy(
      nlohmann::json::parse(R"({"id":"block-all","state":"enabled","conditions":{
        "users":{"includeUsers":["All"],"excludeGroups":)" + excluded_groups_json + R"(},
        "applications":{"includeApplications":["All"]},"clientAppTypes":["all"]},
        "grantControls":{"operator":"OR","builtInControls":["block"]}})"),
      "", problems);
  EXPECT_TRUE(policy.has_value()) << problems.ToString();
  return *policy;
}

TEST(LockoutGuard, RefusesPoliciesThatBlockEveryGlobalAdministrator) {
  auto tenant = LoadTenantBundle(kExampleTenant);
  ASSERT_TRUE(tenant.ok());
  std::vector<ca::Policy> policies = tenant->policies;
  policies.push_back(BlockEveryone());
  auto lockout = CheckLockout(*tenant, policies, "");
  ASSERT_TRUE(lockout.has_value());
  EXPECT_THAT(*lockout, HasSubstr("every holder of the Global Administrator role"));
}

TEST(LockoutGuard, RefusesPoliciesThatBlockTheEmergencyAccessGroup) {
  auto tenant = LoadTenantBundle(kExampleTenant);
  ASSERT_TRUE(tenant.ok());
  std::vector<ca::Policy> policies = tenant->policies;
  // Bob (a Global Administrator, not in the emergency group) is excluded; breakglass is not.
  core::ProblemList problems;
  auto policy = ca::ParsePolicy(
      nlohmann::json::parse(R"({"id":"p","state":"enabled","conditions":{
        "users":{"includeUsers":["All"],"excludeUsers":["11111111-0000-4000-8000-000000000002"]},
        "applications":{"includeApplications":["All"]}},
        "grantControls":{"operator":"OR","builtInControls":["block"]}})"),
      "", problems);
  ASSERT_TRUE(policy.has_value());
  policies.push_back(*policy);
  auto lockout = CheckLockout(*tenant, policies, "22222222-0000-4000-8000-000000000003");
  ASSERT_TRUE(lockout.has_value());
  EXPECT_THAT(*lockout, HasSubstr("emergency-access group"));
}

TEST(LockoutGuard, AllowsBlocksThatSpareTheEmergencyAccounts) {
  auto tenant = LoadTenantBundle(kExampleTenant);
  ASSERT_TRUE(tenant.ok());
  std::vector<ca::Policy> policies = tenant->policies;
  policies.push_back(BlockEveryone(R"(["22222222-0000-4000-8000-000000000003"])"));
  // breakglass holds the role and is excluded: neither every admin nor the group is locked out.
  EXPECT_FALSE(CheckLockout(*tenant, policies, "22222222-0000-4000-8000-000000000003").has_value());
}

TEST(LockoutGuard, MfaRequirementsAreNeverLockouts) {
  auto tenant = LoadTenantBundle(kExampleTenant);
  ASSERT_TRUE(tenant.ok());
  EXPECT_FALSE(CheckLockout(*tenant, tenant->policies, "22222222-0000-4000-8000-000000000003")
                   .has_value());
}

std::map<std::string, std::string> ReadTree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    files[fs::relative(entry.path(), root).string()] = text.str();
  }
  return files;
}

TEST(TenantIo, ExportImportExportIsByteIdentical) {
  ScratchDir first_store, second_store, a, b;
  auto store1 = store::OpenSqliteStore(first_store.str());
  auto store2 = store::OpenSqliteStore(second_store.str());
  ASSERT_TRUE(store1.ok() && store2.ok());
  auto imported = ImportTenant(**store1, kExampleTenant, "test");
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->policies, 8u);
  EXPECT_EQ(imported->role_assignments, 2u);
  ASSERT_TRUE(ExportTenant(**store1, a.str()).ok());
  ASSERT_TRUE(ImportTenant(**store2, a.str(), "test").ok());
  ASSERT_TRUE(ExportTenant(**store2, b.str()).ok());
  auto tree_a = ReadTree(a.path()), tree_b = ReadTree(b.path());
  EXPECT_EQ(tree_a.size(), 15u);  // 8 policies, 2 locations, 5 directory files
  EXPECT_EQ(tree_a, tree_b);
  // The exported bundle is itself a valid bundle with the same decisions.
  auto bundle = LoadTenantBundle(a.str());
  ASSERT_TRUE(bundle.ok());
  EXPECT_FALSE(bundle->problems.has_errors()) << bundle->problems.ToString();
  EXPECT_EQ(bundle->policies.size(), 8u);
}

TEST(TenantIo, ImportRefusesBundlesWithErrorsAndWritesNothing) {
  ScratchDir store_dir, bundle;
  fs::create_directories(bundle.path() / "conditionalAccess/policies");
  std::ofstream(bundle.path() / "conditionalAccess/policies/bad.json") << R"({"id":"x","state":"maybe"})";
  auto store = store::OpenSqliteStore(store_dir.str());
  ASSERT_TRUE(store.ok());
  auto imported = ImportTenant(**store, bundle.str(), "test");
  EXPECT_EQ(imported.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(imported.status().message(), HasSubstr("/state"));
  auto policies = (*store)->List(store::ObjectKind::kPolicy);
  ASSERT_TRUE(policies.ok());
  EXPECT_TRUE(policies->empty());
}

}  // namespace
}  // namespace gatehouse::app
