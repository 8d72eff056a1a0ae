#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::crypto {
namespace {

using ::testing::HasSubstr;

TEST(Base64Url, EncodesTheRfc4648TestVectorsWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, UsesDashAndUnderscoreInsteadOfPlusAndSlash) {
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff\xbf", 3)), "-_-_");
  EXPECT_EQ(*Base64UrlDecode("-_-_"), std::string("\xfb\xff\xbf", 3));
}

TEST(Base64Url, DecodesTheRfc4648TestVectors) {
  EXPECT_EQ(*Base64UrlDecode(""), "");
  EXPECT_EQ(*Base64UrlDecode("Zg"), "f");
  EXPECT_EQ(*Base64UrlDecode("Zm8"), "fo");
  EXPECT_EQ(*Base64UrlDecode("Zm9v"), "foo");
  EXPECT_EQ(*Base64UrlDecode("Zm9vYmFy"), "foobar");
}

TEST(Base64Url, RoundTripsEveryByteValueAtEveryLengthRemainder) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t length = 0; length <= all.size(); length += 37) {
    const std::string data = all.substr(all.size() - length);
    for (std::size_t cut = 0; cut < 3 && cut <= data.size(); ++cut) {
      const std::string piece = data.substr(cut);
      absl::StatusOr<std::string> decoded = Base64UrlDecode(Base64UrlEncode(piece));
      ASSERT_TRUE(decoded.ok()) << decoded.status();
      EXPECT_EQ(*decoded, piece);
    }
  }
}

TEST(Base64Url, RejectsStandardAlphabetCharacters) {
  EXPECT_FALSE(Base64UrlDecode("+/+/").ok());
  EXPECT_FALSE(Base64UrlDecode("ab/d").ok());
}

TEST(Base64Url, RejectsPadding) {
  EXPECT_FALSE(Base64UrlDecode("Zg==").ok());
  EXPECT_FALSE(Base64UrlDecode("Zm8=").ok());
  EXPECT_FALSE(Base64UrlDecode("=").ok());
}

TEST(Base64Url, RejectsWhitespaceAndControlCharacters) {
  EXPECT_FALSE(Base64UrlDecode(" Zg").ok());
  EXPECT_FALSE(Base64UrlDecode("Zm9v\n").ok());
  EXPECT_FALSE(Base64UrlDecode(std::string("Zm\0v", 4)).ok());
  EXPECT_FALSE(Base64UrlDecode("Zm9\xc3\xa9").ok());
}

TEST(Base64Url, ReportsTheOffsetOfAnInvalidCharacter) {
  absl::StatusOr<std::string> decoded = Base64UrlDecode("Zm9v*A");
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(), HasSubstr("offset 4"));
}

TEST(Base64Url, RejectsALengthThatLeavesOneDigitOver) {
  EXPECT_FALSE(Base64UrlDecode("Z").ok());
  EXPECT_FALSE(Base64UrlDecode("Zm9vY").ok());
}

TEST(Base64Url, RejectsNonZeroTrailingBitsSoEachValueHasOneEncoding) {
  EXPECT_TRUE(Base64UrlDecode("Zg").ok());
  EXPECT_FALSE(Base64UrlDecode("Zh").ok());
  EXPECT_TRUE(Base64UrlDecode("Zm8").ok());
  EXPECT_FALSE(Base64UrlDecode("Zm9").ok());
}

TEST(RandomToken, Is43Base64UrlCharactersFor32Bytes) {
  const std::string token = RandomToken();
  EXPECT_EQ(token.size(), 43u);
  absl::StatusOr<std::string> bytes = Base64UrlDecode(token);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), 32u);
}

TEST(RandomToken, HonoursTheRequestedLength) {
  EXPECT_EQ(RandomToken(0), "");
  EXPECT_EQ(Base64UrlDecode(RandomToken(1))->size(), 1u);
  EXPECT_EQ(Base64UrlDecode(RandomToken(16))->size(), 16u);
}

TEST(RandomToken, DoesNotRepeat) {
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) tokens.insert(RandomToken(16));
  EXPECT_EQ(tokens.size(), 100u);
}

TEST(Sha256Hex, MatchesTheFips180TestVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Hex, HashesEmbeddedNulBytes) {
  EXPECT_NE(Sha256Hex(std::string("a\0b", 3)), Sha256Hex("a"));
}

}  // namespace
}  // namespace gatehouse::crypto
