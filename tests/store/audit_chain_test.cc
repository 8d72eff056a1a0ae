#include "store/internal/audit_chain.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::store::internal {
namespace {

AuditRecord Record() {
  AuditRecord record;
  record.sequence = 7;
  record.time = absl::FromUnixMicros(1714557600123456);  // 2024-05-01T10:00:00.123456Z
  record.entry.actor = "admin-1";
  record.entry.activity = "Add policy";
  record.entry.category = "Policy";
  record.entry.result = "success";
  record.entry.details_json = "{}";
  record.target_kind = "policy";
  record.target_id = "p\n1";
  record.previous_hash = "abc";
  return record;
}

TEST(AuditChain, Sha256HexMatchesTheStandardTestVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AuditChain, CanonicalFormLengthPrefixesEveryFieldInOrder) {
  EXPECT_EQ(CanonicalAuditRecord(Record()),
            "1:7\n27:2024-05-01T10:00:00.123456Z\n7:admin-1\n10:Add policy\n6:Policy\n"
            "7:success\n2:{}\n6:policy\n3:p\n1\n");
}

TEST(AuditChain, HashCoversThePreviousHashAndTheCanonicalForm) {
  AuditRecord record = Record();
  EXPECT_EQ(ComputeAuditHash(record), Sha256Hex("abc\n" + CanonicalAuditRecord(record)));
  AuditRecord other = record;
  other.previous_hash = "abd";
  EXPECT_NE(ComputeAuditHash(other), ComputeAuditHash(record));
}

TEST(AuditChain, FieldBoundariesCannotBeShifted) {
  AuditRecord a = Record();
  AuditRecord b = Record();
  a.entry.actor = "ab";
  a.entry.activity = "c";
  b.entry.actor = "a";
  b.entry.activity = "bc";
  EXPECT_NE(ComputeAuditHash(a), ComputeAuditHash(b));
}

TEST(AuditChain, LinkCheckNamesTheBrokenSequence) {
  AuditRecord record = Record();
  record.hash = ComputeAuditHash(record);
  EXPECT_TRUE(CheckAuditLink(record, 6, "abc").ok());
  EXPECT_THAT(std::string(CheckAuditLink(record, 6, "abd").message()),
              ::testing::HasSubstr("audit chain broken at sequence 7: previous hash"));
  EXPECT_THAT(std::string(CheckAuditLink(record, 5, "abc").message()),
              ::testing::HasSubstr("expected sequence 6"));
  record.entry.result = "failure";
  EXPECT_EQ(CheckAuditLink(record, 6, "abc").code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gatehouse::store::internal
