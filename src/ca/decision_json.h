// Renders decisions as JSON: the evaluate output / sign-in log decision (shared DESIGN §3.3) and
// the What If response (Graph whatIfAnalysisResult collection).
#pragma once

#include <string>

#include "ca/compiled_policy_set.h"
#include "ca/decision.h"
#include "nlohmann/json_fwd.hpp"

namespace gatehouse::ca {

enum class TraceDetail {
  kFull,     // every policy
  kCompact,  // only policies whose result is not notApplied / notEnabled / reportOnlyNotApplied
};

nlohmann::ordered_json DecisionToJson(const CompiledPolicySet& policies, const Decision& decision,
                              TraceDetail detail);

// {"value": [policy JSON + "policyApplies" + "analysisReasons"...]}. With applied_only, only
// policies that apply are listed. The text form is built by concatenating each policy's
// pre-rendered JSON (Policy::response_prefix), so a response costs no JSON tree.
std::string WhatIfToJsonText(const CompiledPolicySet& policies, const Decision& decision,
                             bool applied_only);
nlohmann::ordered_json WhatIfToJson(const CompiledPolicySet& policies, const Decision& decision,
                                    bool applied_only);

// The first failed condition in What If order, as Graph's analysisReasons token; "notSet" when
// the policy applies, "policyNotEnabled" when it is disabled.
const char* AnalysisReason(const Policy& policy, const PolicyTrace& trace);

// Graph spellings of a control set in prompt order ("mfa", "compliantDevice", ...).
nlohmann::ordered_json ControlsToJson(std::uint32_t controls);

nlohmann::ordered_json SessionControlsToJson(const SessionControls& session);

}  // namespace gatehouse::ca
