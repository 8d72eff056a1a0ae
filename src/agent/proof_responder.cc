#include "agent/proof_responder.h"

#include <utility>

#include "nlohmann/json.hpp"

namespace gatehouse::agent {
namespace {

constexpr std::size_t kMaxNonceLength = 128;
constexpr std::size_t kMaxBindingLength = 512;  // idp::kMaxDeviceProofBindingLength

bool IsBase64Url(const std::string& text) {
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsPrintableWithoutSpace(const std::string& text) {
  for (char c : text) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

void AddCorsHeaders(http::HttpResponse& response, const std::string& origin) {
  response.SetHeader("Access-Control-Allow-Origin", origin);
  response.SetHeader("Vary", "Origin");
  response.SetHeader("Access-Control-Allow-Private-Network", "true");
}

}  // namespace

http::Handler DeviceProofHandler(ProofResponderConfig config) {
  auto shared = std::make_shared<const ProofResponderConfig>(std::move(config));
  return [shared](http::HttpRequest& request) -> http::HttpResponse {
    const ProofResponderConfig& cfg = *shared;
    if (request.path != "/v1/device-proof") {
      return http::Problem(404, "Not Found", "the agent serves only /v1/device-proof");
    }
    const std::string origin = request.Header("origin");
    if (origin.empty() || cfg.allowed_origin.empty() || origin != cfg.allowed_origin) {
      http::HttpResponse refused =
          http::Problem(403, "Forbidden", "this origin may not ask for a device proof");
      refused.SetHeader("Vary", "Origin");
      return refused;
    }
    if (request.method == "OPTIONS") {
      http::HttpResponse preflight;
      preflight.status = 204;
      AddCorsHeaders(preflight, origin);
      preflight.SetHeader("Access-Control-Allow-Methods", "GET");
      preflight.SetHeader("Access-Control-Max-Age", "600");
      return preflight;
    }
    auto fail = [&origin](int status, const char* title, const std::string& detail) {
      http::HttpResponse response = http::Problem(status, title, detail);
      AddCorsHeaders(response, origin);
      response.SetHeader("Cache-Control", "no-store");
      return response;
    };
    if (request.method != "GET") {
      http::HttpResponse response = fail(405, "Method Not Allowed", "use GET");
      response.SetHeader("Allow", "GET, OPTIONS");
      return response;
    }
    const auto nonce_it = request.query.find("nonce");
    const auto binding_it = request.query.find("binding");
    const std::string nonce = nonce_it == request.query.end() ? "" : nonce_it->second;
    const std::string binding = binding_it == request.query.end() ? "" : binding_it->second;
    if (nonce.empty() || nonce.size() > kMaxNonceLength || !IsBase64Url(nonce)) {
      return fail(400, "Bad Request", "nonce must be 1 to 128 base64url characters");
    }
    if (binding.empty() || binding.size() > kMaxBindingLength ||
        !IsPrintableWithoutSpace(binding)) {
      return fail(400, "Bad Request",
                  "binding must be 1 to 512 printable ASCII characters without spaces");
    }
    if (cfg.directory_device_id.empty() || cfg.device_key == nullptr) {
      return fail(409, "Conflict",
                  "this device is not registered; run gatehouse-agent register first");
    }
    absl::StatusOr<std::string> signature = cfg.device_key->SignEs256(nonce + "." + binding);
    if (!signature.ok()) return fail(500, "Internal Server Error", "signing failed");
    const nlohmann::json body = {{"deviceId", cfg.directory_device_id},
                                 {"nonce", nonce},
                                 {"binding", binding},
                                 {"signature", crypto::Base64UrlEncode(*signature)}};
    http::HttpResponse response = http::HttpResponse::Json(200, body.dump());
    AddCorsHeaders(response, origin);
    response.SetHeader("Cache-Control", "no-store");
    return response;
  };
}

absl::StatusOr<std::unique_ptr<http::HttpServer>> StartProofResponder(ProofResponderConfig config,
                                                                      std::uint16_t port) {
  http::HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.io_threads = 1;
  options.max_body_bytes = 4096;
  options.rate_limit_per_second = 20;
  options.rate_limit_burst = 40;
  return http::HttpServer::Start(options, DeviceProofHandler(std::move(config)));
}

}  // namespace gatehouse::agent
