// Device identity: registration of a device key and the device proof presented at sign-in
// (DESIGN §1 steps 2 and 5; issue 5 "Device identity").
//
// A device holds a P-256 key pair; the IdP keeps its public key in the directory device record.
// To prove possession the device signs a fresh server nonce. Both registration and sign-in follow
// the same three steps:
//
//   1. The server issues a nonce: IssueNonce(purpose, binding, now). The nonce is 32 random bytes,
//      base64url (43 characters, never contains "."). It is single use, lives 120 seconds and is
//      bound to a purpose (registration or sign-in) and to a *binding* string: for sign-in the
//      id of the pending authorization request, for registration the authenticated session that
//      registers (e.g. "reg:" + session id). The binding is 1..512 printable ASCII characters
//      without spaces (0x21..0x7E).
//   2. The device signs the proof payload, the ASCII bytes
//
//          <nonce> "." <binding>
//
//      (DeviceProofPayload), with ECDSA P-256 over SHA-256 (ES256). The signature is sent in JOSE
//      form: the raw 64-byte R||S (each integer left-padded to 32 bytes), base64url without
//      padding (86 characters). DER signatures are refused. The nonce cannot contain ".", so the
//      payload splits unambiguously even when the binding does.
//   3. The server verifies: the nonce exists, is consumed (deleted) whatever the outcome, has not
//      expired (now < issued + 120 s), was issued for this purpose and this binding, and the
//      signature verifies under the device's public key. Every refusal is Unauthenticated with a
//      message for the log; replays (nonce already consumed), foreign nonces (issued for another
//      binding or purpose, or never issued) and signatures by another key are all refused.
//
// Registration posts the device's public JWK ({"kty":"EC","crv":"P-256","x","y"}, optional
// "kid", "use":"sig", "alg":"ES256"; a private member "d" is refused) with a proof over a
// registration nonce, and yields the parsed key, its RFC 7638 thumbprint and a new directory device
// id, for a device record with trustType "Workplace" and the registering user as owner.
//
// DevicePublicKey is immutable and thread-safe. DeviceProofVerifier is thread-safe (one mutex) and
// in memory: nonces live two minutes, so a restart only fails the sign-ins in flight. Every call
// takes an explicit `now`. SignDeviceProof is the device side (agent, tests).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/crypto.h"

namespace gatehouse::idp {

inline constexpr std::size_t kMaxDeviceProofBindingLength = 512;
inline constexpr std::size_t kMaxDeviceJwkLength = 4096;

enum class DeviceProofPurpose { kRegistration, kSignIn };

// A device's P-256 public key.
class DevicePublicKey {
 public:
  // Parses a public JWK. InvalidArgument for anything but an EC P-256 public key on the curve
  // (wrong kty/crv/alg/use, missing or short coordinates, private "d" present, over
  // kMaxDeviceJwkLength characters, not JSON).
  static absl::StatusOr<DevicePublicKey> FromJwk(std::string_view jwk_json);

  // The canonical public JWK, members in RFC 7638 order: {"crv","kty","x","y"}. What the device
  // record stores; FromJwk(Jwk()) gives the same key.
  const std::string& Jwk() const { return key_.Jwk(); }
  // RFC 7638 JWK thumbprint: base64url(SHA-256(canonical JWK)). Stable key identifier.
  std::string Thumbprint() const { return key_.Thumbprint(); }

  // True when `signature_b64url` is a valid ES256 (raw R||S, base64url) signature of `message`.
  bool VerifySignature(std::string_view message, std::string_view signature_b64url) const;

 private:
  explicit DevicePublicKey(crypto::P256PublicKey key) : key_(std::move(key)) {}
  crypto::P256PublicKey key_;
};

// The exact bytes a device signs: nonce + "." + binding.
std::string DeviceProofPayload(std::string_view nonce, std::string_view binding);

// Device side: signs DeviceProofPayload(nonce, binding) with a PEM (PKCS#8 or SEC1, unencrypted)
// P-256 private key; returns the base64url raw R||S signature. InvalidArgument for a bad key.
absl::StatusOr<std::string> SignDeviceProof(std::string_view private_key_pem,
                                            std::string_view nonce, std::string_view binding);

// What a successful registration yields, for the directory device record.
struct DeviceRegistration {
  std::string device_id;  // new directory device id: a random (v4) GUID, lower case
  DevicePublicKey public_key;
  std::string key_thumbprint;    // RFC 7638
  std::string trust_type;        // always "Workplace" (registered, not joined)
  std::string registered_owner;  // the user who registered the device
  absl::Time registered_at;
};

struct DeviceProofOptions {
  absl::Duration nonce_lifetime = absl::Seconds(120);
  std::size_t max_outstanding = 100000;  // bound on memory; expired nonces are purged first
};

class DeviceProofVerifier {
 public:
  explicit DeviceProofVerifier(DeviceProofOptions options = {});

  // Issues a nonce for `purpose` bound to `binding`. InvalidArgument for a malformed binding;
  // ResourceExhausted when `max_outstanding` unexpired nonces are waiting.
  absl::StatusOr<std::string> IssueNonce(DeviceProofPurpose purpose, std::string_view binding,
                                         absl::Time now);

  // Sign-in proof by the device whose stored key is `key`. See the header comment for the checks.
  absl::Status VerifySignInProof(const DevicePublicKey& key, std::string_view nonce,
                                 std::string_view binding, std::string_view signature,
                                 absl::Time now);

  // Registration: parses `public_jwk` (InvalidArgument when malformed; the nonce is then still
  // consumed), then checks the proof like VerifySignInProof with the registration purpose. On
  // success returns the record fields with a new device id owned by `owner_user_id`.
  absl::StatusOr<DeviceRegistration> VerifyRegistration(
      std::string_view public_jwk, std::string_view nonce, std::string_view binding,
      std::string_view signature, std::string_view owner_user_id, absl::Time now);

  std::size_t outstanding() const;
  void PurgeExpired(absl::Time now);

 private:
  struct Nonce {
    DeviceProofPurpose purpose = DeviceProofPurpose::kSignIn;
    std::string binding;
    absl::Time expires;
  };
  // Consumes `nonce` and checks expiry, purpose and binding.
  absl::Status Consume(DeviceProofPurpose purpose, std::string_view nonce, std::string_view binding,
                       absl::Time now);
  void PurgeExpiredLocked(absl::Time now);

  const DeviceProofOptions options_;
  mutable std::mutex mutex_;
  absl::flat_hash_map<std::string, Nonce> nonces_;  // guarded by mutex_
};

}  // namespace gatehouse::idp
