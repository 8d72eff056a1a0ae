#include "uem/uem_database.h"

#include <array>
#include <chrono>
#include <filesystem>

#include "core/status_macros.h"

namespace gatehouse::uem {
namespace {

using store::internal::Transaction;

// Append new migrations at the end; never edit one that has shipped. Times are INTEGER
// microseconds since the Unix epoch (UTC); NULL where there is no time.
constexpr std::array<const char*, 1> kMigrations = {
    R"sql(
CREATE TABLE enrollment_tokens (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  group_ids TEXT NOT NULL,
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  max_uses INTEGER NOT NULL,
  uses INTEGER NOT NULL,
  revoked INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  public_key TEXT NOT NULL,
  hostname TEXT NOT NULL,
  operating_system TEXT NOT NULL,
  os_version TEXT NOT NULL,
  group_ids TEXT NOT NULL,
  enrollment_token_id TEXT NOT NULL,
  directory_device_id TEXT NOT NULL,
  enrolled INTEGER NOT NULL,
  last_sequence INTEGER NOT NULL,
  last_checkin INTEGER,
  posture TEXT NOT NULL,
  compliance_state TEXT NOT NULL,
  verdict TEXT NOT NULL,
  first_noncompliant INTEGER,
  evaluated INTEGER,
  actions_taken TEXT NOT NULL,
  blocked INTEGER NOT NULL,
  partner_sequence INTEGER NOT NULL,
  partner_key TEXT NOT NULL,
  partner_pushed INTEGER
) STRICT;

CREATE TABLE policies (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  assignments TEXT NOT NULL,
  modified INTEGER NOT NULL
) STRICT;

CREATE TABLE commands (
  seq INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  type TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  state TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
) STRICT;
CREATE INDEX commands_device ON commands (device_id, seq);
CREATE INDEX commands_state ON commands (state, seq);

CREATE TABLE notifications (
  seq INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  type TEXT NOT NULL,
  message TEXT NOT NULL,
  created INTEGER NOT NULL
) STRICT;
CREATE INDEX notifications_device ON notifications (device_id, seq);

CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  body TEXT NOT NULL,
  created INTEGER NOT NULL
) STRICT;
)sql",
};

absl::Status Migrate(Db& db) {
  GH_ASSIGN_OR_RETURN(std::int64_t current, db.QueryInt64("PRAGMA user_version"));
  const auto latest = static_cast<std::int64_t>(kMigrations.size());
  if (current > latest) {
    return absl::FailedPreconditionError("uem.db schema version " + std::to_string(current) +
                                         " is newer than this build supports (" +
                                         std::to_string(latest) + ")");
  }
  for (std::int64_t version = current + 1; version <= latest; ++version) {
    GH_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db));
    GH_ASSIGN_OR_RETURN(std::int64_t now_at, db.QueryInt64("PRAGMA user_version"));
    if (now_at >= version) continue;
    GH_RETURN_IF_ERROR(db.Exec(kMigrations[static_cast<std::size_t>(version - 1)]));
    GH_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(version)));
    GH_RETURN_IF_ERROR(transaction.Commit());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Db>> OpenUemDatabase(const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  GH_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(directory + "/uem.db"));
  GH_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 5000"));
  GH_ASSIGN_OR_RETURN(std::string mode, db->QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal") return absl::InternalError("uem.db: cannot enable WAL (got " + mode + ")");
  GH_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL"));
  GH_RETURN_IF_ERROR(Migrate(*db));
  return db;
}

WriteBatcher::WriteBatcher(Db& db, std::size_t max_group)
    : db_(db), max_group_(max_group), thread_([this] { Loop(); }) {}

WriteBatcher::~WriteBatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::future<absl::Status> WriteBatcher::Submit(Work work) {
  Item item{std::move(work), {}};
  std::future<absl::Status> result = item.done.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      item.done.set_value(absl::UnavailableError("the UEM database is closing"));
      return result;
    }
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
  return result;
}

void WriteBatcher::Loop() {
  while (true) {
    std::vector<Item> group;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && group.size() < max_group_) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    const auto started = std::chrono::steady_clock::now();
    std::vector<absl::Status> results(group.size());
    absl::Status commit = [&]() -> absl::Status {
      GH_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db_));
      for (std::size_t i = 0; i < group.size(); ++i) {
        {
          GH_ASSIGN_OR_RETURN(Db::Lease savepoint, db_.Cached("SAVEPOINT work"));
          GH_RETURN_IF_ERROR(savepoint->Run());
        }
        results[i] = group[i].work(db_);
        if (!results[i].ok()) {
          GH_ASSIGN_OR_RETURN(Db::Lease rollback, db_.Cached("ROLLBACK TO work"));
          GH_RETURN_IF_ERROR(rollback->Run());
        }
        GH_ASSIGN_OR_RETURN(Db::Lease release, db_.Cached("RELEASE work"));
        GH_RETURN_IF_ERROR(release->Run());
      }
      return transaction.Commit();
    }();
    for (std::size_t i = 0; i < group.size(); ++i) {
      group[i].done.set_value(commit.ok() ? results[i] : commit);
    }
    if (on_commit_) {
      on_commit_(group.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
  }
}

}  // namespace gatehouse::uem
