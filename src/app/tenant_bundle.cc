#include "app/tenant_bundle.h"

#include <algorithm>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "ca/policy_codec.h"
#include "core/json_document.h"
#include "directory/directory_codec.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// JSON files directly in `dir`, sorted by name (a missing folder is simply empty).
std::vector<fs::path> JsonFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && absl::AsciiStrToLower(entry.path().extension().string()) == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Reads and parses one file; problems go to `problems` under the file's relative name.
std::optional<json> ReadDocument(const fs::path& root, const fs::path& file,
                                 core::ProblemList& problems) {
  std::string name = fs::relative(file, root).string();
  auto bytes = core::ReadFileToString(file.string());
  if (!bytes.ok()) {
    problems.Add({core::Severity::kError, name, "", std::string(bytes.status().message())});
    return std::nullopt;
  }
  auto doc = core::ParseJsonDocument(*bytes);
  if (!doc.ok()) {
    problems.Add({core::Severity::kError, name, "", std::string(doc.status().message())});
    return std::nullopt;
  }
  return std::move(*doc);
}

void WarnUnknownReferences(const TenantBundle& bundle, core::ProblemList& problems,
                           const std::vector<std::string>& policy_files) {
  const directory::DirectorySnapshot& dir = *bundle.directory;
  for (std::size_t i = 0; i < bundle.policies.size(); ++i) {
    const ca::Policy& p = bundle.policies[i];
    const std::string& file = policy_files[i];
    auto warn = [&](const std::string& pointer, const std::string& message) {
      problems.Add({core::Severity::kWarning, file, pointer, message});
    };
    auto check = [&](const std::vector<std::string>& ids, const char* pointer, auto exists,
                     const char* kind) {
      for (const auto& id : ids) {
        if (id.size() > 2 && id.front() == '<') continue;  // placeholder, already reported
        if (!exists(id)) warn(pointer, std::string(kind) + " '" + id + "' is not in the bundle");
      }
    };
    if (dir.user_count() > 0) {
      auto user_exists = [&](const std::string& id) { return dir.FindUser(id).has_value(); };
      check(p.users.include_users, "/conditions/users/includeUsers", user_exists, "user");
      check(p.users.exclude_users, "/conditions/users/excludeUsers", user_exists, "user");
    }
    auto group_exists = [&](const std::string& id) { return dir.FindGroup(id).has_value(); };
    check(p.users.include_groups, "/conditions/users/includeGroups", group_exists, "group");
    check(p.users.exclude_groups, "/conditions/users/excludeGroups", group_exists, "group");
    auto location_exists = [&](const std::string& id) {
      return id == "*" || std::any_of(bundle.named_locations.begin(), bundle.named_locations.end(),
                                      [&](const auto& l) { return absl::AsciiStrToLower(l.id) == id; });
    };
    check(p.locations.include_ids, "/conditions/locations/includeLocations", location_exists,
          "named location");
    check(p.locations.exclude_ids, "/conditions/locations/excludeLocations", location_exists,
          "named location");
    const std::string& strength = p.grant.authentication_strength_id;
    if (!strength.empty()) {
      bool known = std::any_of(ca::BuiltInAuthenticationStrengths().begin(),
                               ca::BuiltInAuthenticationStrengths().end(),
                               [&](const auto& s) { return s.id == strength; }) ||
                   std::any_of(bundle.authentication_strengths.begin(),
                               bundle.authentication_strengths.end(),
                               [&](const auto& s) { return s.id == strength; });
      if (!known) {
        problems.Add({core::Severity::kError, file, "/grantControls/authenticationStrength/id",
                      "authentication strength '" + strength +
                          "' is neither built in nor in conditionalAccess/authenticationStrengths; "
                          "the policy could never be satisfied"});
      }
    }
  }
}

}  // namespace

absl::StatusOr<TenantBundle> LoadTenantBundle(const std::string& dir) {
  std::error_code ec;
  fs::path root(dir);
  if (!fs::is_directory(root, ec)) {
    return absl::NotFoundError("tenant bundle '" + dir + "' is not a folder");
  }
  TenantBundle bundle;
  core::ProblemList& problems = bundle.problems;

  // Directory.
  directory::DirectoryBuilder builder;
  struct DirectoryFile {
    const char* name;
    void (*read)(const json&, directory::DirectoryBuilder&, core::ProblemList&);
  };
  const DirectoryFile directory_files[] = {
      {"users.json", directory::ReadUsers},
      {"groups.json", directory::ReadGroups},
      {"roles.json", directory::ReadRoles},
      {"applications.json", directory::ReadApplications},
      {"devices.json", directory::ReadDevices},
  };
  for (const DirectoryFile& f : directory_files) {
    fs::path path = root / f.name;
    if (!fs::exists(path, ec)) continue;
    if (auto doc = ReadDocument(root, path, problems)) {
      core::ProblemList local;
      f.read(*doc, builder, local);
      problems.Merge(local, f.name);
    }
  }
  core::ProblemList directory_problems;
  bundle.directory = std::move(builder).Build(directory_problems);
  problems.Merge(directory_problems, "directory");

  // Named locations.
  for (const fs::path& file : JsonFiles(root / "conditionalAccess" / "namedLocations")) {
    auto doc = ReadDocument(root, file, problems);
    if (!doc) continue;
    std::string name = fs::relative(file, root).string();
    core::ProblemList local;
    for (const auto& [pointer, object] : core::DocumentObjects(*doc, local)) {
      core::ProblemList item;
      auto location = location::ParseNamedLocation(*object, item);
      for (core::Problem p : item.problems()) {
        p.pointer = pointer + p.pointer;
        local.Add(std::move(p));
      }
      if (location.ok()) bundle.named_locations.push_back(std::move(*location));
    }
    problems.Merge(local, name);
  }
  if (bundle.named_locations.size() > ca::kMaxNamedLocations) {
    problems.Add({core::Severity::kError, "conditionalAccess/namedLocations", "",
                  std::to_string(bundle.named_locations.size()) +
                      " named locations; the limit is " + std::to_string(ca::kMaxNamedLocations)});
  }

  // Authentication strengths.
  for (const fs::path& file : JsonFiles(root / "conditionalAccess" / "authenticationStrengths")) {
    auto doc = ReadDocument(root, file, problems);
    if (!doc) continue;
    std::string name = fs::relative(file, root).string();
    core::ProblemList local;
    for (const auto& [pointer, object] : core::DocumentObjects(*doc, local)) {
      core::ProblemList item;
      auto strength = ca::ParseAuthenticationStrength(*object, item);
      for (core::Problem p : item.problems()) {
        p.pointer = pointer + p.pointer;
        local.Add(std::move(p));
      }
      if (strength.ok() && !strength->built_in) {
        bundle.authentication_strengths.push_back(std::move(*strength));
      }
    }
    problems.Merge(local, name);
  }
  if (bundle.authentication_strengths.size() > ca::kMaxCustomStrengths) {
    problems.Add({core::Severity::kError, "conditionalAccess/authenticationStrengths", "",
                  std::to_string(bundle.authentication_strengths.size()) +
                      " custom authentication strengths; the limit is " +
                      std::to_string(ca::kMaxCustomStrengths)});
  }

  // Policies.
  std::vector<std::string> policy_files;
  for (const fs::path& file : JsonFiles(root / "conditionalAccess" / "policies")) {
    auto doc = ReadDocument(root, file, problems);
    if (!doc) continue;
    std::string name = fs::relative(file, root).string();
    core::ProblemList local;
    auto objects = core::DocumentObjects(*doc, local);
    for (const auto& [pointer, object] : objects) {
      core::ProblemList item;
      std::string fallback = file.stem().string();
      if (objects.size() > 1) fallback += "#" + pointer;
      auto policy = ca::ParsePolicy(*object, fallback, item);
      for (core::Problem p : item.problems()) {
        p.pointer = pointer + p.pointer;
        local.Add(std::move(p));
      }
      if (policy) {
        bundle.policies.push_back(std::move(*policy));
        policy_files.push_back(name);
      }
    }
    problems.Merge(local, name);
  }
  for (std::size_t i = 0; i < bundle.policies.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (bundle.policies[i].id == bundle.policies[j].id) {
        problems.Add({core::Severity::kError, policy_files[i], "/id",
                      "duplicate policy id '" + bundle.policies[i].id + "' (also in " +
                          policy_files[j] + ")"});
      }
    }
  }
  if (bundle.policies.size() > ca::kMaxPolicies) {
    problems.Add({core::Severity::kError, "conditionalAccess/policies", "",
                  std::to_string(bundle.policies.size()) + " policies; the limit is " +
                      std::to_string(ca::kMaxPolicies)});
  }
  WarnUnknownReferences(bundle, problems, policy_files);

  if (!problems.has_errors()) {
    auto compiled = ca::CompiledPolicySet::Compile(bundle.policies, bundle.named_locations,
                                                   bundle.authentication_strengths,
                                                   bundle.directory);
    if (!compiled.ok()) {
      problems.Add({core::Severity::kError, "", "", std::string(compiled.status().message())});
    } else {
      bundle.compiled = std::move(*compiled);
    }
  }
  return bundle;
}

}  // namespace gatehouse::app
