// Policy as code: a tenant bundle folder (shared DESIGN §3.1) in and out of the store.
// Export writes one canonical form (sorted keys, two-space indent, objects sorted by id, one file
// per policy / named location / authentication strength), so export -> import -> export is
// byte-identical and diffs in git show real changes only.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "app/tenant_bundle.h"
#include "store/store.h"

namespace gatehouse::app {

struct ImportSummary {
  std::size_t policies = 0, named_locations = 0, authentication_strengths = 0, users = 0,
              groups = 0, applications = 0, devices = 0, role_assignments = 0;
  core::ProblemList problems;  // warnings (errors make the import fail)
};

// Validates the bundle at `dir` like `gatehouse validate`, then replaces the store's tenant
// objects with its contents in one transaction (one audit record). FailedPrecondition with every
// problem when the bundle has errors; nothing is written then.
absl::StatusOr<ImportSummary> ImportTenant(store::Store& store, const std::string& dir,
                                           const std::string& actor);

// Writes the store's tenant objects as a bundle into `dir` (created if needed; files of the
// bundle layout that no longer correspond to an object are removed).
absl::Status ExportTenant(store::Store& store, const std::string& dir);

}  // namespace gatehouse::app
