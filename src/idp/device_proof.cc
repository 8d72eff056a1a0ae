#include "idp/device_proof.h"

#include <openssl/rand.h>

#include <array>
#include <cstdlib>
#include <utility>

#include "core/status_macros.h"
#include "crypto/crypto.h"

namespace gatehouse::idp {
namespace {

bool IsValidBinding(std::string_view binding) {
  if (binding.empty() || binding.size() > kMaxDeviceProofBindingLength) return false;
  for (const char c : binding) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}


// `status` with its message's leading `from` replaced by `to`.
absl::Status WithPrefix(const absl::Status& status, std::string_view from, std::string_view to) {
  std::string_view message(status.message().data(), status.message().size());
  if (message.substr(0, from.size()) == from) message.remove_prefix(from.size());
  return absl::Status(status.code(), std::string(to) + std::string(message));
}

}  // namespace

absl::StatusOr<DevicePublicKey> DevicePublicKey::FromJwk(std::string_view jwk_json) {
  if (jwk_json.size() > kMaxDeviceJwkLength) {
    return absl::InvalidArgumentError("device key: JWK is too long");
  }
  absl::StatusOr<crypto::P256PublicKey> key = crypto::P256PublicKey::FromJwk(jwk_json);
  if (!key.ok()) return WithPrefix(key.status(), "jwk: ", "device key: ");
  return DevicePublicKey(*std::move(key));
}

bool DevicePublicKey::VerifySignature(std::string_view message,
                                      std::string_view signature_b64url) const {
  // 64 bytes are 86 base64url characters; refuse anything else before decoding.
  if (signature_b64url.size() != 86) return false;
  const absl::StatusOr<std::string> signature = crypto::Base64UrlDecode(signature_b64url);
  return signature.ok() && key_.VerifyEs256(message, *signature);
}

std::string DeviceProofPayload(std::string_view nonce, std::string_view binding) {
  std::string payload(nonce);
  payload += '.';
  payload += binding;
  return payload;
}

absl::StatusOr<std::string> SignDeviceProof(std::string_view private_key_pem,
                                            std::string_view nonce, std::string_view binding) {
  absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::FromPem("device", private_key_pem);
  if (!key.ok()) {
    if (key.status().code() != absl::StatusCode::kInvalidArgument) return key.status();
    return absl::InvalidArgumentError("device key: not an unencrypted P-256 PEM private key");
  }
  GH_ASSIGN_OR_RETURN(const std::string raw, key->SignEs256(DeviceProofPayload(nonce, binding)));
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
      crypto::RandomGuid(), *std::move(key), std::move(thumbprint), "Workplace", std::string(owner_user_id),
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
