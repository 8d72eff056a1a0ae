// Cryptographic building blocks on OpenSSL 3 and libargon2: random tokens, SHA-256, argon2id
// password/secret hashing, and ES256 JSON Web Signatures with key ids. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gatehouse::crypto {

// `bytes` random bytes from the OS CSPRNG, base64url without padding.
std::string RandomToken(std::size_t bytes = 32);
// A random (version 4, RFC 4122) GUID in lower case, from the CSPRNG: directory object ids.
std::string RandomGuid();
// Lower-case hex SHA-256.
std::string Sha256Hex(std::string_view data);
std::string Base64UrlEncode(std::string_view data);
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text);

struct Argon2Params {
  std::uint32_t memory_kib = 19 * 1024;  // OWASP minimum for argon2id
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;
};
// Encoded argon2id hash ("$argon2id$v=19$m=...,t=...,p=...$salt$hash") with a random salt.
absl::StatusOr<std::string> HashSecret(std::string_view secret, const Argon2Params& params = {});
// Constant-time verification against an encoded hash; false for a malformed hash.
bool VerifySecret(std::string_view secret, std::string_view encoded_hash);

// A P-256 public key for ES256 verification. Immutable, cheap to copy, thread-safe.
class P256PublicKey {
 public:
  // Parses a public JWK: "kty":"EC", "crv":"P-256", "x" and "y" base64url of 32 bytes each,
  // optional "alg":"ES256" and "use":"sig"; other members ("kid", ...) are ignored. InvalidArgument
  // (message prefixed "jwk: ") for text that is not a JSON object, another key type or curve,
  // missing or wrong-length coordinates, a private member "d", or a point not on P-256.
  static absl::StatusOr<P256PublicKey> FromJwk(std::string_view jwk_json);
  // From the raw big-endian affine coordinates (32 bytes each). InvalidArgument when the point is
  // not a valid P-256 public key.
  static absl::StatusOr<P256PublicKey> FromCoordinates(std::string_view x, std::string_view y);

  // The canonical public JWK, RFC 7638 §3.2 (required members, lexicographic order, no
  // whitespace): {"crv":"P-256","kty":"EC","x":...,"y":...}. FromJwk(Jwk()) gives the same key.
  const std::string& Jwk() const;
  // RFC 7638 JWK thumbprint: base64url(SHA-256(Jwk())).
  std::string Thumbprint() const;
  // Raw 32-byte coordinates.
  const std::string& x() const;
  const std::string& y() const;

  // True when `signature` is a valid ES256 signature of `data` in JOSE form: raw R||S, exactly 64
  // bytes (not DER, not base64url). Never leaves an OpenSSL error behind.
  bool VerifyEs256(std::string_view data, std::string_view signature) const;

 private:
  struct Key;
  explicit P256PublicKey(std::shared_ptr<const Key> key);
  std::shared_ptr<const Key> key_;
};

// A P-256 key pair for ES256.
class SigningKey {
 public:
  static absl::StatusOr<SigningKey> Generate(std::string key_id);
  // PEM (PKCS#8) private key as stored; the key id travels separately.
  static absl::StatusOr<SigningKey> FromPem(std::string key_id, std::string_view private_pem);
  std::string PrivatePem() const;
  // Public JWK: {"kty":"EC","crv":"P-256","x","y","kid","use":"sig","alg":"ES256"}.
  std::string PublicJwk() const;
  const std::string& key_id() const { return key_id_; }

  // ES256 signature of `data` in JOSE form: raw R||S, 64 bytes (not DER, not base64url).
  absl::StatusOr<std::string> SignEs256(std::string_view data) const;

  // Compact JWS (header {"alg":"ES256","typ":"JWT","kid"}) over `payload_json`; signature is
  // JOSE raw R||S (64 bytes), not DER.
  absl::StatusOr<std::string> SignJwt(std::string_view payload_json) const;

  struct Key;
  SigningKey(std::string key_id, std::shared_ptr<Key> key);

 private:
  std::string key_id_;
  std::shared_ptr<Key> key_;
};

// Verifies public keys by kid. Only ES256 is accepted (never "none", never the token's choice of
// algorithm for another key type).
class JwtVerifier {
 public:
  // Adds a public key from a JWK JSON text (EC P-256).
  absl::Status AddJwk(std::string_view jwk_json);
  // Verifies signature and returns the payload JSON text. Unauthenticated for a bad token (bad
  // format, unknown kid, wrong alg, bad signature). Does not check claims (exp, aud, ...).
  absl::StatusOr<std::string> Verify(std::string_view compact_jws) const;

  struct Keys;
  JwtVerifier();
  ~JwtVerifier();
  JwtVerifier(JwtVerifier&&) noexcept;
  JwtVerifier& operator=(JwtVerifier&&) noexcept;

 private:
  std::unique_ptr<Keys> keys_;
};

}  // namespace gatehouse::crypto
