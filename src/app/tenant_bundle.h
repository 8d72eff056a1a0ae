// A tenant bundle on disk (shared DESIGN §3.1): the folder an admin keeps in git, read into a
// directory snapshot and a compiled policy set. This is the I/O side of the engines: it reads
// files and hands parsed values to the pure modules.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ca/authentication_strength.h"
#include "ca/compiled_policy_set.h"
#include "ca/policy.h"
#include "core/problem.h"
#include "directory/directory_snapshot.h"
#include "location/named_location.h"

namespace gatehouse::app {

struct TenantBundle {
  std::shared_ptr<const directory::DirectorySnapshot> directory;
  std::vector<ca::Policy> policies;  // ordered by file name, then position in the file
  std::vector<location::NamedLocation> named_locations;
  std::vector<ca::AuthenticationStrength> authentication_strengths;  // custom ones
  // Compiled when the bundle has no errors; null otherwise.
  std::shared_ptr<const ca::CompiledPolicySet> compiled;
  // Every problem found, with its file (relative to the bundle) and JSON pointer.
  core::ProblemList problems;
};

// Reads the bundle at `dir`. Fails only when `dir` is not a readable folder; everything wrong
// inside it is in `problems` (and then `compiled` is null when there are errors).
absl::StatusOr<TenantBundle> LoadTenantBundle(const std::string& dir);

}  // namespace gatehouse::app
