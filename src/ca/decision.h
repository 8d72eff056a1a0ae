// The result of evaluating one sign-in: the overall decision, and a trace entry for every policy
// (which conditions failed, which controls are unmet). The trace is the product, not a debug aid:
// the sign-in log, What If and the remediation page are all rendered from it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ca/policy.h"

namespace gatehouse::ca {

enum class Outcome : std::uint8_t { kAllow, kBlock, kInterrupt };

// Graph appliedConditionalAccessPolicyResult.
enum class PolicyResult : std::uint8_t {
  kSuccess,
  kFailure,
  kNotApplied,
  kNotEnabled,
  kReportOnlySuccess,
  kReportOnlyFailure,
  kReportOnlyNotApplied,
  kReportOnlyInterrupted,
};

enum class AccessStatus : std::uint8_t { kSuccess, kFailure, kNotApplied };

// Conditions a policy can fail on, in the order What If reports the first one.
enum class Condition : std::uint8_t {
  kUsers,
  kWorkloadIdentities,
  kApplication,
  kUserActions,
  kAuthenticationContext,
  kDevicePlatform,
  kLocation,
  kNotEnoughInformation,  // location needed but the What If request gave no IP or country
  kClientApps,
  kSignInRisk,
  kUserRisk,
  kServicePrincipalRisk,
  kInsiderRisk,
  kDevices,
  kAuthenticationFlow,
};
inline constexpr int kConditionCount = 15;

struct PolicyTrace {
  std::uint32_t failed_conditions = 0;  // bit per Condition
  std::uint32_t unmet_controls = 0;     // bit per GrantControl (only for applying policies)
  PolicyResult result = PolicyResult::kNotApplied;
  bool applies = false;
};

struct Decision {
  Outcome outcome = Outcome::kAllow;
  std::string_view error_code;     // "" when allowed
  std::uint32_t required_controls = 0;  // unmet controls, bit per GrantControl
  AccessStatus status = AccessStatus::kNotApplied;
  std::vector<PolicyTrace> trace;  // one per policy, in CompiledPolicySet order
  SessionControls session;         // merged from applying enforced policies
  bool device_presented = false;
};

const char* ToString(Outcome outcome);
const char* ToString(PolicyResult result);
const char* ToString(AccessStatus status);
// What If analysisReasons token ("users", "devicePlatform", "notEnoughInformation", ...).
const char* WhatIfReason(Condition condition);
// Graph conditionalAccessConditions token for conditionsNotSatisfied ("users", "clientType", ...).
const char* ConditionToken(Condition condition);
// Sign-in log machine token for a grant control ("Mfa", "RequireCompliantDevice", ...).
const char* GrantControlToken(GrantControl control);

}  // namespace gatehouse::ca
