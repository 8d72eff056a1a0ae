#include "agent/agent_state.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "agent_test_util.h"
#include "crypto/crypto.h"
#include "gtest/gtest.h"

namespace gatehouse::agent {
namespace {

using testing::FileMode;
using testing::TempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Restores the process umask when the test ends.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(umask(mask)) {}
  ~ScopedUmask() { umask(previous_); }

 private:
  mode_t previous_;
};

TEST(DeviceKey, IsCreatedOnFirstUseWithMode0600EvenUnderAPermissiveUmask) {
  TempDir dir;
  ScopedUmask permissive(0);
  const absl::StatusOr<crypto::SigningKey> key = LoadOrCreateDeviceKey(dir.path() + "/state");
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string path = dir.path() + "/state/device-key.pem";
  EXPECT_EQ(FileMode(path), 0600u);
  EXPECT_EQ(FileMode(dir.path() + "/state"), 0700u);
  EXPECT_NE(ReadAll(path).find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  // No temporary file is left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/state")) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(DeviceKey, IsReusedOnLaterCalls) {
  TempDir dir;
  const absl::StatusOr<crypto::SigningKey> first = LoadOrCreateDeviceKey(dir.path());
  const absl::StatusOr<crypto::SigningKey> second = LoadOrCreateDeviceKey(dir.path());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->PublicJwk(), second->PublicJwk());
  EXPECT_EQ(first->PrivatePem(), ReadAll(dir.path() + "/device-key.pem"));
}

TEST(DeviceKey, RefusesAKeyFileReadableByOthers) {
  TempDir dir;
  ASSERT_TRUE(LoadOrCreateDeviceKey(dir.path()).ok());
  const std::string path = dir.path() + "/device-key.pem";
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  const absl::StatusOr<crypto::SigningKey> key = LoadOrCreateDeviceKey(dir.path());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(key.status().message().find("mode 644"), std::string_view::npos)
      << key.status();
}

TEST(DeviceKey, RefusesAFileThatIsNotAKey) {
  TempDir dir;
  const std::string path = dir.path() + "/device-key.pem";
  dir.Write("/device-key.pem", "not a key\n");
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  EXPECT_EQ(LoadOrCreateDeviceKey(dir.path()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadAll(path), "not a key\n");  // never overwritten
}

TEST(DeviceKey, RefusesASymlinkedKeyFile) {
  TempDir dir;
  TempDir other;
  ASSERT_TRUE(LoadOrCreateDeviceKey(other.path()).ok());
  std::filesystem::create_symlink(other.path() + "/device-key.pem",
                                  dir.path() + "/device-key.pem");
  EXPECT_FALSE(LoadOrCreateDeviceKey(dir.path()).ok());
}

TEST(AgentState, MissingStateIsEmpty) {
  TempDir dir;
  const absl::StatusOr<AgentState> state = LoadState(dir.path());
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->enrolled());
  EXPECT_FALSE(state->registered());
  EXPECT_EQ(state->next_sequence, 1);
}

TEST(AgentState, RoundTripsEveryFieldAndKeepsTheSecretApart) {
  TempDir dir;
  AgentState state;
  state.idp_url = "http://127.0.0.1:8080";
  state.uem_url = "http://127.0.0.1:8081";
  state.uem_device_id = "uem-1";
  state.device_secret = "s3cret-value";
  state.directory_device_id = "2f7c1a4e-0000-4000-8000-000000000001";
  state.registered_owner_id = "user-1";
  state.directory_linked = true;
  state.next_sequence = 42;
  state.last_check_in = {"2024-05-01T10:00:00Z", true, "nonCompliant",
                         R"([{"type":"notify"}])"};
  ASSERT_TRUE(SaveState(dir.path(), state).ok());

  EXPECT_EQ(FileMode(dir.path() + "/state.json"), 0600u);
  EXPECT_EQ(FileMode(dir.path() + "/device-secret"), 0600u);
  EXPECT_EQ(ReadAll(dir.path() + "/state.json").find("s3cret"), std::string::npos);

  const absl::StatusOr<AgentState> loaded = LoadState(dir.path());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->idp_url, state.idp_url);
  EXPECT_EQ(loaded->uem_url, state.uem_url);
  EXPECT_EQ(loaded->uem_device_id, state.uem_device_id);
  EXPECT_EQ(loaded->device_secret, state.device_secret);
  EXPECT_EQ(loaded->directory_device_id, state.directory_device_id);
  EXPECT_EQ(loaded->registered_owner_id, state.registered_owner_id);
  EXPECT_TRUE(loaded->directory_linked);
  EXPECT_EQ(loaded->next_sequence, 42);
  EXPECT_EQ(loaded->last_check_in.date_time, "2024-05-01T10:00:00Z");
  EXPECT_TRUE(loaded->last_check_in.accepted);
  EXPECT_EQ(loaded->last_check_in.compliance_state, "nonCompliant");
  EXPECT_EQ(loaded->last_check_in.commands_json, R"([{"type":"notify"}])");
  EXPECT_TRUE(loaded->enrolled());
  EXPECT_TRUE(loaded->registered());
}

TEST(AgentState, CorruptStateIsAPreciseError) {
  TempDir dir;
  dir.Write("/state.json", "{\"nextSequence\": ");
  ASSERT_EQ(chmod((dir.path() + "/state.json").c_str(), 0600), 0);
  absl::StatusOr<AgentState> state = LoadState(dir.path());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(state.status().message().find("state.json"), std::string_view::npos);

  dir.Write("/state.json", "{\"nextSequence\": 0}");
  state = LoadState(dir.path());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(state.status().message().find("/nextSequence"), std::string_view::npos);
}

TEST(WriteFileAtomically, ReplacesContentWithoutLeavingTemporaryFiles) {
  TempDir dir;
  const std::string path = dir.path() + "/file.json";
  ASSERT_TRUE(WriteFileAtomically(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two").ok());
  EXPECT_EQ(ReadAll(path), "two");
  EXPECT_EQ(FileMode(path), 0600u);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(WriteFileAtomically, ReportsAMissingFolder) {
  TempDir dir;
  EXPECT_EQ(WriteFileAtomically(dir.path() + "/no/such/file", "x").code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gatehouse::agent
