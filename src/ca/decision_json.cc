#include "ca/decision_json.h"

#include "nlohmann/json.hpp"

namespace gatehouse::ca {
namespace {

using json = nlohmann::ordered_json;

json GrantTokens(const Policy& policy) {
  json tokens = json::array();
  for (int c = 0; c < kGrantControlCount; ++c) {
    if (policy.grant.built_in & (1u << c)) tokens.push_back(GrantControlToken(static_cast<GrantControl>(c)));
  }
  return tokens;
}

json SessionTokens(const SessionControls& s) {
  json tokens = json::array();
  if (s.application_enforced_restrictions) tokens.push_back("AppEnforcedRestrictions");
  if (s.cloud_app_security != CloudAppSecurityType::kNotSet) tokens.push_back("CloudAppSecurity");
  if (s.sign_in_frequency_every_time || s.sign_in_frequency_hours) tokens.push_back("SignInFrequency");
  if (s.persistent_browser != PersistentBrowserMode::kNotSet) {
    tokens.push_back("PersistentBrowserSessionMode");
  }
  if (s.continuous_access_evaluation != ContinuousAccessMode::kNotSet) {
    tokens.push_back("ContinuousAccessEvaluation");
  }
  if (s.disable_resilience_defaults) tokens.push_back("DisableResilienceDefaults");
  if (s.secure_sign_in_session) tokens.push_back("Binding");
  return tokens;
}

std::string ConditionsNotSatisfied(std::uint32_t failed) {
  std::string out;
  std::uint32_t seen_tokens = 0;  // several conditions share one Graph token
  for (int c = 0; c < kConditionCount; ++c) {
    if (!(failed & (1u << c))) continue;
    std::string token = ConditionToken(static_cast<Condition>(c));
    std::uint32_t key = static_cast<std::uint32_t>(std::hash<std::string>{}(token) & 31);
    if (seen_tokens & (1u << key)) {
      if (out.find(token) != std::string::npos) continue;
    }
    seen_tokens |= 1u << key;
    if (!out.empty()) out += ',';
    out += token;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

const char* AnalysisReason(const Policy& policy, const PolicyTrace& trace) {
  if (policy.state == PolicyState::kDisabled) return "policyNotEnabled";
  if (trace.applies) return "notSet";
  for (int c = 0; c < kConditionCount; ++c) {
    if (trace.failed_conditions & (1u << c)) return WhatIfReason(static_cast<Condition>(c));
  }
  return "notSet";
}

json ControlsToJson(std::uint32_t controls) {
  json out = json::array();
  for (int c = 0; c < kGrantControlCount; ++c) {
    if (controls & (1u << c)) out.push_back(ToString(static_cast<GrantControl>(c)));
  }
  return out;
}

json SessionControlsToJson(const SessionControls& s) {
  json out = json::object();
  if (s.application_enforced_restrictions) {
    out["applicationEnforcedRestrictions"] = {{"isEnabled", true}};
  }
  if (s.cloud_app_security != CloudAppSecurityType::kNotSet) {
    const char* type = s.cloud_app_security == CloudAppSecurityType::kBlockDownloads ? "blockDownloads"
                       : s.cloud_app_security == CloudAppSecurityType::kMcasConfigured
                           ? "mcasConfigured"
                           : "monitorOnly";
    out["cloudAppSecurity"] = {{"isEnabled", true}, {"cloudAppSecurityType", type}};
  }
  if (s.sign_in_frequency_every_time) {
    out["signInFrequency"] = {{"isEnabled", true}, {"frequencyInterval", "everyTime"}};
  } else if (s.sign_in_frequency_hours) {
    out["signInFrequency"] = {{"isEnabled", true},
                              {"frequencyInterval", "timeBased"},
                              {"value", *s.sign_in_frequency_hours},
                              {"type", "hours"}};
  }
  if (s.persistent_browser != PersistentBrowserMode::kNotSet) {
    out["persistentBrowser"] = {
        {"isEnabled", true},
        {"mode", s.persistent_browser == PersistentBrowserMode::kNever ? "never" : "always"}};
  }
  if (s.continuous_access_evaluation != ContinuousAccessMode::kNotSet) {
    const char* mode = s.continuous_access_evaluation == ContinuousAccessMode::kStrictLocation
                           ? "strictLocation"
                       : s.continuous_access_evaluation == ContinuousAccessMode::kStrictEnforcement
                           ? "strictEnforcement"
                           : "disabled";
    out["continuousAccessEvaluation"] = {{"mode", mode}};
  }
  if (s.disable_resilience_defaults) out["disableResilienceDefaults"] = true;
  if (s.secure_sign_in_session) out["secureSignInSession"] = {{"isEnabled", true}};
  return out;
}

json DecisionToJson(const CompiledPolicySet& policies, const Decision& decision,
                    TraceDetail detail) {
  json out;
  out["decision"] = ToString(decision.outcome);
  out["errorCode"] = decision.error_code.empty() ? json(nullptr) : json(std::string(decision.error_code));
  out["requiredControls"] = ControlsToJson(decision.required_controls);
  out["conditionalAccessStatus"] = ToString(decision.status);
  if (decision.reauthentication_required) out["reauthenticationRequired"] = true;
  json applied = json::array();
  std::vector<PolicyTrace> trace;
  decision.ExpandTrace(trace);
  for (std::size_t i = 0; i < decision.policy_count; ++i) {
    const PolicyTrace& t = trace[i];
    if (detail == TraceDetail::kCompact &&
        (t.result == PolicyResult::kNotApplied || t.result == PolicyResult::kNotEnabled ||
         t.result == PolicyResult::kReportOnlyNotApplied)) {
      continue;
    }
    const Policy& p = policies.policy(i);
    json entry;
    entry["id"] = p.id;
    entry["displayName"] = p.display_name;
    entry["result"] = ToString(t.result);
    entry["enforcedGrantControls"] = GrantTokens(p);
    entry["enforcedSessionControls"] = SessionTokens(p.session);
    entry["conditionsNotSatisfied"] = ConditionsNotSatisfied(t.failed_conditions);
    if (t.applies && t.unmet_controls != 0) entry["unmetControls"] = ControlsToJson(t.unmet_controls);
    applied.push_back(std::move(entry));
  }
  out["appliedConditionalAccessPolicies"] = std::move(applied);
  out["sessionControls"] = SessionControlsToJson(decision.session);
  return out;
}

std::string WhatIfToJsonText(const CompiledPolicySet& policies, const Decision& decision,
                             bool applied_only) {
  std::vector<PolicyTrace> trace;
  decision.ExpandTrace(trace);
  std::string out = "{\"value\":[";
  bool first = true;
  for (std::size_t i = 0; i < decision.policy_count; ++i) {
    const PolicyTrace& t = trace[i];
    if (applied_only && !t.applies) continue;
    const Policy& p = policies.policy(i);
    if (!first) out += ',';
    first = false;
    out += p.response_prefix;
    if (p.response_prefix.size() > 1) out += ',';
    out += t.applies ? "\"policyApplies\":true,\"analysisReasons\":\""
                     : "\"policyApplies\":false,\"analysisReasons\":\"";
    out += AnalysisReason(p, t);
    out += "\"}";
  }
  out += "]}";
  return out;
}

json WhatIfToJson(const CompiledPolicySet& policies, const Decision& decision, bool applied_only) {
  return json::parse(WhatIfToJsonText(policies, decision, applied_only));
}

}  // namespace gatehouse::ca
