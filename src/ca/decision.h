// The result of evaluating one sign-in: the overall decision, and a trace entry for every policy
// (which conditions failed, which controls are unmet). The trace is the product, not a debug aid:
// the sign-in log, What If and the remediation page are all rendered from it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ca/policy.h"
#include "ca/policy_mask.h"

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

// One policy's part of a decision.
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
  SessionControls session;         // merged from applying enforced policies
  bool device_presented = false;
  // The merged sign-in frequency demands a fresh authentication: the session's last
  // authentication is older than the interval (everyTime: older than 5 minutes).
  bool reauthentication_required = false;

  // The per-policy trace, kept in the engine's own form so that producing it costs a few mask
  // copies: failed[c] holds the (enabled or report-only) policies that condition c let down,
  // `applies` the policies that apply, and `applied` the result and unmet controls of each of
  // those. trace(i) expands policy i.
  std::size_t policy_count = 0;
  std::array<PolicyMask, kConditionCount> failed{};
  PolicyMask applies, disabled, report_only;
  struct Applied {
    std::uint16_t policy;
    PolicyResult result;
    std::uint32_t unmet_controls;
  };
  std::vector<Applied> applied;  // in policy order

  PolicyTrace trace(std::size_t policy) const;
  // Every policy's trace at once (cheaper than policy_count calls to trace()).
  void ExpandTrace(std::vector<PolicyTrace>& out) const;
  // Records policy i's trace (for evaluators that work policy by policy); policies must be
  // recorded in increasing order after Reset.
  void Reset(std::size_t count);
  void Record(std::size_t policy, PolicyState state, const PolicyTrace& trace);
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
