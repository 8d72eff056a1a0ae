// libFuzzer target for the device proof parsers and checks (idp/device_proof.h): the public JWK a
// device posts at registration, and the signature and binding it presents at sign-in, all
// untrusted. Input: three fields separated by "\n": <jwk> "\n" <signature> "\n" <binding> (missing
// fields are empty).
//
// Beyond "no crash, no sanitizer report" it checks the contract:
// - DevicePublicKey::FromJwk answers OK or InvalidArgument; an accepted key re-parses from its
//   canonical JWK to the same thumbprint.
// - A proof over a nonce the verifier issued cannot be forged by the input (the nonce is random):
//   it is refused as Unauthenticated, and the nonce is consumed (a second attempt is refused too,
//   as "unknown"). Registration with the input's JWK is refused as InvalidArgument or
//   Unauthenticated, never accepted.
// - The fixed fuzz key also verifies the input's signature over "fuzz-nonce." + binding, so the
//   seed corpus (signed with that key) reaches the successful ECDSA path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idp/device_proof.h"

namespace {

using gatehouse::idp::DeviceProofPayload;
using gatehouse::idp::DeviceProofPurpose;
using gatehouse::idp::DeviceProofVerifier;
using gatehouse::idp::DevicePublicKey;

// Test-only public key (the private half signed the seeds in corpus/device_proof/).
constexpr std::string_view kFuzzJwk =
    R"({"kty":"EC","crv":"P-256","x":"kWqGYDjJswtB1Q_AXhgW9PaiN46L3vRIqJu3px4we9o",)"
    R"("y":"mdhDliD7KdDBQeNxwlCClj7ANJp5nrbyODH6KfYmW7E"})";

void Check(bool condition) {
  if (!condition) std::abort();
}

const DevicePublicKey& FuzzKey() {
  static const DevicePublicKey* key = [] {
    absl::StatusOr<DevicePublicKey> parsed = DevicePublicKey::FromJwk(kFuzzJwk);
    Check(parsed.ok());
    return new DevicePublicKey(*std::move(parsed));
  }();
  return *key;
}

std::string_view NextField(std::string_view& rest) {
  const std::size_t newline = rest.find('\n');
  const std::string_view field = rest.substr(0, newline);
  rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  return field;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view jwk = NextField(rest);
  const std::string_view signature = NextField(rest);
  const std::string_view binding = NextField(rest);
  const absl::Time now = absl::FromUnixSeconds(1714557600);

  absl::StatusOr<DevicePublicKey> key = DevicePublicKey::FromJwk(jwk);
  Check(key.ok() || key.status().code() == absl::StatusCode::kInvalidArgument);
  if (key.ok()) {
    absl::StatusOr<DevicePublicKey> again = DevicePublicKey::FromJwk(key->Jwk());
    Check(again.ok() && again->Thumbprint() == key->Thumbprint() && again->Jwk() == key->Jwk());
  }

  // Reaches ECDSA verification with a real key; the seeds make this succeed.
  (void)FuzzKey().VerifySignature(DeviceProofPayload("fuzz-nonce", binding), signature);
  if (key.ok()) (void)key->VerifySignature(DeviceProofPayload("fuzz-nonce", binding), signature);

  DeviceProofVerifier verifier;
  absl::StatusOr<std::string> nonce =
      verifier.IssueNonce(DeviceProofPurpose::kSignIn, binding, now);
  Check(nonce.ok() || nonce.status().code() == absl::StatusCode::kInvalidArgument);
  if (nonce.ok()) {
    const absl::Status first =
        verifier.VerifySignInProof(FuzzKey(), *nonce, binding, signature, now);
    Check(first.code() == absl::StatusCode::kUnauthenticated);
    const absl::Status second =
        verifier.VerifySignInProof(FuzzKey(), *nonce, binding, signature, now);
    Check(second.code() == absl::StatusCode::kUnauthenticated);
    Check(verifier.outstanding() == 0);
  }

  absl::StatusOr<std::string> registration_nonce =
      verifier.IssueNonce(DeviceProofPurpose::kRegistration, binding, now);
  if (registration_nonce.ok()) {
    absl::StatusOr<gatehouse::idp::DeviceRegistration> registration =
        verifier.VerifyRegistration(jwk, *registration_nonce, binding, signature, "fuzz-user", now);
    Check(!registration.ok() &&
          (registration.status().code() == absl::StatusCode::kInvalidArgument ||
           registration.status().code() == absl::StatusCode::kUnauthenticated));
    Check(verifier.outstanding() == 0);
  }
  return 0;
}
