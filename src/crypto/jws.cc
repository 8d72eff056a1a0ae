// ES256 keys and compact JWS on OpenSSL 3 EVP. JOSE carries ECDSA signatures as raw R||S
// (RFC 7518 §3.4); OpenSSL produces and consumes DER, so both directions convert here.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/status_macros.h"
#include "crypto/crypto.h"
#include "nlohmann/json.hpp"

namespace gatehouse::crypto {
namespace {

constexpr std::size_t kCoordinateBytes = 32;
constexpr std::size_t kSignatureBytes = 2 * kCoordinateBytes;
// Bounds on untrusted tokens: far above anything we issue, far below anything that hurts.
constexpr std::size_t kMaxTokenLength = 64 * 1024;
constexpr std::size_t kMaxHeaderLength = 4 * 1024;

struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;

// The OpenSSL error queue is per thread; drain it so a failure here never surfaces in an unrelated
// later call, and keep the first reason for the message.
std::string DrainOpenSslErrors() {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    if (reason.empty()) {
      std::array<char, 256> buffer{};
      ERR_error_string_n(code, buffer.data(), buffer.size());
      reason = buffer.data();
    }
  }
  return reason;
}

absl::Status OpenSslError(absl::StatusCode code, std::string_view what) {
  std::string message(what);
  if (const std::string reason = DrainOpenSslErrors(); !reason.empty()) {
    message += " (" + reason + ")";
  }
  return absl::Status(code, message);
}

absl::Status Unauthenticated(std::string_view why) {
  DrainOpenSslErrors();
  return absl::UnauthenticatedError("invalid token: " + std::string(why));
}

// Never prompt for a passphrase: an encrypted PEM is simply not accepted.
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

absl::StatusOr<std::string> Coordinate(EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "cannot read the public point");
  }
  const BnPtr value(raw);
  std::string bytes(kCoordinateBytes, '\0');
  if (BN_bn2binpad(value.get(), reinterpret_cast<unsigned char*>(bytes.data()),
                   static_cast<int>(bytes.size())) != static_cast<int>(kCoordinateBytes)) {
    return absl::InternalError("public point coordinate longer than 32 bytes");
  }
  return bytes;
}

// DER ECDSA-Sig-Value → JOSE R||S, each integer left-padded to 32 bytes.
absl::StatusOr<std::string> DerToRaw(const std::vector<unsigned char>& der) {
  const unsigned char* cursor = der.data();
  const EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (sig == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "signature is not DER ECDSA-Sig-Value");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(kSignatureBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kCoordinateBytes) != static_cast<int>(kCoordinateBytes) ||
      BN_bn2binpad(s, out + kCoordinateBytes, kCoordinateBytes) !=
          static_cast<int>(kCoordinateBytes)) {
    return absl::InternalError("signature integer longer than 32 bytes");
  }
  return raw;
}

// JOSE R||S (exactly 64 bytes) → DER; empty on failure.
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

// A JSON object, parsed without exceptions; nullopt for anything else.
std::optional<nlohmann::json> ParseObject(std::string_view text) {
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                               /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

const std::string* StringMember(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

// The raw coordinates of an EC P-256 public JWK. Checks kty, crv, the absence of a private "d"
// (when `refuse_private`), alg, use, then x and y.
struct JwkCoordinates {
  std::string x;
  std::string y;
};

absl::StatusOr<JwkCoordinates> ReadP256Jwk(const nlohmann::json& jwk, bool refuse_private) {
  const std::string* kty = StringMember(jwk, "kty");
  const std::string* crv = StringMember(jwk, "crv");
  if (kty == nullptr || *kty != "EC") return absl::InvalidArgumentError("jwk: kty must be \"EC\"");
  if (crv == nullptr || *crv != "P-256") {
    return absl::InvalidArgumentError("jwk: crv must be \"P-256\"");
  }
  if (refuse_private && jwk.contains("d")) {
    return absl::InvalidArgumentError("jwk: a private key was sent; send the public JWK");
  }
  if (jwk.contains("alg")) {
    const std::string* alg = StringMember(jwk, "alg");
    if (alg == nullptr || *alg != "ES256") {
      return absl::InvalidArgumentError("jwk: alg must be \"ES256\"");
    }
  }
  if (jwk.contains("use")) {
    const std::string* use = StringMember(jwk, "use");
    if (use == nullptr || *use != "sig") {
      return absl::InvalidArgumentError("jwk: use must be \"sig\"");
    }
  }
  const std::string* x_text = StringMember(jwk, "x");
  const std::string* y_text = StringMember(jwk, "y");
  if (x_text == nullptr || y_text == nullptr) {
    return absl::InvalidArgumentError("jwk: x and y are required");
  }
  absl::StatusOr<std::string> x = Base64UrlDecode(*x_text);
  absl::StatusOr<std::string> y = Base64UrlDecode(*y_text);
  if (!x.ok() || !y.ok() || x->size() != kCoordinateBytes || y->size() != kCoordinateBytes) {
    return absl::InvalidArgumentError("jwk: x and y must be base64url of 32 bytes each");
  }
  return JwkCoordinates{*std::move(x), *std::move(y)};
}

// The EVP key for the uncompressed point (x, y), validated as a P-256 public key.
absl::StatusOr<PkeyPtr> P256FromPoint(std::string_view x, std::string_view y) {
  if (x.size() != kCoordinateBytes || y.size() != kCoordinateBytes) {
    return absl::InvalidArgumentError("jwk: x and y must be 32 bytes each");
  }
  std::string point = "\x04";
  point += x;
  point += y;
  const ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "jwk: cannot build key parameters");
  }
  const ParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "jwk: not a point on P-256");
  }
  PkeyPtr pkey(raw);
  // fromdata decodes the point; the explicit check also rejects the point at infinity and any
  // point outside the prime-order group.
  const PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "jwk: not a valid P-256 public key");
  }
  return pkey;
}

}  // namespace

struct P256PublicKey::Key {
  PkeyPtr pkey;
  std::string x;
  std::string y;
  std::string jwk;  // canonical, RFC 7638
};

P256PublicKey::P256PublicKey(std::shared_ptr<const Key> key) : key_(std::move(key)) {}

absl::StatusOr<P256PublicKey> P256PublicKey::FromJwk(std::string_view jwk_json) {
  const std::optional<nlohmann::json> jwk = ParseObject(jwk_json);
  if (!jwk.has_value()) return absl::InvalidArgumentError("jwk: not a JSON object");
  GH_ASSIGN_OR_RETURN(JwkCoordinates coordinates, ReadP256Jwk(*jwk, /*refuse_private=*/true));
  return FromCoordinates(coordinates.x, coordinates.y);
}

absl::StatusOr<P256PublicKey> P256PublicKey::FromCoordinates(std::string_view x,
                                                             std::string_view y) {
  GH_ASSIGN_OR_RETURN(PkeyPtr pkey, P256FromPoint(x, y));
  auto key = std::make_shared<Key>();
  key->pkey = std::move(pkey);
  key->x = std::string(x);
  key->y = std::string(y);
  // RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
  key->jwk = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + Base64UrlEncode(x) + "\",\"y\":\"" +
             Base64UrlEncode(y) + "\"}";
  return P256PublicKey(std::move(key));
}

const std::string& P256PublicKey::Jwk() const { return key_->jwk; }
const std::string& P256PublicKey::x() const { return key_->x; }
const std::string& P256PublicKey::y() const { return key_->y; }

std::string P256PublicKey::Thumbprint() const {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(key_->jwk.data()), key_->jwk.size(),
         digest.data());
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest.data()),
                                          digest.size()));
}

bool P256PublicKey::VerifyEs256(std::string_view data, std::string_view signature) const {
  if (signature.size() != kSignatureBytes) return false;
  const std::vector<unsigned char> der = RawToDer(signature);
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      !der.empty() && ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), der.data(), der.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  DrainOpenSslErrors();
  return ok;
}

struct SigningKey::Key {
  PkeyPtr pkey;
};

struct JwtVerifier::Keys {
  absl::flat_hash_map<std::string, P256PublicKey> by_kid;
};

SigningKey::SigningKey(std::string key_id, std::shared_ptr<Key> key)
    : key_id_(std::move(key_id)), key_(std::move(key)) {}

absl::StatusOr<SigningKey> SigningKey::Generate(std::string key_id) {
  if (key_id.empty()) return absl::InvalidArgumentError("signing key: empty key id");
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (pkey == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "signing key: P-256 key generation failed");
  }
  return SigningKey(std::move(key_id), std::make_shared<Key>(Key{std::move(pkey)}));
}

absl::StatusOr<SigningKey> SigningKey::FromPem(std::string key_id, std::string_view private_pem) {
  if (key_id.empty()) return absl::InvalidArgumentError("signing key: empty key id");
  const BioPtr bio(BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())));
  if (bio == nullptr) return OpenSslError(absl::StatusCode::kInternal, "signing key: no memory");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "signing key: not an unencrypted PEM private key");
  }
  if (!IsP256(pkey.get())) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError("signing key: not an EC P-256 key");
  }
  return SigningKey(std::move(key_id), std::make_shared<Key>(Key{std::move(pkey)}));
}

std::string SigningKey::PrivatePem() const {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PrivateKey(bio.get(), key_->pkey.get(), nullptr, nullptr, 0,
                                                 nullptr, nullptr) != 1) {
    DrainOpenSslErrors();
    return {};
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string SigningKey::PublicJwk() const {
  absl::StatusOr<std::string> x = Coordinate(key_->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X);
  absl::StatusOr<std::string> y = Coordinate(key_->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
  if (!x.ok() || !y.ok()) return {};
  nlohmann::ordered_json jwk;
  jwk["kty"] = "EC";
  jwk["crv"] = "P-256";
  jwk["x"] = Base64UrlEncode(*x);
  jwk["y"] = Base64UrlEncode(*y);
  jwk["kid"] = key_id_;
  jwk["use"] = "sig";
  jwk["alg"] = "ES256";
  return jwk.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

absl::StatusOr<std::string> SigningKey::SignEs256(std::string_view data) const {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, bytes, data.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "ES256: cannot start signing");
  }
  std::vector<unsigned char> der(length);
  if (EVP_DigestSign(ctx.get(), der.data(), &length, bytes, data.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "ES256: signing failed");
  }
  der.resize(length);
  return DerToRaw(der);
}

absl::StatusOr<std::string> SigningKey::SignJwt(std::string_view payload_json) const {
  if (!ParseObject(payload_json).has_value()) {
    return absl::InvalidArgumentError("jwt: payload is not a JSON object");
  }
  nlohmann::ordered_json header;
  header["alg"] = "ES256";
  header["typ"] = "JWT";
  header["kid"] = key_id_;
  std::string token = Base64UrlEncode(
      header.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  token += '.';
  token += Base64UrlEncode(payload_json);

  GH_ASSIGN_OR_RETURN(const std::string raw, SignEs256(token));
  token += '.';
  token += Base64UrlEncode(raw);
  return token;
}

JwtVerifier::JwtVerifier() : keys_(std::make_unique<Keys>()) {}
JwtVerifier::~JwtVerifier() = default;
JwtVerifier::JwtVerifier(JwtVerifier&&) noexcept = default;
JwtVerifier& JwtVerifier::operator=(JwtVerifier&&) noexcept = default;

absl::Status JwtVerifier::AddJwk(std::string_view jwk_json) {
  const std::optional<nlohmann::json> jwk = ParseObject(jwk_json);
  if (!jwk.has_value()) return absl::InvalidArgumentError("jwk: not a JSON object");
  // A JWKS entry may carry more members than a bare public key; "d" is not refused here.
  GH_ASSIGN_OR_RETURN(const JwkCoordinates coordinates,
                      ReadP256Jwk(*jwk, /*refuse_private=*/false));
  const std::string* kid = StringMember(*jwk, "kid");
  if (kid == nullptr || kid->empty()) return absl::InvalidArgumentError("jwk: kid is required");
  if (keys_ == nullptr) keys_ = std::make_unique<Keys>();  // Reuse after a move.
  if (const auto it = keys_->by_kid.find(*kid); it != keys_->by_kid.end()) {
    if (it->second.x() == coordinates.x && it->second.y() == coordinates.y) {
      return absl::OkStatus();
    }
    return absl::AlreadyExistsError("jwk: a different key is already known as kid \"" + *kid +
                                    "\"");
  }
  GH_ASSIGN_OR_RETURN(P256PublicKey key,
                      P256PublicKey::FromCoordinates(coordinates.x, coordinates.y));
  keys_->by_kid.emplace(*kid, std::move(key));
  return absl::OkStatus();
}

absl::StatusOr<std::string> JwtVerifier::Verify(std::string_view compact_jws) const {
  if (compact_jws.size() > kMaxTokenLength) return Unauthenticated("too long");
  const std::size_t first_dot = compact_jws.find('.');
  const std::size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : compact_jws.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      compact_jws.find('.', second_dot + 1) != std::string_view::npos) {
    return Unauthenticated("not three dot-separated parts");
  }
  const std::string_view header_part = compact_jws.substr(0, first_dot);
  const std::string_view payload_part =
      compact_jws.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_part = compact_jws.substr(second_dot + 1);
  const std::string_view signing_input = compact_jws.substr(0, second_dot);

  if (header_part.size() > (kMaxHeaderLength * 4 + 2) / 3)
    return Unauthenticated("header too long");
  absl::StatusOr<std::string> header_text = Base64UrlDecode(header_part);
  if (!header_text.ok()) return Unauthenticated("header is not base64url");
  const std::optional<nlohmann::json> header = ParseObject(*header_text);
  if (!header.has_value()) return Unauthenticated("header is not a JSON object");
  const std::string* alg = StringMember(*header, "alg");
  if (alg == nullptr || *alg != "ES256") return Unauthenticated("alg must be ES256");
  // We implement no header extensions, so any critical one must be refused (RFC 7515 §4.1.11).
  if (header->contains("crit")) return Unauthenticated("unsupported crit header");

  // The key comes from our own set by kid, never from the token (jwk/jku/x5u are ignored). A token
  // without a kid is tried against the only key when exactly one is known.
  if (keys_ == nullptr || keys_->by_kid.empty()) return Unauthenticated("no keys");
  const P256PublicKey* key = nullptr;
  if (header->contains("kid")) {
    const std::string* kid = StringMember(*header, "kid");
    if (kid == nullptr) return Unauthenticated("kid is not a string");
    const auto it = keys_->by_kid.find(*kid);
    if (it == keys_->by_kid.end()) return Unauthenticated("unknown kid");
    key = &it->second;
  } else if (keys_->by_kid.size() == 1) {
    key = &keys_->by_kid.begin()->second;
  } else {
    return Unauthenticated("no kid and more than one key");
  }

  absl::StatusOr<std::string> signature = Base64UrlDecode(signature_part);
  if (!signature.ok()) return Unauthenticated("signature is not base64url");
  if (signature->size() != kSignatureBytes) {
    return Unauthenticated("ES256 signature must be 64 bytes (R||S)");
  }
  if (!key->VerifyEs256(signing_input, *signature)) return Unauthenticated("bad signature");

  absl::StatusOr<std::string> payload = Base64UrlDecode(payload_part);
  if (!payload.ok()) return Unauthenticated("payload is not base64url");
  if (!ParseObject(*payload).has_value()) return Unauthenticated("payload is not a JSON object");
  return *std::move(payload);
}

}  // namespace gatehouse::crypto
