// Wiring of the device side of `gatehouse serve` (docs/uem.md): the UEM role (its own uem.db,
// the /uem/v1 API, the sweeper and the partner connector) and, on an IdP node, the partner
// compliance API with the decision-time validity of reported compliance.
//
// `--role idp,uem` (default) runs both in one process; the connector still goes through the
// partner API over loopback HTTP, with a partner client the node creates (and rotates) for itself
// when no partner credentials are configured. `--role uem` alone needs partnerIdpUrl and the
// partner client id/secret (from `gatehouse partner create-client` on the IdP).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"

namespace CLI {
class App;
}

namespace gatehouse::http {
class Router;
class MetricsRegistry;
}  // namespace gatehouse::http
namespace gatehouse::store {
class Store;
}

namespace gatehouse::app {

class AdminAuthority;
class TenantState;

struct UemRoleOptions {
  std::string partner_idp_url;        // empty: this process (idp,uem)
  std::string partner_client_id;      // empty with a local IdP: created automatically
  std::string partner_client_secret;
  double compliance_validity_hours = 24;  // IdP: reported compliance older than this is stale
  double partner_heartbeat_seconds = 3600;
  double uem_sweep_seconds = 30;
  int wipe_limit = 5;
  double wipe_window_minutes = 60;
};

// True when `role` (comma-separated) names `name`.
bool RoleIncludes(const std::string& role, const std::string& name);
// "" when the role list is valid (idp, uem or both), else the error.
std::string CheckRoles(const std::string& role);

// Config-file keys of the device roles (for the unknown-key check).
bool IsUemConfigKey(const std::string& key);
// Applies config keys and GATEHOUSE_* environment variables (flags given on the command line
// win). Returns "" or the error.
std::string ApplyUemConfiguration(UemRoleOptions& options, const nlohmann::json& config,
                                  const std::vector<std::string>& explicit_flags,
                                  const std::string& config_file);
void AddUemServeFlags(CLI::App* serve, UemRoleOptions& options);

struct DeviceRolesContext {
  std::string role;
  std::string data_dir;
  store::Store* store = nullptr;     // the IdP store (admin clients, directory)
  TenantState* tenant = nullptr;
  AdminAuthority* auth = nullptr;
  http::MetricsRegistry* metrics = nullptr;
  bool demo = false;
  bool admin_api_registered = true;  // false: register /oauth2/v2.0/token, /healthz, /metrics here
  bool metrics_anonymous = false;
};

class DeviceRoles {
 public:
  virtual ~DeviceRoles() = default;
  // Called once the server listens: starts the partner connector (it needs the local port).
  virtual absl::Status OnServing(std::uint16_t port) = 0;
};

// Registers the routes of the configured roles and opens the UEM database.
absl::StatusOr<std::unique_ptr<DeviceRoles>> StartDeviceRoles(http::Router& router,
                                                              const UemRoleOptions& options,
                                                              const DeviceRolesContext& context);

}  // namespace gatehouse::app
