#include "compliance/policy.h"

#include <array>

#include "absl/strings/ascii.h"
#include "compliance/internal/text.h"

namespace gatehouse::compliance {
namespace {

constexpr std::array<std::string_view, 9> kActionNames = {
    "notifyUser",        "notifyAdmin", "markNonCompliant", "blockAccess", "remoteLock",
    "removeManagedApps", "retire",      "enterpriseWipe",   "noAction"};

}  // namespace

std::string_view ActionTypeName(ActionType type) { return kActionNames[static_cast<int>(type)]; }

std::optional<ActionType> ParseActionType(std::string_view name) {
  for (size_t i = 0; i < kActionNames.size(); ++i) {
    if (internal::EqualsIgnoreCase(name, kActionNames[i])) return static_cast<ActionType>(i);
  }
  return std::nullopt;
}

std::optional<absl::Duration> CompliancePolicy::GracePeriod() const {
  if (actions.empty()) return absl::ZeroDuration();
  std::optional<absl::Duration> grace;
  for (const ActionStep& step : actions) {
    if (step.marks_noncompliant && (!grace || step.after < *grace)) grace = step.after;
  }
  // Intune: every policy carries the default "Mark device non-compliant" at 0 days; exports
  // that show only notifications (or retire, wipe, …) still mark at once.
  if (!grace && format == PolicyFormat::kIntune) return absl::ZeroDuration();
  return grace;
}

bool CompliancePolicy::AppliesTo(OperatingSystem os) const {
  if (platforms.empty()) return true;
  for (OperatingSystem platform : platforms) {
    if (platform == os) return true;
  }
  return false;
}

}  // namespace gatehouse::compliance
