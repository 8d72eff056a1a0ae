// Token claims and the signing key ring of the OpenID provider.
//
// Claims: BuildIdTokenClaims / BuildAccessTokenClaims produce the JSON payload text that
// crypto::SigningKey::SignJwt (ES256, header carries the kid) signs. Times are NumericDate
// (whole Unix seconds). The ID token follows OpenID Connect Core §2; the access token follows the
// JWT profile for access tokens (RFC 9068). Both carry `amr` (RFC 8176 values: "pwd", "otp",
// "mfa", ...), `deviceid` (the directory device id proven at sign-in, omitted when no device
// identity was presented) and `sid` (the IdP session).
//
// KeyRing: the keys that sign tokens and the JWKS that verifiers fetch. Timeline of one key:
//
//   created as `next`  ── published in the JWKS, signs nothing (verifiers cache it)
//   Rotate(now)        ── becomes `active`: signs every new token; a fresh `next` is created
//   Rotate(now')       ── becomes `retired` at now': still published until
//                         now' + max_token_lifetime + clock_skew, then dropped (PurgeExpired)
//
// Rotate refuses (FailedPrecondition) to activate a `next` key that has been published for less
// than `min_next_publication`, so a verifier refreshing its JWKS cache on that period has always
// seen a key before the first token it signs. ReplaceCompromisedActive is the emergency path: the
// active key leaves the JWKS at once (every token it signed stops verifying) and `next` is promoted
// without the waiting period.
//
// A KeyRing is a value: not thread-safe to mutate; the server holds a
// std::shared_ptr<const KeyRing>, and to rotate copies it, rotates the copy, persists Serialize()
// (store kind kSigningKey) and swaps the pointer. Const methods are safe to call concurrently.
// Every method takes an explicit `now`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/crypto.h"

namespace gatehouse::idp {

struct IdTokenClaims {
  std::string issuer;
  std::string subject;   // the user's directory id
  std::string audience;  // the client id
  absl::Time issued_at = absl::InfinitePast();
  absl::Duration lifetime = absl::Hours(1);
  absl::Time auth_time = absl::InfinitePast();
  std::optional<std::string> nonce;  // echoed from the authorization request
  std::vector<std::string> amr;
  std::optional<std::string> acr;
  std::optional<std::string> device_id;
  std::optional<std::string> session_id;
  // Profile claims, included when set (scopes profile / email).
  std::optional<std::string> name;
  std::optional<std::string> preferred_username;
  std::optional<std::string> email;
};

struct AccessTokenClaims {
  std::string issuer;
  std::string subject;
  std::string audience;  // the resource (API) the token is for
  std::string client_id;
  std::string scope;
  absl::Time issued_at = absl::InfinitePast();
  absl::Duration lifetime = absl::Hours(1);
  std::string jwt_id;  // "jti"; a random one is generated when empty
  absl::Time auth_time = absl::InfinitePast();
  std::vector<std::string> amr;
  std::optional<std::string> device_id;
  std::optional<std::string> session_id;
};

// JSON object text with iss, sub, aud, exp, iat, auth_time, nonce?, amr, acr?, deviceid?, sid?,
// profile claims. InvalidArgument when issuer, subject or audience is empty, a time is infinite,
// or lifetime is not positive.
absl::StatusOr<std::string> BuildIdTokenClaims(const IdTokenClaims& claims);
// iss, sub, aud, client_id, scope, exp, iat, jti, auth_time, amr, deviceid?, sid?. Same errors,
// also for an empty client_id.
absl::StatusOr<std::string> BuildAccessTokenClaims(const AccessTokenClaims& claims);

struct KeyRingOptions {
  // The longest lifetime of any token the ring signs (ID and access tokens); a retired key stays
  // published this long (plus clock_skew) after its last signature.
  absl::Duration max_token_lifetime = absl::Hours(1);
  absl::Duration clock_skew = absl::Minutes(5);
  // How long `next` must have been published before Rotate activates it: at least the JWKS cache
  // lifetime verifiers use (our JWKS response says max-age accordingly).
  absl::Duration min_next_publication = absl::Hours(24);
};

enum class KeyState { kActive, kNext, kRetired };

struct KeyRingEntry {
  crypto::SigningKey key;
  KeyState state = KeyState::kNext;
  absl::Time created;        // = first published
  absl::Time publish_until;  // retired keys only; InfiniteFuture otherwise
};

class KeyRing {
 public:
  // A new ring: an active and a next key, both created (published) at `now`.
  static absl::StatusOr<KeyRing> Create(absl::Time now, KeyRingOptions options = {});
  // Reads Serialize() output. InvalidArgument when malformed: not exactly one active and one next
  // key, duplicate kids, a PEM that is not a P-256 private key, unknown version or state.
  static absl::StatusOr<KeyRing> Restore(std::string_view json, KeyRingOptions options = {});
  // {"version":1,"keys":[{"kid","state":"active|next|retired","created","publishUntil"?,
  //   "privateKeyPem"}]} — times ISO 8601 UTC. Contains private keys: store it like a secret.
  std::string Serialize() const;

  const crypto::SigningKey& active() const;
  const crypto::SigningKey& next() const;
  const std::vector<KeyRingEntry>& entries() const { return entries_; }

  // Signs `claims_json` with the active key (compact JWS, kid in the header).
  absl::StatusOr<std::string> Sign(std::string_view claims_json) const;

  // next → active, active → retired (published until now + max_token_lifetime + clock_skew), new
  // next; drops expired retired keys. FailedPrecondition when next has been published for less
  // than min_next_publication (nothing changes).
  absl::Status Rotate(absl::Time now);
  // Emergency: the active key is removed at once, next becomes active, a new next is created.
  absl::Status ReplaceCompromisedActive(absl::Time now);

  // {"keys":[active, next, retired still within publish_until...]} as public JWKs.
  std::string PublishedJwks(absl::Time now) const;
  std::vector<std::string> PublishedKeyIds(absl::Time now) const;
  // Forgets retired keys whose publish_until has passed.
  void PurgeExpired(absl::Time now);

 private:
  explicit KeyRing(KeyRingOptions options) : options_(options) {}
  std::size_t IndexOf(KeyState state) const;

  KeyRingOptions options_;
  std::vector<KeyRingEntry> entries_;
};

}  // namespace gatehouse::idp
