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
#include "nlohmann/json_fwd.hpp"

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

// The parts of a tenant, as documents (one object, an array, or {"value": [...]}).
enum class TenantDocumentKind {
  kUsers,
  kGroups,
  kRoles,
  kApplications,
  kDevices,
  kNamedLocations,
  kAuthenticationStrengths,
  kPolicies,
};

// Assembles a TenantBundle from documents, whatever they come from (bundle files, the store).
// Problems name `source` (a file name, or e.g. "policies/<id>") and a JSON pointer.
class TenantBuilder {
 public:
  TenantBuilder();
  ~TenantBuilder();
  // A policy without an id gets one derived from `source` (with a warning).
  void Add(TenantDocumentKind kind, const std::string& source, const nlohmann::json& doc);
  void AddProblem(core::Problem problem);
  // Builds the directory, checks limits and references, and compiles when there are no errors.
  TenantBundle Finish() &&;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Reads the bundle at `dir`. Fails only when `dir` is not a readable folder; everything wrong
// inside it is in `problems` (and then `compiled` is null when there are errors).
absl::StatusOr<TenantBundle> LoadTenantBundle(const std::string& dir);

}  // namespace gatehouse::app
