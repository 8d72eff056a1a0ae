// The device side end to end over real processes: enrol → check-in → verdict → partner API →
// directory device isCompliant → sign-in decision; the partner API's scope and apply rules; and
// the partner link through an IdP outage and a UEM restart with a backlog (every change
// delivered, in order, none lost).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <map>
#include <thread>

#include "absl/time/clock.h"
#include "core/iso_time.h"
#include "crypto/crypto.h"
#include "integration/admin_client.h"

namespace gatehouse::integration {
namespace {

constexpr const char* kPayroll = "33333333-0000-4000-8000-000000000001";

std::uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

// `gatehouse serve` on a fixed port (so it can come back on the same address after a stop).
class FixedPortServer {
 public:
  FixedPortServer(std::string data_dir, std::uint16_t port, std::vector<std::string> extra)
      : data_dir_(std::move(data_dir)), port_(port), extra_(std::move(extra)) {}
  ~FixedPortServer() { Stop(); }

  std::string Start() {
    std::vector<std::string> args = {GatehouseBinary(), "serve", "--data-dir", data_dir_, "--listen",
                                     "127.0.0.1:" + std::to_string(port_), "--rate-limit", "0"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    const std::string out = data_dir_ + ".stdout." + std::to_string(starts_++);
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = Spawn(args, fd, data_dir_ + ".log");
    ::close(fd);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string banner = ReadWholeFile(out);
      if (banner.find("health:") != std::string::npos) {
        if (auto once = banner.find("shown once"); once != std::string::npos) {
          std::istringstream rest(banner.substr(banner.find('\n', once) + 1));
          rest >> secret_;
        }
        return "";
      }
      if (auto code = WaitFor(pid_, std::chrono::milliseconds(20))) {
        pid_ = -1;
        return "exited with " + std::to_string(*code) + ": " + ReadWholeFile(data_dir_ + ".log");
      }
    }
    return "no banner: " + ReadWholeFile(data_dir_ + ".log");
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!WaitFor(pid_, std::chrono::seconds(20))) {
      ::kill(pid_, SIGKILL);
      WaitFor(pid_, std::chrono::seconds(5));
    }
    pid_ = -1;
  }
  std::uint16_t port() const { return port_; }
  const std::string& secret() const { return secret_; }
  std::string Log() const { return ReadWholeFile(data_dir_ + ".log"); }

 private:
  std::string data_dir_;
  std::uint16_t port_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  int starts_ = 0;
  std::string secret_;
};

json DeviceJwk() {
  auto key = crypto::SigningKey::Generate("agent");
  json jwk = json::parse(key->PublicJwk());
  jwk.erase("kid");
  return jwk;
}

json LinuxPolicy() {
  return {{"id", "linux-baseline"},
          {"displayName", "Linux baseline"},
          {"platform", "Linux"},
          {"rules", json::array({{{"name", "firewall"}, {"key", "firewallEnabled"}, {"operator", "equals"}, {"value", true}},
                                 {{"name", "encryption"}, {"key", "storageEncrypted"}, {"operator", "equals"}, {"value", true}}})}};
}

json Posture(bool firewall) {
  return {{"operatingSystem", "Linux"}, {"osVersion", "6.1.0"}, {"firewallEnabled", firewall},
          {"storageEncrypted", true}};
}

// Sets up the UEM side: the policy assigned to all devices and an enrolment token.
std::string PrepareUem(const AdminClient& admin) {
  auto policy = admin.Post("/uem/v1/compliancePolicies", LinuxPolicy());
  EXPECT_EQ(policy.status, 201) << policy.body;
  auto assign = admin.Post("/uem/v1/compliancePolicies/linux-baseline/assign",
                           {{"assignments", json::array({{{"target", {{"@odata.type", "#microsoft.graph.allDevicesAssignmentTarget"}}}}})}});
  EXPECT_EQ(assign.status, 200) << assign.body;
  auto token = admin.Post("/uem/v1/enrollmentTokens", {{"displayName", "test"}});
  EXPECT_EQ(token.status, 201) << token.body;
  return BodyOf(token).value("token", "");
}

struct Enrolled {
  std::string id, secret;
};

Enrolled Enroll(const AdminClient& anonymous, const std::string& token, const std::string& host) {
  auto r = anonymous.Send("POST", "/uem/v1/enroll",
                          json{{"enrollmentToken", token}, {"publicKey", DeviceJwk()}, {"hostname", host},
                               {"operatingSystem", "Linux"}, {"osVersion", "6.1.0"}}.dump(),
                          {}, /*with_token=*/false);
  EXPECT_EQ(r.status, 201) << r.body;
  json body = BodyOf(r);
  return {body.value("deviceId", ""), body.value("deviceSecret", "")};
}

http::HttpResponse DevicePost(std::uint16_t port, const Enrolled& d, const std::string& path, const json& body) {
  AdminClient device(port);
  device.set_token(d.secret);
  return device.Post("/uem/v1/devices/" + d.id + path, body);
}

// Creates the directory device (what the agent's registration does) and returns its deviceId.
std::string CreateDirectoryDevice(const AdminClient& admin, const std::string& device_id) {
  auto r = admin.Post("/v1.0/devices", {{"deviceId", device_id}, {"displayName", device_id},
                                        {"operatingSystem", "Linux"}, {"trustType", "Workplace"},
                                        {"accountEnabled", true}});
  EXPECT_EQ(r.status, 201) << r.body;
  return device_id;
}

json DirectoryDevice(const AdminClient& admin, const std::string& device_id) {
  auto list = admin.Get("/v1.0/devices?$top=999");
  const json body = BodyOf(list);
  for (const auto& d : body.value("value", json::array())) {
    if (d.value("deviceId", "") == device_id) return d;
  }
  ADD_FAILURE() << "no directory device " << device_id << " in " << list.status << " " << list.body.substr(0, 400);
  return json::object();
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// The sign-in log record of one evaluated sign-in (Graph signIn shape: status.errorCode).
json Decide(const AdminClient& admin, const std::string& device_id) {
  json signin = {{"signInIdentity", {{"userId", "alice@contoso.example"}}},
                 {"signInContext", {{"includeApplications", {kPayroll}}}},
                 {"signInConditions", {{"devicePlatform", "linux"}, {"clientAppType", "browser"}, {"ipAddress", "203.0.113.10"}}},
                 {"session", {{"authenticationMethods", {"password", "softwareOath"}}, {"deviceId", device_id}}}};
  return BodyOf(admin.Post("/v1.0/gatehouse/signIns/evaluate", signin));
}

class UemFlow : public ServerTest {};

TEST_F(UemFlow, CheckInVerdictReachesTheSignInDecision) {
  StartServer({"--demo", "--rate-limit", "0", "--emergency-access-group", kEmergencyGroup});
  const std::string token = PrepareUem(admin);
  AdminClient anonymous(server().port());
  Enrolled device = Enroll(anonymous, token, "laptop-1");
  const std::string directory_id = CreateDirectoryDevice(admin, "0d5a1c4e-1111-4000-8000-00000000aaaa");

  auto bad = DevicePost(server().port(), device, "/checkins", {{"sequence", 1}, {"posture", Posture(false)}});
  ASSERT_EQ(bad.status, 200) << bad.body;
  EXPECT_EQ(BodyOf(bad)["complianceState"], "nonCompliant");
  auto link = DevicePost(server().port(), device, "/directoryLink", {{"directoryDeviceId", directory_id}});
  ASSERT_EQ(link.status, 200) << link.body;

  ASSERT_TRUE(WaitUntil([&] { return DirectoryDevice(admin, directory_id).value("isCompliant", true) == false &&
                                     DirectoryDevice(admin, directory_id).contains("gatehouseCompliance"); },
                        std::chrono::seconds(10)))
      << DirectoryDevice(admin, directory_id).dump() << server().Log();
  json record = DirectoryDevice(admin, directory_id);
  EXPECT_EQ(record["gatehouseCompliance"]["failingSettings"][0]["setting"], "firewall");
  EXPECT_EQ(record["isManaged"], true);
  ASSERT_TRUE(WaitUntil([&] { return Decide(admin, directory_id)["status"].value("errorCode", 0) == 53000; },
                        std::chrono::seconds(5)))
      << Decide(admin, directory_id).dump();

  auto good = DevicePost(server().port(), device, "/checkins", {{"sequence", 2}, {"posture", Posture(true)}});
  ASSERT_EQ(BodyOf(good)["complianceState"], "compliant") << good.body;
  const auto fixed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitUntil([&] { json d = Decide(admin, directory_id);
                          return d["status"].value("errorCode", -1) == 0 && d.value("conditionalAccessStatus", "") == "success"; },
                        std::chrono::seconds(5)))
      << Decide(admin, directory_id).dump();
  EXPECT_LT(std::chrono::steady_clock::now() - fixed_at, std::chrono::seconds(2));

  // Every change is in the directory audit log.
  auto audits = BodyOf(admin.Get("/v1.0/auditLogs/directoryAudits?$top=100"));
  int updates = 0;
  for (const auto& a : audits["value"]) {
    if (a.value("activityDisplayName", "") == "Update device compliance") ++updates;
  }
  EXPECT_EQ(updates, 2) << audits.dump();
  // The admin API shows the verdict with reasons.
  auto view = BodyOf(admin.Get("/uem/v1/devices/" + device.id));
  EXPECT_EQ(view["complianceState"], "compliant");
  EXPECT_EQ(view["directoryDeviceId"], directory_id);
  EXPECT_EQ(view["partnerSequence"], 2);
}

TEST_F(UemFlow, PartnerClientCanOnlyUpdateComplianceAndUpdatesApplyInOrder) {
  StartServer({"--demo", "--rate-limit", "0"});
  auto created = admin.Post("/v1.0/gatehouse/partnerClients", {{"clientId", "acme-uem"}});
  ASSERT_EQ(created.status, 201) << created.body;
  AdminClient partner(server().port());
  auto token = partner.RequestToken("acme-uem", BodyOf(created)["secretText"]);
  ASSERT_EQ(token.status, 200) << token.body;
  partner.set_token(BodyOf(token)["access_token"]);
  EXPECT_EQ(partner.Get("/v1.0/users").status, 403);
  EXPECT_EQ(partner.Get("/uem/v1/devices").status, 403);
  EXPECT_EQ(admin.Post("/partner/v1/deviceCompliance", {{"value", json::array()}}).status, 200);  // bootstrap holds every scope

  const std::string id = CreateDirectoryDevice(admin, "0d5a1c4e-2222-4000-8000-00000000bbbb");
  auto update = [&](int seq, bool compliant) {
    return json{{"deviceId", id}, {"compliant", compliant}, {"managed", true},
                {"complianceState", compliant ? "compliant" : "nonCompliant"},
                {"observedAt", core::FormatIsoDateTime(absl::Now())}, {"sequence", seq}};
  };
  // Listed out of order in one batch: applied in sequence order (3 wins), then a repeat and an
  // older one, an unknown device and an invalid entry.
  auto r = partner.Post("/partner/v1/deviceCompliance",
                        {{"value", json::array({update(3, true), update(2, false),
                                                {{"deviceId", "no-such-device"}, {"compliant", true}, {"observedAt", "2026-01-01T00:00:00Z"}, {"sequence", 1}},
                                                {{"deviceId", id}, {"compliant", "yes"}}})}});
  ASSERT_EQ(r.status, 200) << r.body;
  json results = BodyOf(r)["value"];
  EXPECT_EQ(results[0]["status"], "applied");
  EXPECT_EQ(results[1]["status"], "applied");
  EXPECT_EQ(results[2]["status"], "unknownDevice");
  EXPECT_EQ(results[3]["status"], "invalid");
  EXPECT_EQ(results[3]["error"], "/value/3/compliant: required: true or false");
  auto again = partner.Post("/partner/v1/deviceCompliance", {{"value", json::array({update(3, false), update(1, false)})}});
  EXPECT_EQ(BodyOf(again)["value"][0]["status"], "duplicate");
  EXPECT_EQ(BodyOf(again)["value"][1]["status"], "outOfOrder");
  json record = DirectoryDevice(admin, id);
  EXPECT_EQ(record["isCompliant"], true);
  EXPECT_EQ(record["gatehouseCompliance"]["sequence"], 3);
}

TEST_F(UemFlow, ReportedComplianceExpiresAfterTheValidityPeriod) {
  // 0.0005 h = 1.8 s.
  StartServer({"--demo", "--rate-limit", "0", "--compliance-validity-hours", "0.0005"});
  const std::string id = CreateDirectoryDevice(admin, "0d5a1c4e-4444-4000-8000-00000000cccc");
  auto r = admin.Post("/partner/v1/deviceCompliance",
                      {{"value", json::array({{{"deviceId", id}, {"compliant", true}, {"complianceState", "compliant"},
                                               {"observedAt", core::FormatIsoDateTime(absl::Now())}, {"sequence", 1}}})}});
  ASSERT_EQ(BodyOf(r)["value"][0]["status"], "applied") << r.body;
  ASSERT_TRUE(WaitUntil([&] { return Decide(admin, id)["status"].value("errorCode", -1) == 0; }, std::chrono::seconds(2)))
      << Decide(admin, id).dump();
  // Nothing else changes in the store: the snapshot is rebuilt when the validity runs out.
  EXPECT_TRUE(WaitUntil([&] { return Decide(admin, id)["status"].value("errorCode", 0) == 53000; }, std::chrono::seconds(5)))
      << Decide(admin, id).dump();
}

// Split deployment: the IdP stops while devices change state; afterwards every change arrives,
// in order; then the UEM restarts with a backlog and the IdP is down again: nothing is lost.
TEST(UemPartnerLink, EveryChangeIsDeliveredInOrderAcrossOutagesAndRestarts) {
  TempDir temp;
  FixedPortServer idp(temp.Sub("idp"), FreePort(), {"--role", "idp", "--demo"});
  ASSERT_EQ(idp.Start(), "");
  AdminClient idp_admin(idp.port());
  idp_admin.set_token(idp_admin.TokenFor(idp.secret()));
  auto partner = idp_admin.Post("/v1.0/gatehouse/partnerClients", {{"clientId", "uem-node"}});
  ASSERT_EQ(partner.status, 201) << partner.body;

  FixedPortServer uem(temp.Sub("uem"), FreePort(),
                      {"--role", "uem", "--partner-idp-url", "http://127.0.0.1:" + std::to_string(idp.port()),
                       "--partner-client-id", "uem-node", "--partner-client-secret",
                       BodyOf(partner)["secretText"].get<std::string>()});
  ASSERT_EQ(uem.Start(), "");
  AdminClient uem_admin(uem.port());
  const std::string secret_of_uem = uem.secret();
  uem_admin.set_token(uem_admin.TokenFor(secret_of_uem));
  const std::string token = PrepareUem(uem_admin);
  AdminClient anonymous(uem.port());

  constexpr int kDevices = 20;
  std::vector<Enrolled> devices;
  std::vector<std::string> directory_ids;
  std::vector<int> sequence(kDevices, 0);
  std::vector<bool> compliant(kDevices, false);
  std::map<std::string, int> expected_updates;
  for (int i = 0; i < kDevices; ++i) {
    devices.push_back(Enroll(anonymous, token, "host-" + std::to_string(i)));
    char id[64];
    std::snprintf(id, sizeof id, "0d5a1c4e-3333-4000-8000-%012d", i);
    directory_ids.push_back(CreateDirectoryDevice(idp_admin, id));
    ASSERT_EQ(DevicePost(uem.port(), devices[i], "/directoryLink", {{"directoryDeviceId", id}}).status, 200);
  }
  // Each round flips every device's posture: one compliance change per device per round.
  auto round = [&] {
    for (int i = 0; i < kDevices; ++i) {
      compliant[i] = !compliant[i];
      auto r = DevicePost(uem.port(), devices[i], "/checkins", {{"sequence", ++sequence[i]}, {"posture", Posture(compliant[i])}});
      ASSERT_EQ(r.status, 200) << r.body;
      ++expected_updates[directory_ids[i]];
    }
  };
  round();
  idp.Stop();
  for (int k = 0; k < 3; ++k) round();
  uem.Stop();  // the UEM goes down with a backlog
  ASSERT_EQ(uem.Start(), "");
  round();
  // The restarted UEM holds the whole backlog (at least the 4 rounds made while the IdP was down;
  // the first round may not have been delivered before the stop either) and reports it.
  uem_admin.set_token(uem_admin.TokenFor(secret_of_uem));
  auto backlog = [&] {
    std::string metrics = uem_admin.Get("/metrics").body;
    auto at = metrics.find("\ngatehouse_partner_outbox_backlog ");
    return at == std::string::npos ? -1 : std::atoi(metrics.c_str() + at + 34);
  };
  EXPECT_TRUE(WaitUntil([&] { const int n = backlog();
                        return n >= 4 * kDevices && n <= 5 * kDevices; }, std::chrono::seconds(10))) << backlog();
  ASSERT_EQ(idp.Start(), "");
  round();

  // Everything arrives: the IdP's audit log holds, per device, sequences 1..n with no gap, in order.
  auto collect = [&] {
    std::map<std::string, std::vector<int>> seen;
    std::string link = "/v1.0/auditLogs/directoryAudits?$top=1000&$filter=" +
                       FormEncode("activityDisplayName eq 'Update device compliance'");
    auto page = BodyOf(idp_admin.Get(link));
    for (const auto& a : page.value("value", json::array())) {
      json details = a.value("additionalDetails", json::array());
      std::string device;
      int seq = 0;
      for (const auto& kv : details) {
        if (kv.value("key", "") == "deviceId") device = kv.value("value", "");
        if (kv.value("key", "") == "sequence") seq = std::atoi(kv.value("value", "0").c_str());
      }
      if (!device.empty()) seen[device].push_back(seq);
    }
    return seen;
  };
  bool complete = WaitUntil([&] {
    auto seen = collect();
    for (const auto& [device, n] : expected_updates) {
      if (static_cast<int>(seen[device].size()) < n) return false;
    }
    return true;
  }, std::chrono::seconds(30));
  auto seen = collect();
  ASSERT_TRUE(complete) << "delivered for " << seen.size() << " devices; uem log:\n" << uem.Log();
  for (int i = 0; i < kDevices; ++i) {
    std::vector<int> sequences = seen[directory_ids[i]];
    std::sort(sequences.begin(), sequences.end());
    ASSERT_EQ(static_cast<int>(sequences.size()), expected_updates[directory_ids[i]]) << directory_ids[i];
    for (std::size_t k = 0; k < sequences.size(); ++k) EXPECT_EQ(sequences[k], static_cast<int>(k) + 1);
    json record = DirectoryDevice(idp_admin, directory_ids[i]);
    EXPECT_EQ(record["isCompliant"], static_cast<bool>(compliant[i])) << record.dump();
  }
}

}  // namespace
}  // namespace gatehouse::integration
