// Authorization codes of the OIDC authorization code flow (RFC 6749 §4.1, OAuth 2.1, PKCE S256).
//
// A code is a 256-bit random token handed to the client in the redirect. The store keeps only its
// SHA-256 (a dump of the store cannot be replayed) together with the grant it stands for: the
// client, the exact redirect URI, the PKCE challenge, the OIDC nonce, the user, the device, the
// authentication methods and time, scope and session id.
//
// Codes are single use: Redeem deletes the code on the first attempt, whether the attempt succeeds
// or not, so a code intercepted and tried with a wrong verifier is gone for the attacker and the
// legitimate client alike (RFC 6749 §4.1.2 "MUST NOT use the authorization code more than once").
// Lifetime 60 seconds by default.
//
// Thread-safe (one mutex). In memory: codes live a minute, so losing them on restart only fails
// the sign-ins in flight. Every call takes an explicit `now`.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gatehouse::idp {

// What a code stands for. Filled by /authorize after authentication and CA.
struct AuthorizationGrant {
  std::string client_id;
  std::string redirect_uri;          // exactly as sent in the authorization request
  std::string code_challenge;        // S256 only (validated before issuing)
  std::optional<std::string> nonce;  // OIDC nonce, echoed in the ID token
  std::string scope;
  std::string user_id;
  std::optional<std::string> device_id;   // from a verified device proof; nullopt: none presented
  std::vector<std::string> auth_methods;  // amr values, e.g. {"pwd", "otp"}
  absl::Time auth_time = absl::InfinitePast();
  std::string session_id;  // sid
  std::string client_app_type;  // CA token of the sign-in ("browser", ...), carried to refresh
  std::string platform;         // CA platform token of the sign-in, carried to refresh
};

struct AuthorizationCodeOptions {
  absl::Duration lifetime = absl::Seconds(60);
  std::size_t max_outstanding = 100000;  // bound on memory; expired codes are purged first
};

class AuthorizationCodeStore {
 public:
  explicit AuthorizationCodeStore(AuthorizationCodeOptions options = {});

  // Stores the grant and returns the code (base64url, 43 characters). InvalidArgument when the
  // grant lacks client_id, redirect_uri, code_challenge or user_id; ResourceExhausted when
  // `max_outstanding` unexpired codes are already waiting.
  absl::StatusOr<std::string> Issue(AuthorizationGrant grant, absl::Time now);

  // Exchanges a code for its grant. The code is deleted first, then checked: not expired
  // (now < issued + lifetime), issued to `client_id`, `redirect_uri` identical, and
  // `code_verifier` matching the challenge (PKCE S256). PermissionDenied for every refusal (the
  // token endpoint answers invalid_grant); the message says which check failed, for the log.
  absl::StatusOr<AuthorizationGrant> Redeem(std::string_view code, std::string_view client_id,
                                            std::string_view redirect_uri,
                                            std::string_view code_verifier, absl::Time now);

  // Codes currently held (expired ones included until purged).
  std::size_t size() const;
  void PurgeExpired(absl::Time now);

 private:
  struct Entry {
    AuthorizationGrant grant;
    absl::Time expires;
  };
  void PurgeExpiredLocked(absl::Time now);

  const AuthorizationCodeOptions options_;
  mutable std::mutex mutex_;
  absl::flat_hash_map<std::string, Entry> by_hash_;  // guarded by mutex_
};

}  // namespace gatehouse::idp
