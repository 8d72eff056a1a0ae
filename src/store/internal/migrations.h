// Versioned schema of the SQLite store. Migration N (1-based) turns a database at
// PRAGMA user_version N-1 into one at N; each runs in its own transaction together with the
// user_version update, so a crash leaves the database at a whole version.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "store/internal/sqlite_db.h"

namespace gatehouse::store::internal {

// The schema version this build writes.
std::int64_t LatestSchemaVersion();

// Applies every pending migration. FailedPrecondition when the database was written by a newer
// version of gatehouse (user_version above LatestSchemaVersion()).
absl::Status Migrate(Db& db);

}  // namespace gatehouse::store::internal
