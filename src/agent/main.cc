// The `gatehouse-agent` executable: argument parsing, printing and the `run` loop only; the work
// is in the agent library (docs/agent.md).
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "agent/agent_commands.h"
#include "agent/agent_state.h"
#include "agent/fleet_simulator.h"
#include "agent/host_posture.h"
#include "agent/proof_responder.h"
#include "agent/server_client.h"
#include "nlohmann/json.hpp"

namespace {

using namespace gatehouse::agent;

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Fail(const absl::Status& status) {
  std::cerr << "gatehouse-agent: " << status.message() << "\n";
  return absl::IsInvalidArgument(status) ? 2 : 1;
}

struct ProofServer {
  std::string device_id;
  std::string origin;
  std::unique_ptr<gatehouse::http::HttpServer> server;
};

// (Re)starts the proof responder when the registration changed. Errors are printed, not fatal.
void RefreshProofResponder(const std::string& state_dir, const AgentState& state,
                           const std::string& origin_flag, std::uint16_t port,
                           ProofServer& proof) {
  if (port == 0 || !state.registered()) return;
  std::string origin = origin_flag;
  if (origin.empty()) {
    absl::StatusOr<ServerUrl> idp = ParseServerUrl(state.idp_url);
    if (!idp.ok()) return;
    origin = idp->Origin();
  }
  if (proof.server != nullptr && proof.device_id == state.directory_device_id &&
      proof.origin == origin) {
    return;
  }
  absl::StatusOr<gatehouse::crypto::SigningKey> key = LoadOrCreateDeviceKey(state_dir);
  if (!key.ok()) {
    std::cerr << "gatehouse-agent: device key: " << key.status().message() << "\n";
    return;
  }
  if (proof.server != nullptr) proof.server->Shutdown(std::chrono::seconds(1));
  proof.server.reset();
  ProofResponderConfig config;
  config.allowed_origin = origin;
  config.directory_device_id = state.directory_device_id;
  config.device_key = std::make_shared<const gatehouse::crypto::SigningKey>(*key);
  auto server = StartProofResponder(config, port);
  if (!server.ok()) {
    std::cerr << "gatehouse-agent: proof responder on 127.0.0.1:" << port << ": "
              << server.status().message() << "\n";
    return;
  }
  proof.server = std::move(*server);
  proof.device_id = state.directory_device_id;
  proof.origin = origin;
  std::cerr << "gatehouse-agent: answering device-proof requests from " << origin
            << " on 127.0.0.1:" << proof.server->port() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gatehouse-agent: device posture, enrolment, registration and check-ins"};
  app.require_subcommand(1);
  app.fallthrough();  // --state-dir before or after the subcommand
  std::string state_dir = DefaultStateDir();
  app.add_option("--state-dir", state_dir, "State directory")->capture_default_str();
  int exit_code = 0;

  auto* posture_cmd = app.add_subcommand("posture", "Print this host's posture as JSON");
  posture_cmd->callback([&] {
    std::string device_id;
    if (absl::StatusOr<AgentState> state = LoadState(state_dir); state.ok()) {
      device_id = state->registered() ? state->directory_device_id : state->uem_device_id;
    }
    std::cout << CollectPosture(RealHostEnvironment(), device_id, absl::Now()).dump(2) << "\n";
  });

  std::string uem_url, token;
  bool force = false;
  auto* enroll_cmd = app.add_subcommand("enroll", "Enrol this device with a UEM");
  enroll_cmd->add_option("--uem", uem_url, "UEM base URL (http://host:port)")->required();
  enroll_cmd->add_option("--token", token, "Enrolment token")->required();
  enroll_cmd->add_flag("--force", force, "Enrol again even when already enrolled");
  enroll_cmd->callback([&] {
    absl::StatusOr<AgentState> state =
        EnrollCommand(state_dir, uem_url, token, RealHostEnvironment(), force);
    if (!state.ok()) {
      exit_code = Fail(state.status());
      return;
    }
    std::cout << nlohmann::json({{"uemDeviceId", state->uem_device_id},
                                 {"uemUrl", state->uem_url}})
                     .dump(2)
              << "\n";
  });

  std::string idp_url, code;
  auto* register_cmd = app.add_subcommand("register", "Register the device key with the IdP");
  register_cmd->add_option("--server", idp_url, "IdP issuer URL (http://host:port)")->required();
  register_cmd->add_option("--code", code, "One-time registration code")->required();
  register_cmd->callback([&] {
    absl::StatusOr<RegisterResult> result =
        RegisterCommand(state_dir, idp_url, code, RealHostEnvironment());
    if (!result.ok()) {
      exit_code = Fail(result.status());
      return;
    }
    nlohmann::json out = {{"directoryDeviceId", result->state.directory_device_id},
                          {"registeredOwnerId", result->state.registered_owner_id},
                          {"directoryLinked", result->state.directory_linked}};
    if (!result->directory_link.ok()) {
      out["directoryLinkError"] = std::string(result->directory_link.message());
    }
    std::cout << out.dump(2) << "\n";
  });

  auto* checkin_cmd = app.add_subcommand("checkin", "Send one check-in to the UEM");
  checkin_cmd->callback([&] {
    absl::StatusOr<CheckInResult> result =
        CheckInCommand(state_dir, RealHostEnvironment(), absl::Now());
    if (!result.ok()) {
      exit_code = Fail(result.status());
      return;
    }
    std::cout << nlohmann::json({{"sequence", result->sequence},
                                 {"accepted", result->state.last_check_in.accepted},
                                 {"complianceState", result->state.last_check_in.compliance_state}})
                     .dump(2)
              << "\n";
  });

  int interval_seconds = 900;
  int proof_port = kDefaultProofPort;
  std::string idp_origin;
  auto* run_cmd = app.add_subcommand(
      "run", "Check in periodically and answer device-proof requests on loopback");
  run_cmd->add_option("--interval", interval_seconds, "Seconds between check-ins")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  run_cmd->add_option("--proof-listen", proof_port,
                      "Loopback port of the device-proof responder (0 = off)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  run_cmd->add_option("--idp-origin", idp_origin,
                      "Origin allowed to ask for proofs (default: origin of the registered IdP)");
  run_cmd->callback([&] {
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    const HostEnvironment env = RealHostEnvironment();
    ProofServer proof;
    // Check in at start, every --interval, and at once when the registration changes (a
    // `register` run while the service runs). The state is re-read every few seconds so the
    // proof responder starts soon after registration.
    const auto now = [] { return std::chrono::steady_clock::now(); };
    auto next_checkin = now();
    auto next_refresh = now();
    std::string seen_registration;
    while (g_stop == 0) {
      if (now() >= next_refresh) {
        next_refresh = now() + std::chrono::seconds(std::min(5, interval_seconds));
        absl::StatusOr<AgentState> state = LoadState(state_dir);
        if (!state.ok()) {
          std::cerr << "gatehouse-agent: " << state.status().message() << "\n";
        } else {
          RefreshProofResponder(state_dir, *state, idp_origin,
                                static_cast<std::uint16_t>(proof_port), proof);
          if (state->directory_device_id != seen_registration) {
            seen_registration = state->directory_device_id;
            next_checkin = now();
          }
          if (state->enrolled() && now() >= next_checkin) {
            next_checkin = now() + std::chrono::seconds(interval_seconds);
            absl::StatusOr<CheckInResult> result = CheckInCommand(state_dir, env, absl::Now());
            if (result.ok()) {
              std::cerr << "gatehouse-agent: check-in " << result->sequence << ": "
                        << (result->state.last_check_in.accepted ? "accepted" : "not accepted")
                        << ", " << result->state.last_check_in.compliance_state << "\n";
            } else {
              std::cerr << "gatehouse-agent: check-in failed: " << result.status().message()
                        << "\n";
            }
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (proof.server != nullptr) proof.server->Shutdown(std::chrono::seconds(2));
  });

  auto* status_cmd = app.add_subcommand("status", "Print enrolment, registration and compliance");
  status_cmd->callback([&] {
    absl::StatusOr<std::string> status = StatusJson(state_dir);
    if (!status.ok()) {
      exit_code = Fail(status.status());
      return;
    }
    std::cout << *status << "\n";
  });

  SimulationOptions sim;
  std::string sim_uem, transitions_file, directory_ids_file;
  double duration_seconds = 10, sim_interval_seconds = 1;
  auto* simulate_cmd = app.add_subcommand("simulate", "Drive N virtual devices against a UEM");
  simulate_cmd->add_option("--uem", sim_uem, "UEM base URL")->required();
  simulate_cmd->add_option("--token", sim.enrollment_token, "Enrolment token");
  simulate_cmd->add_option("--devices", sim.devices, "Number of virtual devices")
      ->capture_default_str();
  simulate_cmd->add_option("--drift", sim.drift, "Probability of a posture flip per check-in")
      ->capture_default_str();
  simulate_cmd->add_option("--duration", duration_seconds, "Seconds of check-ins")
      ->capture_default_str();
  simulate_cmd->add_option("--interval", sim_interval_seconds,
                           "Seconds between a device's check-ins (0 = as fast as possible)")
      ->capture_default_str();
  simulate_cmd->add_option("--concurrency", sim.concurrency, "Worker threads")
      ->capture_default_str();
  simulate_cmd->add_option("--seed", sim.seed, "Random seed")->capture_default_str();
  simulate_cmd->add_option("--directory-ids", directory_ids_file,
                           "File with one directory device id per line (device i links to line i)");
  simulate_cmd->add_option("--transitions", transitions_file,
                           "Write the compliance transitions (JSON lines) to this file");
  simulate_cmd->callback([&] {
    absl::StatusOr<ServerUrl> uem = ParseServerUrl(sim_uem);
    if (!uem.ok()) {
      exit_code = Fail(uem.status());
      return;
    }
    sim.uem = *uem;
    sim.duration = absl::Seconds(duration_seconds);
    sim.interval = absl::Seconds(sim_interval_seconds);
    if (!directory_ids_file.empty()) {
      std::ifstream in(directory_ids_file);
      if (!in) {
        exit_code = Fail(absl::InvalidArgumentError("cannot read " + directory_ids_file));
        return;
      }
      for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        sim.directory_ids.push_back(line);
      }
    }
    absl::StatusOr<SimulationSummary> summary = RunSimulation(sim);
    if (!summary.ok()) {
      exit_code = Fail(summary.status());
      return;
    }
    if (!transitions_file.empty()) {
      const absl::Status written =
          WriteFileAtomically(transitions_file, TransitionsJsonLines(*summary));
      if (!written.ok()) {
        exit_code = Fail(written);
        return;
      }
    }
    std::cout << SummaryJson(*summary) << "\n";
    if (summary->enrolled == 0) exit_code = 1;
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}
