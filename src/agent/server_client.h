// The agent's calls to the UEM and the IdP (wire format: shared brief "Contracts between
// helpers"; docs/agent.md). Blocking, one request per connection (http::Fetch), http:// only:
// the built-in client speaks plain HTTP, so remote servers are reached through a TLS-terminating
// proxy on loopback or a trusted network. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"

namespace gatehouse::agent {

// "http://host[:port][/base]" split up. InvalidArgument for another scheme, user info, a query or
// fragment, or a bad port.
struct ServerUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string base_path;  // "" or "/prefix" without the trailing slash
  // The Web origin: "http://host" or "http://host:port" (port omitted when 80).
  std::string Origin() const;
};
absl::StatusOr<ServerUrl> ParseServerUrl(std::string_view url);

// Errors from the server carry the HTTP status and the problem+json detail in the message:
// Unauthenticated (401), PermissionDenied (403), NotFound (404), InvalidArgument (400/422),
// FailedPrecondition (409), Unavailable (transport failure, 5xx).

struct Enrollment {
  std::string device_id;      // UEM device id
  std::string device_secret;  // check-in bearer secret
};
struct EnrollRequest {
  std::string enrollment_token;
  std::string public_jwk;  // JSON text
  std::string hostname;
  std::string operating_system = "Linux";
  std::string os_version;
};
// POST /uem/v1/enroll → 201 {"deviceId", "deviceSecret"}.
absl::StatusOr<Enrollment> Enroll(const ServerUrl& uem, const EnrollRequest& request);

struct CheckInAnswer {
  bool accepted = false;
  std::string compliance_state;
  std::optional<bool> compliant;  // the UEM's verdict for the IdP, when the answer carries it
  std::string commands_json = "[]";
};
// POST /uem/v1/devices/{id}/checkins {"sequence", "posture"} with the device secret.
absl::StatusOr<CheckInAnswer> CheckIn(const ServerUrl& uem, std::string_view device_id,
                                      std::string_view device_secret, std::int64_t sequence,
                                      const nlohmann::json& posture);

// POST /uem/v1/devices/{id}/directoryLink {"directoryDeviceId"} with the device secret.
absl::Status PostDirectoryLink(const ServerUrl& uem, std::string_view device_id,
                               std::string_view device_secret,
                               std::string_view directory_device_id);

struct RegistrationNonce {
  std::string nonce;
  std::string binding;
};
// POST /idp/v1/deviceRegistrations/nonce {"code"}.
absl::StatusOr<RegistrationNonce> GetRegistrationNonce(const ServerUrl& idp,
                                                       std::string_view code);

struct RegistrationRequest {
  std::string code;
  std::string nonce;
  std::string signature;   // base64url raw R||S over nonce "." binding
  std::string public_jwk;  // JSON text
  std::string display_name;
  std::string operating_system = "Linux";
  std::string operating_system_version;
};
struct Registration {
  std::string device_id;  // directory device id
  std::string trust_type;
  std::string registered_owner_id;
};
// POST /idp/v1/deviceRegistrations → 201 {"deviceId", "trustType", "registeredOwnerId"}.
absl::StatusOr<Registration> RegisterDevice(const ServerUrl& idp,
                                            const RegistrationRequest& request);

}  // namespace gatehouse::agent
