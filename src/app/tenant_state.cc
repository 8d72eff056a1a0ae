#include "app/tenant_state.h"

#include <algorithm>
#include <chrono>

#include "absl/status/status.h"
#include "core/json_document.h"
#include "nlohmann/json.hpp"
#include "uem/partner_update.h"

namespace gatehouse::app {

using nlohmann::json;

absl::StatusOr<TenantBundle> BuildBundleFromStore(store::Store& store,
                                                  const ComplianceValidity& validity,
                                                  absl::Time* compliance_expires) {
  TenantBuilder builder;
  absl::Time earliest = absl::InfiniteFuture();
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
      if (kind == store::ObjectKind::kDevice && validity.now != absl::InfiniteFuture()) {
        if (auto expires = uem::ApplyComplianceValidity(*doc, validity.period, validity.now)) {
          earliest = std::min(earliest, *expires);
        }
      }
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
  if (compliance_expires) *compliance_expires = earliest;
  return std::move(builder).Finish();
}

TenantState::~TenantState() { StopRefresher(); }

void TenantState::SetComplianceValidity(absl::Duration period, std::function<absl::Time()> clock) {
  validity_micros_ = absl::ToInt64Microseconds(period);
  if (clock) clock_ = std::move(clock);
}

absl::Status TenantState::Refresh(bool force) {
  std::lock_guard<std::mutex> lock(refresh_mutex_);
  auto version = store_.TenantVersion();
  if (!version.ok()) return version.status();
  auto current = current_.load();
  const absl::Time now = clock_();
  if (!force && current && current->version == *version && now < current->compliance_expires) {
    return absl::OkStatus();
  }
  auto started = std::chrono::steady_clock::now();
  ComplianceValidity validity{absl::Microseconds(validity_micros_.load()), now};
  absl::Time expires = absl::InfiniteFuture();
  auto bundle = BuildBundleFromStore(store_, validity, &expires);
  if (!bundle.ok()) return bundle.status();
  if (!bundle->compiled) {
    return absl::FailedPreconditionError("stored tenant does not compile:\n" +
                                         bundle->problems.ToString());
  }
  auto snapshot = std::make_shared<TenantSnapshot>();
  snapshot->bundle = std::move(*bundle);
  snapshot->version = *version;
  snapshot->compliance_expires = expires;
  snapshot->built_at = now;
  snapshot->build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  current_.store(std::move(snapshot));
  return absl::OkStatus();
}

void TenantState::RequestRefresh() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    requested_ = true;
  }
  wake_.notify_one();
}

void TenantState::StartRefresher(std::function<void(const absl::Status&)> on_error,
                                 std::function<void(double)> on_built) {
  std::lock_guard<std::mutex> lock(wake_mutex_);
  if (refresher_.joinable()) return;
  stopping_ = false;
  refresher_ = std::thread([this, on_error = std::move(on_error), on_built = std::move(on_built)] {
    std::unique_lock<std::mutex> lock(wake_mutex_);
    while (!stopping_) {
      // Wake on a request, at the earliest compliance expiry, and at least once a second.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      if (auto snapshot = current_.load();
          snapshot && snapshot->compliance_expires != absl::InfiniteFuture()) {
        const absl::Duration left = snapshot->compliance_expires - clock_();
        if (left < absl::Seconds(1)) {
          deadline = std::chrono::steady_clock::now() +
                     std::chrono::microseconds(std::max<std::int64_t>(
                         0, absl::ToInt64Microseconds(left) + 1000));
        }
      }
      wake_.wait_until(lock, deadline, [this] { return requested_ || stopping_; });
      if (stopping_) break;
      requested_ = false;
      lock.unlock();
      auto started = std::chrono::steady_clock::now();
      auto before = current_.load();
      absl::Status status = Refresh();
      if (!status.ok() && on_error) on_error(status);
      if (status.ok() && on_built && current_.load() != before) {
        on_built(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
      lock.lock();
    }
  });
}

void TenantState::StopRefresher() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

}  // namespace gatehouse::app
