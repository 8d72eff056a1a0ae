// Codec for Gatehouse's native rule policies, in the Workspace ONE style: rules over posture keys
// with typed operators, combined with match "all" or "any", and an ordered action chain with
// escalation delays. The JSON format is documented in docs/compliance-policies.md.
//
// Rules are phrased as requirements the device must meet (WS1 phrases them as the condition that
// makes it non-compliant; a WS1 "any rule matches" policy is match "all" over negated rules). A
// rule over a key the device did not report never passes, negated or not.
//
// Action chain: `delayHours` counts from the previous step (an escalation); each step carries
// `markNonCompliant` with WS1's chaining rule: it defaults to true, and once a step marks the
// device every later step marks it too (a later `false` is an error).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "compliance/policy.h"
#include "core/problem.h"
#include "nlohmann/json.hpp"

namespace gatehouse::compliance {

// Limits that keep evaluation bounded.
inline constexpr size_t kMaxNativeRules = 256;
inline constexpr size_t kMaxNativeListValues = 4096;
inline constexpr size_t kMaxNativeActions = 32;

// True when `json` looks like a native policy (no "@odata.type", has "rules").
bool IsNativePolicyJson(const nlohmann::json& json);

absl::StatusOr<CompliancePolicy> ParseNativePolicy(const nlohmann::json& json,
                                                   const std::string& pointer,
                                                   core::ProblemList* warnings);

// Either codec, chosen by shape; the error names what was expected when neither fits.
absl::StatusOr<CompliancePolicy> ParseCompliancePolicy(const nlohmann::json& json,
                                                       const std::string& pointer,
                                                       core::ProblemList* warnings);

// Every problem of one policy object: the parse error if any, else the warnings (unsupported
// settings, which evaluate to error). Used by `gatehouse validate`.
core::ProblemList ValidateCompliancePolicy(const nlohmann::json& json,
                                           const std::string& pointer = "");

}  // namespace gatehouse::compliance
