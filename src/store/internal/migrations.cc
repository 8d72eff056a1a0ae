#include "store/internal/migrations.h"

#include <array>
#include <string>

#include "core/status_macros.h"

namespace gatehouse::store::internal {
namespace {

// Append new migrations at the end; never edit one that has shipped.
// Times are INTEGER microseconds since the Unix epoch (UTC).
constexpr std::array<const char*, 1> kMigrations = {
    // 1: initial schema.
    R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('tenant_version', 0);

CREATE TABLE objects (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  body TEXT NOT NULL,
  version INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) STRICT;

CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  activity TEXT NOT NULL,
  category TEXT NOT NULL,
  result TEXT NOT NULL,
  details TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  target_id TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_category ON audit (category, seq);
CREATE INDEX audit_activity ON audit (activity, seq);
CREATE INDEX audit_target_id ON audit (target_id, seq);
CREATE INDEX audit_actor ON audit (actor, seq);
CREATE INDEX audit_time ON audit (time);

CREATE TABLE sign_ins (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  created INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  upn TEXT NOT NULL,
  app_id TEXT NOT NULL,
  ip TEXT NOT NULL,
  error_code INTEGER NOT NULL,
  ca_status TEXT NOT NULL,
  body TEXT NOT NULL
) STRICT;
CREATE INDEX sign_ins_id ON sign_ins (id);
CREATE INDEX sign_ins_created ON sign_ins (created);
CREATE INDEX sign_ins_user_id ON sign_ins (user_id, seq);
CREATE INDEX sign_ins_upn ON sign_ins (upn, seq);
CREATE INDEX sign_ins_app_id ON sign_ins (app_id, seq);
CREATE INDEX sign_ins_error_code ON sign_ins (error_code, seq);
CREATE INDEX sign_ins_ca_status ON sign_ins (ca_status, seq);

CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  body TEXT NOT NULL,
  created INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  acked INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX outbox_pending ON outbox (topic, seq) WHERE acked = 0;
)sql",
};

}  // namespace

std::int64_t LatestSchemaVersion() { return static_cast<std::int64_t>(kMigrations.size()); }

absl::Status Migrate(Db& db) {
  GH_ASSIGN_OR_RETURN(std::int64_t current, db.QueryInt64("PRAGMA user_version"));
  if (current > LatestSchemaVersion()) {
    return absl::FailedPreconditionError("database schema version " + std::to_string(current) +
                                         " is newer than this build of gatehouse supports (" +
                                         std::to_string(LatestSchemaVersion()) +
                                         "); upgrade gatehouse to open it");
  }
  if (current < 0) {
    return absl::FailedPreconditionError("database schema version " + std::to_string(current) +
                                         " is invalid");
  }
  for (std::int64_t version = current + 1; version <= LatestSchemaVersion(); ++version) {
    GH_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db));
    // Re-read inside the write lock: another process may have migrated meanwhile.
    GH_ASSIGN_OR_RETURN(std::int64_t now_at, db.QueryInt64("PRAGMA user_version"));
    if (now_at >= version) continue;
    absl::Status applied = db.Exec(kMigrations[static_cast<std::size_t>(version - 1)]);
    if (!applied.ok()) {
      return absl::Status(applied.code(), "schema migration " + std::to_string(version) +
                                              " failed: " + std::string(applied.message()));
    }
    GH_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(version)));
    GH_RETURN_IF_ERROR(transaction.Commit());
  }
  return absl::OkStatus();
}

}  // namespace gatehouse::store::internal
