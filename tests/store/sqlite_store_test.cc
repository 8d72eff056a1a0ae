// The SQLite backend: the conformance suite, plus what only SQLite can show (raw tampering with
// the file, schema versions, pragmas).
#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/internal/migrations.h"
#include "store/store_conformance.h"
#include "store/temp_dir.h"

namespace gatehouse::store::testing {
namespace {

using ::testing::HasSubstr;

class SqliteBackend : public StoreBackend {
 public:
  absl::StatusOr<std::unique_ptr<Store>> Open(FakeClock* clock) override {
    SqliteStoreOptions options;
    options.clock = [clock] { return clock->Now(); };
    return OpenSqliteStore(dir_.path(), options);
  }

 private:
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
                         ::testing::Values(StoreBackendFactory{
                             "Sqlite", [] { return std::make_unique<SqliteBackend>(); }}),
                         StoreBackendFactoryName);

// Runs SQL on the database file through a second, raw connection.
void RawExec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::int64_t RawInt(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW);
  std::int64_t value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

AuditEntry Audit(const std::string& activity) {
  AuditEntry entry;
  entry.actor = "admin";
  entry.activity = activity;
  entry.category = "Policy";
  return entry;
}

// Three audited changes, then the store is open for tampering through a raw connection.
std::unique_ptr<Store> StoreWithThreeAuditRecords(const TempDir& dir) {
  auto store = OpenSqliteStore(dir.path());
  EXPECT_TRUE(store.ok()) << store.status();
  for (const char* id : {"a", "b", "c"}) {
    EXPECT_TRUE((*store)->Put(ObjectKind::kPolicy, id, "{}", Audit("Add policy")).ok());
  }
  EXPECT_EQ(*(*store)->VerifyAuditChain(), 3);
  return std::move(*store);
}

TEST(SqliteStore, AlteredAuditDetailsBreakTheChainAtThatRecord) {
  TempDir dir;
  auto store = StoreWithThreeAuditRecords(dir);
  RawExec(dir.db_path(), R"(UPDATE audit SET details = '{"forged":true}' WHERE seq = 2)");
  auto verified = store->VerifyAuditChain();
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(verified.status().message()),
              HasSubstr("audit chain broken at sequence 2: stored hash does not match"));
}

TEST(SqliteStore, AlteredAuditRecordWithRecomputedHashBreaksTheNextLink) {
  TempDir dir;
  auto store = StoreWithThreeAuditRecords(dir);
  // A forger who rewrites record 1 and its hash still breaks record 2's previous-hash link.
  RawExec(dir.db_path(), "UPDATE audit SET actor = 'mallory', hash = '" + std::string(64, 'a') +
                             "' WHERE seq = 1");
  auto verified = store->VerifyAuditChain();
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(verified.status().message()), HasSubstr("sequence 1"));
}

TEST(SqliteStore, DeletedAuditRecordIsDetected) {
  TempDir dir;
  auto store = StoreWithThreeAuditRecords(dir);
  RawExec(dir.db_path(), "DELETE FROM audit WHERE seq = 2");
  auto verified = store->VerifyAuditChain();
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(verified.status().message()),
              HasSubstr("audit chain broken at sequence 3"));
}

TEST(SqliteStore, ChainStaysBrokenAfterReopening) {
  TempDir dir;
  StoreWithThreeAuditRecords(dir).reset();
  RawExec(dir.db_path(), "UPDATE audit SET target_id = 'zzz' WHERE seq = 3");
  auto store = OpenSqliteStore(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->VerifyAuditChain().status().code(), absl::StatusCode::kDataLoss);
}

TEST(SqliteStore, OpensAnEmptyFileByApplyingEveryMigration) {
  TempDir dir;
  std::ofstream(dir.db_path()).close();
  auto store = OpenSqliteStore(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->Put(ObjectKind::kPolicy, "p", "{}", Audit("Add policy")).ok());
  EXPECT_EQ(RawInt(dir.db_path(), "PRAGMA user_version"), internal::LatestSchemaVersion());
}

TEST(SqliteStore, CreatesTheDataDirectory) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() + "/nested/data");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/nested/data/gatehouse.db"));
}

TEST(SqliteStore, RefusesADatabaseFromANewerVersion) {
  TempDir dir;
  ASSERT_TRUE(OpenSqliteStore(dir.path()).ok());
  RawExec(dir.db_path(), "PRAGMA user_version = 99");
  auto store = OpenSqliteStore(dir.path());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(store.status().message()),
              HasSubstr("database schema version 99 is newer"));
}

TEST(SqliteStore, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  std::ofstream(dir.db_path()) << std::string(4096, 'x');
  auto store = OpenSqliteStore(dir.path());
  EXPECT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("not a database"));
}

TEST(SqliteStore, UsesWalJournalAndStrictTables) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/gatehouse.db-wal"));
  EXPECT_EQ(RawInt(dir.db_path(),
                   "SELECT count(*) FROM pragma_table_list WHERE strict = 1 AND "
                   "name IN ('meta', 'objects', 'audit', 'sign_ins', 'outbox')"),
            5);
}

TEST(SqliteStore, ReopeningAnUpToDateDatabaseLeavesItsVersionAlone) {
  TempDir dir;
  ASSERT_TRUE(OpenSqliteStore(dir.path()).ok());
  auto store = OpenSqliteStore(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->TenantVersion(), 0);
  EXPECT_EQ(RawInt(dir.db_path(), "PRAGMA user_version"), internal::LatestSchemaVersion());
}

}  // namespace
}  // namespace gatehouse::store::testing
