// Refuses policy changes that would lock administrators out: a write that would block every
// holder of the Global Administrator role, or every member of the configured emergency-access
// group, in every representative sign-in. Uses the same engine as enforcement.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/tenant_bundle.h"
#include "ca/policy.h"

namespace gatehouse::app {

inline constexpr const char* kGlobalAdministratorRoleTemplateId =
    "62e90394-69f5-4237-9190-012177145e10";

// `policies` is the candidate policy set (after the write). Returns the explanation when the
// change would lock out the administrators or the emergency-access accounts, nullopt otherwise.
// A group with no members (or no role holders) cannot be locked out.
//
// A user counts as locked out when every representative sign-in is blocked: each of
// windows/macOS/iOS/android/linux x browser/mobile app, to the Azure portal and to an arbitrary
// app, from each trusted IP location and from an unknown address, with MFA (phishing resistant)
// and a compliant, hybrid-joined device. So a policy that only demands MFA or a compliant device
// is never a lockout; one that blocks all but a narrow path is not either.
std::optional<std::string> CheckLockout(const TenantBundle& tenant,
                                        const std::vector<ca::Policy>& policies,
                                        const std::string& emergency_access_group_id);

}  // namespace gatehouse::app
