#include "idp/totp.h"

#include <string>

#include "gtest/gtest.h"

namespace gatehouse::idp {
namespace {

constexpr const char* kRfcSeed = "12345678901234567890";  // RFC 6238 Appendix B, SHA1

absl::Time At(std::int64_t unix_seconds) { return absl::FromUnixSeconds(unix_seconds); }

TEST(TotpCode, MatchesRfc6238AppendixBSha1Vectors) {
  const TotpOptions eight{.digits = 8};
  EXPECT_EQ(TotpCode(kRfcSeed, At(59), eight), "94287082");
  EXPECT_EQ(TotpCode(kRfcSeed, At(1111111109), eight), "07081804");
  EXPECT_EQ(TotpCode(kRfcSeed, At(1111111111), eight), "14050471");
  EXPECT_EQ(TotpCode(kRfcSeed, At(1234567890), eight), "89005924");
  EXPECT_EQ(TotpCode(kRfcSeed, At(2000000000), eight), "69279037");
  EXPECT_EQ(TotpCode(kRfcSeed, At(20000000000), eight), "65353130");
}

TEST(TotpCode, SixDigitCodesAreTheLastSixDigitsOfTheRfcValues) {
  EXPECT_EQ(TotpCode(kRfcSeed, At(59)), "287082");
  EXPECT_EQ(TotpCode(kRfcSeed, At(1111111109)), "081804");
}

TEST(HotpCode, MatchesRfc4226AppendixD) {
  EXPECT_EQ(HotpCode(kRfcSeed, 0, 6), "755224");
  EXPECT_EQ(HotpCode(kRfcSeed, 1, 6), "287082");
  EXPECT_EQ(HotpCode(kRfcSeed, 9, 6), "520489");
}

TEST(TotpStep, CountsThirtySecondStepsFromTheEpoch) {
  EXPECT_EQ(TotpStep(At(0)), 0);
  EXPECT_EQ(TotpStep(At(29)), 0);
  EXPECT_EQ(TotpStep(At(30)), 1);
  EXPECT_EQ(TotpStep(At(59)), 1);
  EXPECT_EQ(TotpStep(At(-100)), 0);
}

TEST(VerifyTotp, AcceptsTheCurrentCodeAndReturnsItsStep) {
  const absl::Time now = At(1111111111);
  absl::StatusOr<std::int64_t> step = VerifyTotp(kRfcSeed, TotpCode(kRfcSeed, now), now);
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ(*step, 1111111111 / 30);
}

TEST(VerifyTotp, AcceptsOneStepOfClockSkewEitherWay) {
  const absl::Time now = At(1111111111);
  const std::string previous = TotpCode(kRfcSeed, now - absl::Seconds(30));
  const std::string following = TotpCode(kRfcSeed, now + absl::Seconds(30));
  EXPECT_EQ(*VerifyTotp(kRfcSeed, previous, now), 1111111111 / 30 - 1);
  EXPECT_EQ(*VerifyTotp(kRfcSeed, following, now), 1111111111 / 30 + 1);
}

TEST(VerifyTotp, RefusesCodesTwoStepsAway) {
  const absl::Time now = At(1111111111);
  const absl::StatusOr<std::int64_t> old =
      VerifyTotp(kRfcSeed, TotpCode(kRfcSeed, now - absl::Seconds(60)), now);
  EXPECT_EQ(old.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(VerifyTotp(kRfcSeed, TotpCode(kRfcSeed, now + absl::Seconds(60)), now).ok());
}

TEST(VerifyTotp, RefusesAReplayOfTheSameStep) {
  const absl::Time now = At(1111111111);
  const std::string code = TotpCode(kRfcSeed, now);
  const absl::StatusOr<std::int64_t> first = VerifyTotp(kRfcSeed, code, now);
  ASSERT_TRUE(first.ok());
  const absl::StatusOr<std::int64_t> replay =
      VerifyTotp(kRfcSeed, code, now + absl::Seconds(5), {}, *first);
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(replay.status().message(), "totp: the code was already used");
}

TEST(VerifyTotp, RefusesAnEarlierStepAfterALaterOneWasAccepted) {
  const absl::Time now = At(1111111111);
  const std::int64_t accepted = TotpStep(now);
  const std::string previous = TotpCode(kRfcSeed, now - absl::Seconds(30));
  EXPECT_FALSE(VerifyTotp(kRfcSeed, previous, now, {}, accepted).ok());
}

TEST(VerifyTotp, AcceptsTheNextStepAfterTheLastAcceptedOne) {
  const absl::Time now = At(1111111111);
  const std::int64_t accepted = TotpStep(now);
  const absl::Time later = now + absl::Seconds(30);
  EXPECT_EQ(*VerifyTotp(kRfcSeed, TotpCode(kRfcSeed, later), later, {}, accepted), accepted + 1);
}

TEST(VerifyTotp, RefusesMalformedCodes) {
  const absl::Time now = At(1111111111);
  const std::string code = TotpCode(kRfcSeed, now);
  EXPECT_FALSE(VerifyTotp(kRfcSeed, "", now).ok());
  EXPECT_FALSE(VerifyTotp(kRfcSeed, code.substr(0, 5), now).ok());
  EXPECT_FALSE(VerifyTotp(kRfcSeed, code + "0", now).ok());
  EXPECT_FALSE(VerifyTotp(kRfcSeed, " " + code.substr(1), now).ok());
  EXPECT_FALSE(VerifyTotp(kRfcSeed, "abcdef", now).ok());
}

TEST(VerifyTotp, RefusesAnEmptySecretAndBadOptions) {
  EXPECT_EQ(VerifyTotp("", "123456", At(0)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyTotp(kRfcSeed, "12345", At(0), TotpOptions{.digits = 5}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(VerifyTotp, ChecksEightDigitCodesWhenAskedTo) {
  const TotpOptions eight{.digits = 8};
  EXPECT_EQ(*VerifyTotp(kRfcSeed, "89005924", At(1234567890), eight), 1234567890 / 30);
}

TEST(GenerateTotpSecret, ReturnsTwentyRandomBytes) {
  const std::string a = GenerateTotpSecret();
  const std::string b = GenerateTotpSecret();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
}

TEST(Base32, EncodesRfc4648TestVectorsWithoutPadding) {
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "MY");
  EXPECT_EQ(Base32Encode("fo"), "MZXQ");
  EXPECT_EQ(Base32Encode("foo"), "MZXW6");
  EXPECT_EQ(Base32Encode("foob"), "MZXW6YQ");
  EXPECT_EQ(Base32Encode("fooba"), "MZXW6YTB");
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(Base32Encode(kRfcSeed), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

TEST(Base32, DecodesWhatItEncodesInAnyCaseWithPaddingAndGrouping) {
  EXPECT_EQ(*Base32Decode("MZXW6YTBOI"), "foobar");
  EXPECT_EQ(*Base32Decode("mzxw6ytboi======"), "foobar");
  EXPECT_EQ(*Base32Decode("MZXW 6YTB-OI"), "foobar");
  const std::string secret = GenerateTotpSecret();
  EXPECT_EQ(*Base32Decode(Base32Encode(secret)), secret);
}

TEST(Base32, RefusesForeignCharactersAndNonCanonicalTails) {
  EXPECT_FALSE(Base32Decode("MZXW1").ok());  // '1' is not in the alphabet
  EXPECT_FALSE(Base32Decode("MZ=XW").ok());  // data after padding
  EXPECT_FALSE(Base32Decode("MZ7").ok());    // leftover bits not zero / dangling character
  EXPECT_FALSE(Base32Decode("M").ok());
}

TEST(TotpProvisioningUri, FollowsTheKeyUriFormatWithPercentEncoding) {
  EXPECT_EQ(TotpProvisioningUri("Gatehouse Demo", "alice@contoso.com", kRfcSeed),
            "otpauth://totp/Gatehouse%20Demo:alice%40contoso.com"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse%20Demo"
            "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace gatehouse::idp
