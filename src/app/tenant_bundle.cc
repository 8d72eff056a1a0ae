#include "app/tenant_bundle.h"

#include <algorithm>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "ca/policy_codec.h"
#include "core/json_document.h"
#include "core/text.h"
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

struct TenantBuilder::State {
  TenantBundle bundle;
  directory::DirectoryBuilder directory;
  std::vector<std::string> policy_sources;
};

TenantBuilder::TenantBuilder() : state_(std::make_unique<State>()) {}
TenantBuilder::~TenantBuilder() = default;

void TenantBuilder::AddProblem(core::Problem problem) {
  state_->bundle.problems.Add(std::move(problem));
}

void TenantBuilder::Add(TenantDocumentKind kind, const std::string& source, const json& doc) {
  TenantBundle& bundle = state_->bundle;
  core::ProblemList local;
  // Runs `parse` on every object of the document, prefixing problem pointers with the object's.
  auto each_object = [&](auto parse) {
    auto objects = core::DocumentObjects(doc, local);
    for (const auto& [pointer, object] : objects) {
      core::ProblemList item;
      parse(*object, item, pointer, objects.size());
      for (core::Problem p : item.problems()) {
        p.pointer = pointer + p.pointer;
        local.Add(std::move(p));
      }
    }
  };
  switch (kind) {
    case TenantDocumentKind::kUsers: directory::ReadUsers(doc, state_->directory, local); break;
    case TenantDocumentKind::kGroups: directory::ReadGroups(doc, state_->directory, local); break;
    case TenantDocumentKind::kRoles: directory::ReadRoles(doc, state_->directory, local); break;
    case TenantDocumentKind::kApplications:
      directory::ReadApplications(doc, state_->directory, local);
      break;
    case TenantDocumentKind::kDevices: directory::ReadDevices(doc, state_->directory, local); break;
    case TenantDocumentKind::kNamedLocations:
      each_object([&](const json& object, core::ProblemList& item, const std::string&, std::size_t) {
        auto location = location::ParseNamedLocation(object, item);
        if (location.ok()) bundle.named_locations.push_back(std::move(*location));
      });
      break;
    case TenantDocumentKind::kAuthenticationStrengths:
      each_object([&](const json& object, core::ProblemList& item, const std::string&, std::size_t) {
        auto strength = ca::ParseAuthenticationStrength(object, item);
        if (strength.ok() && !strength->built_in) {
          bundle.authentication_strengths.push_back(std::move(*strength));
        }
      });
      break;
    case TenantDocumentKind::kPolicies:
      each_object([&](const json& object, core::ProblemList& item, const std::string& pointer,
                      std::size_t count) {
        std::string fallback = fs::path(source).stem().string();
        if (count > 1) fallback += "#" + pointer;
        auto policy = ca::ParsePolicy(object, fallback, item);
        if (policy) {
          bundle.policies.push_back(std::move(*policy));
          state_->policy_sources.push_back(source);
        }
      });
      break;
  }
  bundle.problems.Merge(local, source);
}

TenantBundle TenantBuilder::Finish() && {
  TenantBundle& bundle = state_->bundle;
  core::ProblemList& problems = bundle.problems;
  core::ProblemList directory_problems;
  bundle.directory = std::move(state_->directory).Build(directory_problems);
  problems.Merge(directory_problems, "directory");

  if (bundle.named_locations.size() > ca::kMaxNamedLocations) {
    problems.Add({core::Severity::kError, "conditionalAccess/namedLocations", "",
                  std::to_string(bundle.named_locations.size()) +
                      " named locations; the limit is " + std::to_string(ca::kMaxNamedLocations)});
  }
  if (bundle.authentication_strengths.size() > ca::kMaxCustomStrengths) {
    problems.Add({core::Severity::kError, "conditionalAccess/authenticationStrengths", "",
                  std::to_string(bundle.authentication_strengths.size()) +
                      " custom authentication strengths; the limit is " +
                      std::to_string(ca::kMaxCustomStrengths)});
  }
  const std::vector<std::string>& sources = state_->policy_sources;
  for (std::size_t i = 0; i < bundle.policies.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (core::EqualsIgnoreCase(bundle.policies[i].id, bundle.policies[j].id)) {
        problems.Add({core::Severity::kError, sources[i], "/id",
                      "duplicate policy id '" + bundle.policies[i].id + "' (also in " +
                          sources[j] + ")"});
      }
    }
  }
  if (bundle.policies.size() > ca::kMaxPolicies) {
    problems.Add({core::Severity::kError, "conditionalAccess/policies", "",
                  std::to_string(bundle.policies.size()) + " policies; the limit is " +
                      std::to_string(ca::kMaxPolicies)});
  }
  WarnUnknownReferences(bundle, problems, sources);

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
  return std::move(bundle);
}

absl::StatusOr<TenantBundle> LoadTenantBundle(const std::string& dir) {
  std::error_code ec;
  fs::path root(dir);
  if (!fs::is_directory(root, ec)) {
    return absl::NotFoundError("tenant bundle '" + dir + "' is not a folder");
  }
  TenantBuilder builder;
  auto add_file = [&](TenantDocumentKind kind, const fs::path& file) {
    std::string name = fs::relative(file, root).string();
    auto bytes = core::ReadFileToString(file.string());
    if (!bytes.ok()) {
      builder.AddProblem({core::Severity::kError, name, "", std::string(bytes.status().message())});
      return;
    }
    auto doc = core::ParseJsonDocument(*bytes);
    if (!doc.ok()) {
      builder.AddProblem({core::Severity::kError, name, "", std::string(doc.status().message())});
      return;
    }
    builder.Add(kind, name, *doc);
  };
  const std::pair<const char*, TenantDocumentKind> directory_files[] = {
      {"users.json", TenantDocumentKind::kUsers},
      {"groups.json", TenantDocumentKind::kGroups},
      {"roles.json", TenantDocumentKind::kRoles},
      {"applications.json", TenantDocumentKind::kApplications},
      {"devices.json", TenantDocumentKind::kDevices},
  };
  for (const auto& [name, kind] : directory_files) {
    if (fs::exists(root / name, ec)) add_file(kind, root / name);
  }
  const std::pair<const char*, TenantDocumentKind> folders[] = {
      {"conditionalAccess/namedLocations", TenantDocumentKind::kNamedLocations},
      {"conditionalAccess/authenticationStrengths", TenantDocumentKind::kAuthenticationStrengths},
      {"conditionalAccess/policies", TenantDocumentKind::kPolicies},
  };
  for (const auto& [folder, kind] : folders) {
    for (const fs::path& file : JsonFiles(root / folder)) add_file(kind, file);
  }
  return std::move(builder).Finish();
}

}  // namespace gatehouse::app
