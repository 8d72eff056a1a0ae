// The Graph-shaped admin API of `gatehouse serve` (under /v1.0), the OAuth token endpoint, and the
// operational endpoints (/healthz, /readyz, /metrics). Handlers validate with the same codecs as
// `gatehouse validate`, write through the store (durable, audited) and then refresh the tenant
// snapshot, so the next decision sees the change.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "app/admin_auth.h"
#include "app/tenant_state.h"
#include "http/http_types.h"
#include "http/metrics.h"
#include "location/named_location.h"
#include "store/store.h"

namespace gatehouse::app {

struct AdminApiContext {
  store::Store* store = nullptr;
  TenantState* tenant = nullptr;
  AdminAuthority* auth = nullptr;
  http::MetricsRegistry* metrics = nullptr;
  const location::CountryResolver* geoip = nullptr;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  std::string emergency_access_group_id;  // lockout guard
  bool metrics_anonymous = false;         // /metrics without a token
};

// Declares the metric families the API records.
void DeclareAdminApiMetrics(http::MetricsRegistry& metrics);

// Adds every route to `router`. The returned object owns the handlers' state: keep it alive as
// long as the router serves (both must outlive the server). `context` must outlive it too.
[[nodiscard]] std::shared_ptr<void> RegisterAdminApi(http::Router& router, AdminApiContext& context);

}  // namespace gatehouse::app
