#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::crypto {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Small costs keep the suite fast; the defaults are exercised once.
Argon2Params Cheap() {
  Argon2Params params;
  params.memory_kib = 64;
  params.iterations = 1;
  params.parallelism = 1;
  return params;
}

std::string MustHash(std::string_view secret) {
  absl::StatusOr<std::string> hash = HashSecret(secret, Cheap());
  EXPECT_TRUE(hash.ok()) << hash.status();
  return hash.ok() ? *hash : std::string();
}

TEST(HashSecret, ProducesAnEncodedArgon2idHashWithTheDefaultOwaspParameters) {
  absl::StatusOr<std::string> hash = HashSecret("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_THAT(*hash, StartsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_EQ(hash->find('\0'), std::string::npos);
  EXPECT_TRUE(VerifySecret("correct horse battery staple", *hash));
}

TEST(HashSecret, EncodesA16ByteSaltAndA32ByteHash) {
  const std::string hash = MustHash("s3cret");
  // $argon2id$v=19$m=64,t=1,p=1$<22 salt chars>$<43 hash chars>
  const std::size_t salt_at = hash.rfind('$', hash.rfind('$') - 1) + 1;
  const std::size_t hash_at = hash.rfind('$') + 1;
  EXPECT_EQ(hash_at - 1 - salt_at, 22u);
  EXPECT_EQ(hash.size() - hash_at, 43u);
}

TEST(HashSecret, TwoHashesOfTheSameSecretDifferBecauseOfTheSalt) {
  const std::string first = MustHash("same");
  const std::string second = MustHash("same");
  EXPECT_NE(first, second);
  EXPECT_TRUE(VerifySecret("same", first));
  EXPECT_TRUE(VerifySecret("same", second));
}

TEST(HashSecret, RejectsParametersLibargon2Refuses) {
  Argon2Params params = Cheap();
  params.parallelism = 0;
  absl::StatusOr<std::string> hash = HashSecret("x", params);
  EXPECT_EQ(hash.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(hash.status().message(), HasSubstr("argon2id"));
}

TEST(HashSecret, RejectsCostsAboveTheSupportedMaximum) {
  Argon2Params params = Cheap();
  params.memory_kib = 4u * 1024 * 1024;
  EXPECT_EQ(HashSecret("x", params).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(VerifySecret, RejectsAWrongSecret) {
  const std::string hash = MustHash("right");
  EXPECT_FALSE(VerifySecret("wrong", hash));
  EXPECT_FALSE(VerifySecret("righ", hash));
  EXPECT_FALSE(VerifySecret("right ", hash));
  EXPECT_FALSE(VerifySecret("", hash));
}

TEST(VerifySecret, TreatsEmbeddedNulAsPartOfTheSecret) {
  const std::string hash = MustHash(std::string("a\0b", 3));
  EXPECT_TRUE(VerifySecret(std::string("a\0b", 3), hash));
  EXPECT_FALSE(VerifySecret("a", hash));
}

TEST(VerifySecret, AcceptsTheEmptySecretWhenThatWasHashed) {
  const std::string hash = MustHash("");
  EXPECT_TRUE(VerifySecret("", hash));
  EXPECT_FALSE(VerifySecret("x", hash));
}

TEST(VerifySecret, ReturnsFalseForMalformedEncodings) {
  const std::string hash = MustHash("pw");
  const std::string variants[] = {
      "",
      "garbage",
      "$argon2id$",
      "$argon2id$v=19$m=64,t=1,p=1$",
      "$argon2id$v=19$m=64,t=1,p=1$$",
      "$argon2id$v=19$m=64,t=1,p=1$!!!!$????",
      hash.substr(0, hash.size() - 5),  // truncated hash
      hash + "AAAA",                    // hash longer than stored
      hash + std::string("\0", 1),
      std::string(4096, '$'),
  };
  for (const std::string& encoded : variants) {
    EXPECT_FALSE(VerifySecret("pw", encoded)) << encoded;
  }
}

TEST(VerifySecret, ReturnsFalseForAnotherArgon2Variant) {
  std::string hash = MustHash("pw");
  hash.replace(0, 10, "$argon2i$");
  EXPECT_FALSE(VerifySecret("pw", hash));
}

TEST(VerifySecret, ReturnsFalseWhenTheStoredHashIsAltered) {
  std::string hash = MustHash("pw");
  hash.back() = hash.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifySecret("pw", hash));
}

TEST(VerifySecret, ReturnsFalseForAHashWhoseCostsWouldExhaustMemory) {
  // Well-formed otherwise; m is 4 TiB. Must be refused before libargon2 tries to allocate it.
  std::string hash = MustHash("pw");
  const std::size_t at = hash.find("m=64,");
  ASSERT_NE(at, std::string::npos);
  hash.replace(at, 5, "m=4294967295,");
  EXPECT_FALSE(VerifySecret("pw", hash));
}

TEST(VerifySecret, ReturnsFalseForAChangedCostParameter) {
  std::string hash = MustHash("pw");
  const std::size_t at = hash.find("t=1,");
  ASSERT_NE(at, std::string::npos);
  hash.replace(at, 4, "t=2,");
  EXPECT_FALSE(VerifySecret("pw", hash));
}

}  // namespace
}  // namespace gatehouse::crypto
