#include "app/tenant_state.h"

#include <chrono>

#include "absl/status/status.h"
#include "core/json_document.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {

using nlohmann::json;

absl::StatusOr<TenantBundle> BuildBundleFromStore(store::Store& store) {
  TenantBuilder builder;
  auto list = [&](store::ObjectKind kind) -> absl::StatusOr<std::vector<store::StoredObject>> {
    return store.List(kind);
  };
  // Directory objects become one array document per kind.
  const std::pair<store::ObjectKind, TenantDocumentKind> arrays[] = {
      {store::ObjectKind::kUser, TenantDocumentKind::kUsers},
      {store::ObjectKind::kGroup, TenantDocumentKind::kGroups},
      {store::ObjectKind::kApplication, TenantDocumentKind::kApplications},
      {store::ObjectKind::kDevice, TenantDocumentKind::kDevices},
  };
  for (const auto& [kind, document_kind] : arrays) {
    auto objects = list(kind);
    if (!objects.ok()) return objects.status();
    json array = json::array();
    for (const auto& object : *objects) {
      auto doc = core::ParseJsonDocument(object.body);
      if (!doc.ok()) return absl::DataLossError("stored " + std::string(store::ObjectKindName(kind)) +
                                                " '" + object.id + "' is not JSON");
      array.push_back(std::move(*doc));
    }
    builder.Add(document_kind, store::ObjectKindName(kind) + std::string("s"), array);
  }
  auto assignments = list(store::ObjectKind::kRoleAssignment);
  if (!assignments.ok()) return assignments.status();
  json roles = json::object();
  for (const auto& object : *assignments) {
    auto doc = core::ParseJsonDocument(object.body);
    if (!doc.ok() || !doc->is_object()) continue;
    std::string role = doc->value("roleDefinitionId", "");
    std::string principal = doc->value("principalId", "");
    if (role.empty() || principal.empty()) continue;
    roles[role].push_back(principal);
  }
  builder.Add(TenantDocumentKind::kRoles, "roleAssignments", roles);
  const std::pair<store::ObjectKind, TenantDocumentKind> singles[] = {
      {store::ObjectKind::kNamedLocation, TenantDocumentKind::kNamedLocations},
      {store::ObjectKind::kAuthenticationStrength, TenantDocumentKind::kAuthenticationStrengths},
      {store::ObjectKind::kPolicy, TenantDocumentKind::kPolicies},
  };
  for (const auto& [kind, document_kind] : singles) {
    auto objects = list(kind);
    if (!objects.ok()) return objects.status();
    for (const auto& object : *objects) {
      auto doc = core::ParseJsonDocument(object.body);
      if (!doc.ok()) return absl::DataLossError("stored object '" + object.id + "' is not JSON");
      builder.Add(document_kind, std::string(store::ObjectKindName(kind)) + "/" + object.id, *doc);
    }
  }
  return std::move(builder).Finish();
}

absl::Status TenantState::Refresh(bool force) {
  std::lock_guard<std::mutex> lock(refresh_mutex_);
  auto version = store_.TenantVersion();
  if (!version.ok()) return version.status();
  auto current = current_.load();
  if (!force && current && current->version == *version) return absl::OkStatus();
  auto started = std::chrono::steady_clock::now();
  auto bundle = BuildBundleFromStore(store_);
  if (!bundle.ok()) return bundle.status();
  if (!bundle->compiled) {
    return absl::FailedPreconditionError("stored tenant does not compile:\n" +
                                         bundle->problems.ToString());
  }
  auto snapshot = std::make_shared<TenantSnapshot>();
  snapshot->bundle = std::move(*bundle);
  snapshot->version = *version;
  snapshot->build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  current_.store(std::move(snapshot));
  return absl::OkStatus();
}

}  // namespace gatehouse::app
