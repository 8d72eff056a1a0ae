#include "idp/device_proof.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "gtest/gtest.h"

namespace gatehouse::idp {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1714557600);

struct TestDevice {
  std::string private_pem;
  std::string public_jwk;
};

TestDevice NewDevice() {
  const crypto::SigningKey key = *crypto::SigningKey::Generate("device-key");
  return TestDevice{key.PrivatePem(), key.PublicJwk()};
}

// A registered device: its stored public key as the directory keeps it.
struct Fixture {
  DeviceProofVerifier verifier;
  TestDevice device = NewDevice();
  DevicePublicKey key = *DevicePublicKey::FromJwk(device.public_jwk);

  std::string Sign(const std::string& nonce, const std::string& binding) {
    return *SignDeviceProof(device.private_pem, nonce, binding);
  }
};

TEST(DeviceProofPayload, IsNonceDotBinding) {
  EXPECT_EQ(DeviceProofPayload("abc", "authz-1.x"), "abc.authz-1.x");
}

TEST(DeviceSignInProof, AcceptsAFreshProofForTheBoundRequest) {
  Fixture f;
  const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  EXPECT_EQ(nonce.size(), 43u);
  const std::string signature = f.Sign(nonce, "authz-1");
  EXPECT_EQ(signature.size(), 86u);
  EXPECT_TRUE(
      f.verifier.VerifySignInProof(f.key, nonce, "authz-1", signature, kNow + absl::Seconds(3))
          .ok());
  EXPECT_EQ(f.verifier.outstanding(), 0u);
}

TEST(DeviceSignInProof, RefusesAReplayedProof) {
  Fixture f;
  const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  const std::string signature = f.Sign(nonce, "authz-1");
  ASSERT_TRUE(f.verifier.VerifySignInProof(f.key, nonce, "authz-1", signature, kNow).ok());
  const absl::Status replay =
      f.verifier.VerifySignInProof(f.key, nonce, "authz-1", signature, kNow);
  EXPECT_EQ(replay.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(replay.message(), "device proof: nonce is unknown or was already used");
}

TEST(DeviceSignInProof, RefusesAProofSignedByAnotherDevice) {
  Fixture f;
  const TestDevice other = NewDevice();
  const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  const std::string signature = *SignDeviceProof(other.private_pem, nonce, "authz-1");
  const absl::Status status =
      f.verifier.VerifySignInProof(f.key, nonce, "authz-1", signature, kNow);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(status.message(), "device proof: signature does not verify with the device key");
}

TEST(DeviceSignInProof, RefusesAProofForAnotherRequestBinding) {
  Fixture f;
  const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  // Signed and presented for another authorization request.
  const std::string signature = f.Sign(nonce, "authz-2");
  const absl::Status status =
      f.verifier.VerifySignInProof(f.key, nonce, "authz-2", signature, kNow);
  EXPECT_EQ(status.message(), "device proof: nonce was issued for another request");
}

TEST(DeviceSignInProof, RefusesASignatureOverAnotherBindingThanPresented) {
  Fixture f;
  const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  const std::string signature = f.Sign(nonce, "authz-2");
  EXPECT_FALSE(f.verifier.VerifySignInProof(f.key, nonce, "authz-1", signature, kNow).ok());
}

TEST(DeviceSignInProof, RefusesAForeignNonceNeverIssuedByThisServer) {
  Fixture f;
  const std::string nonce = crypto::RandomToken(32);
  const std::string signature = f.Sign(nonce, "authz-1");
  EXPECT_EQ(f.verifier.VerifySignInProof(f.key, nonce, "authz-1", signature, kNow).message(),
            "device proof: nonce is unknown or was already used");
}

TEST(DeviceSignInProof, RefusesANonceIssuedByAnotherServerInstance) {
  Fixture f;
  DeviceProofVerifier other;
  const std::string nonce = *other.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  EXPECT_FALSE(
      f.verifier.VerifySignInProof(f.key, nonce, "authz-1", f.Sign(nonce, "authz-1"), kNow).ok());
}

TEST(DeviceSignInProof, RefusesAnExpiredNonce) {
  Fixture f;
  const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  const absl::Status status = f.verifier.VerifySignInProof(
      f.key, nonce, "authz-1", f.Sign(nonce, "authz-1"), kNow + absl::Seconds(120));
  EXPECT_EQ(status.message(), "device proof: nonce has expired");
}

TEST(DeviceSignInProof, AcceptsANonceJustBeforeItExpires) {
  Fixture f;
  const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  EXPECT_TRUE(f.verifier
                  .VerifySignInProof(f.key, nonce, "authz-1", f.Sign(nonce, "authz-1"),
                                     kNow + absl::Seconds(119))
                  .ok());
}

TEST(DeviceSignInProof, RefusesARegistrationNonceForSignIn) {
  Fixture f;
  const std::string nonce =
      *f.verifier.IssueNonce(DeviceProofPurpose::kRegistration, "authz-1", kNow);
  EXPECT_EQ(f.verifier.VerifySignInProof(f.key, nonce, "authz-1", f.Sign(nonce, "authz-1"), kNow)
                .message(),
            "device proof: nonce was issued for another purpose");
}

TEST(DeviceSignInProof, ConsumesTheNonceEvenWhenTheSignatureIsBad) {
  Fixture f;
  const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  const std::string bad = std::string(86, 'A');
  EXPECT_FALSE(f.verifier.VerifySignInProof(f.key, nonce, "authz-1", bad, kNow).ok());
  EXPECT_FALSE(
      f.verifier.VerifySignInProof(f.key, nonce, "authz-1", f.Sign(nonce, "authz-1"), kNow).ok());
}

TEST(DeviceSignInProof, RefusesTamperedAndMalformedSignatures) {
  Fixture f;
  for (const std::string& mutate :
       {std::string("flip"), std::string("der"), std::string("short"), std::string("padded")}) {
    const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
    std::string signature = f.Sign(nonce, "authz-1");
    if (mutate == "flip") signature[10] = signature[10] == 'A' ? 'B' : 'A';
    if (mutate == "der") signature = crypto::Base64UrlEncode(std::string(70, '\x30'));
    if (mutate == "short") signature.pop_back();
    if (mutate == "padded") signature += "==";
    EXPECT_FALSE(f.verifier.VerifySignInProof(f.key, nonce, "authz-1", signature, kNow).ok())
        << mutate;
  }
}

TEST(DeviceSignInProof, RefusesAnAllZeroSignature) {
  Fixture f;
  const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  const std::string zero = crypto::Base64UrlEncode(std::string(64, '\0'));
  EXPECT_FALSE(f.verifier.VerifySignInProof(f.key, nonce, "authz-1", zero, kNow).ok());
}

TEST(DeviceSignInProof, ConcurrentPresentationsOfOneProofSucceedExactlyOnce) {
  Fixture f;
  const std::string nonce = *f.verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-1", kNow);
  const std::string signature = f.Sign(nonce, "authz-1");
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (f.verifier.VerifySignInProof(f.key, nonce, "authz-1", signature, kNow).ok()) ++successes;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(successes.load(), 1);
}

TEST(DeviceProofVerifier, RefusesMalformedBindings) {
  DeviceProofVerifier verifier;
  EXPECT_EQ(verifier.IssueNonce(DeviceProofPurpose::kSignIn, "", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(verifier.IssueNonce(DeviceProofPurpose::kSignIn, "a b", kNow).ok());
  EXPECT_FALSE(verifier.IssueNonce(DeviceProofPurpose::kSignIn, std::string(513, 'a'), kNow).ok());
  EXPECT_TRUE(verifier.IssueNonce(DeviceProofPurpose::kSignIn, std::string(512, 'a'), kNow).ok());
}

TEST(DeviceProofVerifier, IsBoundedAndPurgesExpiredNoncesToMakeRoom) {
  DeviceProofVerifier verifier(DeviceProofOptions{.max_outstanding = 1});
  ASSERT_TRUE(verifier.IssueNonce(DeviceProofPurpose::kSignIn, "a", kNow).ok());
  EXPECT_EQ(verifier.IssueNonce(DeviceProofPurpose::kSignIn, "b", kNow).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(
      verifier.IssueNonce(DeviceProofPurpose::kSignIn, "b", kNow + absl::Seconds(120)).ok());
}

TEST(DeviceRegistration, ReturnsTheKeyAndANewWorkplaceDeviceOwnedByTheUser) {
  DeviceProofVerifier verifier;
  const TestDevice device = NewDevice();
  const std::string nonce =
      *verifier.IssueNonce(DeviceProofPurpose::kRegistration, "reg:session-1", kNow);
  const std::string signature = *SignDeviceProof(device.private_pem, nonce, "reg:session-1");
  const absl::StatusOr<DeviceRegistration> registration = verifier.VerifyRegistration(
      device.public_jwk, nonce, "reg:session-1", signature, "user-alice", kNow);
  ASSERT_TRUE(registration.ok()) << registration.status();
  EXPECT_EQ(registration->trust_type, "Workplace");
  EXPECT_EQ(registration->registered_owner, "user-alice");
  EXPECT_EQ(registration->registered_at, kNow);
  ASSERT_EQ(registration->device_id.size(), 36u);
  EXPECT_EQ(registration->device_id[14], '4');  // GUID version 4
  EXPECT_EQ(registration->key_thumbprint, registration->public_key.Thumbprint());
  // The stored key verifies the device's later sign-in proofs.
  const DevicePublicKey stored = *DevicePublicKey::FromJwk(registration->public_key.Jwk());
  const std::string sign_in = *verifier.IssueNonce(DeviceProofPurpose::kSignIn, "authz-9", kNow);
  EXPECT_TRUE(verifier
                  .VerifySignInProof(stored, sign_in, "authz-9",
                                     *SignDeviceProof(device.private_pem, sign_in, "authz-9"), kNow)
                  .ok());
}

TEST(DeviceRegistration, RefusesAProofByAKeyOtherThanThePostedOne) {
  DeviceProofVerifier verifier;
  const TestDevice device = NewDevice();
  const TestDevice attacker = NewDevice();
  const std::string nonce = *verifier.IssueNonce(DeviceProofPurpose::kRegistration, "reg:s", kNow);
  const absl::StatusOr<DeviceRegistration> registration = verifier.VerifyRegistration(
      device.public_jwk, nonce, "reg:s", *SignDeviceProof(attacker.private_pem, nonce, "reg:s"),
      "user-alice", kNow);
  EXPECT_EQ(registration.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(DeviceRegistration, RefusesASignInNonce) {
  DeviceProofVerifier verifier;
  const TestDevice device = NewDevice();
  const std::string nonce = *verifier.IssueNonce(DeviceProofPurpose::kSignIn, "reg:s", kNow);
  EXPECT_FALSE(verifier
                   .VerifyRegistration(device.public_jwk, nonce, "reg:s",
                                       *SignDeviceProof(device.private_pem, nonce, "reg:s"),
                                       "user-alice", kNow)
                   .ok());
}

TEST(DeviceRegistration, RefusesAReplayedRegistration) {
  DeviceProofVerifier verifier;
  const TestDevice device = NewDevice();
  const std::string nonce = *verifier.IssueNonce(DeviceProofPurpose::kRegistration, "reg:s", kNow);
  const std::string signature = *SignDeviceProof(device.private_pem, nonce, "reg:s");
  ASSERT_TRUE(
      verifier.VerifyRegistration(device.public_jwk, nonce, "reg:s", signature, "u", kNow).ok());
  EXPECT_FALSE(
      verifier.VerifyRegistration(device.public_jwk, nonce, "reg:s", signature, "u", kNow).ok());
}

TEST(DeviceRegistration, RefusesAMalformedKeyAndStillConsumesTheNonce) {
  DeviceProofVerifier verifier;
  const TestDevice device = NewDevice();
  const std::string nonce = *verifier.IssueNonce(DeviceProofPurpose::kRegistration, "reg:s", kNow);
  const std::string signature = *SignDeviceProof(device.private_pem, nonce, "reg:s");
  EXPECT_EQ(verifier.VerifyRegistration("{}", nonce, "reg:s", signature, "u", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(verifier.outstanding(), 0u);
}

TEST(DevicePublicKey, ParsesAPublicJwkToItsCanonicalForm) {
  const TestDevice device = NewDevice();
  const absl::StatusOr<DevicePublicKey> key = DevicePublicKey::FromJwk(device.public_jwk);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->Jwk().rfind("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"", 0), 0u);
  EXPECT_EQ(DevicePublicKey::FromJwk(key->Jwk())->Thumbprint(), key->Thumbprint());
}

TEST(DevicePublicKey, ThumbprintFollowsRfc7638) {
  // The P-256 key of RFC 7517 Appendix A.1; the thumbprint was computed independently (Python
  // hashlib over the RFC 7638 canonical members).
  const std::string jwk =
      R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
      R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
  const DevicePublicKey key = *DevicePublicKey::FromJwk(jwk);
  EXPECT_EQ(key.Jwk(),
            R"({"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
            R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");
  EXPECT_EQ(key.Thumbprint(), "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U");
}

TEST(DevicePublicKey, RefusesKeysThatAreNotP256Public) {
  const std::string x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
  const std::string y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
  const auto jwk = [&](const std::string& extra, const std::string& kty, const std::string& crv,
                       const std::string& yy) {
    return R"({"kty":")" + kty + R"(","crv":")" + crv + R"(","x":")" + x + R"(","y":")" + yy +
           "\"" + extra + "}";
  };
  ASSERT_TRUE(DevicePublicKey::FromJwk(jwk("", "EC", "P-256", y)).ok());
  EXPECT_FALSE(DevicePublicKey::FromJwk(jwk("", "RSA", "P-256", y)).ok());
  EXPECT_FALSE(DevicePublicKey::FromJwk(jwk("", "EC", "P-384", y)).ok());
  EXPECT_FALSE(DevicePublicKey::FromJwk(jwk(R"(,"alg":"RS256")", "EC", "P-256", y)).ok());
  EXPECT_FALSE(DevicePublicKey::FromJwk(jwk(R"(,"use":"enc")", "EC", "P-256", y)).ok());
  EXPECT_FALSE(DevicePublicKey::FromJwk(jwk(R"(,"d":"AAAA")", "EC", "P-256", y)).ok());
  EXPECT_FALSE(DevicePublicKey::FromJwk(jwk("", "EC", "P-256", x)).ok());  // not on the curve
  EXPECT_FALSE(DevicePublicKey::FromJwk(jwk("", "EC", "P-256", y.substr(1))).ok());
  EXPECT_FALSE(DevicePublicKey::FromJwk("[]").ok());
  EXPECT_FALSE(DevicePublicKey::FromJwk("not json").ok());
  EXPECT_FALSE(DevicePublicKey::FromJwk(std::string(5000, ' ')).ok());
}

TEST(DevicePublicKey, VerifiesARawSignatureMadeByAnotherImplementation) {
  // Signed with the OpenSSL command line (DER converted to R||S), as the seed corpus of the
  // device_proof fuzzer: the wire format is not merely our own signer's.
  const DevicePublicKey key = *DevicePublicKey::FromJwk(
      R"({"kty":"EC","crv":"P-256","x":"kWqGYDjJswtB1Q_AXhgW9PaiN46L3vRIqJu3px4we9o",)"
      R"("y":"mdhDliD7KdDBQeNxwlCClj7ANJp5nrbyODH6KfYmW7E"})");
  const std::string signature =
      "ayAZBa80XFC9fd_Rd0UPVnUj44t_2q7a2FrdxidikupXdUwX3CgPRjfVT_15QM6U8x_E73kl7_0zTW1HR80_JQ";
  EXPECT_TRUE(key.VerifySignature("fuzz-nonce.authz-1", signature));
  EXPECT_FALSE(key.VerifySignature("fuzz-nonce.authz-2", signature));
}

TEST(SignDeviceProof, RefusesAKeyThatIsNotAP256PrivateKey) {
  EXPECT_EQ(SignDeviceProof("not a pem", "n", "b").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gatehouse::idp
