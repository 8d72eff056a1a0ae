#include "idp/pkce.h"

#include <string>

#include "gtest/gtest.h"

namespace gatehouse::idp {
namespace {

// RFC 7636 Appendix B.
constexpr const char* kRfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kRfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

TEST(PkceS256Challenge, MatchesRfc7636AppendixB) {
  EXPECT_EQ(PkceS256Challenge(kRfcVerifier), kRfcChallenge);
}

TEST(VerifyPkceS256, AcceptsTheMatchingVerifier) {
  EXPECT_TRUE(VerifyPkceS256(kRfcVerifier, kRfcChallenge).ok());
}

TEST(VerifyPkceS256, RefusesAnotherVerifierAsPermissionDenied) {
  const absl::Status status =
      VerifyPkceS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", kRfcChallenge);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "code_verifier does not match the code_challenge");
}

TEST(VerifyPkceS256, RefusesThePlainMethodWhereVerifierEqualsChallenge) {
  // With "plain" the challenge is the verifier itself; S256 verification must not accept that.
  EXPECT_FALSE(VerifyPkceS256(kRfcVerifier, kRfcVerifier).ok());
}

TEST(VerifyPkceS256, RefusesVerifiersOutsideTheLengthBounds) {
  const std::string short_verifier(42, 'a');
  const std::string long_verifier(129, 'a');
  EXPECT_FALSE(VerifyPkceS256(short_verifier, PkceS256Challenge(short_verifier)).ok());
  EXPECT_FALSE(VerifyPkceS256(long_verifier, PkceS256Challenge(long_verifier)).ok());
  const std::string min_verifier(43, 'a');
  const std::string max_verifier(128, '~');
  EXPECT_TRUE(VerifyPkceS256(min_verifier, PkceS256Challenge(min_verifier)).ok());
  EXPECT_TRUE(VerifyPkceS256(max_verifier, PkceS256Challenge(max_verifier)).ok());
}

TEST(VerifyPkceS256, RefusesVerifiersWithCharactersOutsideTheUnreservedSet) {
  const std::string verifier = std::string(42, 'a') + "+";
  EXPECT_FALSE(IsValidPkceVerifier(verifier));
  EXPECT_FALSE(VerifyPkceS256(verifier, PkceS256Challenge(verifier)).ok());
  EXPECT_FALSE(IsValidPkceVerifier(std::string(42, 'a') + " "));
  EXPECT_TRUE(IsValidPkceVerifier(std::string(40, 'a') + "-._~"));
}

TEST(VerifyPkceS256, RefusesAnEmptyVerifier) {
  EXPECT_EQ(VerifyPkceS256("", kRfcChallenge).code(), absl::StatusCode::kPermissionDenied);
}

TEST(ValidatePkceChallenge, AcceptsS256WithA43CharacterChallenge) {
  EXPECT_TRUE(ValidatePkceChallenge(kRfcChallenge, "S256").ok());
}

TEST(ValidatePkceChallenge, RefusesPlainAndAMissingMethod) {
  const absl::Status plain = ValidatePkceChallenge(kRfcChallenge, "plain");
  EXPECT_EQ(plain.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plain.message(), "code_challenge_method must be S256 (plain is not supported)");
  const absl::Status missing = ValidatePkceChallenge(kRfcChallenge, "");
  EXPECT_EQ(missing.message(), "code_challenge_method is required and must be S256");
  EXPECT_FALSE(ValidatePkceChallenge(kRfcChallenge, "s256").ok());
}

TEST(ValidatePkceChallenge, RefusesChallengesOfTheWrongShape) {
  EXPECT_FALSE(ValidatePkceChallenge("", "S256").ok());
  EXPECT_FALSE(ValidatePkceChallenge(std::string(kRfcChallenge) + "A", "S256").ok());
  EXPECT_FALSE(ValidatePkceChallenge(std::string(42, 'A') + "=", "S256").ok());
  EXPECT_FALSE(ValidatePkceChallenge(std::string(42, 'A') + "+", "S256").ok());
}

}  // namespace
}  // namespace gatehouse::idp
