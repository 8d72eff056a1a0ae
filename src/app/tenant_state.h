// The live tenant of `gatehouse serve`: the store's objects compiled into an immutable
// TenantBundle, swapped atomically when the store changes. Requests on the decision path read
// the current snapshot (one atomic load) and never touch the database.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "app/tenant_bundle.h"
#include "store/store.h"

namespace gatehouse::app {

struct TenantSnapshot {
  TenantBundle bundle;          // compiled is never null in a published snapshot
  std::int64_t version = 0;     // store tenant version it was built from
  double build_seconds = 0;
};

// Builds a bundle from every tenant object in the store (the same checks as `gatehouse validate`).
absl::StatusOr<TenantBundle> BuildBundleFromStore(store::Store& store);

class TenantState {
 public:
  explicit TenantState(store::Store& store) : store_(store) {}

  // Rebuilds when the store's tenant version moved (or `force`). A bundle with errors is not
  // published (the previous snapshot stays) and the error is returned.
  absl::Status Refresh(bool force = false);

  std::shared_ptr<const TenantSnapshot> Current() const { return current_.load(); }

 private:
  store::Store& store_;
  std::mutex refresh_mutex_;  // one rebuild at a time
  std::atomic<std::shared_ptr<const TenantSnapshot>> current_;
};

}  // namespace gatehouse::app
