// The UEM role (shared DESIGN §1 steps 2–4): enrolment tokens, device enrolment, check-in
// ingestion, compliance policies with assignments, evaluation with the compliance engine, action
// execution (notifications, block, commands for the agent, wipe circuit breaker) and the partner
// outbox. Durable in uem.db (uem_database.h); every device is also held in memory so check-ins
// never read the database.
//
// Check-in: authenticated by the device secret (stored as SHA-256: the secret is 256 random bits,
// so a slow hash would add nothing but cost per check-in); `sequence` must increase strictly per
// device: the last one again is an idempotent repeat (accepted, nothing written), an older one is
// refused (accepted false) and never overwrites newer state. The verdict, the device row, any
// commands/notifications and the partner outbox row commit in one transaction (group-committed
// with concurrent check-ins) before the answer is sent.
//
// Evaluation runs on check-in, on policy or assignment change (all devices, in the sweep
// thread), in the periodic sweep (grace expiry, staleness, heartbeat) and on demand
// (Reevaluate). A change of the device's compliance (state, compliant flag or failing settings)
// of a device linked to a directory device writes an outbox row with the next partner sequence;
// the heartbeat re-sends the current state of every linked device once per heartbeat period.
//
// Thread-safety: every public method may be called from any thread. Per-device work holds that
// device's mutex (check-ins of one device are serialised; different devices run in parallel).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "compliance/evaluator.h"
#include "nlohmann/json.hpp"

namespace gatehouse::http {
class MetricsRegistry;
}

namespace gatehouse::uem {

struct UemOptions {
  std::string data_dir;
  std::function<absl::Time()> clock;  // absl::Now when empty
  compliance::TenantSettings settings;
  int wipe_limit = 5;                        // wipes per window before the breaker holds them
  absl::Duration wipe_window = absl::Hours(1);
  absl::Duration heartbeat = absl::Hours(1);  // re-send current state to the IdP this often
  absl::Duration sweep_interval = absl::Seconds(30);
  bool start_sweeper = true;                 // tests drive Sweep() themselves
  http::MetricsRegistry* metrics = nullptr;  // optional
};

struct OutboxRow {
  std::int64_t seq = 0;
  std::string device_id;  // UEM device id
  std::string body;       // partner update JSON (uem/partner_update.h)
  absl::Time created;
};

class UemService {
 public:
  static absl::StatusOr<std::unique_ptr<UemService>> Open(UemOptions options);
  ~UemService();

  // Called (without locks held) after outbox rows were committed.
  void SetOutboxListener(std::function<void()> listener);

  // ---- enrolment tokens (admin) ----
  // {"displayName", "groupIds", "expiresInHours" (default 168), "maxUses" (0 = unlimited)} →
  // the token object including "token" (shown once).
  absl::StatusOr<nlohmann::json> CreateEnrollmentToken(const nlohmann::json& body);
  absl::StatusOr<nlohmann::json> ListEnrollmentTokens();
  absl::Status RevokeEnrollmentToken(const std::string& id);

  // ---- device side ----
  // {"enrollmentToken", "publicKey": jwk, "hostname", "operatingSystem", "osVersion"} →
  // {"deviceId", "deviceSecret"}. Unauthenticated for an unknown, expired, revoked or used-up token.
  absl::StatusOr<nlohmann::json> Enroll(const nlohmann::json& body);
  // Unauthenticated when the device is unknown or the secret does not match (same answer).
  absl::Status AuthenticateDevice(const std::string& device_id, const std::string& secret) const;
  // {"sequence", "posture"} → {"accepted", "complianceState", "compliant", "commands", ...}.
  absl::StatusOr<nlohmann::json> CheckIn(const std::string& device_id, const nlohmann::json& body);
  // Links the UEM device to its directory device (once; the same id again is a no-op).
  absl::StatusOr<nlohmann::json> LinkDirectoryDevice(const std::string& device_id,
                                                     const std::string& directory_device_id);

  // ---- compliance policies (admin) ----
  // Intune or native JSON; an "id" is generated when absent. Returns the stored policy view.
  absl::StatusOr<nlohmann::json> PutPolicy(const nlohmann::json& body,
                                           std::optional<std::string> id, bool must_not_exist);
  absl::StatusOr<nlohmann::json> GetPolicy(const std::string& id);
  absl::StatusOr<nlohmann::json> ListPolicies();
  absl::Status DeletePolicy(const std::string& id);
  // Intune's assign body {"assignments": [{"target": {"@odata.type", "groupId"}}]}.
  absl::StatusOr<nlohmann::json> AssignPolicy(const std::string& id, const nlohmann::json& body);

  // ---- devices (admin) ----
  absl::StatusOr<nlohmann::json> ListDevices();
  absl::StatusOr<nlohmann::json> GetDevice(const std::string& id);
  // {"groupIds": [...]} (device groups used by assignments); re-evaluates.
  absl::StatusOr<nlohmann::json> PatchDevice(const std::string& id, const nlohmann::json& body);
  absl::StatusOr<nlohmann::json> Reevaluate(const std::string& id);

  // ---- commands (admin) ----
  absl::StatusOr<nlohmann::json> ListCommands(const std::string& state_filter);
  // Releases a wipe the circuit breaker held (an admin's confirmation).
  absl::StatusOr<nlohmann::json> ConfirmCommand(std::int64_t command_id);

  // ---- periodic work ----
  // Re-evaluates every device (grace expiry, staleness, policy changes) and enqueues heartbeats.
  // Returns the number of devices whose stored state changed.
  absl::StatusOr<int> Sweep();
  // Asks the sweeper thread for a sweep soon (policy or assignment change).
  void RequestSweep();

  // ---- outbox (partner connector) ----
  absl::StatusOr<std::vector<OutboxRow>> PeekOutbox(int limit);
  absl::Status AckOutbox(const std::vector<std::int64_t>& sequences);
  absl::StatusOr<std::int64_t> OutboxBacklog();
  absl::StatusOr<std::optional<absl::Time>> OldestOutboxRow();

  absl::Time Now() const;

  struct Impl;

 private:
  explicit UemService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Splits an engine reason into its first sentence (the reason) and the rest (the remediation);
// both are the whole text when it is one sentence.
std::pair<std::string, std::string> SplitReason(const std::string& text);

}  // namespace gatehouse::uem
