// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), HMAC-SHA1, as used by every
// authenticator app: 6 digits, 30-second steps, counted from the Unix epoch. This is the MFA method
// of the IdP ("softwareOath" in the sign-in session's authentication methods).
//
// Secrets are raw bytes (20 from the CSPRNG); authenticator apps receive them base32-encoded in an
// otpauth:// URI. Storing the secret (encrypted at rest) and the last accepted step per user is the
// caller's job: VerifyTotp returns the step it matched, and refuses any step at or before the
// caller's `last_accepted_step`, so a code seen once (shoulder-surfed, phished, replayed) cannot be
// used again, not even within its own 30 seconds.
//
// Pure functions with an explicit time; GenerateTotpSecret reads the OS CSPRNG. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gatehouse::idp {

inline constexpr std::size_t kTotpSecretBytes = 20;  // RFC 4226 §4 recommends 160 bits.

struct TotpOptions {
  int digits = 6;  // 6..8 (RFC 4226 §5.3 requires at least 6)
  absl::Duration step = absl::Seconds(30);
  int window = 1;  // accepted steps either side of now: clock skew
};

// 20 random bytes from the OS CSPRNG.
std::string GenerateTotpSecret();

// RFC 4648 base32, upper case, without "=" padding (the form otpauth:// URIs carry).
std::string Base32Encode(std::string_view bytes);
// Accepts upper or lower case, optional "=" padding, and ignores spaces and hyphens (people type
// secrets in groups). InvalidArgument for any other character or a non-canonical tail.
absl::StatusOr<std::string> Base32Decode(std::string_view text);

// The step number of `time`: floor(unix_seconds / step). Times before the epoch are step 0.
std::int64_t TotpStep(absl::Time time, const TotpOptions& options = {});

// The code for a step / for the step containing `time`, zero-padded to `options.digits`.
std::string HotpCode(std::string_view secret, std::int64_t counter, int digits);
std::string TotpCode(std::string_view secret, absl::Time time, const TotpOptions& options = {});

// Checks `code` against the steps now-window..now+window (nearest first). Returns the matched
// step. Unauthenticated when the code is malformed (not exactly `digits` ASCII digits), matches no
// step in the window, or matches only steps <= `last_accepted_step` (replay). InvalidArgument for
// an empty secret or out-of-range options. Codes are compared in constant time.
absl::StatusOr<std::int64_t> VerifyTotp(std::string_view secret, std::string_view code,
                                        absl::Time now, const TotpOptions& options = {},
                                        std::optional<std::int64_t> last_accepted_step = {});

// otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6
// &period=30 (Key Uri Format of Google Authenticator), issuer and account percent-encoded.
std::string TotpProvisioningUri(std::string_view issuer, std::string_view account,
                                std::string_view secret, const TotpOptions& options = {});

}  // namespace gatehouse::idp
