// Kill -9 during a burst of writes, reopen: every acknowledged write is there and the audit
// chain verifies (issue 4, item 9). Runs the writer as a separate process (store_crash_writer).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "store/sqlite_store.h"
#include "store/temp_dir.h"

namespace gatehouse::store::testing {
namespace {

struct WriterRun {
  std::vector<std::string> acknowledged;
  int signal = 0;
};

// Starts the writer, reads acknowledgements until `kill_after` have arrived, kills it with
// SIGKILL, then drains what it printed before dying. Only complete lines count.
WriterRun WriteAndKill(const std::string& directory, const std::string& prefix, int kill_after) {
  WriterRun run;
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return run;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(STORE_CRASH_WRITER, STORE_CRASH_WRITER, directory.c_str(), prefix.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  FILE* out = fdopen(fds[0], "r");
  std::string line;
  bool killed = false;
  for (int c; (c = std::fgetc(out)) != EOF;) {
    if (c != '\n') {
      line += static_cast<char>(c);
      continue;
    }
    run.acknowledged.push_back(line);
    line.clear();
    if (!killed && static_cast<int>(run.acknowledged.size()) >= kill_after) {
      kill(pid, SIGKILL);
      killed = true;
    }
  }
  std::fclose(out);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  return run;
}

TEST(StoreCrash, KillDuringWritesLosesNothingAcknowledged) {
  TempDir dir;
  std::size_t total = 0;
  // Three rounds on the same database, killed after different amounts of work.
  const int kill_after[] = {300, 60, 600};
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    WriterRun run = WriteAndKill(dir.path(), "r" + std::to_string(round), kill_after[round]);
    ASSERT_EQ(run.signal, SIGKILL) << "the writer must have been killed mid-burst";
    ASSERT_GE(static_cast<int>(run.acknowledged.size()), kill_after[round]);
    total += run.acknowledged.size();

    auto store = OpenSqliteStore(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    for (const std::string& id : run.acknowledged) {
      auto object = (*store)->Get(ObjectKind::kPolicy, id);
      ASSERT_TRUE(object.ok()) << object.status();
      ASSERT_TRUE(object->has_value()) << "acknowledged write " << id << " was lost";
      EXPECT_EQ((*object)->body, R"({"displayName":")" + id + R"("})");
    }
    auto verified = (*store)->VerifyAuditChain();
    ASSERT_TRUE(verified.ok()) << verified.status();
    // At most one write was committed but not yet acknowledged when the kill landed.
    EXPECT_GE(static_cast<std::size_t>(*verified), total);
    EXPECT_LE(static_cast<std::size_t>(*verified), total + round + 1);
    auto policies = (*store)->List(ObjectKind::kPolicy);
    ASSERT_TRUE(policies.ok());
    EXPECT_EQ(policies->size(), static_cast<std::size_t>(*verified));
  }
}

}  // namespace
}  // namespace gatehouse::store::testing
