// Reads Graph conditionalAccessPolicy JSON as real exports deliver it (shared DESIGN §3.1,
// ca-semantics.md §1.12): @odata annotations and unknown fields ignored, enum tokens and special
// values case-insensitive, flag enums as comma strings or arrays, null / [] meaning "not
// configured". Every problem is reported with its JSON pointer; placeholders such as
// "<EmergencyAccessAccountsGroup>" are warnings.
#pragma once

#include <optional>
#include <string>

#include "ca/policy.h"
#include "core/problem.h"
#include "nlohmann/json_fwd.hpp"

namespace gatehouse::ca {

// Parses one policy. `fallback_id` names a policy whose document has no id (templates, samples):
// a warning is reported and the fallback is used. Returns nullopt when errors make the policy
// unusable (they are in `problems`); warnings alone still return the policy.
std::optional<Policy> ParsePolicy(const nlohmann::json& doc, const std::string& fallback_id,
                                  core::ProblemList& problems);

// Documented tenant limits.
inline constexpr std::size_t kMaxPolicies = 195;
inline constexpr std::size_t kMaxNamedLocations = 195;

}  // namespace gatehouse::ca
