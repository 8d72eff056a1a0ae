// The partner compliance link's wire format (shared DESIGN §1 step 4, /partner/v1/deviceCompliance):
// one update per device {deviceId, compliant, managed, complianceState, observedAt, sequence,
// failingSettings}, and the rules the IdP applies them by. Both sides use this file: the UEM's
// connector builds updates with it, the IdP's partner API parses and applies them.
//
// Applying (IdP side): updates are idempotent and ordered per device by `sequence`: a sequence
// equal to the stored one is a duplicate, a smaller one is out of order, and neither changes the
// record. An applied update writes Graph's `isCompliant` / `isManaged` and the extension object
// `gatehouseCompliance` {complianceState, observedAt, sequence, failingSettings,
// receivedDateTime} on the directory device record (Graph device JSON).
//
// Validity: compliance older than the validity period counts as not compliant at decision time
// (ApplyComplianceValidity, used by the tenant snapshot builder).
//
// Pure: no I/O, no clock; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace gatehouse::uem {

inline constexpr const char* kPartnerScope = "DeviceCompliance.ReadWrite.Partner";
inline constexpr const char* kPartnerCompliancePath = "/partner/v1/deviceCompliance";
inline constexpr std::size_t kMaxPartnerBatch = 1000;

struct FailingSetting {
  std::string setting;
  std::string state;  // nonCompliant | inGracePeriod | error
  std::string reason;
  std::string remediation;
};

struct PartnerUpdate {
  std::string device_id;  // directory device id (Graph deviceId)
  bool compliant = false;
  bool managed = true;
  std::string compliance_state;  // Intune state name
  absl::Time observed_at;
  std::int64_t sequence = 0;  // strictly increasing per device, >= 1
  std::vector<FailingSetting> failing_settings;
};

nlohmann::json PartnerUpdateToJson(const PartnerUpdate& update);
// InvalidArgument naming the member ("/value/3/sequence: expected an integer >= 1").
absl::StatusOr<PartnerUpdate> ParsePartnerUpdate(const nlohmann::json& json,
                                                 const std::string& pointer = "");

enum class ApplyDecision { kApply, kDuplicate, kOutOfOrder };
const char* ApplyDecisionName(ApplyDecision decision);  // applied | duplicate | outOfOrder

// The stored sequence of a directory device record (0 when it never received one).
std::int64_t StoredComplianceSequence(const nlohmann::json& device);
ApplyDecision DecideApply(std::int64_t stored_sequence, std::int64_t sequence);

// Writes the update onto a Graph device object (isCompliant, isManaged, gatehouseCompliance).
void ApplyToDeviceRecord(nlohmann::json& device, const PartnerUpdate& update, absl::Time received);

// Decision-time validity: when the device's gatehouseCompliance.observedAt is older than
// `validity` at `now`, sets isCompliant to false (and gatehouseCompliance.stale to true) and
// returns nullopt. When the reported compliance is still valid and compliant, returns the time
// it expires (so the caller can rebuild then). Otherwise (never reported, not compliant) nullopt.
std::optional<absl::Time> ApplyComplianceValidity(nlohmann::json& device, absl::Duration validity,
                                                  absl::Time now);

}  // namespace gatehouse::uem
