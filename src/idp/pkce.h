// Proof Key for Code Exchange (RFC 7636), the S256 method only. OAuth 2.1 makes PKCE mandatory for
// the authorization code flow; the "plain" method (and an absent method, which RFC 7636 §4.3 reads
// as "plain") is refused because it gives no protection when the authorization request leaks.
//
// Pure functions: no state, no clock. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace gatehouse::idp {

// RFC 7636 §4.1: 43..128 characters of [A-Z] [a-z] [0-9] "-" "." "_" "~".
inline constexpr std::size_t kPkceVerifierMinLength = 43;
inline constexpr std::size_t kPkceVerifierMaxLength = 128;
// base64url (no padding) of a SHA-256 digest.
inline constexpr std::size_t kPkceS256ChallengeLength = 43;

// True when `verifier` has the length and character set of RFC 7636 §4.1.
bool IsValidPkceVerifier(std::string_view verifier);

// BASE64URL(SHA256(ASCII(verifier))): what a client sends as code_challenge. Used by tests and by
// the demo client; does not validate the verifier.
std::string PkceS256Challenge(std::string_view verifier);

// Checked at /authorize: `method` must be exactly "S256" (so "plain" and "" are refused) and
// `challenge` must be 43 base64url characters. InvalidArgument otherwise (OAuth error
// invalid_request).
absl::Status ValidatePkceChallenge(std::string_view challenge, std::string_view method);

// Checked at the token endpoint. OK when `code_verifier` is a valid verifier and its S256 transform
// equals `code_challenge` (compared in constant time). PermissionDenied otherwise (OAuth error
// invalid_grant): a missing or malformed verifier, or a mismatch.
absl::Status VerifyPkceS256(std::string_view code_verifier, std::string_view code_challenge);

}  // namespace gatehouse::idp
