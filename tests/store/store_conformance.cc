// The conformance tests themselves (fixture and backend interface in store_conformance.h).
#include "store/store_conformance.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"

namespace gatehouse::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

AuditEntry Audit(std::string activity = "Add policy", std::string actor = "admin-1",
                 std::string category = "Policy") {
  AuditEntry entry;
  entry.actor = std::move(actor);
  entry.activity = std::move(activity);
  entry.category = std::move(category);
  entry.details_json = R"({"requestId":"r-1"})";
  return entry;
}

std::vector<std::string> Ids(const std::vector<StoredObject>& objects) {
  std::vector<std::string> ids;
  for (const auto& object : objects) ids.push_back(object.id);
  return ids;
}

std::vector<std::string> Ids(const std::vector<SignInRecord>& records) {
  std::vector<std::string> ids;
  for (const auto& record : records) ids.push_back(record.id);
  return ids;
}

std::vector<std::string> Activities(const std::vector<AuditRecord>& records) {
  std::vector<std::string> activities;
  for (const auto& record : records) activities.push_back(record.entry.activity);
  return activities;
}

SignInRecord SignIn(std::string id, std::string user, std::string app, int error_code,
                    std::string status, absl::Time created) {
  SignInRecord record;
  record.id = std::move(id);
  record.user_id = user;
  record.user_principal_name = user + "@contoso.com";
  record.app_id = std::move(app);
  record.ip_address = "203.0.113.7";
  record.error_code = error_code;
  record.conditional_access_status = std::move(status);
  record.created = created;
  record.body = R"({"id":")" + record.id + R"("})";
  return record;
}

absl::Time T(int minute) {
  return absl::FromCivil(absl::CivilSecond(2024, 6, 1, 12, minute, 0), absl::UTCTimeZone());
}

std::int64_t Version(Store& store) {
  auto version = store.TenantVersion();
  EXPECT_TRUE(version.ok()) << version.status();
  return version.ok() ? *version : -1;
}

std::vector<AuditRecord> AllAudit(Store& store) {
  AuditQuery query;
  query.newest_first = false;
  query.limit = 1000;
  auto records = store.QueryAudit(query);
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *records : std::vector<AuditRecord>{};
}

// --- Tenant objects -----------------------------------------------------------------------------

TEST_P(StoreConformance, PutThenGetReturnsTheBodyAtVersionOne) {
  auto put = store_->Put(ObjectKind::kPolicy, "p1", R"({"displayName":"MFA"})", Audit());
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->version, 1);

  auto got = store_->Get(ObjectKind::kPolicy, "p1");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->body, R"({"displayName":"MFA"})");
  EXPECT_EQ((*got)->version, 1);
  EXPECT_EQ((*got)->kind, ObjectKind::kPolicy);
  EXPECT_EQ((*got)->modified, put->modified);
}

TEST_P(StoreConformance, GetOfAnAbsentObjectIsEmptyNotAnError) {
  auto got = store_->Get(ObjectKind::kUser, "nobody");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
}

TEST_P(StoreConformance, SameIdUnderAnotherKindIsAnotherObject) {
  ASSERT_TRUE(store_->Put(ObjectKind::kUser, "x", "{}", Audit("Add user")).ok());
  auto got = store_->Get(ObjectKind::kGroup, "x");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_P(StoreConformance, ListReturnsOnlyTheKindOrderedById) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "b", "{}", Audit()).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "a", "{}", Audit()).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kUser, "u", "{}", Audit("Add user")).ok());
  auto policies = store_->List(ObjectKind::kPolicy);
  ASSERT_TRUE(policies.ok()) << policies.status();
  EXPECT_THAT(Ids(*policies), ElementsAre("a", "b"));
  auto devices = store_->List(ObjectKind::kDevice);
  ASSERT_TRUE(devices.ok());
  EXPECT_THAT(*devices, IsEmpty());
}

TEST_P(StoreConformance, PutOfAnExistingObjectReplacesTheBodyAndIncrementsTheVersion) {
  ASSERT_TRUE(store_->Put(ObjectKind::kGroup, "g", R"({"v":1})", Audit("Add group")).ok());
  auto second = store_->Put(ObjectKind::kGroup, "g", R"({"v":2})", Audit("Update group"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 2);
  auto got = store_->Get(ObjectKind::kGroup, "g");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->body, R"({"v":2})");
  EXPECT_EQ((*got)->version, 2);
}

TEST_P(StoreConformance, DeleteRemovesTheObject) {
  ASSERT_TRUE(store_->Put(ObjectKind::kDevice, "d", "{}", Audit("Add device")).ok());
  ASSERT_TRUE(store_->Delete(ObjectKind::kDevice, "d", Audit("Delete device")).ok());
  auto got = store_->Get(ObjectKind::kDevice, "d");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_P(StoreConformance, DeleteOfAnAbsentObjectIsNotFoundAndWritesNothing) {
  absl::Status status = store_->Delete(ObjectKind::kDevice, "ghost", Audit("Delete device"));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("ghost"));
  EXPECT_EQ(Version(*store_), 0);
  EXPECT_THAT(AllAudit(*store_), IsEmpty());
}

TEST_P(StoreConformance, ExpectedVersionZeroCreatesAnAbsentObject) {
  auto put = store_->Put(ObjectKind::kPolicy, "p", "{}", Audit(), 0);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->version, 1);
}

TEST_P(StoreConformance, ExpectedVersionZeroRefusesAnExistingObjectNamingItsVersion) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit()).ok());
  auto put = store_->Put(ObjectKind::kPolicy, "p", R"({"new":true})", Audit(), 0);
  ASSERT_EQ(put.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(put.status().message()), HasSubstr("version 1"));
  auto got = store_->Get(ObjectKind::kPolicy, "p");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->body, "{}");
}

TEST_P(StoreConformance, StaleExpectedVersionIsRefusedWithTheCurrentVersion) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit()).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit()).ok());
  auto put = store_->Put(ObjectKind::kPolicy, "p", "{}", Audit(), 1);
  ASSERT_EQ(put.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(put.status().message()), HasSubstr("version 2"));
}

TEST_P(StoreConformance, ExpectedVersionOfAnAbsentObjectIsRefused) {
  auto put = store_->Put(ObjectKind::kPolicy, "p", "{}", Audit(), 3);
  ASSERT_EQ(put.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(put.status().message()), HasSubstr("version 0"));
}

TEST_P(StoreConformance, MatchingExpectedVersionUpdates) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit()).ok());
  auto put = store_->Put(ObjectKind::kPolicy, "p", R"({"x":1})", Audit(), 1);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->version, 2);
}

TEST_P(StoreConformance, EmptyIdIsRejected) {
  auto put = store_->Put(ObjectKind::kPolicy, "", "{}", Audit());
  EXPECT_EQ(put.status().code(), absl::StatusCode::kInvalidArgument);
}

// --- Tenant version -----------------------------------------------------------------------------

TEST_P(StoreConformance, TenantVersionIncreasesWithEveryObjectChange) {
  EXPECT_EQ(Version(*store_), 0);
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit()).ok());
  EXPECT_EQ(Version(*store_), 1);
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit()).ok());
  EXPECT_EQ(Version(*store_), 2);
  ASSERT_TRUE(store_->Delete(ObjectKind::kPolicy, "p", Audit("Delete policy")).ok());
  EXPECT_EQ(Version(*store_), 3);
  ASSERT_TRUE(store_->ReplaceAll({ObjectKind::kUser}, {}, Audit("Import")).ok());
  EXPECT_EQ(Version(*store_), 4);
  ASSERT_TRUE(store_->Put(ObjectKind::kSetting, "emergencyGroup", "{}", AuditEntry{}).ok());
  EXPECT_EQ(Version(*store_), 5);
}

TEST_P(StoreConformance, SignInStateKindsDoNotBumpTheTenantVersionNorTheAuditLog) {
  ASSERT_TRUE(store_->Put(ObjectKind::kCredential, "user:u1", R"({"passwordHash":"x"})",
                          AuditEntry{}).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kRefreshTokenFamily, "rtf_1", "{}", AuditEntry{}).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kRefreshTokenFamily, "rtf_1", "{}", AuditEntry{}, 1).ok());
  ASSERT_TRUE(store_->Delete(ObjectKind::kRefreshTokenFamily, "rtf_1", AuditEntry{}).ok());
  EXPECT_EQ(Version(*store_), 0);
  EXPECT_THAT(AllAudit(*store_), IsEmpty());
  auto stored = store_->Get(ObjectKind::kCredential, "user:u1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->version, 1);
  EXPECT_FALSE(
      store_->Put(ObjectKind::kCredential, "user:u1", "{}", AuditEntry{}, /*expected=*/5).ok());
}

TEST_P(StoreConformance, TenantVersionIgnoresLogsOutboxReadsAndRefusedWrites) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit()).ok());
  ASSERT_TRUE(store_->AppendSignIn(SignIn("s1", "u1", "app", 0, "success", T(0))).ok());
  ASSERT_TRUE(store_->Enqueue("topic", "{}").ok());
  ASSERT_TRUE(store_->PeekOutbox("topic", 10).ok());
  ASSERT_TRUE(store_->Get(ObjectKind::kPolicy, "p").ok());
  ASSERT_TRUE(store_->List(ObjectKind::kPolicy).ok());
  EXPECT_FALSE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit(), 7).ok());
  EXPECT_FALSE(store_->Delete(ObjectKind::kPolicy, "missing", Audit()).ok());
  EXPECT_EQ(Version(*store_), 1);
}

// --- Audit log ----------------------------------------------------------------------------------

TEST_P(StoreConformance, EveryChangeAppendsOneLinkedAuditRecord) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit("Add policy")).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit("Update policy")).ok());
  ASSERT_TRUE(store_->Delete(ObjectKind::kPolicy, "p", Audit("Delete policy")).ok());

  std::vector<AuditRecord> records = AllAudit(*store_);
  ASSERT_THAT(records, SizeIs(3));
  EXPECT_THAT(Activities(records), ElementsAre("Add policy", "Update policy", "Delete policy"));
  EXPECT_EQ(records[0].sequence, 1);
  EXPECT_EQ(records[0].previous_hash, "");
  EXPECT_EQ(records[1].previous_hash, records[0].hash);
  EXPECT_EQ(records[2].previous_hash, records[1].hash);
  EXPECT_EQ(records[2].hash.size(), 64u);
  EXPECT_EQ(records[0].target_kind, "policy");
  EXPECT_EQ(records[0].target_id, "p");
  EXPECT_EQ(records[0].entry.actor, "admin-1");
  EXPECT_EQ(records[0].entry.category, "Policy");
  EXPECT_EQ(records[0].entry.result, "success");
  EXPECT_EQ(records[0].entry.details_json, R"({"requestId":"r-1"})");

  auto verified = store_->VerifyAuditChain();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(*verified, 3);
}

TEST_P(StoreConformance, AuditRecordCarriesTheTimeOfTheChange) {
  auto put = store_->Put(ObjectKind::kUser, "u", "{}", Audit("Add user"));
  ASSERT_TRUE(put.ok());
  std::vector<AuditRecord> records = AllAudit(*store_);
  ASSERT_THAT(records, SizeIs(1));
  EXPECT_EQ(records[0].time, put->modified);
}

TEST_P(StoreConformance, EmptyChainVerifiesWithZeroRecords) {
  auto verified = store_->VerifyAuditChain();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(*verified, 0);
}

TEST_P(StoreConformance, MissingActivityOfADirectoryChangeIsFilledIn) {
  ASSERT_TRUE(store_->Put(ObjectKind::kUser, "u", "{}", Audit("")).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kUser, "u", "{}", Audit("")).ok());
  ASSERT_TRUE(store_->Delete(ObjectKind::kUser, "u", Audit("")).ok());
  EXPECT_THAT(Activities(AllAudit(*store_)), ElementsAre("Add user", "Update user", "Delete user"));
}

TEST_P(StoreConformance, SecretKindsAreAuditedOnlyWhenAnActivityIsGiven) {
  ASSERT_TRUE(store_->Put(ObjectKind::kSigningKey, "k1", "{}", AuditEntry{}).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kAdminClient, "c1", "{}", AuditEntry{}).ok());
  ASSERT_TRUE(store_->Delete(ObjectKind::kSigningKey, "k1", AuditEntry{}).ok());
  EXPECT_THAT(AllAudit(*store_), IsEmpty());

  ASSERT_TRUE(store_->Put(ObjectKind::kAdminClient, "c2", "{}", Audit("Add admin client")).ok());
  EXPECT_THAT(Activities(AllAudit(*store_)), ElementsAre("Add admin client"));
}

TEST_P(StoreConformance, AuditDetailsThatAreNotAJsonObjectAreRejectedAndNothingIsWritten) {
  AuditEntry entry = Audit();
  entry.details_json = "[1,2";
  auto put = store_->Put(ObjectKind::kPolicy, "p", "{}", entry);
  EXPECT_EQ(put.status().code(), absl::StatusCode::kInvalidArgument);
  auto got = store_->Get(ObjectKind::kPolicy, "p");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(Version(*store_), 0);
}

TEST_P(StoreConformance, QueryAuditFiltersByCategoryActivityTargetAndActor) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", "{}", Audit("Add policy", "a1")).ok());
  ASSERT_TRUE(
      store_->Put(ObjectKind::kUser, "u", "{}", Audit("Add user", "a2", "UserManagement")).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "q", "{}", Audit("Update policy", "a2")).ok());

  AuditQuery by_category;
  by_category.category = "Policy";
  EXPECT_THAT(Activities(*store_->QueryAudit(by_category)),
              ElementsAre("Update policy", "Add policy"));
  AuditQuery by_activity;
  by_activity.activity = "Add user";
  EXPECT_THAT(Activities(*store_->QueryAudit(by_activity)), ElementsAre("Add user"));
  AuditQuery by_target;
  by_target.target_id = "q";
  EXPECT_THAT(Activities(*store_->QueryAudit(by_target)), ElementsAre("Update policy"));
  AuditQuery by_actor;
  by_actor.actor = "a2";
  by_actor.newest_first = false;
  EXPECT_THAT(Activities(*store_->QueryAudit(by_actor)), ElementsAre("Add user", "Update policy"));
}

TEST_P(StoreConformance, QueryAuditTimeBoundsAreInclusive) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, id, "{}", Audit(id)).ok());
  }
  std::vector<AuditRecord> all = AllAudit(*store_);
  ASSERT_THAT(all, SizeIs(3));
  AuditQuery query;
  query.from = all[1].time;
  query.until = all[2].time;
  query.newest_first = false;
  EXPECT_THAT(Activities(*store_->QueryAudit(query)), ElementsAre("b", "c"));
  query.until = all[1].time;
  EXPECT_THAT(Activities(*store_->QueryAudit(query)), ElementsAre("b"));
}

TEST_P(StoreConformance, QueryAuditPagesInBothDirections) {
  for (const char* id : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, id, "{}", Audit(id)).ok());
  }
  AuditQuery query;
  query.limit = 2;
  auto first = store_->QueryAudit(query);
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(Activities(*first), ElementsAre("d", "c"));
  query.after_sequence = first->back().sequence;
  EXPECT_THAT(Activities(*store_->QueryAudit(query)), ElementsAre("b", "a"));

  AuditQuery forward;
  forward.newest_first = false;
  forward.limit = 3;
  forward.after_sequence = 1;
  EXPECT_THAT(Activities(*store_->QueryAudit(forward)), ElementsAre("b", "c", "d"));
}

// --- ReplaceAll ---------------------------------------------------------------------------------

TEST_P(StoreConformance, ReplaceAllReplacesEveryObjectOfTheGivenKindsOnly) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "old", "{}", Audit()).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kUser, "u", "{}", Audit("Add user")).ok());
  std::int64_t before = Version(*store_);

  std::vector<StoredObject> objects = {
      {ObjectKind::kPolicy, "n1", R"({"n":1})"},
      {ObjectKind::kPolicy, "n2", R"({"n":2})"},
      {ObjectKind::kNamedLocation, "loc", "{}"},
  };
  ASSERT_TRUE(store_
                  ->ReplaceAll({ObjectKind::kPolicy, ObjectKind::kNamedLocation}, objects,
                               Audit("Import tenant", "admin-1", "Policy"))
                  .ok());

  EXPECT_THAT(Ids(*store_->List(ObjectKind::kPolicy)), ElementsAre("n1", "n2"));
  EXPECT_THAT(Ids(*store_->List(ObjectKind::kNamedLocation)), ElementsAre("loc"));
  EXPECT_THAT(Ids(*store_->List(ObjectKind::kUser)), ElementsAre("u"));
  EXPECT_EQ(Version(*store_), before + 1);
  std::vector<AuditRecord> records = AllAudit(*store_);
  ASSERT_THAT(records, SizeIs(3));
  EXPECT_EQ(records.back().entry.activity, "Import tenant");
  EXPECT_TRUE(store_->VerifyAuditChain().ok());
}

TEST_P(StoreConformance, ReplaceAllContinuesTheVersionOfObjectsThatExisted) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "keep", "{}", Audit()).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "keep", "{}", Audit()).ok());
  ASSERT_TRUE(store_
                  ->ReplaceAll({ObjectKind::kPolicy},
                               {{ObjectKind::kPolicy, "keep", "{}", 99},
                                {ObjectKind::kPolicy, "new", "{}", 99}},
                               Audit("Import"))
                  .ok());
  EXPECT_EQ((*store_->Get(ObjectKind::kPolicy, "keep"))->version, 3);
  EXPECT_EQ((*store_->Get(ObjectKind::kPolicy, "new"))->version, 1);
}

TEST_P(StoreConformance, ReplaceAllWithAnObjectOfAnotherKindChangesNothing) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "old", "{}", Audit()).ok());
  absl::Status status = store_->ReplaceAll(
      {ObjectKind::kPolicy}, {{ObjectKind::kPolicy, "n1", "{}"}, {ObjectKind::kUser, "u", "{}"}},
      Audit("Import"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Ids(*store_->List(ObjectKind::kPolicy)), ElementsAre("old"));
  EXPECT_THAT(*store_->List(ObjectKind::kUser), IsEmpty());
  EXPECT_EQ(Version(*store_), 1);
  EXPECT_THAT(AllAudit(*store_), SizeIs(1));
}

TEST_P(StoreConformance, ReplaceAllWithDuplicateIdsChangesNothing) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "old", "{}", Audit()).ok());
  absl::Status status = store_->ReplaceAll(
      {ObjectKind::kPolicy}, {{ObjectKind::kPolicy, "d", "{}"}, {ObjectKind::kPolicy, "d", "{}"}},
      Audit("Import"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("duplicate"));
  EXPECT_THAT(Ids(*store_->List(ObjectKind::kPolicy)), ElementsAre("old"));
  EXPECT_EQ(Version(*store_), 1);
}

// --- Sign-in log --------------------------------------------------------------------------------

void SeedSignIns(Store& store) {
  const std::vector<SignInRecord> records = {
      SignIn("s1", "alice", "app-a", 0, "success", T(1)),
      SignIn("s2", "bob", "app-a", 53003, "failure", T(2)),
      SignIn("s3", "alice", "app-b", 50076, "failure", T(3)),
      SignIn("s4", "carol", "app-b", 0, "notApplied", T(4)),
      SignIn("s5", "alice", "app-a", 0, "success", T(5)),
  };
  for (const auto& record : records) ASSERT_TRUE(store.AppendSignIn(record).ok());
}

std::vector<std::string> QueryIds(Store& store, const SignInQuery& query) {
  auto records = store.QuerySignIns(query);
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? Ids(*records) : std::vector<std::string>{};
}

TEST_P(StoreConformance, SignInLogRecordsComeBackWhole) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.id = "s2";
  auto records = store_->QuerySignIns(query);
  ASSERT_TRUE(records.ok());
  ASSERT_THAT(*records, SizeIs(1));
  const SignInRecord& record = (*records)[0];
  EXPECT_EQ(record.sequence, 2);
  EXPECT_EQ(record.user_id, "bob");
  EXPECT_EQ(record.user_principal_name, "bob@contoso.com");
  EXPECT_EQ(record.app_id, "app-a");
  EXPECT_EQ(record.ip_address, "203.0.113.7");
  EXPECT_EQ(record.error_code, 53003);
  EXPECT_EQ(record.conditional_access_status, "failure");
  EXPECT_EQ(record.created, T(2));
  EXPECT_EQ(record.body, R"({"id":"s2"})");
}

TEST_P(StoreConformance, SignInLogDefaultQueryReturnsNewestFirst) {
  SeedSignIns(*store_);
  EXPECT_THAT(QueryIds(*store_, {}), ElementsAre("s5", "s4", "s3", "s2", "s1"));
}

TEST_P(StoreConformance, SignInLogFiltersByUserId) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.user_id = "alice";
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s5", "s3", "s1"));
}

TEST_P(StoreConformance, SignInLogFiltersByUserPrincipalName) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.user_principal_name = "carol@contoso.com";
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s4"));
}

TEST_P(StoreConformance, SignInLogFiltersByAppId) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.app_id = "app-b";
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s4", "s3"));
}

TEST_P(StoreConformance, SignInLogFiltersByConditionalAccessStatus) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.conditional_access_status = "failure";
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s3", "s2"));
}

TEST_P(StoreConformance, SignInLogFiltersByErrorCodeIncludingZero) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.error_code = 50076;
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s3"));
  query.error_code = 0;
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s5", "s4", "s1"));
}

TEST_P(StoreConformance, SignInLogCreatedBoundsAreInclusive) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.created_from = T(2);
  query.created_until = T(4);
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s4", "s3", "s2"));
}

TEST_P(StoreConformance, SignInLogFiltersCombine) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.user_id = "alice";
  query.app_id = "app-a";
  query.created_from = T(2);
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s5"));
}

TEST_P(StoreConformance, SignInLogNewestFirstPagingWalksToOlderRecords) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.limit = 2;
  auto page = store_->QuerySignIns(query);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Ids(*page), ElementsAre("s5", "s4"));
  query.after_sequence = page->back().sequence;
  page = store_->QuerySignIns(query);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Ids(*page), ElementsAre("s3", "s2"));
  query.after_sequence = page->back().sequence;
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s1"));
  query.after_sequence = 1;
  EXPECT_THAT(QueryIds(*store_, query), IsEmpty());
}

TEST_P(StoreConformance, SignInLogOldestFirstPagingWalksToNewerRecords) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.newest_first = false;
  query.limit = 3;
  auto page = store_->QuerySignIns(query);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Ids(*page), ElementsAre("s1", "s2", "s3"));
  query.after_sequence = page->back().sequence;
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s4", "s5"));
}

TEST_P(StoreConformance, SignInLogPagingCombinesWithFilters) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.user_id = "alice";
  query.limit = 1;
  query.after_sequence = 5;
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s3"));
}

TEST_P(StoreConformance, SignInLogLimitBelowOneReturnsOneRecord) {
  SeedSignIns(*store_);
  SignInQuery query;
  query.limit = 0;
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s5"));
  query.limit = -3;
  EXPECT_THAT(QueryIds(*store_, query), ElementsAre("s5"));
}

TEST_P(StoreConformance, SignInLogLimitIsClampedToOneThousand) {
  SeedSignIns(*store_);
  // 1000 more records, appended from several threads so group commit keeps this quick.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        std::string id = "d" + std::to_string(t) + "-" + std::to_string(i);
        if (!store_->AppendSignIn(SignIn(id, "dave", "app", 0, "success", T(6))).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(failures.load(), 0);
  SignInQuery query;
  query.limit = 5000;
  auto records = store_->QuerySignIns(query);
  ASSERT_TRUE(records.ok());
  ASSERT_THAT(*records, SizeIs(1000));
  EXPECT_EQ(records->front().sequence, 1005);
  EXPECT_EQ(records->back().sequence, 6);
}

// --- Outbox -------------------------------------------------------------------------------------

TEST_P(StoreConformance, OutboxPeeksOldestFirstPerTopic) {
  ASSERT_TRUE(store_->Enqueue("partner", "m1").ok());
  ASSERT_TRUE(store_->Enqueue("other", "x").ok());
  ASSERT_TRUE(store_->Enqueue("partner", "m2").ok());
  ASSERT_TRUE(store_->Enqueue("partner", "m3").ok());
  auto messages = store_->PeekOutbox("partner", 2);
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_THAT(*messages, SizeIs(2));
  EXPECT_EQ((*messages)[0].body, "m1");
  EXPECT_EQ((*messages)[1].body, "m2");
  EXPECT_EQ((*messages)[0].topic, "partner");
  EXPECT_LT((*messages)[0].sequence, (*messages)[1].sequence);
}

TEST_P(StoreConformance, OutboxPeekCountsDeliveryAttempts) {
  ASSERT_TRUE(store_->Enqueue("t", "m").ok());
  EXPECT_EQ((*store_->PeekOutbox("t", 10))[0].attempts, 1);
  EXPECT_EQ((*store_->PeekOutbox("t", 10))[0].attempts, 2);
}

TEST_P(StoreConformance, AckedOutboxMessagesAreNotDeliveredAgain) {
  ASSERT_TRUE(store_->Enqueue("t", "m1").ok());
  ASSERT_TRUE(store_->Enqueue("t", "m2").ok());
  ASSERT_TRUE(store_->Enqueue("t", "m3").ok());
  auto first = store_->PeekOutbox("t", 2);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store_->AckOutbox({(*first)[0].sequence, (*first)[1].sequence}).ok());
  auto rest = store_->PeekOutbox("t", 10);
  ASSERT_TRUE(rest.ok());
  ASSERT_THAT(*rest, SizeIs(1));
  EXPECT_EQ((*rest)[0].body, "m3");
  // Acking twice or acking an unknown sequence is harmless.
  EXPECT_TRUE(store_->AckOutbox({(*first)[0].sequence, 12345}).ok());
}

// --- Persistence and concurrency ----------------------------------------------------------------

TEST_P(StoreConformance, ReopeningKeepsEverything) {
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", R"({"a":1})", Audit()).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "p", R"({"a":2})", Audit("Update policy")).ok());
  ASSERT_TRUE(store_->Put(ObjectKind::kSigningKey, "k", "secret", AuditEntry{}).ok());
  ASSERT_TRUE(store_->AppendSignIn(SignIn("s1", "alice", "app", 0, "success", T(1))).ok());
  ASSERT_TRUE(store_->Enqueue("t", "m").ok());
  std::vector<AuditRecord> audit_before = AllAudit(*store_);

  Reopen();

  auto policy = store_->Get(ObjectKind::kPolicy, "p");
  ASSERT_TRUE(policy.ok() && policy->has_value());
  EXPECT_EQ((*policy)->body, R"({"a":2})");
  EXPECT_EQ((*policy)->version, 2);
  EXPECT_EQ((*store_->Get(ObjectKind::kSigningKey, "k"))->body, "secret");
  EXPECT_EQ(Version(*store_), 3);
  EXPECT_THAT(Ids(*store_->QuerySignIns({})), ElementsAre("s1"));
  EXPECT_THAT(*store_->PeekOutbox("t", 10), SizeIs(1));
  std::vector<AuditRecord> audit_after = AllAudit(*store_);
  ASSERT_EQ(audit_after.size(), audit_before.size());
  EXPECT_EQ(audit_after.back().hash, audit_before.back().hash);
  ASSERT_TRUE(store_->Put(ObjectKind::kPolicy, "q", "{}", Audit()).ok());
  auto verified = store_->VerifyAuditChain();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(*verified, 3);
}

TEST_P(StoreConformance, ConcurrentWritersFromFourThreadsLoseNothing) {
  constexpr int kThreads = 4;
  constexpr int kWritesPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!store_->Put(ObjectKind::kUser, id, "{}", Audit("Add user")).ok()) ++failures;
        // Read-modify-write of one shared object with optimistic concurrency: retry on conflict.
        while (true) {
          auto current = store_->Get(ObjectKind::kSetting, "counter");
          if (!current.ok()) {
            ++failures;
            break;
          }
          std::int64_t version = current->has_value() ? (*current)->version : 0;
          auto put = store_->Put(ObjectKind::kSetting, "counter", std::to_string(version + 1),
                                 Audit("Increment counter"), version);
          if (put.ok()) break;
          if (put.status().code() != absl::StatusCode::kFailedPrecondition) {
            ++failures;
            break;
          }
        }
        if (!store_->AppendSignIn(SignIn(id, "u", "app", 0, "success", T(1))).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();

  constexpr int kTotal = kThreads * kWritesPerThread;
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(*store_->List(ObjectKind::kUser), SizeIs(kTotal));
  auto counter = store_->Get(ObjectKind::kSetting, "counter");
  ASSERT_TRUE(counter.ok() && counter->has_value());
  EXPECT_EQ((*counter)->version, kTotal);
  EXPECT_EQ((*counter)->body, std::to_string(kTotal));
  EXPECT_EQ(Version(*store_), 2 * kTotal);
  SignInQuery all_sign_ins;
  all_sign_ins.limit = 1000;
  EXPECT_THAT(*store_->QuerySignIns(all_sign_ins), SizeIs(kTotal));
  auto verified = store_->VerifyAuditChain();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(*verified, 2 * kTotal);
}

TEST_P(StoreConformance, ConcurrentSignInAppendsAreAllStoredWithDistinctSequences) {
  constexpr int kThreads = 8;
  constexpr int kAppendsPerThread = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppendsPerThread; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!store_->AppendSignIn(SignIn(id, "u" + std::to_string(t), "app", 0, "success", T(1)))
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  SignInQuery query;
  query.newest_first = false;
  query.limit = 1000;
  auto records = store_->QuerySignIns(query);
  ASSERT_TRUE(records.ok());
  ASSERT_THAT(*records, SizeIs(kThreads * kAppendsPerThread));
  for (std::size_t i = 0; i < records->size(); ++i) {
    EXPECT_EQ((*records)[i].sequence, static_cast<std::int64_t>(i + 1));
  }
  // Each thread's records keep the order in which that thread appended them.
  SignInQuery one_thread;
  one_thread.user_id = "u3";
  one_thread.newest_first = false;
  auto mine = store_->QuerySignIns(one_thread);
  ASSERT_TRUE(mine.ok());
  ASSERT_THAT(*mine, SizeIs(kAppendsPerThread));
  for (int i = 0; i < kAppendsPerThread; ++i) {
    EXPECT_EQ((*mine)[static_cast<std::size_t>(i)].id, "t3-" + std::to_string(i));
  }
}

}  // namespace
}  // namespace gatehouse::store::testing
