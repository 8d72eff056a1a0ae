// libFuzzer target for JwtVerifier::Verify, JwtVerifier::AddJwk and Base64UrlDecode: untrusted
// bearer tokens and key documents. Beyond "no crash, no sanitizer report" it checks the contract:
// a rejected token is always Unauthenticated, an accepted one yields exactly the decoded middle
// part and that is a JSON object; AddJwk on a fresh verifier answers OK or InvalidArgument, and OK
// again for the same document; base64url decoding is canonical (whatever decodes re-encodes to the
// same text).
//
// The verifiers know a fixed key, so the seed corpus (tokens signed with it) reaches the signature
// check and the payload checks behind it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "nlohmann/json.hpp"

namespace {

using gatehouse::crypto::Base64UrlDecode;
using gatehouse::crypto::Base64UrlEncode;
using gatehouse::crypto::JwtVerifier;
using gatehouse::crypto::SigningKey;

// Test-only key: the seeds in corpus/jwt_verify/ are signed with it (kid "fuzz-1").
constexpr std::string_view kFuzzKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtH2ghBu/tLQk+y1m\n"
    "7O9IBKImbJAIJyAtc631VVk1hTahRANCAASRaoZgOMmzC0HVD8BeGBb09qI3jove\n"
    "9Eiom7enHjB72pnYQ5Yg+ynQwUHjccJQgpY+wDSaeZ628jgx+in2Jlux\n"
    "-----END PRIVATE KEY-----\n";

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Verifiers {
  JwtVerifier single;    // Only "fuzz-1": a token without kid is tried against it.
  JwtVerifier rotating;  // "fuzz-1" and "fuzz-2".
};

const Verifiers& GetVerifiers() {
  static const Verifiers* verifiers = [] {
    auto* built = new Verifiers;
    absl::StatusOr<SigningKey> key = SigningKey::FromPem("fuzz-1", kFuzzKeyPem);
    absl::StatusOr<SigningKey> second = SigningKey::Generate("fuzz-2");
    Check(key.ok() && second.ok());
    Check(built->single.AddJwk(key->PublicJwk()).ok());
    Check(built->rotating.AddJwk(key->PublicJwk()).ok());
    Check(built->rotating.AddJwk(second->PublicJwk()).ok());
    return built;
  }();
  return *verifiers;
}

void CheckVerify(const JwtVerifier& verifier, std::string_view token) {
  absl::StatusOr<std::string> payload = verifier.Verify(token);
  if (!payload.ok()) {
    Check(payload.status().code() == absl::StatusCode::kUnauthenticated);
    return;
  }
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  absl::StatusOr<std::string> middle = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  Check(middle.ok() && *middle == *payload);
  Check(nlohmann::json::parse(*payload, nullptr, /*allow_exceptions=*/false).is_object());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Verifiers& verifiers = GetVerifiers();

  CheckVerify(verifiers.single, input);
  CheckVerify(verifiers.rotating, input);

  absl::StatusOr<std::string> decoded = Base64UrlDecode(input);
  if (decoded.ok()) Check(Base64UrlEncode(*decoded) == input);

  JwtVerifier scratch;
  const absl::Status added = scratch.AddJwk(input);
  Check(added.ok() || added.code() == absl::StatusCode::kInvalidArgument);
  if (added.ok()) {
    // A second add of the same document is accepted again (same key, same kid).
    Check(scratch.AddJwk(input).ok());
  }
  return 0;
}
