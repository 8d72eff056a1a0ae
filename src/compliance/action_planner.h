// The action planner: given a device's verdict, its history (when it first failed, which action
// steps were already carried out) and `now`, lists the action steps now due.
//
// A step of a failing policy (state inGracePeriod or nonCompliant) is due once
// firstNoncompliantDateTime + step.after <= now (step.after counts from first noncompliance; for
// native policies the escalation delays are already summed). Steps already taken are never due
// again, so running the planner twice with the results of the first run recorded yields nothing
// new (idempotent). A device with no firstNoncompliantDateTime is taken to fail from `now`.
// Compliant, notApplicable, unknown and error policies plan nothing: `error` means the engine
// could not judge, and destructive actions must not follow from that.
//
// Pure; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "compliance/evaluator.h"
#include "compliance/policy.h"

namespace gatehouse::compliance {

struct TakenAction {
  std::string policy_id;
  int step = 0;  // index in the policy's action chain
};

struct ActionHistory {
  std::optional<absl::Time> first_noncompliant;
  std::vector<TakenAction> taken;
};

struct DueAction {
  std::string policy_id;
  int step = 0;
  ActionType type = ActionType::kMarkNonCompliant;
  absl::Time due_at;
  bool marks_noncompliant = false;
};

// Due steps ordered by due time, then policy order, then step.
std::vector<DueAction> PlanDueActions(const DeviceVerdict& verdict,
                                      const CompiledPolicySet& policies,
                                      const ActionHistory& history, absl::Time now);

}  // namespace gatehouse::compliance
