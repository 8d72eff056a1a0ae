// The one path from a sign-in description to a decision and its sign-in log
// record, shared by the admin API (`POST /v1.0/gatehouse/signIns/evaluate`) and
// the sign-in server's pipeline
// (/authorize, /token refresh): both build the DESIGN §3.3 evaluate input, and
// this reads it with ca::ReadSignInRequest, calls the one engine
// (CompiledPolicySet::Evaluate) and renders the Graph signIn record
// (ca::SignInLogRecord). Nothing here writes; AppendSignInRecord does.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "app/tenant_state.h"
#include "ca/decision.h"
#include "ca/sign_in_log.h"
#include "ca/sign_in_request.h"
#include "core/problem.h"
#include "location/named_location.h"
#include "nlohmann/json.hpp"
#include "store/store.h"

namespace gatehouse::app {

struct EvaluatedSignIn {
  ca::SignInRequest request; // the context the engine saw
  ca::Decision decision;
  nlohmann::ordered_json record; // Graph signIn, full per-policy trace
};

// `input` is the evaluate input (What If fields + session + time); without
// "time" the sign-in happens at `now`. InvalidArgument (details in `problems`)
// when the input is not valid.
absl::StatusOr<EvaluatedSignIn>
EvaluateSignIn(const TenantSnapshot &snapshot, const nlohmann::json &input,
               const location::CountryResolver *geoip,
               const ca::SignInLogIds &ids, absl::Time now,
               core::ProblemList &problems);

// The store row for a Graph signIn record (indexed columns taken from the
// record).
store::SignInRecord SignInRow(const nlohmann::ordered_json &record,
                              absl::Time created);

} // namespace gatehouse::app
