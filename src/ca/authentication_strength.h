// Authentication strengths (Graph authenticationStrengthPolicy): sets of allowed method
// combinations. Built-in strengths are always present; custom ones come from the tenant bundle.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/problem.h"
#include "nlohmann/json_fwd.hpp"

namespace gatehouse::ca {

inline constexpr const char* kMfaStrengthId = "00000000-0000-0000-0000-000000000002";
inline constexpr const char* kPasswordlessStrengthId = "00000000-0000-0000-0000-000000000003";
inline constexpr const char* kPhishingResistantStrengthId = "00000000-0000-0000-0000-000000000004";
inline constexpr std::size_t kMaxCustomStrengths = 15;

struct AuthenticationStrength {
  std::string id;  // lower-cased
  std::string display_name;
  bool built_in = false;
  // Each combination is a set of AuthMethodBits, compared as unordered sets.
  std::vector<std::uint32_t> combinations;
};

// The three built-in strengths, as Graph documents them.
const std::vector<AuthenticationStrength>& BuiltInAuthenticationStrengths();

// True when the methods used in the session include every method of one allowed combination
// (using more methods than a combination needs still satisfies it).
bool SatisfiesStrength(std::uint32_t session_methods, const AuthenticationStrength& strength);

// True when the session's methods amount to multifactor authentication (the built-in
// "Multifactor authentication" strength).
bool SatisfiesMfa(std::uint32_t session_methods);

// Parses one authenticationStrengthPolicy document; problems get JSON pointers.
absl::StatusOr<AuthenticationStrength> ParseAuthenticationStrength(const nlohmann::json& doc,
                                                                   core::ProblemList& problems);

}  // namespace gatehouse::ca
