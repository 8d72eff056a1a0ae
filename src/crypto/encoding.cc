// Random tokens, SHA-256 and base64url (RFC 4648 §5, unpadded as JWS requires).
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"

namespace gatehouse::crypto {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kHexDigits[] = "0123456789abcdef";

// Value of a base64url digit, or -1.
int DigitValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string RandomToken(std::size_t bytes) {
  std::string random(bytes, '\0');
  if (bytes > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(random.data()), static_cast<int>(bytes)) != 1) {
    // A CSPRNG that cannot produce bytes leaves nothing safe to hand out as a secret.
    std::abort();
  }
  return Base64UrlEncode(random);
}

std::string RandomGuid() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    std::abort();  // SHA-256 from the default provider does not fail on memory input.
  }
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHexDigits[digest[i] >> 4]);
    hex.push_back(kHexDigits[digest[i] & 0x0f]);
  }
  return hex;
}

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const unsigned int block = static_cast<unsigned char>(data[i]) << 16 |
                               static_cast<unsigned char>(data[i + 1]) << 8 |
                               static_cast<unsigned char>(data[i + 2]);
    out.push_back(kAlphabet[(block >> 18) & 63]);
    out.push_back(kAlphabet[(block >> 12) & 63]);
    out.push_back(kAlphabet[(block >> 6) & 63]);
    out.push_back(kAlphabet[block & 63]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const unsigned int block = static_cast<unsigned char>(data[i]) << 16;
    out.push_back(kAlphabet[(block >> 18) & 63]);
    out.push_back(kAlphabet[(block >> 12) & 63]);
  } else if (rest == 2) {
    const unsigned int block =
        static_cast<unsigned char>(data[i]) << 16 | static_cast<unsigned char>(data[i + 1]) << 8;
    out.push_back(kAlphabet[(block >> 18) & 63]);
    out.push_back(kAlphabet[(block >> 12) & 63]);
    out.push_back(kAlphabet[(block >> 6) & 63]);
  }
  return out;
}

// Strict: only the 64 base64url digits (no '=' padding, no whitespace, no '+' or '/'), no length
// that leaves a single digit over, and the unused low bits of the last digit must be zero, so every
// byte string has exactly one accepted encoding.
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) {
    return absl::InvalidArgumentError("base64url: invalid length");
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned int buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int value = DigitValue(text[i]);
    if (value < 0) {
      return absl::InvalidArgumentError("base64url: invalid character at offset " +
                                        std::to_string(i));
    }
    buffer = (buffer << 6) | static_cast<unsigned int>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
      buffer &= (1u << bits) - 1;
    }
  }
  if (buffer != 0) {
    return absl::InvalidArgumentError("base64url: non-zero trailing bits");
  }
  return out;
}

}  // namespace gatehouse::crypto
