#include "agent/agent_commands.h"

#include <unistd.h>

#include <climits>
#include <filesystem>

#include "agent/server_client.h"
#include "core/iso_time.h"
#include "core/status_macros.h"
#include "crypto/crypto.h"
#include "nlohmann/json.hpp"

namespace gatehouse::agent {
namespace {

std::string Hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "linux-device";
  return name;
}

std::string OsVersion(const HostEnvironment& env) {
  nlohmann::json os = nlohmann::json::object();
  CollectOperatingSystem(env, os);
  const auto it = os.find("osVersion");
  return it != os.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Posts the directory link when the device is enrolled and registered and the UEM has not
// acknowledged it yet; records success in `state` (the caller saves).
absl::Status LinkIfPending(AgentState& state) {
  if (!state.enrolled() || !state.registered() || state.directory_linked) return absl::OkStatus();
  GH_ASSIGN_OR_RETURN(const ServerUrl uem, ParseServerUrl(state.uem_url));
  GH_RETURN_IF_ERROR(PostDirectoryLink(uem, state.uem_device_id, state.device_secret,
                                       state.directory_device_id));
  state.directory_linked = true;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AgentState> EnrollCommand(const std::string& state_dir, const std::string& uem_url,
                                         const std::string& token, const HostEnvironment& env,
                                         bool force) {
  GH_ASSIGN_OR_RETURN(const ServerUrl uem, ParseServerUrl(uem_url));
  GH_ASSIGN_OR_RETURN(AgentState state, LoadState(state_dir));
  if (state.enrolled() && !force) {
    return absl::FailedPreconditionError("already enrolled with " + state.uem_url + " as device " +
                                         state.uem_device_id + " (use --force to enrol again)");
  }
  GH_ASSIGN_OR_RETURN(const crypto::SigningKey key, LoadOrCreateDeviceKey(state_dir));
  EnrollRequest request;
  request.enrollment_token = token;
  request.public_jwk = key.PublicJwk();
  request.hostname = Hostname();
  request.os_version = OsVersion(env);
  GH_ASSIGN_OR_RETURN(const Enrollment enrollment, Enroll(uem, request));
  state.uem_url = uem_url;
  state.uem_device_id = enrollment.device_id;
  state.device_secret = enrollment.device_secret;
  state.next_sequence = 1;
  state.directory_linked = false;
  state.last_check_in = LastCheckIn{};
  GH_RETURN_IF_ERROR(SaveState(state_dir, state));
  // A device registered before it enrolled hands its directory id over now.
  if (LinkIfPending(state).ok() && state.directory_linked) {
    GH_RETURN_IF_ERROR(SaveState(state_dir, state));
  }
  return state;
}

absl::StatusOr<RegisterResult> RegisterCommand(const std::string& state_dir,
                                               const std::string& idp_url,
                                               const std::string& code,
                                               const HostEnvironment& env) {
  GH_ASSIGN_OR_RETURN(const ServerUrl idp, ParseServerUrl(idp_url));
  if (code.empty()) return absl::InvalidArgumentError("--code is required");
  GH_ASSIGN_OR_RETURN(AgentState state, LoadState(state_dir));
  GH_ASSIGN_OR_RETURN(const crypto::SigningKey key, LoadOrCreateDeviceKey(state_dir));
  GH_ASSIGN_OR_RETURN(const RegistrationNonce nonce, GetRegistrationNonce(idp, code));
  GH_ASSIGN_OR_RETURN(const std::string raw_signature,
                      key.SignEs256(nonce.nonce + "." + nonce.binding));
  RegistrationRequest request;
  request.code = code;
  request.nonce = nonce.nonce;
  request.signature = crypto::Base64UrlEncode(raw_signature);
  request.public_jwk = key.PublicJwk();
  request.display_name = Hostname();
  request.operating_system_version = OsVersion(env);
  GH_ASSIGN_OR_RETURN(const Registration registration, RegisterDevice(idp, request));
  state.idp_url = idp_url;
  state.directory_device_id = registration.device_id;
  state.registered_owner_id = registration.registered_owner_id;
  state.directory_linked = false;
  GH_RETURN_IF_ERROR(SaveState(state_dir, state));
  RegisterResult result;
  result.directory_link = LinkIfPending(state);
  if (result.directory_link.ok() && state.directory_linked) {
    GH_RETURN_IF_ERROR(SaveState(state_dir, state));
  }
  result.state = std::move(state);
  return result;
}

absl::StatusOr<CheckInResult> CheckInCommand(const std::string& state_dir,
                                             const HostEnvironment& env, absl::Time now) {
  GH_ASSIGN_OR_RETURN(AgentState state, LoadState(state_dir));
  if (!state.enrolled()) {
    return absl::FailedPreconditionError(
        "not enrolled: run gatehouse-agent enroll --uem URL --token TOKEN first");
  }
  GH_ASSIGN_OR_RETURN(const ServerUrl uem, ParseServerUrl(state.uem_url));
  if (!state.directory_linked && state.registered()) {
    (void)LinkIfPending(state);  // best effort; retried at the next check-in
  }
  const std::string device_id =
      state.registered() ? state.directory_device_id : state.uem_device_id;
  const nlohmann::json posture = CollectPosture(env, device_id, now);

  CheckInResult result;
  result.sequence = state.next_sequence;
  state.next_sequence += 1;
  GH_RETURN_IF_ERROR(SaveState(state_dir, state));  // before sending: never reuse a number

  GH_ASSIGN_OR_RETURN(const CheckInAnswer answer,
                      CheckIn(uem, state.uem_device_id, state.device_secret, result.sequence,
                              posture));
  state.last_check_in.date_time = core::FormatIsoDateTime(now);
  state.last_check_in.accepted = answer.accepted;
  state.last_check_in.compliance_state = answer.compliance_state;
  state.last_check_in.commands_json = answer.commands_json;
  GH_RETURN_IF_ERROR(SaveState(state_dir, state));
  result.state = std::move(state);
  result.posture_json = posture.dump();
  return result;
}

absl::StatusOr<std::string> StatusJson(const std::string& state_dir) {
  GH_ASSIGN_OR_RETURN(const AgentState state, LoadState(state_dir));
  nlohmann::json status = {{"stateDir", state_dir},
                           {"enrolled", state.enrolled()},
                           {"registered", state.registered()}};
  if (state.enrolled()) {
    status["uemUrl"] = state.uem_url;
    status["uemDeviceId"] = state.uem_device_id;
    status["nextSequence"] = state.next_sequence;
  }
  if (state.registered()) {
    status["idpUrl"] = state.idp_url;
    status["directoryDeviceId"] = state.directory_device_id;
    status["registeredOwnerId"] = state.registered_owner_id;
    status["directoryLinked"] = state.directory_linked;
  }
  std::error_code ec;
  if (std::filesystem::exists(state_dir + "/device-key.pem", ec)) {
    absl::StatusOr<crypto::SigningKey> key = LoadOrCreateDeviceKey(state_dir);
    if (key.ok()) {
      absl::StatusOr<crypto::P256PublicKey> public_key =
          crypto::P256PublicKey::FromJwk(key->PublicJwk());
      if (public_key.ok()) status["deviceKeyThumbprint"] = public_key->Thumbprint();
    } else {
      status["deviceKeyError"] = std::string(key.status().message());
    }
  }
  if (!state.last_check_in.date_time.empty()) {
    nlohmann::json commands =
        nlohmann::json::parse(state.last_check_in.commands_json, nullptr, false);
    status["lastCheckIn"] = {{"dateTime", state.last_check_in.date_time},
                             {"accepted", state.last_check_in.accepted},
                             {"complianceState", state.last_check_in.compliance_state},
                             {"commands", commands.is_array() ? commands
                                                              : nlohmann::json::array()}};
  }
  return status.dump(2);
}

}  // namespace gatehouse::agent
