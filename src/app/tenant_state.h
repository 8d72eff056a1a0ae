// The live tenant of `gatehouse serve`: the store's objects compiled into an immutable
// TenantBundle, swapped atomically when the store changes. Requests on the decision path read
// the current snapshot (one atomic load) and never touch the database.
//
// Device compliance reported by the partner API (gatehouseCompliance on the directory device
// record) counts only while it is younger than the validity period: the builder marks older
// compliance as not compliant, and the snapshot records when the earliest still-valid compliance
// expires so Refresh() rebuilds at that moment even when the store did not change.
//
// RequestRefresh() asks for a rebuild without waiting (the partner API calls it after each
// commit); requests arriving while a rebuild runs are coalesced into one more rebuild. The
// background refresher (StartRefresher) also rebuilds when the earliest validity expires.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "app/tenant_bundle.h"
#include "store/store.h"

namespace gatehouse::app {

struct TenantSnapshot {
  TenantBundle bundle;          // compiled is never null in a published snapshot
  std::int64_t version = 0;     // store tenant version it was built from
  double build_seconds = 0;
  // When the earliest valid device compliance in this snapshot expires (InfiniteFuture: none).
  absl::Time compliance_expires = absl::InfiniteFuture();
  absl::Time built_at;
};

struct ComplianceValidity {
  absl::Duration period = absl::Hours(24);
  absl::Time now = absl::InfiniteFuture();  // InfiniteFuture: no validity check
};

// Builds a bundle from every tenant object in the store (the same checks as `gatehouse validate`).
// With `validity`, device compliance older than the period is marked not compliant and
// `compliance_expires` (when given) receives the earliest expiry of a still-valid one.
absl::StatusOr<TenantBundle> BuildBundleFromStore(store::Store& store,
                                                  const ComplianceValidity& validity = {},
                                                  absl::Time* compliance_expires = nullptr);

class TenantState {
 public:
  explicit TenantState(store::Store& store) : store_(store) {}
  ~TenantState();

  // Validity of partner-reported compliance and the clock it is judged by (set before use).
  void SetComplianceValidity(absl::Duration period, std::function<absl::Time()> clock = {});

  // Rebuilds when the store's tenant version moved, when the earliest compliance validity has
  // expired (or `force`). A bundle with errors is not published (the previous snapshot stays)
  // and the error is returned.
  absl::Status Refresh(bool force = false);

  // Asks the background refresher for a rebuild and returns at once (coalesced).
  void RequestRefresh();
  // Starts the background refresher thread (idempotent); `on_error` gets failed rebuilds and
  // `on_built` the build time of each published snapshot. Stopped by StopRefresher or the
  // destructor.
  void StartRefresher(std::function<void(const absl::Status&)> on_error = {},
                      std::function<void(double seconds)> on_built = {});
  void StopRefresher();

  std::shared_ptr<const TenantSnapshot> Current() const { return current_.load(); }

 private:
  store::Store& store_;
  std::mutex refresh_mutex_;  // one rebuild at a time
  std::atomic<std::shared_ptr<const TenantSnapshot>> current_;
  std::atomic<std::int64_t> validity_micros_{absl::ToInt64Microseconds(absl::Hours(24))};
  std::function<absl::Time()> clock_ = [] { return absl::Now(); };

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::thread refresher_;
};

}  // namespace gatehouse::app
