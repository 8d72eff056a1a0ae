// `gatehouse compliance evaluate --policies DIR --devices FILE|- [--settings FILE] [--now ISO]`
// (DESIGN §3.4): loads Intune and native compliance policies from a folder, judges every device
// of a device list and prints {"value": [device verdict…]} as pretty JSON (2-space indent).
//
// This is the I/O shell around the pure compliance engine: it reads files, stdin and (when
// --now is absent) the clock; everything else is gatehouse::compliance.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "compliance/policy.h"
#include "core/problem.h"

namespace CLI {
class App;
}  // namespace CLI

namespace gatehouse::app {

struct ComplianceEvaluateOptions {
  std::string policies_dir;
  std::string devices_path;               // "-" reads standard input
  std::string settings_path;              // empty: defaults (secureByDefault true, 30 days)
  std::string now;                        // ISO 8601; empty: the current time
  core::ProblemList* warnings = nullptr;  // receives policy warnings when set
  // When set, a bad device entry (malformed posture, unknown assignedPolicyIds entry) is reported
  // here (file + JSON pointer) and left out of the output, and the other devices are still
  // judged; the caller fails the run afterwards (the CLI exits 1). When null, the first bad
  // device fails the whole run.
  core::ProblemList* device_errors = nullptr;
};

struct LoadedCompliancePolicies {
  std::vector<compliance::CompliancePolicy> policies;
  std::vector<std::string> files;  // every *.json read, sorted
  core::ProblemList warnings;      // unsupported settings, duplicate copies, ...
};

// Reads every *.json under `dir` (recursively, sorted by path). A file holds one policy object,
// an array of them or Graph's {"value": [...]}. Errors name the file and the JSON pointer. Two
// files with the same policy id are fine when their content is identical (a warning; the first
// wins) and an error otherwise.
absl::StatusOr<LoadedCompliancePolicies> LoadCompliancePolicies(const std::string& dir);

// Runs the command and returns what it prints on success.
absl::StatusOr<std::string> RunComplianceEvaluate(const ComplianceEvaluateOptions& options);

// Registers `compliance evaluate` on the root command.
void AddComplianceCommands(CLI::App& root);

}  // namespace gatehouse::app
