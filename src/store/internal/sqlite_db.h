// A small RAII layer over the SQLite C API: Db owns a connection, Statement a prepared
// statement, Transaction a BEGIN IMMEDIATE ... COMMIT scope. Every failure is an absl::Status
// carrying SQLite's own message.
//
// Not thread-safe: a Db and its statements are used by one thread at a time (the store
// serializes access with its mutex).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gatehouse::store::internal {

// Maps a SQLite result code and message to a canonical status: corruption -> DataLoss,
// busy/locked -> Unavailable, anything else -> Internal.
absl::Status SqliteError(int code, std::string_view context, std::string_view message);

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. A bind failure is reported by the next Step.
  void BindInt64(int index, std::int64_t value);
  void BindText(int index, std::string_view value);
  void BindNull(int index);

  // True when a row is available, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Steps once, expecting no row (INSERT, UPDATE, ...).
  absl::Status Run();

  std::int64_t ColumnInt64(int index) const;
  std::string ColumnText(int index) const;

  // Rewinds and clears bindings so the statement can be reused.
  void Reset();

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* statement_ = nullptr;
  int bind_error_ = SQLITE_OK;
};

class Db {
 public:
  // Opens (creating if needed) a read-write connection.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements, discarding any rows.
  absl::Status Exec(const std::string& sql);
  absl::StatusOr<Statement> Prepare(std::string_view sql);

  // A statement prepared once per connection and reused; it is reset when the lease ends.
  class Lease {
   public:
    explicit Lease(Statement* statement) : statement_(statement) {}
    Lease(Lease&& other) noexcept : statement_(other.statement_) { other.statement_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (statement_ != nullptr) statement_->Reset();
    }
    Statement* operator->() const { return statement_; }
    Statement& operator*() const { return *statement_; }

   private:
    Statement* statement_;
  };
  absl::StatusOr<Lease> Cached(const std::string& sql);

  // Reads a single integer (e.g. PRAGMA user_version).
  absl::StatusOr<std::int64_t> QueryInt64(const std::string& sql);
  absl::StatusOr<std::string> QueryText(const std::string& sql);

  sqlite3* handle() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  // Declared after db_ so statements are finalized before the connection closes.
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so a transaction never fails
// half-way on a lock upgrade); rolls back on destruction unless committed.
class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(Db& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  absl::Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

}  // namespace gatehouse::store::internal
