#include "idp/device_proof.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "crypto/crypto.h"
#include "nlohmann/json.hpp"

namespace gatehouse::idp {
namespace {

constexpr std::size_t kCoordinateBytes = 32;
constexpr std::size_t kSignatureBytes = 64;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;

// The OpenSSL error queue is per thread; never leave a failure behind for an unrelated caller.
void DrainOpenSslErrors() {
  while (ERR_get_error() != 0) {
  }
}

int NoPassphrase(char*, int, int, void*) { return -1; }

bool IsP256(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "EC") != 1) return false;
  std::array<char, 64> group{};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                     &length) != 1) {
    return false;
  }
  return std::string_view(group.data(), length) == "prime256v1";
}

const std::string* StringMember(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

bool IsValidBinding(std::string_view binding) {
  if (binding.empty() || binding.size() > kMaxDeviceProofBindingLength) return false;
  for (const char c : binding) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

std::string NewGuid() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

// JOSE R||S (64 bytes) → DER; empty on failure.
std::vector<unsigned char> RawToDer(std::string_view raw) {
  const auto* in = reinterpret_cast<const unsigned char*>(raw.data());
  BnPtr r(BN_bin2bn(in, kCoordinateBytes, nullptr));
  BnPtr s(BN_bin2bn(in + kCoordinateBytes, kCoordinateBytes, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr ||
      ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return {};
  }
  r.release();  // Owned by `sig` now.
  s.release();
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return {};
  std::vector<unsigned char> der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &cursor) != length) return {};
  return der;
}

}  // namespace

struct DevicePublicKey::Key {
  PkeyPtr pkey;
};

DevicePublicKey::DevicePublicKey(std::shared_ptr<const Key> key, std::string canonical_jwk)
    : key_(std::move(key)), canonical_jwk_(std::move(canonical_jwk)) {}

absl::StatusOr<DevicePublicKey> DevicePublicKey::FromJwk(std::string_view jwk_json) {
  if (jwk_json.size() > kMaxDeviceJwkLength) {
    return absl::InvalidArgumentError("device key: JWK is too long");
  }
  const nlohmann::json jwk =
      nlohmann::json::parse(jwk_json.begin(), jwk_json.end(), nullptr, /*allow_exceptions=*/false);
  if (!jwk.is_object()) return absl::InvalidArgumentError("device key: JWK is not a JSON object");
  const std::string* kty = StringMember(jwk, "kty");
  const std::string* crv = StringMember(jwk, "crv");
  if (kty == nullptr || *kty != "EC") {
    return absl::InvalidArgumentError("device key: kty must be \"EC\"");
  }
  if (crv == nullptr || *crv != "P-256") {
    return absl::InvalidArgumentError("device key: crv must be \"P-256\"");
  }
  if (jwk.contains("d")) {
    return absl::InvalidArgumentError("device key: a private key was sent; send the public JWK");
  }
  if (jwk.contains("alg")) {
    const std::string* alg = StringMember(jwk, "alg");
    if (alg == nullptr || *alg != "ES256") {
      return absl::InvalidArgumentError("device key: alg must be \"ES256\"");
    }
  }
  if (jwk.contains("use")) {
    const std::string* use = StringMember(jwk, "use");
    if (use == nullptr || *use != "sig") {
      return absl::InvalidArgumentError("device key: use must be \"sig\"");
    }
  }
  const std::string* x_text = StringMember(jwk, "x");
  const std::string* y_text = StringMember(jwk, "y");
  if (x_text == nullptr || y_text == nullptr) {
    return absl::InvalidArgumentError("device key: x and y are required");
  }
  absl::StatusOr<std::string> x = crypto::Base64UrlDecode(*x_text);
  absl::StatusOr<std::string> y = crypto::Base64UrlDecode(*y_text);
  if (!x.ok() || !y.ok() || x->size() != kCoordinateBytes || y->size() != kCoordinateBytes) {
    return absl::InvalidArgumentError("device key: x and y must be base64url of 32 bytes each");
  }

  std::string point = "\x04";
  point += *x;
  point += *y;
  const ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    DrainOpenSslErrors();
    return absl::InternalError("device key: cannot build key parameters");
  }
  const ParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError("device key: not a point on P-256");
  }
  PkeyPtr pkey(raw);
  const PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError("device key: not a valid P-256 public key");
  }
  // RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
  std::string canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" +
                          crypto::Base64UrlEncode(*x) + "\",\"y\":\"" +
                          crypto::Base64UrlEncode(*y) + "\"}";
  auto key = std::make_shared<Key>();
  key->pkey = std::move(pkey);
  return DevicePublicKey(std::move(key), std::move(canonical));
}

std::string DevicePublicKey::Thumbprint() const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical_jwk_.data()), canonical_jwk_.size(),
         digest);
  return crypto::Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

bool DevicePublicKey::VerifySignature(std::string_view message,
                                      std::string_view signature_b64url) const {
  // 64 bytes are 86 base64url characters; refuse anything else before decoding.
  if (signature_b64url.size() != 86) return false;
  absl::StatusOr<std::string> signature = crypto::Base64UrlDecode(signature_b64url);
  if (!signature.ok() || signature->size() != kSignatureBytes) return false;
  const std::vector<unsigned char> der = RawToDer(*signature);
  if (der.empty()) {
    DrainOpenSslErrors();
    return false;
  }
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), der.data(), der.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  DrainOpenSslErrors();
  return ok;
}

std::string DeviceProofPayload(std::string_view nonce, std::string_view binding) {
  std::string payload(nonce);
  payload += '.';
  payload += binding;
  return payload;
}

absl::StatusOr<std::string> SignDeviceProof(std::string_view private_key_pem,
                                            std::string_view nonce, std::string_view binding) {
  const BioPtr bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  if (bio == nullptr) return absl::InternalError("device key: no memory");
  const PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr || !IsP256(pkey.get())) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError("device key: not an unencrypted P-256 PEM private key");
  }
  const std::string payload = DeviceProofPayload(nonce, binding);
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) != 1) {
    DrainOpenSslErrors();
    return absl::InternalError("device key: cannot start signing");
  }
  std::vector<unsigned char> der(length);
  if (EVP_DigestSign(ctx.get(), der.data(), &length,
                     reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) != 1) {
    DrainOpenSslErrors();
    return absl::InternalError("device key: signing failed");
  }
  const unsigned char* cursor = der.data();
  const EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(length)));
  if (sig == nullptr) {
    DrainOpenSslErrors();
    return absl::InternalError("device key: signature is not DER");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(kSignatureBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kCoordinateBytes) != static_cast<int>(kCoordinateBytes) ||
      BN_bn2binpad(s, out + kCoordinateBytes, kCoordinateBytes) !=
          static_cast<int>(kCoordinateBytes)) {
    return absl::InternalError("device key: signature integer longer than 32 bytes");
  }
  return crypto::Base64UrlEncode(raw);
}

DeviceProofVerifier::DeviceProofVerifier(DeviceProofOptions options) : options_(options) {}

absl::StatusOr<std::string> DeviceProofVerifier::IssueNonce(DeviceProofPurpose purpose,
                                                            std::string_view binding,
                                                            absl::Time now) {
  if (!IsValidBinding(binding)) {
    return absl::InvalidArgumentError(
        "device proof: binding must be 1 to 512 printable ASCII characters without spaces");
  }
  std::string nonce = crypto::RandomToken(32);
  std::lock_guard<std::mutex> lock(mutex_);
  if (nonces_.size() >= options_.max_outstanding) PurgeExpiredLocked(now);
  if (nonces_.size() >= options_.max_outstanding) {
    return absl::ResourceExhaustedError("device proof: too many nonces outstanding");
  }
  nonces_[nonce] = Nonce{purpose, std::string(binding), now + options_.nonce_lifetime};
  return nonce;
}

absl::Status DeviceProofVerifier::Consume(DeviceProofPurpose purpose, std::string_view nonce,
                                          std::string_view binding, absl::Time now) {
  Nonce entry;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = nonces_.find(std::string(nonce));
    if (it == nonces_.end()) {
      return absl::UnauthenticatedError("device proof: nonce is unknown or was already used");
    }
    entry = std::move(it->second);
    nonces_.erase(it);  // Single use, whatever the outcome.
  }
  if (now >= entry.expires) return absl::UnauthenticatedError("device proof: nonce has expired");
  if (entry.purpose != purpose) {
    return absl::UnauthenticatedError("device proof: nonce was issued for another purpose");
  }
  if (entry.binding != binding) {
    return absl::UnauthenticatedError("device proof: nonce was issued for another request");
  }
  return absl::OkStatus();
}

absl::Status DeviceProofVerifier::VerifySignInProof(const DevicePublicKey& key,
                                                    std::string_view nonce,
                                                    std::string_view binding,
                                                    std::string_view signature, absl::Time now) {
  if (absl::Status consumed = Consume(DeviceProofPurpose::kSignIn, nonce, binding, now);
      !consumed.ok()) {
    return consumed;
  }
  if (!key.VerifySignature(DeviceProofPayload(nonce, binding), signature)) {
    return absl::UnauthenticatedError(
        "device proof: signature does not verify with the device key");
  }
  return absl::OkStatus();
}

absl::StatusOr<DeviceRegistration> DeviceProofVerifier::VerifyRegistration(
    std::string_view public_jwk, std::string_view nonce, std::string_view binding,
    std::string_view signature, std::string_view owner_user_id, absl::Time now) {
  absl::StatusOr<DevicePublicKey> key = DevicePublicKey::FromJwk(public_jwk);
  absl::Status consumed = Consume(DeviceProofPurpose::kRegistration, nonce, binding, now);
  if (!key.ok()) return key.status();
  if (!consumed.ok()) return consumed;
  if (owner_user_id.empty()) {
    return absl::InvalidArgumentError("device registration: the owner is required");
  }
  if (!key->VerifySignature(DeviceProofPayload(nonce, binding), signature)) {
    return absl::UnauthenticatedError(
        "device registration: signature does not verify with the posted key");
  }
  std::string thumbprint = key->Thumbprint();
  return DeviceRegistration{
      NewGuid(), *std::move(key), std::move(thumbprint), "Workplace", std::string(owner_user_id),
      now};
}

std::size_t DeviceProofVerifier::outstanding() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return nonces_.size();
}

void DeviceProofVerifier::PurgeExpired(absl::Time now) {
  std::lock_guard<std::mutex> lock(mutex_);
  PurgeExpiredLocked(now);
}

void DeviceProofVerifier::PurgeExpiredLocked(absl::Time now) {
  absl::erase_if(nonces_, [now](const auto& item) { return now >= item.second.expires; });
}

}  // namespace gatehouse::idp
