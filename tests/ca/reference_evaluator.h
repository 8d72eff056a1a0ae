// A deliberately plain interpretation of Conditional Access semantics, written straight from
// shared/reference/ca-semantics.md without masks or indexes. Differential tests compare the
// compiled engine against it on randomized tenants and sign-ins; it is test code only.
#pragma once

#include <vector>

#include "ca/authentication_strength.h"
#include "ca/decision.h"
#include "ca/policy.h"
#include "ca/sign_in.h"
#include "directory/directory_snapshot.h"
#include "location/named_location.h"

namespace gatehouse::ca::testing {

Decision ReferenceEvaluate(const std::vector<Policy>& policies,
                           const std::vector<location::NamedLocation>& locations,
                           const std::vector<AuthenticationStrength>& custom_strengths,
                           const directory::DirectorySnapshot& directory,
                           const SignInContext& sign_in);

}  // namespace gatehouse::ca::testing
