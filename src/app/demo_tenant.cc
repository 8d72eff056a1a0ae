#include "app/demo_tenant.h"

#include <filesystem>
#include <fstream>

#include "app/sign_in_server.h"
#include "app/tenant_io.h"
#include "crypto/crypto.h"
#include "idp/credentials.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {

absl::Status SeedDemoTenant(store::Store& store) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("gatehouse-demo-" + crypto::RandomToken(8));
  for (const auto& [path, contents] : DemoTenantFiles()) {
    fs::path file = dir / std::string(path);
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    std::ofstream(file, std::ios::binary) << contents;
  }
  auto summary = ImportTenant(store, dir.string(), "gatehouse serve --demo");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return summary.ok() ? absl::OkStatus() : summary.status();
}

absl::StatusOr<std::string> PrepareDemoSignIn(store::Store& store, const std::string& issuer) {
  using nlohmann::json;
  std::string password;
  auto user = store.Get(store::ObjectKind::kUser, kDemoUserId);
  if (!user.ok()) return user.status();
  if (!user->has_value()) {
    json body = {{"@odata.type", "#microsoft.graph.user"},
                 {"id", kDemoUserId},
                 {"userPrincipalName", kDemoUserPrincipalName},
                 {"displayName", "Demo User"},
                 {"mail", kDemoUserPrincipalName},
                 {"userType", "Member"},
                 {"accountEnabled", true}};
    auto put = store.Put(store::ObjectKind::kUser, kDemoUserId, body.dump(),
                         store::AuditEntry{"gatehouse serve --demo", "Add user", "UserManagement",
                                           "success", "{}"},
                         0);
    if (!put.ok() && put.status().code() != absl::StatusCode::kFailedPrecondition) {
      return put.status();
    }
    if (put.ok()) {
      password = crypto::RandomToken(12);
      idp::CredentialStore credentials(store);
      if (absl::Status s = credentials.SetUserPassword(kDemoUserId, password, absl::Now()); !s.ok()) {
        return s;
      }
    }
  }
  auto app = store.Get(store::ObjectKind::kApplication, kDemoAppId);
  if (!app.ok()) return app.status();
  json doc = app->has_value() ? json::parse((*app)->body, nullptr, false) : json::object();
  if (!doc.is_object()) doc = json::object();
  const json wanted = json::array({issuer + "/demo/app/callback"});
  if (!app->has_value() || !doc.contains("web") || !doc["web"].is_object() ||
      doc["web"].value("redirectUris", json::array()) != wanted) {
    if (!doc.contains("appId")) {
      doc["appId"] = kDemoAppId;
      doc["displayName"] = "Gatehouse demo app";
    }
    doc["web"]["redirectUris"] = wanted;
    auto put = store.Put(store::ObjectKind::kApplication, kDemoAppId, doc.dump(),
                         store::AuditEntry{"gatehouse serve --demo", "Update application",
                                           "ApplicationManagement", "success", "{}"},
                         app->has_value() ? std::optional<std::int64_t>((*app)->version)
                                          : std::optional<std::int64_t>(0));
    if (!put.ok() && put.status().code() != absl::StatusCode::kFailedPrecondition) {
      return put.status();
    }
  }
  return password;
}

}  // namespace gatehouse::app
