// Codec for Intune compliance policies as Microsoft Graph exports them
// (`deviceManagement/deviceCompliancePolicies`, UTF-16 or UTF-8, `@odata.*` annotations, every
// property present with null meaning "not configured"), plus the settings-catalog Linux shape
// (`#microsoft.graph.deviceManagementCompliancePolicy`, `platforms: linux`).
//
// Which Graph property reads which posture key is fixed by DESIGN §3.4; docs/posture.md lists the
// keys. A configured property the engine cannot evaluate becomes a kUnsupported check (the setting
// evaluates to `error`) and a warning with its JSON pointer; metadata (id, displayName,
// description, roleScopeTagIds, version, timestamps, assignments, `@odata.*`, `#action` links) is
// ignored silently. Malformed values of known properties are errors (the policy does not load).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "compliance/policy.h"
#include "core/problem.h"
#include "nlohmann/json.hpp"

namespace gatehouse::compliance {

// True when `json` looks like an Intune export (it has an "@odata.type").
bool IsIntunePolicyJson(const nlohmann::json& json);

// Parses one Intune policy object. `pointer` locates it in its document; warnings (unsupported or
// unknown properties, unusual values) go to `warnings` with full pointers.
absl::StatusOr<CompliancePolicy> ParseIntunePolicy(const nlohmann::json& json,
                                                   const std::string& pointer,
                                                   core::ProblemList* warnings);

// Graph's "not configured" values: null, false, "notConfigured", "deviceDefault", "unavailable",
// "notSet", "none", and empty lists.
bool IsNotConfiguredValue(const nlohmann::json& value);

}  // namespace gatehouse::compliance
