// Authentication of the admin API: OAuth 2.0 client-credentials clients whose secrets are stored
// as argon2id hashes, and ES256-signed JWT access tokens carrying Graph-style scopes ("scp").
// Unknown clients and wrong secrets get the same answer (no client enumeration).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/crypto.h"
#include "store/store.h"

namespace gatehouse::app {

inline constexpr const char* kAdminAudience = "gatehouse-admin";

// Every scope the admin API knows; a ReadWrite scope includes its Read scope.
const std::vector<std::string>& KnownAdminScopes();
// True when `granted` (space-separated or list) allows `required`.
bool ScopeAllows(const std::vector<std::string>& granted, const std::string& required);

struct AdminPrincipal {
  std::string client_id;
  std::vector<std::string> scopes;
};

// OAuth error for the token endpoint: `error` is RFC 6749's code.
struct OAuthError {
  int http_status = 400;
  std::string error;        // invalid_request, invalid_client, invalid_scope, unsupported_grant_type
  std::string description;
};

class AdminAuthority {
 public:
  AdminAuthority(store::Store& store, std::string issuer, absl::Duration token_lifetime = absl::Hours(1));

  // Loads the signing keys from the store, creating the first one when there is none.
  absl::Status Initialize();

  // Creates a client with a fresh random secret and returns the secret (shown once, stored hashed).
  absl::StatusOr<std::string> CreateClient(const std::string& client_id,
                                           const std::string& display_name,
                                           const std::vector<std::string>& scopes,
                                           const std::string& actor);
  absl::StatusOr<bool> HasClients();

  // The token endpoint: grant_type=client_credentials with client_id/client_secret (form fields or
  // HTTP Basic), optional scope. Returns the token response JSON text or an OAuthError.
  struct TokenResult {
    std::string json;
    std::optional<OAuthError> error;
  };
  TokenResult IssueToken(const std::string& form_body, const std::string& authorization_header,
                         absl::Time now);

  // Checks "Bearer <jwt>": signature by one of our keys, issuer, audience, expiry.
  absl::StatusOr<AdminPrincipal> Authenticate(const std::string& authorization_header,
                                              absl::Time now) const;

  // JWKS document of the token signing keys.
  std::string Jwks() const;
  const std::string& issuer() const { return issuer_; }

 private:
  store::Store& store_;
  std::string issuer_;
  absl::Duration token_lifetime_;
  mutable std::mutex mutex_;
  std::vector<crypto::SigningKey> keys_;  // keys_.back() signs
  crypto::JwtVerifier verifier_;
  std::string dummy_hash_;  // verified against for unknown clients, to equalise timing
};

}  // namespace gatehouse::app
