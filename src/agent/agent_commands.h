// The agent's subcommands as functions of (state directory, host environment, now), so tests run
// them against fake servers and fixture hosts. main.cc only parses arguments and prints.
//
// Check-in sequence numbers: the next number is persisted *before* the check-in is sent, so a
// crash or a lost answer never makes the agent reuse a number (the UEM requires them strictly
// increasing per device; a gap is harmless).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/agent_state.h"
#include "agent/host_posture.h"

namespace gatehouse::agent {

// Enrols with the UEM (POST /uem/v1/enroll) and stores the UEM device id and secret; next
// sequence 1. FailedPrecondition when already enrolled, unless `force`.
absl::StatusOr<AgentState> EnrollCommand(const std::string& state_dir, const std::string& uem_url,
                                         const std::string& token, const HostEnvironment& env,
                                         bool force);

struct RegisterResult {
  AgentState state;
  absl::Status directory_link;  // OK, or why the UEM did not learn the link (retried at check-in)
};
// Registers the device key with the IdP (nonce, proof, registration) and stores the directory
// device id; then, when enrolled, posts the directory link to the UEM.
absl::StatusOr<RegisterResult> RegisterCommand(const std::string& state_dir,
                                               const std::string& idp_url,
                                               const std::string& code,
                                               const HostEnvironment& env);

struct CheckInResult {
  AgentState state;
  std::int64_t sequence = 0;
  std::string posture_json;
};
// Collects posture and sends one check-in with the next sequence. Also retries a pending directory
// link. FailedPrecondition when not enrolled.
absl::StatusOr<CheckInResult> CheckInCommand(const std::string& state_dir,
                                             const HostEnvironment& env, absl::Time now);

// The JSON `status` prints: enrolment, registration, last check-in, key thumbprint (when the key
// exists). Never the secret.
absl::StatusOr<std::string> StatusJson(const std::string& state_dir);

}  // namespace gatehouse::agent
