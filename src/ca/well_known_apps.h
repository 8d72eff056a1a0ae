// Membership of Microsoft's app groupings that policies can target by name: "Office365" and
// "MicrosoftAdminPortals" (ca-semantics.md §1.4). The lists are documented in
// docs/policy-reference.md.
#pragma once

#include <string_view>
#include <vector>

namespace gatehouse::ca {

// `app_id` lower-cased.
bool IsOffice365App(std::string_view app_id);
bool IsAdminPortalApp(std::string_view app_id);
// Every member of either group (for precomputing per-app tables).
std::vector<std::string_view> WellKnownGroupedApps();

}  // namespace gatehouse::ca
