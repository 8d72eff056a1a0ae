#include "idp/pkce.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <string>

#include "crypto/crypto.h"

namespace gatehouse::idp {
namespace {

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

bool IsValidPkceVerifier(std::string_view verifier) {
  if (verifier.size() < kPkceVerifierMinLength || verifier.size() > kPkceVerifierMaxLength) {
    return false;
  }
  for (const char c : verifier) {
    if (!IsUnreserved(c)) return false;
  }
  return true;
}

std::string PkceS256Challenge(std::string_view verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return crypto::Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

absl::Status ValidatePkceChallenge(std::string_view challenge, std::string_view method) {
  if (method != "S256") {
    return absl::InvalidArgumentError(
        method.empty() ? "code_challenge_method is required and must be S256"
                       : "code_challenge_method must be S256 (plain is not supported)");
  }
  if (challenge.size() != kPkceS256ChallengeLength) {
    return absl::InvalidArgumentError("code_challenge must be 43 base64url characters");
  }
  for (const char c : challenge) {
    if (!IsBase64UrlChar(c)) {
      return absl::InvalidArgumentError("code_challenge must be 43 base64url characters");
    }
  }
  return absl::OkStatus();
}

absl::Status VerifyPkceS256(std::string_view code_verifier, std::string_view code_challenge) {
  if (!IsValidPkceVerifier(code_verifier)) {
    return absl::PermissionDeniedError(
        "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~");
  }
  const std::string computed = PkceS256Challenge(code_verifier);
  if (computed.size() != code_challenge.size() ||
      CRYPTO_memcmp(computed.data(), code_challenge.data(), computed.size()) != 0) {
    return absl::PermissionDeniedError("code_verifier does not match the code_challenge");
  }
  return absl::OkStatus();
}

}  // namespace gatehouse::idp
