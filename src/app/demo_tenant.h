// The demo tenant of `gatehouse serve --demo`: the bundle in examples/tenant, embedded in the
// binary at build time so the server needs no files beside it.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/store.h"

namespace gatehouse::app {

// (path relative to the bundle, file contents), generated from examples/tenant.
const std::vector<std::pair<std::string_view, std::string_view>>& DemoTenantFiles();

// Imports the demo tenant into `store` (replacing its tenant objects).
absl::Status SeedDemoTenant(store::Store& store);

// The demo sign-in (issue 5): the demo user (kDemoUserPrincipalName) with a generated password,
// and the demo app (client id kDemoAppId of app/sign_in_server.h, an application of the demo
// bundle, covered by CA001 "MFA for all users" and CA003 "compliant or hybrid-joined device")
// registered with the redirect URI `<issuer>/demo/app/callback`. Creates the user only when
// missing; returns its password then (shown once at first start), "" otherwise. Re-registers the
// redirect URI whenever the issuer changed (the listen port may differ between starts).
inline constexpr const char* kDemoUserId = "11111111-0000-4000-8000-000000000005";
inline constexpr const char* kDemoUserPrincipalName = "demo@contoso.example";
absl::StatusOr<std::string> PrepareDemoSignIn(store::Store& store, const std::string& issuer);

}  // namespace gatehouse::app
