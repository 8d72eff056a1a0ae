// What survives a process: restart keeps everything, kill -9 loses nothing acknowledged, SIGTERM
// lets in-flight requests finish, and a tenant bundle round-trips through import/export unchanged.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "integration/admin_client.h"

namespace gatehouse::integration {
namespace {

namespace fs = std::filesystem;

// Four client threads creating users as fast as the server acknowledges them. Records every id
// answered with 201 and every other answer.
class UserBurst {
 public:
  explicit UserBurst(const AdminClient& admin) : admin_(admin) {
    for (int t = 0; t < 4; ++t) {
      threads_.emplace_back([this, t] {
        for (int n = 0; !stop_.load(); ++n) {
          const std::string name = "burst-" + std::to_string(t) + "-" + std::to_string(n);
          auto response = admin_.Post(
              "/v1.0/users",
              {{"userPrincipalName", name + "@contoso.example"}, {"displayName", name}});
          std::lock_guard<std::mutex> lock(mutex_);
          if (response.status == 201) {
            acknowledged_.push_back(BodyOf(response)["id"]);
          } else if (response.status == 0) {
            // The connection failed: the server is gone (or going). Nothing was acknowledged.
            if (++transport_failures_ > 20) return;
          } else {
            other_answers_.push_back(std::to_string(response.status) + " " + response.body);
          }
        }
      });
    }
  }
  ~UserBurst() { Join(); }

  std::size_t acknowledged_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return acknowledged_.size();
  }
  void WaitForAtLeast(std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (acknowledged_count() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  // Lets the threads run until their connections fail, then joins them.
  void RunUntilServerGone() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  void Join() {
    stop_ = true;
    RunUntilServerGone();
  }
  const std::vector<std::string>& acknowledged() const { return acknowledged_; }
  const std::vector<std::string>& other_answers() const { return other_answers_; }

 private:
  const AdminClient& admin_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::vector<std::string> acknowledged_;
  std::vector<std::string> other_answers_;
  int transport_failures_ = 0;
};

using Restart = ServerTest;

TEST_F(Restart, KeepsTheTenantTheSigningKeysAndTheAdminClient) {
  StartDemoServer();
  json policy = {{"displayName", "Added before restart"},
                 {"state", "enabledForReportingButNotEnforced"},
                 {"conditions",
                  {{"users", {{"includeUsers", {"All"}}}},
                   {"applications", {{"includeApplications", {"All"}}}}}},
                 {"grantControls", {{"operator", "OR"}, {"builtInControls", {"mfa"}}}}};
  ASSERT_EQ(admin.Post(kPolicies, policy).status, 201);
  ASSERT_EQ(admin.Post("/v1.0/users", {{"userPrincipalName", "kept@contoso.example"}}).status, 201);
  const json policies_before = BodyOf(admin.Get(std::string(kPolicies) + "?$top=1000"));
  const json users_before = BodyOf(admin.Get("/v1.0/users?$top=1000"));
  const std::string old_token = admin.token();
  const std::string old_secret = secret();
  ASSERT_EQ(policies_before["value"].size(), 9u);
  ASSERT_EQ(server().Stop(), 0);

  StartDemoServer();
  EXPECT_EQ(server().banner().find("shown once"), std::string::npos) << server().banner();
  EXPECT_TRUE(server().bootstrap_secret().empty());
  EXPECT_EQ(admin.token(), old_token);  // the old token is still in use ...
  auto policies_after = admin.Get(std::string(kPolicies) + "?$top=1000");
  ASSERT_EQ(policies_after.status, 200) << policies_after.body;  // ... and still valid
  EXPECT_EQ(BodyOf(policies_after), policies_before);
  EXPECT_EQ(BodyOf(admin.Get("/v1.0/users?$top=1000")), users_before);
  // The demo tenant is not seeded twice, and the secret still buys tokens.
  EXPECT_FALSE(admin.TokenFor(old_secret).empty());
  auto ready = admin.Get("/readyz");
  EXPECT_EQ(BodyOf(ready)["policies"], 9);
}

using Crash = ServerTest;

TEST_F(Crash, KillNineDuringABurstOfWritesLosesNothingAcknowledged) {
  StartServer({"--rate-limit", "0"});
  std::vector<std::string> acknowledged;
  {
    UserBurst burst(admin);
    burst.WaitForAtLeast(60);
    server().Kill();  // SIGKILL while the four threads are mid-request
    burst.RunUntilServerGone();
    acknowledged = burst.acknowledged();
    EXPECT_TRUE(burst.other_answers().empty()) << burst.other_answers().front();
  }
  ASSERT_GE(acknowledged.size(), 60u);

  StartServer({"--rate-limit", "0"});
  EXPECT_TRUE(server().bootstrap_secret().empty());
  std::size_t missing = 0;
  for (const auto& id : acknowledged) {
    auto got = admin.Get("/v1.0/users/" + id);
    if (got.status != 200) ++missing;
    EXPECT_EQ(got.status, 200) << id;
  }
  EXPECT_EQ(missing, 0u);
  // Nothing half-written either: every stored user is whole JSON (the list parses), and at most
  // the in-flight requests (one per thread) were stored without an acknowledgement.
  auto listed = admin.Get("/v1.0/users?$top=1000");
  ASSERT_EQ(listed.status, 200);
  const std::size_t stored = BodyOf(listed)["value"].size();
  EXPECT_GE(stored, acknowledged.size());
  EXPECT_LE(stored, acknowledged.size() + 4);
  ASSERT_EQ(server().Stop(), 0);
  CommandResult verify = RunGatehouse({"audit", "verify", "--data-dir", DataDir()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

using GracefulShutdown = ServerTest;

TEST_F(GracefulShutdown, SigtermFinishesInFlightRequestsAndExitsZero) {
  StartServer({"--rate-limit", "0"});
  std::vector<std::string> acknowledged;
  std::optional<int> exit_code;
  {
    UserBurst burst(admin);
    burst.WaitForAtLeast(40);
    server().SendSignal(SIGTERM);
    exit_code = server().Wait(std::chrono::seconds(20));
    burst.RunUntilServerGone();
    acknowledged = burst.acknowledged();
    // Requests that arrived during shutdown may be answered 503 but never fail otherwise.
    for (const auto& answer : burst.other_answers()) {
      EXPECT_EQ(answer.rfind("503", 0), 0u) << answer;
    }
  }
  ASSERT_TRUE(exit_code.has_value());
  EXPECT_EQ(*exit_code, 0) << server().Log();
  EXPECT_NE(server().Log().find("\"msg\":\"stopped\""), std::string::npos);

  StartServer({"--rate-limit", "0"});
  for (const auto& id : acknowledged) EXPECT_EQ(admin.Get("/v1.0/users/" + id).status, 200) << id;
  const std::size_t stored = BodyOf(admin.Get("/v1.0/users?$top=1000"))["value"].size();
  EXPECT_GE(stored, acknowledged.size());
}

// Every regular file under `root`, relative path -> contents.
std::map<std::string, std::string> FilesUnder(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), root).generic_string()] = ReadWholeFile(entry.path());
    }
  }
  return files;
}

TEST(PolicyAsCode, ExportImportExportIsByteIdentical) {
  TempDir temp;
  CommandResult first = RunGatehouse(
      {"import", "--tenant", SourcePath("examples/tenant"), "--data-dir", temp.Sub("first")});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("imported 8 policies, 2 named locations"), std::string::npos)
      << first.out;
  CommandResult export_a =
      RunGatehouse({"export", "--out", temp.Sub("a"), "--data-dir", temp.Sub("first")});
  ASSERT_EQ(export_a.exit_code, 0) << export_a.err;

  CommandResult second =
      RunGatehouse({"import", "--tenant", temp.Sub("a"), "--data-dir", temp.Sub("second")});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
  CommandResult export_b =
      RunGatehouse({"export", "--out", temp.Sub("b"), "--data-dir", temp.Sub("second")});
  ASSERT_EQ(export_b.exit_code, 0) << export_b.err;

  auto a = FilesUnder(temp.path() / "a");
  auto b = FilesUnder(temp.path() / "b");
  EXPECT_EQ(a.size(), FilesUnder(SourcePath("examples/tenant")).size());
  std::vector<std::string> names_a, names_b;
  for (const auto& [name, contents] : a) names_a.push_back(name);
  for (const auto& [name, contents] : b) names_b.push_back(name);
  ASSERT_EQ(names_a, names_b);
  for (const auto& [name, contents] : a) EXPECT_EQ(contents, b[name]) << name << " differs";

  // The exported bundle is a valid tenant for the CLI as well.
  CommandResult validate = RunGatehouse({"validate", "--tenant", temp.Sub("a")});
  EXPECT_EQ(validate.exit_code, 0) << validate.out << validate.err;
}

TEST(PolicyAsCode, ImportingABundleWithErrorsChangesNothing) {
  TempDir temp;
  fs::copy(SourcePath("examples/tenant"), temp.Sub("bad"), fs::copy_options::recursive);
  {
    std::ofstream broken(temp.Sub("bad") + "/conditionalAccess/policies/ca001.json",
                         std::ios::trunc);
    broken << R"({"id": "66666666-0000-4000-8000-000000000001", "state": "sometimes"})";
  }
  CommandResult good = RunGatehouse(
      {"import", "--tenant", SourcePath("examples/tenant"), "--data-dir", temp.Sub("data")});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  CommandResult bad =
      RunGatehouse({"import", "--tenant", temp.Sub("bad"), "--data-dir", temp.Sub("data")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("/state"), std::string::npos) << bad.err;
  ASSERT_EQ(
      RunGatehouse({"export", "--out", temp.Sub("out"), "--data-dir", temp.Sub("data")}).exit_code,
      0);
  CommandResult reference = RunGatehouse(
      {"import", "--tenant", SourcePath("examples/tenant"), "--data-dir", temp.Sub("reference")});
  ASSERT_EQ(reference.exit_code, 0);
  ASSERT_EQ(
      RunGatehouse({"export", "--out", temp.Sub("ref_out"), "--data-dir", temp.Sub("reference")})
          .exit_code,
      0);
  EXPECT_EQ(FilesUnder(temp.path() / "out"), FilesUnder(temp.path() / "ref_out"));
}

}  // namespace
}  // namespace gatehouse::integration
