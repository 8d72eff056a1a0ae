#include "store/sqlite_store.h"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"
#include "store/internal/audit_chain.h"
#include "store/internal/migrations.h"
#include "store/internal/sqlite_db.h"

namespace gatehouse::store {
namespace {

using internal::Db;
using internal::Statement;
using internal::Transaction;

constexpr int kMaxLimit = 1000;

std::int64_t ToMicros(absl::Time time) { return absl::ToUnixMicros(time); }
absl::Time FromMicros(std::int64_t micros) { return absl::FromUnixMicros(micros); }

// Kinds whose changes are audited only when the caller names an activity (they hold secrets or
// server configuration rather than directory and policy data).
bool IsQuietlyAudited(ObjectKind kind) {
  return kind == ObjectKind::kAdminClient || kind == ObjectKind::kSigningKey ||
         kind == ObjectKind::kSetting || kind == ObjectKind::kCredential ||
         kind == ObjectKind::kRefreshTokenFamily;
}

absl::Status ValidateAudit(const AuditEntry& audit) {
  nlohmann::json details = nlohmann::json::parse(audit.details_json, nullptr, false);
  if (details.is_discarded() || !details.is_object()) {
    return absl::InvalidArgumentError("audit details must be a JSON object, got: " +
                                      audit.details_json.substr(0, 200));
  }
  return absl::OkStatus();
}

int ClampLimit(int limit) { return std::clamp(limit, 1, kMaxLimit); }

// Builds "WHERE a = ?1 AND b = ?2 ..." with its bindings, then the paging clause.
class QueryBuilder {
 public:
  void Equals(const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    Add(std::string(column) + " = ?", [v = *value](Statement& s, int i) { s.BindText(i, v); });
  }
  void Equals(const char* column, const std::optional<int>& value) {
    if (!value) return;
    Add(std::string(column) + " = ?", [v = *value](Statement& s, int i) { s.BindInt64(i, v); });
  }
  void Compare(const char* column, const char* op, const std::optional<absl::Time>& value) {
    if (!value) return;
    Add(std::string(column) + " " + op + " ?",
        [v = ToMicros(*value)](Statement& s, int i) { s.BindInt64(i, v); });
  }
  void Paging(std::int64_t after_sequence, bool newest_first) {
    if (after_sequence <= 0) return;
    Add(newest_first ? "seq < ?" : "seq > ?",
        [after_sequence](Statement& s, int i) { s.BindInt64(i, after_sequence); });
  }
  std::string Sql(const std::string& select, bool newest_first) const {
    std::string sql = select;
    for (std::size_t i = 0; i < clauses_.size(); ++i) {
      sql += i == 0 ? " WHERE " : " AND ";
      sql += clauses_[i];
    }
    sql += newest_first ? " ORDER BY seq DESC" : " ORDER BY seq ASC";
    sql += " LIMIT ?";
    return sql;
  }
  void Bind(Statement& statement, int limit) const {
    int index = 1;
    for (const auto& binder : binders_) binder(statement, index++);
    statement.BindInt64(index, limit);
  }

 private:
  void Add(std::string clause, std::function<void(Statement&, int)> binder) {
    clauses_.push_back(std::move(clause));
    binders_.push_back(std::move(binder));
  }
  std::vector<std::string> clauses_;
  std::vector<std::function<void(Statement&, int)>> binders_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Db> db, std::function<absl::Time()> clock)
      : db_(std::move(db)), clock_(std::move(clock)) {}

  absl::StatusOr<std::vector<StoredObject>> List(ObjectKind kind) override {
    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Db::Lease select,
                        db_->Cached("SELECT id, body, version, modified FROM objects "
                                    "WHERE kind = ? ORDER BY id"));
    select->BindText(1, ObjectKindName(kind));
    std::vector<StoredObject> objects;
    while (true) {
      GH_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      objects.push_back(StoredObject{kind, select->ColumnText(0), select->ColumnText(1),
                                     select->ColumnInt64(2), FromMicros(select->ColumnInt64(3))});
    }
    return objects;
  }

  absl::StatusOr<std::optional<StoredObject>> Get(ObjectKind kind, const std::string& id) override {
    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Db::Lease select, db_->Cached("SELECT body, version, modified FROM objects "
                                                      "WHERE kind = ? AND id = ?"));
    select->BindText(1, ObjectKindName(kind));
    select->BindText(2, id);
    GH_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return std::optional<StoredObject>();
    return std::optional<StoredObject>(StoredObject{kind, id, select->ColumnText(0),
                                                    select->ColumnInt64(1),
                                                    FromMicros(select->ColumnInt64(2))});
  }

  absl::StatusOr<StoredObject> Put(ObjectKind kind, const std::string& id, const std::string& body,
                                   const AuditEntry& audit,
                                   std::optional<std::int64_t> expected_version) override {
    if (id.empty()) return absl::InvalidArgumentError("object id must not be empty");
    GH_RETURN_IF_ERROR(ValidateAudit(audit));
    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(*db_));
    GH_ASSIGN_OR_RETURN(std::int64_t current, CurrentVersion(kind, id));
    if (expected_version && *expected_version != current) {
      return absl::FailedPreconditionError(
          std::string(ObjectKindName(kind)) + " '" + id + "' is at version " +
          std::to_string(current) + ", expected version " + std::to_string(*expected_version) +
          (current == 0 ? " (it does not exist)" : ""));
    }
    StoredObject object{kind, id, body, current + 1, Now()};
    GH_ASSIGN_OR_RETURN(Db::Lease upsert,
                        db_->Cached("INSERT INTO objects (kind, id, body, version, modified) "
                                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET "
                                    "body = excluded.body, version = excluded.version, "
                                    "modified = excluded.modified"));
    upsert->BindText(1, ObjectKindName(kind));
    upsert->BindText(2, id);
    upsert->BindText(3, body);
    upsert->BindInt64(4, object.version);
    upsert->BindInt64(5, ToMicros(object.modified));
    GH_RETURN_IF_ERROR(upsert->Run());
    if (BumpsTenantVersion(kind)) GH_RETURN_IF_ERROR(BumpTenantVersion());
    if (!IsQuietlyAudited(kind) || !audit.activity.empty()) {
      std::string fallback = std::string(current == 0 ? "Add " : "Update ") + ObjectKindName(kind);
      GH_RETURN_IF_ERROR(AppendAudit(audit, fallback, ObjectKindName(kind), id, object.modified));
    }
    GH_RETURN_IF_ERROR(transaction.Commit());
    return object;
  }

  absl::Status Delete(ObjectKind kind, const std::string& id, const AuditEntry& audit) override {
    GH_RETURN_IF_ERROR(ValidateAudit(audit));
    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(*db_));
    GH_ASSIGN_OR_RETURN(Db::Lease remove,
                        db_->Cached("DELETE FROM objects WHERE kind = ? AND id = ?"));
    remove->BindText(1, ObjectKindName(kind));
    remove->BindText(2, id);
    GH_RETURN_IF_ERROR(remove->Run());
    if (sqlite3_changes(db_->handle()) == 0) {
      return absl::NotFoundError(std::string(ObjectKindName(kind)) + " '" + id + "' not found");
    }
    if (BumpsTenantVersion(kind)) GH_RETURN_IF_ERROR(BumpTenantVersion());
    if (!IsQuietlyAudited(kind) || !audit.activity.empty()) {
      GH_RETURN_IF_ERROR(AppendAudit(audit, std::string("Delete ") + ObjectKindName(kind),
                                     ObjectKindName(kind), id, Now()));
    }
    return transaction.Commit();
  }

  absl::Status ReplaceAll(const std::vector<ObjectKind>& kinds,
                          const std::vector<StoredObject>& objects,
                          const AuditEntry& audit) override {
    GH_RETURN_IF_ERROR(ValidateAudit(audit));
    std::set<ObjectKind> kind_set(kinds.begin(), kinds.end());
    std::set<std::pair<ObjectKind, std::string>> seen;
    for (const StoredObject& object : objects) {
      if (kind_set.count(object.kind) == 0) {
        return absl::InvalidArgumentError(std::string("object ") + ObjectKindName(object.kind) +
                                          " '" + object.id + "' is not of a kind being replaced");
      }
      if (object.id.empty()) return absl::InvalidArgumentError("object id must not be empty");
      if (!seen.emplace(object.kind, object.id).second) {
        return absl::InvalidArgumentError(std::string("duplicate ") + ObjectKindName(object.kind) +
                                          " '" + object.id + "'");
      }
    }
    std::string kind_names;
    bool audited = !audit.activity.empty();
    for (ObjectKind kind : kind_set) {
      if (!kind_names.empty()) kind_names += ",";
      kind_names += ObjectKindName(kind);
      if (!IsQuietlyAudited(kind)) audited = true;
    }

    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(*db_));
    std::map<std::pair<ObjectKind, std::string>, std::int64_t> previous_versions;
    for (ObjectKind kind : kind_set) {
      GH_ASSIGN_OR_RETURN(Db::Lease select,
                          db_->Cached("SELECT id, version FROM objects WHERE kind = ?"));
      select->BindText(1, ObjectKindName(kind));
      while (true) {
        GH_ASSIGN_OR_RETURN(bool row, select->Step());
        if (!row) break;
        previous_versions[{kind, select->ColumnText(0)}] = select->ColumnInt64(1);
      }
      GH_ASSIGN_OR_RETURN(Db::Lease remove, db_->Cached("DELETE FROM objects WHERE kind = ?"));
      remove->BindText(1, ObjectKindName(kind));
      GH_RETURN_IF_ERROR(remove->Run());
    }
    absl::Time now = Now();
    for (const StoredObject& object : objects) {
      auto previous = previous_versions.find({object.kind, object.id});
      std::int64_t version = previous == previous_versions.end() ? 1 : previous->second + 1;
      GH_ASSIGN_OR_RETURN(Db::Lease insert,
                          db_->Cached("INSERT INTO objects (kind, id, body, version, modified) "
                                      "VALUES (?, ?, ?, ?, ?)"));
      insert->BindText(1, ObjectKindName(object.kind));
      insert->BindText(2, object.id);
      insert->BindText(3, object.body);
      insert->BindInt64(4, version);
      insert->BindInt64(5, ToMicros(now));
      GH_RETURN_IF_ERROR(insert->Run());
    }
    GH_RETURN_IF_ERROR(BumpTenantVersion());
    if (audited) {
      GH_RETURN_IF_ERROR(AppendAudit(audit, "Replace " + kind_names, kind_names, "", now));
    }
    return transaction.Commit();
  }

  absl::StatusOr<std::int64_t> TenantVersion() override {
    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Db::Lease select,
                        db_->Cached("SELECT value FROM meta WHERE key = 'tenant_version'"));
    GH_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return absl::DataLossError("store: tenant_version row is missing");
    return select->ColumnInt64(0);
  }

  // Group commit: concurrent callers queue their records; whoever finds no batch in flight
  // becomes the leader and commits everything queued in one transaction (one fsync), then wakes
  // the others. Each call still returns only after its record is committed.
  absl::Status AppendSignIn(const SignInRecord& record) override {
    PendingSignIn mine{&record};
    std::unique_lock lock(group_mu_);
    group_queue_.push_back(&mine);
    while (!mine.done) {
      if (group_leader_) {
        group_cv_.wait(lock);
        continue;
      }
      group_leader_ = true;
      std::vector<PendingSignIn*> batch;
      batch.swap(group_queue_);
      lock.unlock();
      absl::Status status = WriteSignIns(batch);
      lock.lock();
      for (PendingSignIn* pending : batch) {
        pending->status = status;
        pending->done = true;
      }
      group_leader_ = false;
      group_cv_.notify_all();
    }
    return mine.status;
  }

  absl::StatusOr<std::vector<SignInRecord>> QuerySignIns(const SignInQuery& query) override {
    QueryBuilder builder;
    builder.Equals("user_id", query.user_id);
    builder.Equals("upn", query.user_principal_name);
    builder.Equals("app_id", query.app_id);
    builder.Equals("id", query.id);
    builder.Equals("ca_status", query.conditional_access_status);
    builder.Equals("error_code", query.error_code);
    builder.Compare("created", ">=", query.created_from);
    builder.Compare("created", "<=", query.created_until);
    builder.Paging(query.after_sequence, query.newest_first);
    std::string sql = builder.Sql(
        "SELECT seq, id, created, user_id, upn, app_id, ip, error_code, ca_status, body "
        "FROM sign_ins",
        query.newest_first);

    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Db::Lease select, db_->Cached(sql));
    builder.Bind(*select, ClampLimit(query.limit));
    std::vector<SignInRecord> records;
    while (true) {
      GH_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      SignInRecord record;
      record.sequence = select->ColumnInt64(0);
      record.id = select->ColumnText(1);
      record.created = FromMicros(select->ColumnInt64(2));
      record.user_id = select->ColumnText(3);
      record.user_principal_name = select->ColumnText(4);
      record.app_id = select->ColumnText(5);
      record.ip_address = select->ColumnText(6);
      record.error_code = static_cast<int>(select->ColumnInt64(7));
      record.conditional_access_status = select->ColumnText(8);
      record.body = select->ColumnText(9);
      records.push_back(std::move(record));
    }
    return records;
  }

  absl::StatusOr<std::vector<AuditRecord>> QueryAudit(const AuditQuery& query) override {
    QueryBuilder builder;
    builder.Equals("category", query.category);
    builder.Equals("activity", query.activity);
    builder.Equals("target_id", query.target_id);
    builder.Equals("actor", query.actor);
    builder.Compare("time", ">=", query.from);
    builder.Compare("time", "<=", query.until);
    builder.Paging(query.after_sequence, query.newest_first);
    std::string sql = builder.Sql(std::string(kAuditColumns) + " FROM audit", query.newest_first);

    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Db::Lease select, db_->Cached(sql));
    builder.Bind(*select, ClampLimit(query.limit));
    std::vector<AuditRecord> records;
    while (true) {
      GH_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      records.push_back(ReadAuditRow(*select));
    }
    return records;
  }

  absl::StatusOr<std::int64_t> VerifyAuditChain() override {
    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Db::Lease select,
                        db_->Cached(std::string(kAuditColumns) + " FROM audit ORDER BY seq"));
    std::int64_t previous_sequence = 0;
    std::string previous_hash;
    std::int64_t verified = 0;
    while (true) {
      GH_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      AuditRecord record = ReadAuditRow(*select);
      GH_RETURN_IF_ERROR(internal::CheckAuditLink(record, previous_sequence, previous_hash));
      previous_sequence = record.sequence;
      previous_hash = std::move(record.hash);
      ++verified;
    }
    return verified;
  }

  absl::Status Enqueue(const std::string& topic, const std::string& body) override {
    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Db::Lease insert,
                        db_->Cached("INSERT INTO outbox (topic, body, created, attempts, acked) "
                                    "VALUES (?, ?, ?, 0, 0)"));
    insert->BindText(1, topic);
    insert->BindText(2, body);
    insert->BindInt64(3, ToMicros(Now()));
    return insert->Run();
  }

  absl::StatusOr<std::vector<OutboxMessage>> PeekOutbox(const std::string& topic,
                                                        int limit) override {
    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(*db_));
    std::vector<OutboxMessage> messages;
    {
      GH_ASSIGN_OR_RETURN(Db::Lease select,
                          db_->Cached("SELECT seq, body, created, attempts FROM outbox "
                                      "WHERE topic = ? AND acked = 0 ORDER BY seq LIMIT ?"));
      select->BindText(1, topic);
      select->BindInt64(2, ClampLimit(limit));
      while (true) {
        GH_ASSIGN_OR_RETURN(bool row, select->Step());
        if (!row) break;
        messages.push_back(OutboxMessage{select->ColumnInt64(0), topic, select->ColumnText(1),
                                         FromMicros(select->ColumnInt64(2)),
                                         static_cast<int>(select->ColumnInt64(3)) + 1});
      }
    }
    for (const OutboxMessage& message : messages) {
      GH_ASSIGN_OR_RETURN(Db::Lease update,
                          db_->Cached("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?"));
      update->BindInt64(1, message.sequence);
      GH_RETURN_IF_ERROR(update->Run());
    }
    GH_RETURN_IF_ERROR(transaction.Commit());
    return messages;
  }

  absl::Status AckOutbox(const std::vector<std::int64_t>& sequences) override {
    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(*db_));
    for (std::int64_t sequence : sequences) {
      GH_ASSIGN_OR_RETURN(Db::Lease update,
                          db_->Cached("UPDATE outbox SET acked = 1 WHERE seq = ?"));
      update->BindInt64(1, sequence);
      GH_RETURN_IF_ERROR(update->Run());
    }
    return transaction.Commit();
  }

 private:
  static constexpr const char* kAuditColumns =
      "SELECT seq, time, actor, activity, category, result, details, target_kind, target_id, "
      "prev_hash, hash";

  static AuditRecord ReadAuditRow(const Statement& row) {
    AuditRecord record;
    record.sequence = row.ColumnInt64(0);
    record.time = FromMicros(row.ColumnInt64(1));
    record.entry.actor = row.ColumnText(2);
    record.entry.activity = row.ColumnText(3);
    record.entry.category = row.ColumnText(4);
    record.entry.result = row.ColumnText(5);
    record.entry.details_json = row.ColumnText(6);
    record.target_kind = row.ColumnText(7);
    record.target_id = row.ColumnText(8);
    record.previous_hash = row.ColumnText(9);
    record.hash = row.ColumnText(10);
    return record;
  }

  struct PendingSignIn {
    const SignInRecord* record;
    absl::Status status;
    bool done = false;
  };

  absl::Status WriteSignIns(const std::vector<PendingSignIn*>& batch) {
    std::lock_guard lock(mu_);
    GH_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(*db_));
    for (const PendingSignIn* pending : batch) {
      const SignInRecord& record = *pending->record;
      GH_ASSIGN_OR_RETURN(
          Db::Lease insert,
          db_->Cached("INSERT INTO sign_ins (id, created, user_id, upn, app_id, ip, "
                      "error_code, ca_status, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      insert->BindText(1, record.id);
      insert->BindInt64(2, ToMicros(record.created));
      insert->BindText(3, record.user_id);
      insert->BindText(4, record.user_principal_name);
      insert->BindText(5, record.app_id);
      insert->BindText(6, record.ip_address);
      insert->BindInt64(7, record.error_code);
      insert->BindText(8, record.conditional_access_status);
      insert->BindText(9, record.body);
      GH_RETURN_IF_ERROR(insert->Run());
    }
    return transaction.Commit();
  }

  // Microsecond precision, the precision stored and hashed.
  absl::Time Now() const {
    absl::Time now = clock_ ? clock_() : absl::Now();
    return FromMicros(ToMicros(now));
  }

  absl::StatusOr<std::int64_t> CurrentVersion(ObjectKind kind, const std::string& id) {
    GH_ASSIGN_OR_RETURN(Db::Lease select,
                        db_->Cached("SELECT version FROM objects WHERE kind = ? AND id = ?"));
    select->BindText(1, ObjectKindName(kind));
    select->BindText(2, id);
    GH_ASSIGN_OR_RETURN(bool row, select->Step());
    return row ? select->ColumnInt64(0) : 0;
  }

  absl::Status BumpTenantVersion() {
    GH_ASSIGN_OR_RETURN(
        Db::Lease update,
        db_->Cached("UPDATE meta SET value = value + 1 WHERE key = 'tenant_version'"));
    return update->Run();
  }

  // Appends one chained record; must run inside the caller's write transaction.
  absl::Status AppendAudit(const AuditEntry& entry, const std::string& fallback_activity,
                           const std::string& target_kind, const std::string& target_id,
                           absl::Time time) {
    AuditRecord record;
    record.time = time;
    record.entry = entry;
    if (record.entry.activity.empty()) record.entry.activity = fallback_activity;
    record.target_kind = target_kind;
    record.target_id = target_id;
    {
      GH_ASSIGN_OR_RETURN(Db::Lease last,
                          db_->Cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
      GH_ASSIGN_OR_RETURN(bool row, last->Step());
      record.sequence = row ? last->ColumnInt64(0) + 1 : 1;
      record.previous_hash = row ? last->ColumnText(1) : "";
    }
    record.hash = internal::ComputeAuditHash(record);
    GH_ASSIGN_OR_RETURN(Db::Lease insert,
                        db_->Cached("INSERT INTO audit (seq, time, actor, activity, category, "
                                    "result, details, target_kind, target_id, prev_hash, hash) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    insert->BindInt64(1, record.sequence);
    insert->BindInt64(2, ToMicros(record.time));
    insert->BindText(3, record.entry.actor);
    insert->BindText(4, record.entry.activity);
    insert->BindText(5, record.entry.category);
    insert->BindText(6, record.entry.result);
    insert->BindText(7, record.entry.details_json);
    insert->BindText(8, record.target_kind);
    insert->BindText(9, record.target_id);
    insert->BindText(10, record.previous_hash);
    insert->BindText(11, record.hash);
    return insert->Run();
  }

  std::mutex mu_;
  std::unique_ptr<Db> db_;  // guarded by mu_
  // Sign-in group commit (AppendSignIn); group_mu_ is never held while waiting for mu_.
  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::vector<PendingSignIn*> group_queue_;  // guarded by group_mu_
  bool group_leader_ = false;                // guarded by group_mu_
  std::function<absl::Time()> clock_;
};

absl::Status Configure(Db& db) {
  // journal_mode answers with the mode in effect; anything but "wal" (e.g. a file system without
  // shared memory) would silently weaken the concurrency story, so refuse it.
  GH_ASSIGN_OR_RETURN(std::string mode, db.QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return absl::FailedPreconditionError("sqlite: could not enable WAL journal (mode is " + mode +
                                         ")");
  }
  return db.Exec(
      "PRAGMA synchronous = FULL;"
      "PRAGMA foreign_keys = ON;"
      "PRAGMA busy_timeout = 5000;");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& directory,
                                                       const SqliteStoreOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return absl::UnavailableError("store: cannot create data directory " + directory + ": " +
                                  error.message());
  }
  std::string path = (std::filesystem::path(directory) / "gatehouse.db").string();
  GH_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(path));
  // busy_timeout first, so WAL setup and migrations wait for another process instead of failing.
  GH_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 5000"));
  GH_RETURN_IF_ERROR(Configure(*db));
  GH_RETURN_IF_ERROR(internal::Migrate(*db));
  return std::unique_ptr<Store>(new SqliteStore(std::move(db), options.clock));
}

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& directory) {
  return OpenSqliteStore(directory, SqliteStoreOptions{});
}

}  // namespace gatehouse::store
