#include "app/tenant_io.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/status/status.h"
#include "core/json_document.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Canonical(const json& doc) { return doc.dump(2) + "\n"; }

absl::StatusOr<json> ReadJsonFile(const fs::path& path) {
  auto bytes = core::ReadFileToString(path.string());
  if (!bytes.ok()) return bytes.status();
  auto doc = core::ParseJsonDocument(*bytes);
  if (!doc.ok()) return absl::InvalidArgumentError(path.string() + ": " + std::string(doc.status().message()));
  return std::move(*doc);
}

absl::Status WriteFile(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return absl::InternalError("cannot write " + temp.string());
  }
  fs::rename(temp, path, ec);
  if (ec) return absl::InternalError("cannot write " + path.string() + ": " + ec.message());
  return absl::OkStatus();
}

std::string IdOf(const json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

absl::StatusOr<ImportSummary> ImportTenant(store::Store& store, const std::string& dir,
                                           const std::string& actor) {
  auto bundle = LoadTenantBundle(dir);
  if (!bundle.ok()) return bundle.status();
  if (bundle->problems.has_errors()) {
    return absl::FailedPreconditionError("the bundle has errors; nothing was imported:\n" +
                                         bundle->problems.ToString());
  }
  ImportSummary summary;
  summary.problems = bundle->problems;
  std::vector<store::StoredObject> objects;
  auto add = [&](store::ObjectKind kind, const std::string& id, const json& doc) {
    objects.push_back({kind, id, doc.dump(), 0, {}});
  };
  fs::path root(dir);
  core::ProblemList ignored;
  // Folders of single objects: their ids come from the documents (the loader accepted them).
  const std::tuple<const char*, store::ObjectKind, std::size_t*> folders[] = {
      {"conditionalAccess/policies", store::ObjectKind::kPolicy, &summary.policies},
      {"conditionalAccess/namedLocations", store::ObjectKind::kNamedLocation,
       &summary.named_locations},
      {"conditionalAccess/authenticationStrengths", store::ObjectKind::kAuthenticationStrength,
       &summary.authentication_strengths},
  };
  for (const auto& [folder, kind, counter] : folders) {
    std::error_code ec;
    if (!fs::is_directory(root / folder, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(root / folder)) {
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      auto doc = ReadJsonFile(file);
      if (!doc.ok()) return doc.status();
      for (const auto& [pointer, object] : core::DocumentObjects(*doc, ignored)) {
        json copy = *object;
        std::string id = IdOf(copy, "id");
        if (id.empty()) {
          id = file.stem().string();
          copy["id"] = id;
        }
        add(kind, id, copy);
        ++*counter;
      }
    }
  }
  const std::tuple<const char*, store::ObjectKind, const char*, std::size_t*> arrays[] = {
      {"users.json", store::ObjectKind::kUser, "id", &summary.users},
      {"groups.json", store::ObjectKind::kGroup, "id", &summary.groups},
      {"applications.json", store::ObjectKind::kApplication, "appId", &summary.applications},
      {"devices.json", store::ObjectKind::kDevice, "deviceId", &summary.devices},
  };
  for (const auto& [name, kind, id_field, counter] : arrays) {
    std::error_code ec;
    if (!fs::exists(root / name, ec)) continue;
    auto doc = ReadJsonFile(root / name);
    if (!doc.ok()) return doc.status();
    for (const auto& [pointer, object] : core::DocumentObjects(*doc, ignored)) {
      std::string id = IdOf(*object, kind == store::ObjectKind::kDevice && object->contains("id")
                                         ? "id"
                                         : id_field);
      json body = *object;
      // A bundle may carry Graph's passwordProfile.password: never store it in a user body
      // (passwords are set through the admin API and kept only as hashes; docs/sign-in.md).
      if (kind == store::ObjectKind::kUser && body.contains("passwordProfile") &&
          body["passwordProfile"].is_object()) {
        body["passwordProfile"].erase("password");
      }
      add(kind, id, body);
      ++*counter;
    }
  }
  std::error_code ec;
  if (fs::exists(root / "roles.json", ec)) {
    auto doc = ReadJsonFile(root / "roles.json");
    if (!doc.ok()) return doc.status();
    auto add_assignment = [&](const std::string& role, const json& member) {
      std::string principal = member.is_string() ? member.get<std::string>() : IdOf(member, "id");
      if (principal.empty()) return;
      add(store::ObjectKind::kRoleAssignment, role + "_" + principal,
          {{"id", role + "_" + principal},
           {"roleDefinitionId", role},
           {"principalId", principal},
           {"directoryScopeId", "/"}});
      ++summary.role_assignments;
    };
    if (doc->is_object() && !doc->contains("value") && !doc->contains("roleTemplateId")) {
      for (const auto& [role, members] : doc->items()) {
        if (core::IsODataAnnotation(role) || !members.is_array()) continue;
        for (const auto& m : members) add_assignment(role, m);
      }
    } else {
      for (const auto& [pointer, object] : core::DocumentObjects(*doc, ignored)) {
        std::string role = IdOf(*object, "roleTemplateId");
        for (const auto& m : object->value("members", json::array())) add_assignment(role, m);
      }
    }
  }
  const std::vector<store::ObjectKind> kinds = {
      store::ObjectKind::kPolicy,      store::ObjectKind::kNamedLocation,
      store::ObjectKind::kAuthenticationStrength, store::ObjectKind::kUser,
      store::ObjectKind::kGroup,       store::ObjectKind::kApplication,
      store::ObjectKind::kDevice,      store::ObjectKind::kRoleAssignment};
  store::AuditEntry audit{actor, "Import tenant bundle", "Policy", "success",
                          json{{"source", dir}, {"objects", objects.size()}}.dump()};
  if (absl::Status s = store.ReplaceAll(kinds, objects, audit); !s.ok()) return s;
  return summary;
}

absl::Status ExportTenant(store::Store& store, const std::string& dir) {
  fs::path root(dir);
  auto list = [&](store::ObjectKind kind) -> absl::StatusOr<std::vector<json>> {
    auto objects = store.List(kind);
    if (!objects.ok()) return objects.status();
    std::sort(objects->begin(), objects->end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    std::vector<json> docs;
    for (const auto& o : *objects) {
      json doc = json::parse(o.body, nullptr, false);
      if (doc.is_discarded()) return absl::DataLossError("stored object '" + o.id + "' is not JSON");
      docs.push_back(std::move(doc));
    }
    return docs;
  };
  const std::pair<const char*, store::ObjectKind> folders[] = {
      {"conditionalAccess/policies", store::ObjectKind::kPolicy},
      {"conditionalAccess/namedLocations", store::ObjectKind::kNamedLocation},
      {"conditionalAccess/authenticationStrengths", store::ObjectKind::kAuthenticationStrength},
  };
  for (const auto& [folder, kind] : folders) {
    auto docs = list(kind);
    if (!docs.ok()) return docs.status();
    std::error_code ec;
    fs::create_directories(root / folder, ec);
    std::vector<fs::path> written;
    for (const json& doc : *docs) {
      fs::path file = root / folder / (IdOf(doc, "id") + ".json");
      if (absl::Status s = WriteFile(file, Canonical(doc)); !s.ok()) return s;
      written.push_back(file);
    }
    for (const auto& entry : fs::directory_iterator(root / folder)) {
      if (entry.path().extension() == ".json" &&
          std::find(written.begin(), written.end(), entry.path()) == written.end()) {
        fs::remove(entry.path(), ec);
      }
    }
  }
  const std::pair<const char*, store::ObjectKind> arrays[] = {
      {"users.json", store::ObjectKind::kUser},
      {"groups.json", store::ObjectKind::kGroup},
      {"applications.json", store::ObjectKind::kApplication},
      {"devices.json", store::ObjectKind::kDevice},
  };
  for (const auto& [name, kind] : arrays) {
    auto docs = list(kind);
    if (!docs.ok()) return docs.status();
    json array = json::array();
    for (auto& doc : *docs) array.push_back(std::move(doc));
    if (absl::Status s = WriteFile(root / name, Canonical(array)); !s.ok()) return s;
  }
  auto assignments = list(store::ObjectKind::kRoleAssignment);
  if (!assignments.ok()) return assignments.status();
  std::map<std::string, std::vector<std::string>> roles;
  for (const json& a : *assignments) {
    roles[IdOf(a, "roleDefinitionId")].push_back(IdOf(a, "principalId"));
  }
  json roles_doc = json::object();
  for (auto& [role, members] : roles) {
    std::sort(members.begin(), members.end());
    roles_doc[role] = members;
  }
  return WriteFile(root / "roles.json", Canonical(roles_doc));
}

}  // namespace gatehouse::app
