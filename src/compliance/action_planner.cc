#include "compliance/action_planner.h"

#include <algorithm>

namespace gatehouse::compliance {

std::vector<DueAction> PlanDueActions(const DeviceVerdict& verdict,
                                      const CompiledPolicySet& policies,
                                      const ActionHistory& history, absl::Time now) {
  std::vector<DueAction> due;
  const absl::Time start = history.first_noncompliant.value_or(now);
  for (const PolicyVerdict& result : verdict.policies) {
    if (result.state != ComplianceState::kInGracePeriod &&
        result.state != ComplianceState::kNonCompliant) {
      continue;
    }
    std::optional<uint16_t> index = policies.IndexOf(result.policy_id);
    if (!index) continue;  // the built-in policy has no action chain
    const CompliancePolicy& policy = policies.policy(*index);
    for (size_t step = 0; step < policy.actions.size(); ++step) {
      const ActionStep& action = policy.actions[step];
      if (action.type == ActionType::kNoAction) continue;
      const absl::Time due_at = start + action.after;
      if (due_at > now) continue;
      const bool taken =
          std::any_of(history.taken.begin(), history.taken.end(), [&](const TakenAction& done) {
            return done.policy_id == policy.id && done.step == static_cast<int>(step);
          });
      if (taken) continue;
      due.push_back(
          {policy.id, static_cast<int>(step), action.type, due_at, action.marks_noncompliant});
    }
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const DueAction& a, const DueAction& b) { return a.due_at < b.due_at; });
  return due;
}

}  // namespace gatehouse::compliance
