#include "idp/totp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>
#include <string>

#include "core/text.h"

namespace gatehouse::idp {
namespace {

constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool OptionsValid(const TotpOptions& options) {
  return options.digits >= 6 && options.digits <= 8 && options.step >= absl::Seconds(1) &&
         options.window >= 0 && options.window <= 10;
}


}  // namespace

std::string GenerateTotpSecret() {
  std::string secret(kTotpSecretBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()),
                 static_cast<int>(secret.size())) != 1) {
    std::abort();  // No entropy is not a condition we can continue from.
  }
  return secret;
}

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      out += kBase32Alphabet[(buffer >> (bits - 5)) & 0x1F];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32Alphabet[(buffer << (5 - bits)) & 0x1F];
  return out;
}

absl::StatusOr<std::string> Base32Decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  bool padding = false;
  for (const char c : text) {
    if (c == ' ' || c == '-') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int value = Base32Value(c);
    if (value < 0 || padding) {
      return absl::InvalidArgumentError("base32: unexpected character");
    }
    buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xFF);
      bits -= 8;
    }
  }
  // What is left must be fewer than 5 zero bits, or the text was not produced by an encoder.
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError("base32: truncated or non-canonical input");
  }
  return out;
}

std::int64_t TotpStep(absl::Time time, const TotpOptions& options) {
  const std::int64_t seconds = absl::ToUnixSeconds(time);
  if (seconds <= 0) return 0;
  return seconds / absl::ToInt64Seconds(options.step);
}

std::string HotpCode(std::string_view secret, std::int64_t counter, int digits) {
  std::array<unsigned char, 8> message{};
  auto value = static_cast<std::uint64_t>(counter);
  for (int i = 7; i >= 0; --i) {
    message[static_cast<std::size_t>(i)] = static_cast<unsigned char>(value & 0xFF);
    value >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), message.data(),
           message.size(), mac.data(), &mac_length) == nullptr ||
      mac_length != 20) {
    return {};
  }
  // RFC 4226 §5.3 dynamic truncation.
  const unsigned offset = mac[19] & 0x0F;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  if (code.size() < static_cast<std::size_t>(digits)) {
    code.insert(0, static_cast<std::size_t>(digits) - code.size(), '0');
  }
  return code;
}

std::string TotpCode(std::string_view secret, absl::Time time, const TotpOptions& options) {
  return HotpCode(secret, TotpStep(time, options), options.digits);
}

absl::StatusOr<std::int64_t> VerifyTotp(std::string_view secret, std::string_view code,
                                        absl::Time now, const TotpOptions& options,
                                        std::optional<std::int64_t> last_accepted_step) {
  if (secret.empty()) return absl::InvalidArgumentError("totp: empty secret");
  if (!OptionsValid(options)) return absl::InvalidArgumentError("totp: options out of range");
  if (code.size() != static_cast<std::size_t>(options.digits)) {
    return absl::UnauthenticatedError("totp: the code is not valid");
  }
  for (const char c : code) {
    if (c < '0' || c > '9') return absl::UnauthenticatedError("totp: the code is not valid");
  }
  const std::int64_t current = TotpStep(now, options);
  bool replayed = false;
  // Nearest step first, so a code valid for now is attributed to now.
  for (int distance = 0; distance <= options.window; ++distance) {
    for (const int sign : {-1, 1}) {
      if (distance == 0 && sign == 1) continue;
      const std::int64_t step = current + sign * distance;
      if (step < 0) continue;
      const std::string expected = HotpCode(secret, step, options.digits);
      if (expected.size() != code.size() ||
          CRYPTO_memcmp(expected.data(), code.data(), code.size()) != 0) {
        continue;
      }
      if (last_accepted_step.has_value() && step <= *last_accepted_step) {
        replayed = true;
        continue;
      }
      return step;
    }
  }
  return absl::UnauthenticatedError(replayed ? "totp: the code was already used"
                                             : "totp: the code is not valid");
}

std::string TotpProvisioningUri(std::string_view issuer, std::string_view account,
                                std::string_view secret, const TotpOptions& options) {
  const std::string issuer_enc = core::PercentEncode(issuer);
  return "otpauth://totp/" + issuer_enc + ":" + core::PercentEncode(account) +
         "?secret=" + Base32Encode(secret) + "&issuer=" + issuer_enc +
         "&algorithm=SHA1&digits=" + std::to_string(options.digits) +
         "&period=" + std::to_string(absl::ToInt64Seconds(options.step));
}

}  // namespace gatehouse::idp
