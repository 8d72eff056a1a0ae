#include "store/internal/sqlite_db.h"

#include <utility>

#include "core/status_macros.h"

namespace gatehouse::store::internal {

absl::Status SqliteError(int code, std::string_view context, std::string_view message) {
  std::string text = "sqlite: " + std::string(context) + ": " + std::string(message);
  switch (code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(text);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(text);
    default:
      return absl::InternalError(text);
  }
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), statement_(other.statement_), bind_error_(other.bind_error_) {
  other.statement_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(statement_);
    db_ = other.db_;
    statement_ = other.statement_;
    bind_error_ = other.bind_error_;
    other.statement_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(statement_); }

void Statement::BindInt64(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(statement_, index, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void Statement::BindText(int index, std::string_view value) {
  int rc = sqlite3_bind_text64(statement_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(statement_, index);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

absl::StatusOr<bool> Statement::Step() {
  if (bind_error_ != SQLITE_OK) {
    return SqliteError(bind_error_, sqlite3_sql(statement_), sqlite3_errstr(bind_error_));
  }
  int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(rc, sqlite3_sql(statement_), sqlite3_errmsg(db_));
}

absl::Status Statement::Run() {
  GH_ASSIGN_OR_RETURN(bool row, Step());
  if (row) {
    return absl::InternalError(std::string("sqlite: unexpected row from ") +
                               sqlite3_sql(statement_));
  }
  return absl::OkStatus();
}

std::int64_t Statement::ColumnInt64(int index) const {
  return sqlite3_column_int64(statement_, index);
}

std::string Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(statement_, index);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_, index)));
}

void Statement::Reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
  bind_error_ = SQLITE_OK;
}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    return SqliteError(rc, "open " + path, message);
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<Db>(new Db(raw));
}

Db::~Db() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

absl::Status Db::Exec(const std::string& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    // The first line of the SQL is enough to say which statement failed.
    return SqliteError(rc, sql.substr(0, sql.find('\n')), message);
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(statement);
    return SqliteError(rc, "prepare " + std::string(sql), sqlite3_errmsg(db_));
  }
  return Statement(db_, statement);
}

absl::StatusOr<Db::Lease> Db::Cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    GH_ASSIGN_OR_RETURN(Statement statement, Prepare(sql));
    it = cache_.emplace(sql, std::make_unique<Statement>(std::move(statement))).first;
  }
  it->second->Reset();
  return Lease(it->second.get());
}

absl::StatusOr<std::int64_t> Db::QueryInt64(const std::string& sql) {
  GH_ASSIGN_OR_RETURN(Statement statement, Prepare(sql));
  GH_ASSIGN_OR_RETURN(bool row, statement.Step());
  if (!row) return absl::InternalError("sqlite: no row from " + sql);
  return statement.ColumnInt64(0);
}

absl::StatusOr<std::string> Db::QueryText(const std::string& sql) {
  GH_ASSIGN_OR_RETURN(Statement statement, Prepare(sql));
  GH_ASSIGN_OR_RETURN(bool row, statement.Step());
  if (!row) return absl::InternalError("sqlite: no row from " + sql);
  return statement.ColumnText(0);
}

absl::StatusOr<Transaction> Transaction::Begin(Db& db) {
  GH_ASSIGN_OR_RETURN(Db::Lease begin, db.Cached("BEGIN IMMEDIATE"));
  GH_RETURN_IF_ERROR(begin->Run());
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ == nullptr) return;
  // A failed ROLLBACK leaves nothing better to do: SQLite rolls back on its own when the
  // connection closes, and the next BEGIN reports the problem.
  if (auto rollback = db_->Cached("ROLLBACK"); rollback.ok()) (void)(*rollback)->Run();
}

absl::Status Transaction::Commit() {
  GH_ASSIGN_OR_RETURN(Db::Lease commit, db_->Cached("COMMIT"));
  GH_RETURN_IF_ERROR(commit->Run());
  db_ = nullptr;
  return absl::OkStatus();
}

}  // namespace gatehouse::store::internal
