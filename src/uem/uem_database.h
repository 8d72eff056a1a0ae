// The UEM role's own embedded database, `uem.db` in the data directory (so the role can run
// alone): enrolment tokens (hashed), devices (hashed secret, public key, directory link, last
// sequence, posture, verdict with reasons, grace start, partner sequence), compliance policies
// with assignments, commands for the agent, notifications, and the partner outbox.
//
// SQLite in WAL mode with synchronous=FULL: a commit is on disk before it returns.
// WriteBatcher group-commits concurrent writes: works submitted while a commit is in flight run
// together in the next transaction (each inside its own savepoint, so one failing work does not
// fail the others) and each caller learns its own result only after the COMMIT.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "store/internal/sqlite_db.h"

namespace gatehouse::uem {

using Db = store::internal::Db;

// Opens (creating and migrating if needed) `<directory>/uem.db`.
absl::StatusOr<std::unique_ptr<Db>> OpenUemDatabase(const std::string& directory);

class WriteBatcher {
 public:
  using Work = std::function<absl::Status(Db&)>;
  // Owns nothing but the thread; `db` must outlive the batcher and be used by no one else.
  explicit WriteBatcher(Db& db, std::size_t max_group = 1024);
  ~WriteBatcher();
  WriteBatcher(const WriteBatcher&) = delete;
  WriteBatcher& operator=(const WriteBatcher&) = delete;

  std::future<absl::Status> Submit(Work work);
  absl::Status Run(Work work) { return Submit(std::move(work)).get(); }

  // Called after each group commit with the group size (metrics).
  void set_on_commit(std::function<void(std::size_t, double seconds)> on_commit) {
    on_commit_ = std::move(on_commit);
  }

 private:
  struct Item {
    Work work;
    std::promise<absl::Status> done;
  };
  void Loop();

  Db& db_;
  std::size_t max_group_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::function<void(std::size_t, double)> on_commit_;
  std::thread thread_;
};

}  // namespace gatehouse::uem
