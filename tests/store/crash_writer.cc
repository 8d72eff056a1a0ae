// Crash-test helper: writes policies to the store in `directory` as fast as it can and prints
// each id to stdout (flushed) right after Put returned OK, i.e. once the write is acknowledged.
// The test kills it with SIGKILL mid-burst and checks that every printed id survived.
//
//   store_crash_writer DIRECTORY PREFIX
#include <cstdio>
#include <string>

#include "store/sqlite_store.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIRECTORY PREFIX\n", argv[0]);
    return 2;
  }
  auto store = gatehouse::store::OpenSqliteStore(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  gatehouse::store::AuditEntry audit;
  audit.actor = "crash-writer";
  audit.activity = "Add policy";
  audit.category = "Policy";
  for (long i = 0;; ++i) {
    std::string id = std::string(argv[2]) + "-" + std::to_string(i);
    auto put = (*store)->Put(gatehouse::store::ObjectKind::kPolicy, id,
                             R"({"displayName":")" + id + R"("})", audit);
    if (!put.ok()) {
      std::fprintf(stderr, "put %s: %s\n", id.c_str(), put.status().ToString().c_str());
      return 1;
    }
    std::printf("%s\n", id.c_str());
    std::fflush(stdout);
  }
}
