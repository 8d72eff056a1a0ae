// What the agent keeps on disk in its state directory (shared brief "Agent state"):
//
//   device-key.pem   the device's P-256 private key (PKCS#8 PEM), mode 0600, created once with
//                    O_CREAT|O_EXCL; it never leaves the machine (only the public JWK does).
//   device-secret    the UEM check-in bearer secret, mode 0600.
//   state.json       idpUrl, uemUrl, uemDeviceId, directoryDeviceId, registeredOwnerId,
//                    directoryLinked, nextSequence,
//                    lastCheckIn {dateTime, accepted, complianceState, commands}, mode 0600.
//
// Every write is atomic: a new file is written beside the target (created 0600 with O_EXCL),
// flushed, then renamed over it, so a crash leaves either the old or the new content. Files are
// never chmod-ed after creation. Not thread-safe: one agent process owns its state directory.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"

namespace gatehouse::agent {

// The default state directory: /var/lib/gatehouse-agent for root, else
// $XDG_STATE_HOME/gatehouse-agent or $HOME/.local/state/gatehouse-agent.
std::string DefaultStateDir();

// Creates `dir` (and parents) with mode 0700 when missing.
absl::Status EnsureStateDir(const std::string& dir);

// Writes `content` to `path` atomically (temp file 0600 + fsync + rename + fsync of the folder).
absl::Status WriteFileAtomically(const std::string& path, const std::string& content);

// Loads <dir>/device-key.pem, or generates a P-256 key and creates the file (mode 0600, never
// replacing an existing file: two agents racing end up with the same key). FailedPrecondition
// when the existing file is readable or writable by group or others, or is not a regular file.
absl::StatusOr<crypto::SigningKey> LoadOrCreateDeviceKey(const std::string& dir);

struct LastCheckIn {
  std::string date_time;  // ISO 8601 UTC, empty when none
  bool accepted = false;
  std::string compliance_state;
  std::string commands_json = "[]";  // the commands of the last answer, as received (not run)
};

struct AgentState {
  std::string idp_url;
  std::string uem_url;
  std::string uem_device_id;
  std::string device_secret;  // kept in its own file
  std::string directory_device_id;
  std::string registered_owner_id;
  bool directory_linked = false;  // the UEM has acknowledged directory_device_id
  std::int64_t next_sequence = 1;
  LastCheckIn last_check_in;

  bool enrolled() const { return !uem_device_id.empty() && !device_secret.empty(); }
  bool registered() const { return !directory_device_id.empty(); }
};

// Reads state.json and device-secret from `dir`; an absent state gives a default AgentState.
// InvalidArgument (with the file name) for a corrupt state file.
absl::StatusOr<AgentState> LoadState(const std::string& dir);
// Writes state.json and, when it changed, device-secret.
absl::Status SaveState(const std::string& dir, const AgentState& state);

// The JSON of state.json (no secret).
std::string StateJson(const AgentState& state);

}  // namespace gatehouse::agent
