// The partner compliance API of the IdP (shared DESIGN §1 step 4; contract in docs/uem.md):
// POST /partner/v1/deviceCompliance with a bearer token holding DeviceCompliance.ReadWrite.Partner.
// Each update is applied idempotently and in sequence order per device (uem/partner_update.h) onto
// the directory device record through Store::Put, so every change is in the directory audit log;
// after a commit the tenant snapshot rebuild is requested (coalesced) so the next decision sees
// it. Also: POST /v1.0/gatehouse/partnerClients (Directory.ReadWrite.All) and the CLI
// `gatehouse partner create-client`, which create a client holding only the partner scope.
//
// Thread-safety: handlers run on any io thread; concurrent updates of one device are serialised
// by the store's optimistic version check (retried).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "app/admin_auth.h"
#include "app/tenant_state.h"
#include "http/http_types.h"
#include "http/metrics.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace gatehouse::app {

struct PartnerApiContext {
  store::Store* store = nullptr;
  TenantState* tenant = nullptr;
  AdminAuthority* auth = nullptr;
  http::MetricsRegistry* metrics = nullptr;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

void DeclarePartnerApiMetrics(http::MetricsRegistry& metrics);

// Adds the routes; the returned object owns the handlers' state (keep it alive while serving).
[[nodiscard]] std::shared_ptr<void> RegisterPartnerApi(http::Router& router,
                                                       PartnerApiContext& context);

// Creates a client holding only DeviceCompliance.ReadWrite.Partner; returns its secret (shown
// once, stored hashed). With `replace`, an existing client of that id is deleted first.
absl::StatusOr<std::string> CreatePartnerClient(AdminAuthority& auth, store::Store& store,
                                                const std::string& client_id,
                                                const std::string& display_name,
                                                const std::string& actor, bool replace = false);

// The connector credential of a one-process node (--role idp,uem): a partner client with a fresh
// secret, replacing any previous one, written without an audit record (like signing keys: it is
// the node's own machinery, rotated at every start, and never leaves the process).
absl::StatusOr<std::string> RotateLocalPartnerClient(store::Store& store, const std::string& client_id);

// `gatehouse partner create-client --data-dir DIR [--client-id ID] [--display-name NAME]`.
void AddPartnerCommands(CLI::App& root, int& exit_code);

}  // namespace gatehouse::app
