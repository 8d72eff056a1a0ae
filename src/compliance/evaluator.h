// The compliance engine: judges devices against compiled policies and tenant settings.
//
// States are Intune's, and across policies the worst wins. The severity order is Intune's
// (reference device-compliance.md §2.4, create-policy.md): unknown < notApplicable < compliant
// < inGracePeriod < nonCompliant < error. A device with no applicable policy is compliant or not
// according to `secureByDefault` (default for Gatehouse: not compliant); a device whose last
// check-in is older than `deviceComplianceCheckinThresholdDays` is not compliant whatever the
// policies say (a device with neither lastCheckInDateTime nor observedDateTime is not stale: the
// posture handed over is itself a check-in). Both verdicts come from a built-in policy,
// "defaultDeviceCompliancePolicy" (settings `hasCompliancePolicyAssigned`, `isActive`), listed
// only when one of them fails.
//
// Grace: a policy that fails is inGracePeriod until firstNoncompliantDateTime + its grace period
// (policy.h), then nonCompliant; with no firstNoncompliantDateTime the failure starts `now`.
//
// Two entry points share every step (RunCheck → combine checks → apply grace → combine
// policies): EvaluateDevice explains every setting; EvaluateBatch only keeps states, over a
// compact per-device record (DeviceRecord) for large fleets.
//
// Pure: no I/O, no clock (`now` is a parameter). A CompiledPolicySet is immutable and can be
// shared between threads; a DeviceBatch is not synchronised.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "compliance/policy.h"
#include "compliance/posture.h"
#include "nlohmann/json.hpp"

namespace gatehouse::compliance {

// Ordered by severity: a larger value is worse.
enum class ComplianceState : uint8_t {
  kUnknown,
  kNotApplicable,
  kCompliant,
  kInGracePeriod,
  kNonCompliant,
  kError,
};
std::string_view ComplianceStateName(ComplianceState state);
inline ComplianceState Worst(ComplianceState a, ComplianceState b) { return a < b ? b : a; }

inline constexpr std::string_view kBuiltInPolicyId = "defaultDeviceCompliancePolicy";

struct TenantSettings {
  bool secure_by_default = true;    // devices with no applicable policy are NOT compliant
  int checkin_threshold_days = 30;  // Intune default; 1..120
};
// {"secureByDefault": bool, "deviceComplianceCheckinThresholdDays": 1..120}; missing = default.
absl::StatusOr<TenantSettings> ParseTenantSettings(const nlohmann::json& json,
                                                   const std::string& pointer = "");

// One device as the CLI and the UEM hand it over: posture plus assignment and history.
struct DeviceInput {
  Posture posture;
  std::vector<std::string> assigned_policy_ids;
  std::optional<absl::Time> first_noncompliant;
  std::optional<absl::Time> last_check_in;  // falls back to posture.observed
};
absl::StatusOr<DeviceInput> ParseDeviceInput(const nlohmann::json& json,
                                             const std::string& pointer = "");

struct SettingResult {
  std::string setting;
  ComplianceState state = ComplianceState::kCompliant;
  std::string reason;  // remediation text; empty when compliant
};

struct PolicyVerdict {
  std::string policy_id;
  ComplianceState state = ComplianceState::kUnknown;
  std::optional<absl::Time> grace_expires;
  std::vector<SettingResult> settings;
};

struct DeviceVerdict {
  std::string device_id;
  ComplianceState state = ComplianceState::kUnknown;
  std::optional<absl::Time> grace_expires;  // set when state is inGracePeriod
  std::vector<PolicyVerdict> policies;
};

// {"deviceId", "complianceState", "graceExpiresDateTime", "policies": [...]} (DESIGN §3.4).
// Keys in the order DESIGN shows them.
nlohmann::ordered_json DeviceVerdictToJson(const DeviceVerdict& verdict);

// ---- compiled form ----

// A check in compact form; strings live in the set's predicate table.
struct CompiledCheck {
  CheckKind kind = CheckKind::kUnsupported;
  PostureKey key = PostureKey::kDeviceId;
  CompareOp op = CompareOp::kEqual;
  bool negate = false;
  bool expect_bool = true;
  uint8_t predicate = 0;  // string, app, version-range checks: bit in CompactPosture::predicates
  uint32_t enum_mask = 0;
  int64_t number = 0;
  Version version;
};

struct CompiledPolicy {
  std::vector<CompiledCheck> checks;
  bool match_any = false;
  std::vector<OperatingSystem> platforms;
  std::optional<absl::Duration> grace;  // nullopt: never marked (see CompliancePolicy)
};

inline constexpr int kMaxPredicates = 128;

// A posture reduced to what the compiled checks read (88 bytes, no heap). String, app and
// version-range checks are evaluated once when the posture is compacted and kept as bits, so a compact posture belongs
// to the policy set that made it.
struct CompactPosture {
  Version os_version;
  Version os_build_version;
  int64_t observed_unix = 0;
  int32_t patch_level_days = 0;
  uint32_t present = 0;  // PostureKeyBit of every reported key
  uint16_t bools = 0;    // bit BoolKeyIndex(key) = reported value
  uint16_t passcode_minimum_length = 0;
  uint8_t operating_system = 0;
  uint8_t ownership = 0;
  uint8_t threat_level = 0;
  std::array<uint64_t, kMaxPredicates / 64> predicates{};

  bool Has(PostureKey key) const { return (present & PostureKeyBit(key)) != 0; }
};

enum class CheckOutcome : uint8_t { kPass, kFail, kNotReported, kError };

class CompiledPolicySet {
 public:
  // Fails on duplicate policy ids, more than 65535 policies or more than kMaxPredicates string and
  // app checks in total.
  static absl::StatusOr<std::shared_ptr<const CompiledPolicySet>> Compile(
      std::vector<CompliancePolicy> policies);

  size_t size() const { return policies_.size(); }
  const CompliancePolicy& policy(size_t index) const { return policies_[index]; }
  const CompiledPolicy& compiled(size_t index) const { return compiled_[index]; }
  std::optional<uint16_t> IndexOf(std::string_view id) const;

  CompactPosture Compact(const Posture& posture) const;

 private:
  struct Predicate {
    CheckKind kind;
    PostureKey key;
    absl::flat_hash_set<std::string> values;  // kStringEquals, kAppsContain
    std::string needle;                       // kStringContains, lower-cased
    std::vector<std::pair<Version, Version>> ranges;  // kVersionInRanges
  };
  std::vector<CompliancePolicy> policies_;
  std::vector<CompiledPolicy> compiled_;
  absl::flat_hash_map<std::string, uint16_t> index_;
  std::vector<Predicate> predicates_;
};

// The building blocks both entry points use.
CheckOutcome RunCheck(const CompiledCheck& check, const CompactPosture& posture);
// Raw state of one applicable policy: error / nonCompliant / compliant (before grace).
ComplianceState CombineChecks(const CompiledPolicy& policy, const CompactPosture& posture,
                              CheckOutcome* outcomes /* nullable, one per check */);
// nonCompliant becomes inGracePeriod while the grace lasts; `expires` gets its end
// (absl::InfiniteFuture() when the chain never marks the device).
ComplianceState ApplyGrace(ComplianceState raw, const std::optional<absl::Duration>& grace,
                           std::optional<absl::Time> first_noncompliant, absl::Time now,
                           absl::Time* expires);
// False without a timestamp; true when `now` is more than the threshold after it.
bool IsStale(std::optional<absl::Time> last_check_in, const TenantSettings& settings,
             absl::Time now);

// Full verdict with a result and remediation text for every configured setting. Fails when the
// device names a policy id the set does not hold.
absl::StatusOr<DeviceVerdict> EvaluateDevice(const CompiledPolicySet& policies,
                                             const DeviceInput& device,
                                             const TenantSettings& settings, absl::Time now);

// ---- batch path ----

inline constexpr int64_t kNoTime = INT64_MIN;

// Resident state of one device in a batch.
struct DeviceRecord {
  CompactPosture posture;
  int64_t first_noncompliant_unix = kNoTime;
  int64_t last_check_in_unix = kNoTime;
  int64_t grace_expires_unix = kNoTime;  // output
  uint32_t policies_offset = 0;          // into DeviceBatch::policy_indices
  uint16_t policies_count = 0;
  ComplianceState state = ComplianceState::kUnknown;  // output
};

class DeviceBatch {
 public:
  explicit DeviceBatch(std::shared_ptr<const CompiledPolicySet> policies)
      : policies_(std::move(policies)) {}
  // Fails when an assigned policy id is unknown.
  absl::Status Add(const DeviceInput& device);
  void Reserve(size_t devices, size_t assignments);

  size_t size() const { return records_.size(); }
  const DeviceRecord& record(size_t i) const { return records_[i]; }
  std::string_view device_id(size_t i) const;
  // Bytes held for the devices (records, assignments, ids), capacity included.
  size_t ResidentBytes() const;

  // Evaluates every device; writes state and grace_expires_unix into the records.
  void Evaluate(const TenantSettings& settings, absl::Time now);

 private:
  std::shared_ptr<const CompiledPolicySet> policies_;
  std::vector<DeviceRecord> records_;
  std::vector<uint16_t> policy_indices_;
  std::string ids_;
  std::vector<uint32_t> id_offsets_{0};
};

}  // namespace gatehouse::compliance
