#include "ca/decision.h"

#include <algorithm>

namespace gatehouse::ca {

PolicyTrace Decision::trace(std::size_t policy) const {
  PolicyTrace t;
  if (disabled.Test(policy)) {
    t.result = PolicyResult::kNotEnabled;
    return t;
  }
  for (int c = 0; c < kConditionCount; ++c) {
    if (failed[c].Test(policy)) t.failed_conditions |= 1u << c;
  }
  if (applies.Test(policy)) {
    auto it = std::lower_bound(applied.begin(), applied.end(), policy,
                               [](const Applied& a, std::size_t p) { return a.policy < p; });
    if (it != applied.end() && it->policy == policy) {
      t.applies = true;
      t.result = it->result;
      t.unmet_controls = it->unmet_controls;
      return t;
    }
  }
  t.result = report_only.Test(policy) ? PolicyResult::kReportOnlyNotApplied
                                      : PolicyResult::kNotApplied;
  return t;
}

void Decision::ExpandTrace(std::vector<PolicyTrace>& out) const {
  out.assign(policy_count, PolicyTrace{});
  for (std::size_t i = 0; i < policy_count; ++i) {
    if (disabled.Test(i)) {
      out[i].result = PolicyResult::kNotEnabled;
    } else if (report_only.Test(i)) {
      out[i].result = PolicyResult::kReportOnlyNotApplied;
    }
  }
  for (int c = 0; c < kConditionCount; ++c) {
    failed[c].ForEach([&](std::size_t i) { out[i].failed_conditions |= 1u << c; });
  }
  for (const Applied& a : applied) {
    out[a.policy].applies = true;
    out[a.policy].result = a.result;
    out[a.policy].unmet_controls = a.unmet_controls;
  }
}

void Decision::Reset(std::size_t count) {
  policy_count = count;
  failed.fill(PolicyMask{});
  applies = disabled = report_only = PolicyMask{};
  applied.clear();
}

void Decision::Record(std::size_t policy, PolicyState state, const PolicyTrace& t) {
  if (state == PolicyState::kDisabled) disabled.Set(policy);
  if (state == PolicyState::kReportOnly) report_only.Set(policy);
  for (int c = 0; c < kConditionCount; ++c) {
    if (t.failed_conditions & (1u << c)) failed[c].Set(policy);
  }
  if (t.applies) {
    applies.Set(policy);
    applied.push_back({static_cast<std::uint16_t>(policy), t.result, t.unmet_controls});
  }
}

const char* ToString(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAllow: return "allow";
    case Outcome::kBlock: return "block";
    case Outcome::kInterrupt: return "interrupt";
  }
  return "block";
}

const char* ToString(PolicyResult result) {
  switch (result) {
    case PolicyResult::kSuccess: return "success";
    case PolicyResult::kFailure: return "failure";
    case PolicyResult::kNotApplied: return "notApplied";
    case PolicyResult::kNotEnabled: return "notEnabled";
    case PolicyResult::kReportOnlySuccess: return "reportOnlySuccess";
    case PolicyResult::kReportOnlyFailure: return "reportOnlyFailure";
    case PolicyResult::kReportOnlyNotApplied: return "reportOnlyNotApplied";
    case PolicyResult::kReportOnlyInterrupted: return "reportOnlyInterrupted";
  }
  return "unknown";
}

const char* ToString(AccessStatus status) {
  switch (status) {
    case AccessStatus::kSuccess: return "success";
    case AccessStatus::kFailure: return "failure";
    case AccessStatus::kNotApplied: return "notApplied";
  }
  return "notApplied";
}

const char* WhatIfReason(Condition condition) {
  switch (condition) {
    case Condition::kUsers: return "users";
    case Condition::kWorkloadIdentities: return "workloadIdentities";
    case Condition::kApplication: return "application";
    case Condition::kUserActions: return "userActions";
    case Condition::kAuthenticationContext: return "authenticationContext";
    case Condition::kDevicePlatform: return "devicePlatform";
    case Condition::kLocation: return "location";
    case Condition::kNotEnoughInformation: return "notEnoughInformation";
    case Condition::kClientApps: return "clientApps";
    case Condition::kSignInRisk: return "signInRisk";
    case Condition::kUserRisk: return "userRisk";
    case Condition::kServicePrincipalRisk: return "workloadIdentities";
    case Condition::kInsiderRisk: return "insiderRisk";
    case Condition::kDevices: return "devices";
    case Condition::kAuthenticationFlow: return "authenticationFlow";
  }
  return "unknownFutureValue";
}

const char* ConditionToken(Condition condition) {
  switch (condition) {
    case Condition::kUsers: return "users";
    case Condition::kWorkloadIdentities: return "servicePrincipals";
    case Condition::kApplication:
    case Condition::kUserActions:
    case Condition::kAuthenticationContext: return "application";
    case Condition::kDevicePlatform: return "devicePlatform";
    case Condition::kLocation:
    case Condition::kNotEnoughInformation: return "location";
    case Condition::kClientApps: return "clientType";
    case Condition::kSignInRisk: return "signInRisk";
    case Condition::kUserRisk: return "userRisk";
    case Condition::kServicePrincipalRisk: return "servicePrincipalRisk";
    case Condition::kInsiderRisk: return "insiderRisk";
    case Condition::kDevices: return "deviceState";
    case Condition::kAuthenticationFlow: return "authenticationFlows";
  }
  return "unknownFutureValue";
}

const char* GrantControlToken(GrantControl control) {
  switch (control) {
    case GrantControl::kMfa: return "Mfa";
    case GrantControl::kAuthenticationStrength: return "RequireAuthenticationStrength";
    case GrantControl::kCompliantDevice: return "RequireCompliantDevice";
    case GrantControl::kDomainJoinedDevice: return "RequireDomainJoinedDevice";
    case GrantControl::kApprovedApplication: return "RequireApprovedApp";
    case GrantControl::kCompliantApplication: return "RequireCompliantApp";
    case GrantControl::kPasswordChange: return "RequirePasswordChange";
    case GrantControl::kTermsOfUse: return "RequireTermsOfUse";
    case GrantControl::kCustomFactor: return "RequireCustomControl";
    case GrantControl::kBlock: return "Block";
  }
  return "Unknown";
}

}  // namespace gatehouse::ca
