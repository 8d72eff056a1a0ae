// The embedded SQLite backend of the store (store.h).
//
// Storage: one file `gatehouse.db` in the data directory, WAL journal, synchronous=FULL (a write
// is on disk before the call returns), foreign_keys=ON, busy_timeout=5000 ms, STRICT tables,
// schema migrations tracked with PRAGMA user_version (store/internal/migrations.h). Times are
// stored as microseconds since the Unix epoch, so values read back are truncated to
// microseconds.
//
// Concurrency: one connection guarded by a mutex; every call (read or write) holds it, so writes
// are serialized and each write is one transaction. AppendSignIn group-commits: concurrent
// appends that queue up while a commit is in flight are written together in the next
// transaction (one fsync for the group); each call still returns only after its own record is
// committed, and a failed group commit fails every call in it.
//
// Semantics beyond store.h:
// - Put / Delete / ReplaceAll bump the tenant version once per call, for every kind (settings
//   and admin clients included: snapshot builders may depend on them) except the sign-in state
//   kinds (kCredential, kRefreshTokenFamily; see BumpsTenantVersion).
// - Audit: records of policy, named location, authentication strength, user, group, application,
//   device and role assignment changes are always written; an empty activity becomes
//   "Add <kind>", "Update <kind>", "Delete <kind>" or "Replace <kinds>". Changes of admin clients,
//   signing keys and settings are audited only when the caller gives an activity, and then the
//   caller must keep secrets out of details_json (the audit log is readable with
//   AuditLog.Read.All). details_json must be a JSON object (InvalidArgument otherwise).
// - The hash chain is specified in store/internal/audit_chain.h.
// - ReplaceAll ignores the version and modified fields of the objects given: an object that
//   existed before continues its version (+1), a new one starts at 1.
// - PeekOutbox counts as a delivery attempt: it increments `attempts` of the messages returned
//   (the value returned includes this attempt). Acking an unknown or acked sequence is a no-op.
// - Query limits are clamped to 1..1000.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace gatehouse::store {

struct SqliteStoreOptions {
  // Time source for modified/audit/outbox timestamps; absl::Now when empty. Called with the
  // store's mutex held.
  std::function<absl::Time()> clock;
};

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& directory,
                                                       const SqliteStoreOptions& options);

}  // namespace gatehouse::store
