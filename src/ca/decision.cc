#include "ca/decision.h"

namespace gatehouse::ca {

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
