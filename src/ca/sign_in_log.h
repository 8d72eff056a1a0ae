// Sign-in log records in the shape of Graph's `signIn` resource, built from one evaluated sign-in:
// what admins query in auditLogs/signIns and what the remediation page's request id points at.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "ca/compiled_policy_set.h"
#include "ca/decision.h"
#include "ca/sign_in.h"
#include "nlohmann/json_fwd.hpp"

namespace gatehouse::ca {

struct SignInLogIds {
  std::string id;              // request id
  std::string correlation_id;  // groups the requests of one sign-in flow
};

// Graph signIn JSON: ids, createdDateTime (the sign-in's time), user, app, ipAddress, location,
// clientAppUsed, deviceDetail, riskLevelDuringSignIn, status {errorCode, failureReason},
// conditionalAccessStatus and appliedConditionalAccessPolicies (every policy, full trace).
nlohmann::ordered_json SignInLogRecord(const CompiledPolicySet& policies,
                                       const SignInContext& sign_in, const Decision& decision,
                                       const SignInLogIds& ids);

// Human-readable reason for an error code ("Access has been blocked by Conditional Access
// policies.", ...), used in logs and on the remediation page.
const char* FailureReason(std::string_view error_code);

}  // namespace gatehouse::ca
