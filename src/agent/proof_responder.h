// The loopback device-proof responder (shared brief "Device proof at sign-in"): the IdP's sign-in
// page asks the local agent
//
//   GET http://127.0.0.1:47823/v1/device-proof?nonce=<n>&binding=<b>
//
// and the agent answers 200 {"deviceId", "nonce", "binding", "signature"} where signature is the
// ES256 raw R||S (base64url) over `nonce "." binding` by the device key (the payload of
// idp::SignDeviceProof). It answers only when the request's Origin header equals the configured
// IdP origin; then the response carries Access-Control-Allow-Origin: <origin> and Vary: Origin.
// The CORS preflight (OPTIONS) is answered with Access-Control-Allow-Private-Network: true too.
// Any other origin (or none) gets 403 without CORS headers, so a foreign page learns nothing.
//
// DeviceProofHandler is a plain function of the request (tests call it without a server);
// StartProofResponder binds it to 127.0.0.1. Thread-safe: the handler only reads its config.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "http/http_server.h"
#include "http/http_types.h"

namespace gatehouse::agent {

inline constexpr std::uint16_t kDefaultProofPort = 47823;

struct ProofResponderConfig {
  std::string allowed_origin;       // the IdP origin, e.g. "http://127.0.0.1:8080"
  std::string directory_device_id;  // "" until registered: then proofs are refused (409)
  std::shared_ptr<const crypto::SigningKey> device_key;
};

http::Handler DeviceProofHandler(ProofResponderConfig config);

// Serves DeviceProofHandler on 127.0.0.1:`port` (0 = any free port).
absl::StatusOr<std::unique_ptr<http::HttpServer>> StartProofResponder(ProofResponderConfig config,
                                                                      std::uint16_t port);

}  // namespace gatehouse::agent
