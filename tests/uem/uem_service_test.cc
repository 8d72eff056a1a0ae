#include "uem/uem_service.h"

#include <thread>

#include "gtest/gtest.h"
#include "uem/partner_update.h"
#include "uem/uem_database.h"
#include "uem_test_util.h"

namespace gatehouse::uem {
namespace {

using namespace gatehouse::uem::testing;  // NOLINT

class UemServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(int wipe_limit = 5) {
    service_.reset();
    UemOptions options;
    options.data_dir = dir_.path();
    options.clock = [this] { return clock_.Now(); };
    options.start_sweeper = false;
    options.wipe_limit = wipe_limit;
    options.heartbeat = absl::Hours(1);
    auto service = UemService::Open(options);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = std::move(*service);
  }

  // Enrols a device with a fresh token; returns {deviceId, deviceSecret}.
  std::pair<std::string, std::string> Enroll(json token_body = json::object()) {
    auto token = service_->CreateEnrollmentToken(token_body);
    EXPECT_TRUE(token.ok()) << token.status();
    auto enrolled = service_->Enroll({{"enrollmentToken", (*token)["token"]},
                                      {"publicKey", PublicJwk()},
                                      {"hostname", "laptop"},
                                      {"operatingSystem", "Linux"}});
    EXPECT_TRUE(enrolled.ok()) << enrolled.status();
    return {(*enrolled)["deviceId"], (*enrolled)["deviceSecret"]};
  }

  void AddPolicy(const json& policy) {
    auto put = service_->PutPolicy(policy, std::nullopt, true);
    ASSERT_TRUE(put.ok()) << put.status();
    ASSERT_TRUE(service_->AssignPolicy(policy["id"], AllDevices()).ok());
  }

  std::vector<json> Outbox() {
    auto rows = service_->PeekOutbox(1000);
    EXPECT_TRUE(rows.ok());
    std::vector<json> out;
    for (const auto& r : *rows) out.push_back(json::parse(r.body));
    return out;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<UemService> service_;
};

TEST_F(UemServiceTest, EnrolmentNeedsAValidTokenAndKey) {
  auto refused = service_->Enroll({{"enrollmentToken", "ghe_nope"}, {"publicKey", PublicJwk()}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  auto token = service_->CreateEnrollmentToken({{"maxUses", 1}});
  ASSERT_TRUE(token.ok());
  auto bad_key = service_->Enroll({{"enrollmentToken", (*token)["token"]}, {"publicKey", {{"kty", "RSA"}}}});
  EXPECT_EQ(bad_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_key.status().message().rfind("/publicKey: ", 0), 0u) << bad_key.status();
  auto first = service_->Enroll({{"enrollmentToken", (*token)["token"]}, {"publicKey", PublicJwk()}});
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = service_->Enroll({{"enrollmentToken", (*token)["token"]}, {"publicKey", PublicJwk()}});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnauthenticated);  // used up
  EXPECT_TRUE(service_->AuthenticateDevice((*first)["deviceId"], (*first)["deviceSecret"]).ok());
  EXPECT_FALSE(service_->AuthenticateDevice((*first)["deviceId"], "ghd_wrong").ok());
  EXPECT_FALSE(service_->AuthenticateDevice("unknown", (*first)["deviceSecret"]).ok());
}

TEST_F(UemServiceTest, RevokedAndExpiredTokensAreRefused) {
  auto token = service_->CreateEnrollmentToken({{"expiresInHours", 1}});
  ASSERT_TRUE(token.ok());
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(service_->Enroll({{"enrollmentToken", (*token)["token"]}, {"publicKey", PublicJwk()}}).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto other = service_->CreateEnrollmentToken({});
  ASSERT_TRUE(service_->RevokeEnrollmentToken((*other)["id"]).ok());
  EXPECT_EQ(service_->Enroll({{"enrollmentToken", (*other)["token"]}, {"publicKey", PublicJwk()}}).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(UemServiceTest, CheckInIsJudgedByTheAssignedPolicy) {
  AddPolicy(LinuxPolicy("linux", 0));
  auto [id, secret] = Enroll();
  auto bad = service_->CheckIn(id, CheckInBody(1, false, true));
  ASSERT_TRUE(bad.ok()) << bad.status();
  EXPECT_EQ((*bad)["accepted"], true);
  EXPECT_EQ((*bad)["complianceState"], "nonCompliant");
  ASSERT_EQ((*bad)["failingSettings"].size(), 1u);
  EXPECT_EQ((*bad)["failingSettings"][0]["setting"], "firewall");
  auto good = service_->CheckIn(id, CheckInBody(2, true, true));
  EXPECT_EQ((*good)["complianceState"], "compliant");
  EXPECT_EQ((*good)["compliant"], true);
}

TEST_F(UemServiceTest, RepeatedSequenceIsIdempotentAndOlderOnesNeverOverwrite) {
  AddPolicy(LinuxPolicy("linux", 0));
  auto [id, secret] = Enroll();
  ASSERT_TRUE(service_->CheckIn(id, CheckInBody(5, true, true)).ok());
  auto repeat = service_->CheckIn(id, CheckInBody(5, false, false));
  ASSERT_TRUE(repeat.ok());
  EXPECT_EQ((*repeat)["accepted"], true);
  EXPECT_EQ((*repeat)["duplicate"], true);
  EXPECT_EQ((*repeat)["complianceState"], "compliant");  // the repeat did not re-judge
  auto older = service_->CheckIn(id, CheckInBody(4, false, false));
  ASSERT_TRUE(older.ok());
  EXPECT_EQ((*older)["accepted"], false);
  auto device = service_->GetDevice(id);
  EXPECT_EQ((*device)["complianceState"], "compliant");
  EXPECT_EQ((*device)["lastSequence"], 5);
  EXPECT_EQ((*device)["posture"]["firewallEnabled"], true);
}

TEST_F(UemServiceTest, BadCheckInsArePreciseErrors) {
  auto [id, secret] = Enroll();
  EXPECT_EQ(service_->CheckIn(id, {{"posture", Posture(true, true)}}).status().message(),
            "/sequence: required: an integer >= 1, increasing per check-in");
  auto bad_version = service_->CheckIn(id, {{"sequence", 1}, {"posture", {{"firewallEnabled", "yes"}}}});
  EXPECT_EQ(bad_version.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_version.status().message().rfind("/posture/firewallEnabled", 0), 0u) << bad_version.status();
  EXPECT_EQ(service_->CheckIn("nope", CheckInBody(1, true, true)).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(UemServiceTest, GracePeriodExpiresInTheSweep) {
  AddPolicy(LinuxPolicy("linux", 24));
  auto [id, secret] = Enroll();
  auto first = service_->CheckIn(id, CheckInBody(1, false, true));
  EXPECT_EQ((*first)["complianceState"], "inGracePeriod");
  EXPECT_EQ((*first)["compliant"], true);  // Entra treats devices in grace as compliant
  ASSERT_EQ((*first)["commands"].size(), 1u);  // notifyUser at once
  EXPECT_EQ((*first)["commands"][0]["type"], "notifyUser");
  clock_.Advance(absl::Hours(23));
  ASSERT_TRUE(service_->Sweep().ok());
  EXPECT_EQ((*service_->GetDevice(id))["complianceState"], "inGracePeriod");
  clock_.Advance(absl::Hours(2));
  auto changed = service_->Sweep();
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 1);
  auto device = service_->GetDevice(id);
  EXPECT_EQ((*device)["complianceState"], "nonCompliant");
  EXPECT_EQ((*device)["notifications"].size(), 1u);
  // Fixing the posture resets the grace clock.
  auto fixed = service_->CheckIn(id, CheckInBody(2, true, true));
  EXPECT_EQ((*fixed)["complianceState"], "compliant");
  EXPECT_EQ((*service_->GetDevice(id))["firstNoncompliantDateTime"], nullptr);
}

TEST_F(UemServiceTest, OutboxRowsFollowChangesOfLinkedDevicesOnly) {
  AddPolicy(LinuxPolicy("linux", 0));
  auto [id, secret] = Enroll();
  ASSERT_TRUE(service_->CheckIn(id, CheckInBody(1, false, true)).ok());
  EXPECT_TRUE(Outbox().empty());  // not linked yet
  ASSERT_TRUE(service_->LinkDirectoryDevice(id, "dir-1").ok());
  auto rows = Outbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["deviceId"], "dir-1");
  EXPECT_EQ(rows[0]["sequence"], 1);
  EXPECT_EQ(rows[0]["compliant"], false);
  // Same state again: nothing new. A change: the next sequence.
  ASSERT_TRUE(service_->CheckIn(id, CheckInBody(2, false, true)).ok());
  EXPECT_EQ(Outbox().size(), 1u);
  ASSERT_TRUE(service_->CheckIn(id, CheckInBody(3, true, true)).ok());
  rows = Outbox();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["sequence"], 2);
  EXPECT_EQ(rows[1]["compliant"], true);
  EXPECT_EQ(rows[1]["failingSettings"].size(), 0u);
  // Linking again to another directory device is refused; the same one is a no-op.
  EXPECT_EQ(service_->LinkDirectoryDevice(id, "dir-2").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(service_->LinkDirectoryDevice(id, "dir-1").ok());
  EXPECT_EQ(Outbox().size(), 2u);
}

TEST_F(UemServiceTest, HeartbeatResendsTheCurrentStateWithANewSequence) {
  AddPolicy(LinuxPolicy("linux", 0));
  auto [id, secret] = Enroll();
  ASSERT_TRUE(service_->CheckIn(id, CheckInBody(1, true, true)).ok());
  ASSERT_TRUE(service_->LinkDirectoryDevice(id, "dir-1").ok());
  auto rows = service_->PeekOutbox(10);
  ASSERT_EQ(rows->size(), 1u);
  ASSERT_TRUE(service_->AckOutbox({(*rows)[0].seq}).ok());
  ASSERT_TRUE(service_->Sweep().ok());
  EXPECT_TRUE(Outbox().empty());
  clock_.Advance(absl::Minutes(61));
  ASSERT_TRUE(service_->Sweep().ok());
  auto beat = Outbox();
  ASSERT_EQ(beat.size(), 1u);
  EXPECT_EQ(beat[0]["sequence"], 2);
  EXPECT_EQ(beat[0]["compliant"], true);
}

TEST_F(UemServiceTest, StateAndOutboxSurviveARestart) {
  AddPolicy(LinuxPolicy("linux", 0));
  auto [id, secret] = Enroll();
  ASSERT_TRUE(service_->LinkDirectoryDevice(id, "dir-1").ok());
  ASSERT_TRUE(service_->CheckIn(id, CheckInBody(1, false, true)).ok());
  ASSERT_TRUE(service_->CheckIn(id, CheckInBody(2, true, true)).ok());
  Open();
  EXPECT_TRUE(service_->AuthenticateDevice(id, secret).ok());
  auto device = service_->GetDevice(id);
  ASSERT_TRUE(device.ok());
  EXPECT_EQ((*device)["lastSequence"], 2);
  EXPECT_EQ((*device)["complianceState"], "compliant");
  auto rows = Outbox();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["sequence"], 1);
  EXPECT_EQ(rows[1]["sequence"], 2);
  auto older = service_->CheckIn(id, CheckInBody(2, false, false));
  EXPECT_EQ((*older)["duplicate"], true);
  auto next = service_->CheckIn(id, CheckInBody(3, false, true));
  EXPECT_EQ((*next)["complianceState"], "nonCompliant");
  EXPECT_EQ(Outbox().back()["sequence"], 3);
  EXPECT_EQ((*service_->ListPolicies())["value"].size(), 1u);
}

TEST_F(UemServiceTest, AssignmentsFollowGroupsAndExclusions) {
  ASSERT_TRUE(service_->PutPolicy(LinuxPolicy("linux", 0), std::nullopt, true).ok());
  json assign = {{"assignments", json::array({
      {{"target", {{"@odata.type", "#microsoft.graph.groupAssignmentTarget"}, {"groupId", "engineering"}}}},
      {{"target", {{"@odata.type", "#microsoft.graph.exclusionGroupAssignmentTarget"}, {"groupId", "kiosk"}}}}})}};
  ASSERT_TRUE(service_->AssignPolicy("linux", assign).ok());
  auto [eng, s1] = Enroll({{"groupIds", {"engineering"}}});
  auto [kiosk, s2] = Enroll({{"groupIds", {"engineering", "kiosk"}}});
  auto [other, s3] = Enroll();
  for (const auto& id : {eng, kiosk, other}) ASSERT_TRUE(service_->CheckIn(id, CheckInBody(1, false, true)).ok());
  EXPECT_EQ((*service_->GetDevice(eng))["complianceState"], "nonCompliant");
  // Excluded / unassigned: no applicable policy, so secureByDefault decides (not compliant),
  // through the built-in policy rather than the Linux rules.
  auto excluded = service_->GetDevice(kiosk);
  EXPECT_EQ((*excluded)["policies"][0]["id"], "defaultDeviceCompliancePolicy");
  auto moved = service_->PatchDevice(other, {{"groupIds", {"engineering"}}});
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ((*moved)["policies"][0]["id"], "linux");
  EXPECT_EQ(service_->AssignPolicy("linux", {{"assignments", json::array({{{"target", {{"@odata.type", "#microsoft.graph.somethingElse"}}}}})}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(UemServiceTest, PolicyChangesReachDevicesInTheSweep) {
  auto [id, secret] = Enroll();
  ASSERT_TRUE(service_->CheckIn(id, CheckInBody(1, false, true)).ok());
  AddPolicy(LinuxPolicy("linux", 0));
  ASSERT_TRUE(service_->Sweep().ok());
  EXPECT_EQ((*service_->GetDevice(id))["policies"][0]["id"], "linux");
  EXPECT_EQ(service_->PutPolicy({{"id", "bad"}, {"rules", "nope"}}, std::nullopt, true).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(service_->DeletePolicy("linux").ok());
  EXPECT_EQ(service_->DeletePolicy("linux").code(), absl::StatusCode::kNotFound);
}

TEST_F(UemServiceTest, WipeCircuitBreakerHoldsWipesBeyondTheLimit) {
  Open(/*wipe_limit=*/2);
  AddPolicy(LinuxPolicy("linux", 0, /*wipe=*/true));
  std::vector<std::string> ids;
  std::vector<json> answers;
  for (int i = 0; i < 3; ++i) {
    auto [id, secret] = Enroll();
    ids.push_back(id);
    auto answer = service_->CheckIn(id, CheckInBody(1, false, true));
    ASSERT_TRUE(answer.ok());
    answers.push_back(*answer);
  }
  EXPECT_EQ(answers[0]["commands"][0]["type"], "wipe");
  EXPECT_EQ(answers[1]["commands"][0]["type"], "wipe");
  EXPECT_TRUE(answers[2]["commands"].empty());  // held
  auto held = service_->ListCommands("held");
  ASSERT_EQ((*held)["value"].size(), 1u);
  EXPECT_EQ((*held)["value"][0]["deviceId"], ids[2]);
  auto confirmed = service_->ConfirmCommand((*held)["value"][0]["id"]);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  EXPECT_EQ(service_->ConfirmCommand((*held)["value"][0]["id"]).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto next = service_->CheckIn(ids[2], CheckInBody(2, false, true));
  ASSERT_EQ((*next)["commands"].size(), 1u);
  EXPECT_EQ((*next)["commands"][0]["type"], "wipe");
  // A wipe is planned once per noncompliance: later check-ins carry no new wipe.
  auto again = service_->CheckIn(ids[0], CheckInBody(2, false, true));
  EXPECT_TRUE((*again)["commands"].empty());
}

TEST_F(UemServiceTest, ConcurrentCheckInsOfManyDevicesAllCommit) {
  AddPolicy(LinuxPolicy("linux", 0));
  std::vector<std::string> ids;
  for (int i = 0; i < 16; ++i) {
    auto [id, secret] = Enroll();
    ASSERT_TRUE(service_->LinkDirectoryDevice(id, "dir-" + std::to_string(i)).ok());
    ids.push_back(id);
  }
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int seq = 1; seq <= 20; ++seq) {
        auto answer = service_->CheckIn(ids[t], CheckInBody(seq, seq % 2 == 0, true));
        if (answer.ok() && (*answer)["accepted"] == true) ++accepted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 16 * 20);
  // Every change (20 per device) is in the outbox, in sequence order per device.
  std::map<std::string, std::int64_t> last;
  auto rows = Outbox();
  EXPECT_EQ(rows.size(), 16u * 20u);
  for (const auto& row : rows) {
    std::int64_t seq = row["sequence"];
    EXPECT_EQ(seq, last[row["deviceId"]] + 1);
    last[row["deviceId"]] = seq;
  }
}

TEST(SplitReason, FirstSentenceIsTheReasonTheRestTheRemediation) {
  auto [reason, remediation] = SplitReason("The firewall is off. Turn on the firewall.");
  EXPECT_EQ(reason, "The firewall is off.");
  EXPECT_EQ(remediation, "Turn on the firewall.");
  auto [one, same] = SplitReason("Only company devices.");
  EXPECT_EQ(one, same);
}

}  // namespace
}  // namespace gatehouse::uem

namespace gatehouse::uem {
namespace {

TEST(WriteBatcher, AFailingWorkIsRolledBackWithoutFailingTheOthersInItsGroup) {
  testing::TempDir dir;
  auto db = OpenUemDatabase(dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t (v INTEGER)").ok());
  std::vector<std::future<absl::Status>> results;
  {
    WriteBatcher batcher(**db);
    for (int i = 0; i < 50; ++i) {
      results.push_back(batcher.Submit([i](Db& d) -> absl::Status {
        if (!d.Exec("INSERT INTO t (v) VALUES (" + std::to_string(i) + ")").ok()) {
          return absl::InternalError("insert");
        }
        return i % 5 == 0 ? absl::AbortedError("refused") : absl::OkStatus();
      }));
    }
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(results[i].get().code(), i % 5 == 0 ? absl::StatusCode::kAborted : absl::StatusCode::kOk);
    }
  }
  auto count = (*db)->QueryInt64("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 40);  // the 10 refused works left nothing behind
  EXPECT_EQ(*(*db)->QueryInt64("SELECT COUNT(*) FROM t WHERE v % 5 = 0"), 0);
}

}  // namespace
}  // namespace gatehouse::uem
