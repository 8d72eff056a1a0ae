// The agent's client side against fake UEM and IdP servers that follow the wire contracts.
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agent/agent_commands.h"
#include "agent/fleet_simulator.h"
#include "agent/server_client.h"
#include "agent_test_util.h"
#include "gtest/gtest.h"
#include "http/http_server.h"
#include "idp/device_proof.h"
#include "nlohmann/json.hpp"

namespace gatehouse::agent {
namespace {

using testing::FileMode;
using testing::TempDir;

const absl::Time kNow = absl::FromUnixSeconds(1714557600);

// A UEM and an IdP in one fake server, recording what they receive.
class FakeServers {
 public:
  FakeServers() {
    router_.Add("POST", "/uem/v1/enroll", [this](http::HttpRequest& r) { return Enroll(r); });
    router_.Add("POST", "/uem/v1/devices/{id}/checkins",
                [this](http::HttpRequest& r) { return CheckIn(r); });
    router_.Add("POST", "/uem/v1/devices/{id}/directoryLink",
                [this](http::HttpRequest& r) { return Link(r); });
    router_.Add("POST", "/idp/v1/deviceRegistrations/nonce",
                [this](http::HttpRequest& r) { return Nonce(r); });
    router_.Add("POST", "/idp/v1/deviceRegistrations",
                [this](http::HttpRequest& r) { return Register(r); });
    http::HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    options.rate_limit_per_second = 0;
    server_ = std::move(*http::HttpServer::Start(
        options, [this](http::HttpRequest& r) { return router_.Dispatch(r); }));
  }
  ~FakeServers() { server_->Shutdown(std::chrono::seconds(1)); }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  struct Device {
    std::string secret;
    std::string directory_id;
    std::vector<std::int64_t> sequences;
    std::vector<nlohmann::json> postures;
    std::string state;  // last compliance state answered
  };

  std::mutex mutex;
  std::map<std::string, Device> devices;  // by UEM device id
  std::vector<nlohmann::json> enroll_bodies;
  std::vector<nlohmann::json> register_bodies;
  int checkin_status = 200;  // what check-ins answer (set 500 to simulate an outage)

 private:
  http::HttpResponse Enroll(http::HttpRequest& request) {
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    std::lock_guard<std::mutex> lock(mutex);
    enroll_bodies.push_back(body);
    if (!body.is_object() || body.value("enrollmentToken", "") != "tok-1") {
      return http::Problem(401, "Unauthorized", "unknown enrolment token");
    }
    const std::string id = "uem-" + std::to_string(devices.size() + 1);
    devices[id].secret = "secret-" + id;
    return http::HttpResponse::Json(
        201, nlohmann::json({{"deviceId", id}, {"deviceSecret", "secret-" + id}}).dump());
  }

  // The device of the request when its bearer secret matches; nullptr otherwise.
  Device* Authenticated(http::HttpRequest& request) {
    const auto it = devices.find(request.path_params["id"]);
    if (it == devices.end()) return nullptr;
    if (request.Header("authorization") != "Bearer " + it->second.secret) return nullptr;
    return &it->second;
  }

  http::HttpResponse CheckIn(http::HttpRequest& request) {
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    std::lock_guard<std::mutex> lock(mutex);
    Device* device = Authenticated(request);
    if (device == nullptr) return http::Problem(401, "Unauthorized", "bad device secret");
    if (checkin_status != 200) return http::Problem(checkin_status, "Error", "outage");
    const std::int64_t sequence = body.at("sequence").get<std::int64_t>();
    const bool in_order = device->sequences.empty() || sequence > device->sequences.back();
    if (!in_order) {
      return http::HttpResponse::Json(
          200, nlohmann::json({{"accepted", false}, {"complianceState", device->state},
                               {"commands", nlohmann::json::array()}})
                   .dump());
    }
    device->sequences.push_back(sequence);
    device->postures.push_back(body.at("posture"));
    const bool encrypted = body["posture"].value("storageEncrypted", false);
    device->state = encrypted ? "compliant" : "nonCompliant";
    return http::HttpResponse::Json(
        200, nlohmann::json({{"accepted", true},
                             {"complianceState", device->state},
                             {"compliant", encrypted},
                             {"commands", nlohmann::json::array({{{"type", "notify"}}})}})
                 .dump());
  }

  http::HttpResponse Link(http::HttpRequest& request) {
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    std::lock_guard<std::mutex> lock(mutex);
    Device* device = Authenticated(request);
    if (device == nullptr) return http::Problem(401, "Unauthorized", "bad device secret");
    device->directory_id = body.value("directoryDeviceId", "");
    return http::HttpResponse::Json(200, "{}");
  }

  http::HttpResponse Nonce(http::HttpRequest& request) {
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    const std::string code = body.is_object() ? body.value("code", "") : "";
    if (code != "CODE-1") return http::Problem(400, "Bad Request", "unknown or expired code");
    const std::string binding = "reg:user-1:" + code;
    const std::string nonce =
        *verifier_.IssueNonce(idp::DeviceProofPurpose::kRegistration, binding, kNow);
    return http::HttpResponse::Json(
        200, nlohmann::json({{"nonce", nonce}, {"binding", binding}}).dump());
  }

  http::HttpResponse Register(http::HttpRequest& request) {
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    {
      std::lock_guard<std::mutex> lock(mutex);
      register_bodies.push_back(body);
    }
    const std::string code = body.value("code", "");
    absl::StatusOr<idp::DeviceRegistration> registration = verifier_.VerifyRegistration(
        body.at("publicKey").dump(), body.value("nonce", ""), "reg:user-1:" + code,
        body.value("signature", ""), "user-1", kNow);
    if (!registration.ok()) return http::ProblemFor(registration.status());
    return http::HttpResponse::Json(
        201, nlohmann::json({{"deviceId", registration->device_id},
                             {"trustType", registration->trust_type},
                             {"registeredOwnerId", registration->registered_owner}})
                 .dump());
  }

  http::Router router_;
  idp::DeviceProofVerifier verifier_;
  std::unique_ptr<http::HttpServer> server_;
};

HostEnvironment EmptyHost(const TempDir& root) {
  HostEnvironment env;
  env.root = root.path();
  return env;
}

// ---- URLs ---------------------------------------------------------------------------------------

TEST(ParseServerUrl, SplitsHostPortAndBasePath) {
  absl::StatusOr<ServerUrl> url = ParseServerUrl("http://idp.example:8080/tenant/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "idp.example");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->base_path, "/tenant");
  EXPECT_EQ(url->Origin(), "http://idp.example:8080");
  url = ParseServerUrl("http://127.0.0.1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->Origin(), "http://127.0.0.1");
  url = ParseServerUrl("http://[::1]:9000");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->Origin(), "http://[::1]:9000");
}

TEST(ParseServerUrl, RefusesWhatTheClientCannotUse) {
  for (const char* bad : {"https://idp.example", "ftp://x", "idp.example:8080", "http://",
                          "http://:80", "http://h:0", "http://h:65536", "http://h:8x",
                          "http://user@h", "http://h/?q=1", "http://h:"}) {
    EXPECT_EQ(ParseServerUrl(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseServerUrl("https://idp.example").status().message().find("https"),
            std::string_view::npos);
}

// ---- enrol, register, check in ------------------------------------------------------------------

TEST(AgentCommands, EnrolsAndStoresTheSecretApart) {
  FakeServers servers;
  TempDir state_dir, host;
  const absl::StatusOr<AgentState> state =
      EnrollCommand(state_dir.path(), servers.Url(), "tok-1", EmptyHost(host), false);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->uem_device_id, "uem-1");
  EXPECT_EQ(FileMode(state_dir.path() + "/device-key.pem"), 0600u);
  EXPECT_EQ(FileMode(state_dir.path() + "/device-secret"), 0600u);
  std::lock_guard<std::mutex> lock(servers.mutex);
  ASSERT_EQ(servers.enroll_bodies.size(), 1u);
  const nlohmann::json& body = servers.enroll_bodies[0];
  EXPECT_EQ(body["enrollmentToken"], "tok-1");
  EXPECT_EQ(body["operatingSystem"], "Linux");
  EXPECT_FALSE(body.value("hostname", "").empty());
  EXPECT_EQ(body["publicKey"]["kty"], "EC");
  EXPECT_EQ(body["publicKey"]["crv"], "P-256");
  EXPECT_FALSE(body["publicKey"].contains("d"));  // only the public key leaves
  EXPECT_TRUE(idp::DevicePublicKey::FromJwk(body["publicKey"].dump()).ok());
}

TEST(AgentCommands, EnrolOnlyOnceUnlessForced) {
  FakeServers servers;
  TempDir state_dir, host;
  ASSERT_TRUE(EnrollCommand(state_dir.path(), servers.Url(), "tok-1", EmptyHost(host), false).ok());
  EXPECT_EQ(EnrollCommand(state_dir.path(), servers.Url(), "tok-1", EmptyHost(host), false)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  const absl::StatusOr<AgentState> again =
      EnrollCommand(state_dir.path(), servers.Url(), "tok-1", EmptyHost(host), true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->uem_device_id, "uem-2");
}

TEST(AgentCommands, ServerRefusalsCarryTheProblemDetail) {
  FakeServers servers;
  TempDir state_dir, host;
  const absl::Status refused =
      EnrollCommand(state_dir.path(), servers.Url(), "wrong", EmptyHost(host), false).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(refused.message().find("unknown enrolment token"), std::string_view::npos) << refused;
  EXPECT_FALSE(LoadState(state_dir.path())->enrolled());
}

TEST(AgentCommands, UnreachableServerIsUnavailable) {
  TempDir state_dir, host;
  // Port 1 on loopback: nothing listens there.
  EXPECT_EQ(
      EnrollCommand(state_dir.path(), "http://127.0.0.1:1", "tok-1", EmptyHost(host), false)
          .status()
          .code(),
      absl::StatusCode::kUnavailable);
}

TEST(AgentCommands, RegistersWithAProofAndLinksTheDirectoryIdAtTheUem) {
  FakeServers servers;
  TempDir state_dir, host;
  ASSERT_TRUE(EnrollCommand(state_dir.path(), servers.Url(), "tok-1", EmptyHost(host), false).ok());
  const absl::StatusOr<RegisterResult> result =
      RegisterCommand(state_dir.path(), servers.Url(), "CODE-1", EmptyHost(host));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->directory_link.ok()) << result->directory_link;
  EXPECT_EQ(result->state.registered_owner_id, "user-1");
  EXPECT_EQ(result->state.directory_device_id.size(), 36u);  // a GUID from the verifier
  EXPECT_TRUE(result->state.directory_linked);
  {
    std::lock_guard<std::mutex> lock(servers.mutex);
    EXPECT_EQ(servers.devices["uem-1"].directory_id, result->state.directory_device_id);
    ASSERT_EQ(servers.register_bodies.size(), 1u);
    EXPECT_EQ(servers.register_bodies[0]["operatingSystem"], "Linux");
    EXPECT_FALSE(servers.register_bodies[0].value("displayName", "").empty());
  }
  const absl::StatusOr<AgentState> saved = LoadState(state_dir.path());
  EXPECT_EQ(saved->directory_device_id, result->state.directory_device_id);
  EXPECT_EQ(saved->idp_url, servers.Url());
}

TEST(AgentCommands, RegistrationWithABadCodeFails) {
  FakeServers servers;
  TempDir state_dir, host;
  const absl::Status status =
      RegisterCommand(state_dir.path(), servers.Url(), "WRONG", EmptyHost(host)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("unknown or expired code"), std::string_view::npos);
}

TEST(AgentCommands, RegistrationBeforeEnrolmentLinksWhenEnrolled) {
  FakeServers servers;
  TempDir state_dir, host;
  const absl::StatusOr<RegisterResult> registered =
      RegisterCommand(state_dir.path(), servers.Url(), "CODE-1", EmptyHost(host));
  ASSERT_TRUE(registered.ok());
  EXPECT_FALSE(registered->state.directory_linked);
  const absl::StatusOr<AgentState> enrolled =
      EnrollCommand(state_dir.path(), servers.Url(), "tok-1", EmptyHost(host), false);
  ASSERT_TRUE(enrolled.ok());
  EXPECT_TRUE(enrolled->directory_linked);
  std::lock_guard<std::mutex> lock(servers.mutex);
  EXPECT_EQ(servers.devices["uem-1"].directory_id, registered->state.directory_device_id);
}

TEST(AgentCommands, CheckInsCarryIncreasingSequencesAndRecordTheAnswer) {
  FakeServers servers;
  TempDir state_dir, host;
  host.Write("/etc/os-release", "ID=debian\nVERSION_ID=12\n");
  ASSERT_TRUE(EnrollCommand(state_dir.path(), servers.Url(), "tok-1", EmptyHost(host), false).ok());
  const absl::StatusOr<CheckInResult> first =
      CheckInCommand(state_dir.path(), EmptyHost(host), kNow);
  ASSERT_TRUE(first.ok()) << first.status();
  const absl::StatusOr<CheckInResult> second =
      CheckInCommand(state_dir.path(), EmptyHost(host), kNow + absl::Minutes(15));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->sequence, 1);
  EXPECT_EQ(second->sequence, 2);
  EXPECT_EQ(second->state.last_check_in.compliance_state, "nonCompliant");
  EXPECT_TRUE(second->state.last_check_in.accepted);
  EXPECT_EQ(second->state.last_check_in.date_time, "2024-05-01T10:15:00Z");
  {
    std::lock_guard<std::mutex> lock(servers.mutex);
    const FakeServers::Device& device = servers.devices["uem-1"];
    EXPECT_EQ(device.sequences, (std::vector<std::int64_t>{1, 2}));
    const nlohmann::json& posture = device.postures.back();
    EXPECT_EQ(posture["deviceId"], "uem-1");  // not registered: the UEM id
    EXPECT_EQ(posture["operatingSystem"], "Linux");
    EXPECT_EQ(posture["osVersion"], "12");
    EXPECT_EQ(posture["observedDateTime"], "2024-05-01T10:15:00Z");
    EXPECT_FALSE(posture.contains("storageEncrypted"));  // not determinable on this host
  }
  const absl::StatusOr<std::string> status = StatusJson(state_dir.path());
  ASSERT_TRUE(status.ok());
  const nlohmann::json json = nlohmann::json::parse(*status);
  EXPECT_EQ(json["enrolled"], true);
  EXPECT_EQ(json["registered"], false);
  EXPECT_EQ(json["nextSequence"], 3);
  EXPECT_EQ(json["lastCheckIn"]["complianceState"], "nonCompliant");
  EXPECT_EQ(json["lastCheckIn"]["commands"][0]["type"], "notify");
  EXPECT_EQ(json["deviceKeyThumbprint"].get<std::string>().size(), 43u);
  EXPECT_EQ(status->find("secret-uem-1"), std::string::npos);
}

TEST(AgentCommands, AFailedCheckInNeverReusesItsSequence) {
  FakeServers servers;
  TempDir state_dir, host;
  ASSERT_TRUE(EnrollCommand(state_dir.path(), servers.Url(), "tok-1", EmptyHost(host), false).ok());
  {
    std::lock_guard<std::mutex> lock(servers.mutex);
    servers.checkin_status = 503;
  }
  const absl::Status failed = CheckInCommand(state_dir.path(), EmptyHost(host), kNow).status();
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  {
    std::lock_guard<std::mutex> lock(servers.mutex);
    servers.checkin_status = 200;
  }
  const absl::StatusOr<CheckInResult> next =
      CheckInCommand(state_dir.path(), EmptyHost(host), kNow);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->sequence, 2);
}

TEST(AgentCommands, RegisteredDevicesReportTheirDirectoryId) {
  FakeServers servers;
  TempDir state_dir, host;
  ASSERT_TRUE(EnrollCommand(state_dir.path(), servers.Url(), "tok-1", EmptyHost(host), false).ok());
  const absl::StatusOr<RegisterResult> registered =
      RegisterCommand(state_dir.path(), servers.Url(), "CODE-1", EmptyHost(host));
  ASSERT_TRUE(registered.ok());
  ASSERT_TRUE(CheckInCommand(state_dir.path(), EmptyHost(host), kNow).ok());
  std::lock_guard<std::mutex> lock(servers.mutex);
  EXPECT_EQ(servers.devices["uem-1"].postures.back()["deviceId"],
            registered->state.directory_device_id);
}

TEST(AgentCommands, CheckInNeedsEnrolment) {
  TempDir state_dir, host;
  EXPECT_EQ(CheckInCommand(state_dir.path(), EmptyHost(host), kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---- simulator ----------------------------------------------------------------------------------

TEST(FleetSimulator, DrivesDevicesWithOrderedSequencesAndRecordsTransitions) {
  FakeServers servers;
  SimulationOptions options;
  options.uem = *ParseServerUrl(servers.Url());
  options.enrollment_token = "tok-1";
  options.devices = 5;
  options.drift = 0.5;
  options.duration = absl::Milliseconds(300);
  options.interval = absl::ZeroDuration();
  options.concurrency = 2;
  options.directory_ids = {"dir-0", "dir-1"};
  const absl::StatusOr<SimulationSummary> summary = RunSimulation(options);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->enrolled, 5);
  EXPECT_EQ(summary->linked, 2);
  EXPECT_EQ(summary->errors, 0);
  EXPECT_GT(summary->checkins_sent, 0);
  EXPECT_EQ(summary->accepted, summary->checkins_sent);

  std::lock_guard<std::mutex> lock(servers.mutex);
  ASSERT_EQ(servers.devices.size(), 5u);
  std::int64_t received = 0;
  std::set<std::string> linked;
  for (const auto& [id, device] : servers.devices) {
    received += static_cast<std::int64_t>(device.sequences.size());
    for (std::size_t i = 1; i < device.sequences.size(); ++i) {
      EXPECT_EQ(device.sequences[i], device.sequences[i - 1] + 1) << id;
    }
    if (!device.directory_id.empty()) linked.insert(device.directory_id);
  }
  EXPECT_EQ(received, summary->checkins_sent);
  EXPECT_EQ(linked, (std::set<std::string>{"dir-0", "dir-1"}));
  // The last transition of every device is the state the UEM holds for it.
  std::map<std::string, SimulatedTransition> last;
  for (const SimulatedTransition& t : summary->transitions) last[t.uem_device_id] = t;
  for (const auto& [id, device] : servers.devices) {
    if (device.sequences.empty()) continue;
    ASSERT_TRUE(last.count(id)) << id;
    EXPECT_EQ(last[id].compliance_state, device.state) << id;
    EXPECT_EQ(last[id].compliant, device.state == "compliant") << id;
    EXPECT_LE(last[id].sequence, device.sequences.back());
  }
  const nlohmann::json json = nlohmann::json::parse(SummaryJson(*summary));
  EXPECT_EQ(json["checkinsSent"], summary->checkins_sent);
  EXPECT_TRUE(json["latencyMs"].contains("p99"));
  const std::string lines = TransitionsJsonLines(*summary);
  EXPECT_EQ(static_cast<std::size_t>(std::count(lines.begin(), lines.end(), '\n')),
            summary->transitions.size());
}

TEST(FleetSimulator, CountsEnrolmentErrors) {
  FakeServers servers;
  SimulationOptions options;
  options.uem = *ParseServerUrl(servers.Url());
  options.enrollment_token = "wrong";
  options.devices = 3;
  options.duration = absl::Milliseconds(50);
  const absl::StatusOr<SimulationSummary> summary = RunSimulation(options);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->enrolled, 0);
  EXPECT_EQ(summary->errors, 3);
  EXPECT_EQ(summary->checkins_sent, 0);
  ASSERT_FALSE(summary->error_samples.empty());
  EXPECT_NE(summary->error_samples[0].find("401"), std::string::npos);
}

TEST(FleetSimulator, RefusesBadOptions) {
  SimulationOptions options;
  options.devices = 0;
  EXPECT_EQ(RunSimulation(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.devices = 1;
  options.drift = 1.5;
  EXPECT_EQ(RunSimulation(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gatehouse::agent
