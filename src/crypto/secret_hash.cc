// argon2id secret hashing on libargon2's encoded-hash API.
#include <argon2.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"

namespace gatehouse::crypto {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// Upper bounds on the cost parameters, both when hashing and when reading a stored hash: a
// corrupted or planted row must not turn one verification into gigabytes of allocation.
constexpr std::uint32_t kMaxMemoryKib = 1024 * 1024;  // 1 GiB
constexpr std::uint32_t kMaxIterations = 64;
constexpr std::uint32_t kMaxParallelism = 64;
constexpr std::size_t kMaxEncodedLength = 256;

bool WithinLimits(std::uint32_t memory_kib, std::uint32_t iterations, std::uint32_t parallelism) {
  return memory_kib <= kMaxMemoryKib && iterations <= kMaxIterations &&
         parallelism <= kMaxParallelism;
}

// Reads the decimal after `key` ("m=", "t=", "p=") in the parameter field; false if absent.
bool ReadParameter(std::string_view field, std::string_view key, std::uint32_t& value) {
  std::size_t at = 0;
  while (true) {
    at = field.find(key, at);
    if (at == std::string_view::npos) return false;
    if (at == 0 || field[at - 1] == ',') break;
    ++at;
  }
  const char* begin = field.data() + at + key.size();
  const char* end = field.data() + field.size();
  const auto [next, error] = std::from_chars(begin, end, value);
  return error == std::errc() && next != begin;
}

}  // namespace

absl::StatusOr<std::string> HashSecret(std::string_view secret, const Argon2Params& params) {
  if (!WithinLimits(params.memory_kib, params.iterations, params.parallelism)) {
    return absl::InvalidArgumentError("argon2id: cost parameters above the supported maximum");
  }
  if (secret.size() > std::numeric_limits<std::uint32_t>::max()) {
    return absl::InvalidArgumentError("argon2id: secret too long");
  }
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return absl::InternalError("argon2id: no random bytes for the salt");
  }
  const std::size_t encoded_length = argon2_encodedlen(
      params.iterations, params.memory_kib, params.parallelism, kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(encoded_length, '\0');
  const int result = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                           secret.data(), secret.size(), salt.data(), salt.size(),
                                           kHashBytes, encoded.data(), encoded.size());
  if (result != ARGON2_OK) {
    return absl::InvalidArgumentError(std::string("argon2id: ") + argon2_error_message(result));
  }
  encoded.resize(encoded.find('\0'));  // argon2_encodedlen counts the terminator and digit room.
  return encoded;
}

bool VerifySecret(std::string_view secret, std::string_view encoded_hash) {
  constexpr std::string_view kPrefix = "$argon2id$";
  if (encoded_hash.size() > kMaxEncodedLength ||
      encoded_hash.substr(0, kPrefix.size()) != kPrefix ||
      encoded_hash.find('\0') != std::string_view::npos ||
      secret.size() > std::numeric_limits<std::uint32_t>::max()) {
    return false;
  }
  // "$argon2id$v=19$m=...,t=...,p=...$salt$hash": check the costs before libargon2 allocates.
  std::string_view rest = encoded_hash.substr(kPrefix.size());
  if (rest.substr(0, 2) == "v=") rest = rest.substr(rest.find('$') + 1);
  const std::string_view field = rest.substr(0, rest.find('$'));
  std::uint32_t memory_kib = 0;
  std::uint32_t iterations = 0;
  std::uint32_t parallelism = 0;
  if (!ReadParameter(field, "m=", memory_kib) || !ReadParameter(field, "t=", iterations) ||
      !ReadParameter(field, "p=", parallelism) ||
      !WithinLimits(memory_kib, iterations, parallelism)) {
    return false;
  }
  const std::string terminated(encoded_hash);
  // argon2id_verify decodes with the id type, recomputes and compares in constant time; any
  // decoding failure is an error code, never an exception or abort.
  return argon2id_verify(terminated.c_str(), secret.data(), secret.size()) == ARGON2_OK;
}

}  // namespace gatehouse::crypto
