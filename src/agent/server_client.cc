#include "agent/server_client.h"

#include <chrono>
#include <utility>

#include "core/status_macros.h"
#include "http/http_server.h"
#include "nlohmann/json.hpp"

namespace gatehouse::agent {
namespace {

constexpr std::size_t kMaxIdLength = 256;

// Path segments we put into URLs come from servers or the command line: keep them to safe
// characters rather than escaping.
bool IsSafePathSegment(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';
    if (!ok) return false;
  }
  return id != "." && id != "..";
}

absl::Status StatusForHttp(int status, const std::string& what, const std::string& body) {
  std::string detail;
  const nlohmann::json problem = nlohmann::json::parse(body, nullptr, false);
  if (problem.is_object()) {
    for (const char* key : {"detail", "title", "error_description", "error"}) {
      const auto it = problem.find(key);
      if (it != problem.end() && it->is_string() && !it->get<std::string>().empty()) {
        detail = it->get<std::string>();
        break;
      }
    }
  }
  if (detail.size() > 500) detail.resize(500);
  const std::string message =
      what + ": HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
  switch (status) {
    case 400:
    case 422:
      return absl::InvalidArgumentError(message);
    case 401:
      return absl::UnauthenticatedError(message);
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 409:
      return absl::FailedPreconditionError(message);
    case 429:
      return absl::ResourceExhaustedError(message);
    default:
      return status >= 500 ? absl::UnavailableError(message) : absl::UnknownError(message);
  }
}

// POSTs JSON and returns the parsed JSON object of a 200/201 answer.
absl::StatusOr<nlohmann::json> PostJson(const ServerUrl& server, const std::string& path,
                                        const nlohmann::json& body, std::string_view bearer,
                                        const std::string& what) {
  http::ClientRequest request;
  request.method = "POST";
  request.target = server.base_path + path;
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  if (!bearer.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + std::string(bearer));
  }
  request.body = body.dump();
  absl::StatusOr<http::HttpResponse> response =
      http::Fetch(server.host, server.port, request, std::chrono::seconds(30));
  if (!response.ok()) {
    return absl::UnavailableError(what + ": " + std::string(response.status().message()));
  }
  if (response->status != 200 && response->status != 201 && response->status != 204) {
    return StatusForHttp(response->status, what, response->body);
  }
  if (response->status == 204 || response->body.empty()) return nlohmann::json::object();
  nlohmann::json json = nlohmann::json::parse(response->body, nullptr, false);
  if (!json.is_object()) {
    return absl::InternalError(what + ": the server answered with something other than a JSON "
                                      "object");
  }
  return json;
}

absl::StatusOr<std::string> RequiredString(const nlohmann::json& json, const char* key,
                                           const std::string& what) {
  const auto it = json.find(key);
  if (it == json.end() || !it->is_string() || it->get<std::string>().empty()) {
    return absl::InternalError(what + ": the answer lacks \"" + key + "\"");
  }
  return it->get<std::string>();
}

absl::StatusOr<nlohmann::json> ParseJwk(const std::string& text) {
  nlohmann::json jwk = nlohmann::json::parse(text, nullptr, false);
  if (!jwk.is_object()) return absl::InvalidArgumentError("public key is not a JSON object");
  if (jwk.contains("d")) return absl::InvalidArgumentError("refusing to send a private key");
  return jwk;
}

}  // namespace

std::string ServerUrl::Origin() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string origin = "http://" + (ipv6 ? "[" + host + "]" : host);
  if (port != 80) origin += ":" + std::to_string(port);
  return origin;
}

absl::StatusOr<ServerUrl> ParseServerUrl(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  if (url.substr(0, 8) == "https://") {
    return absl::InvalidArgumentError(
        "server URL " + std::string(url) +
        ": https is not supported by the agent's built-in client; use http:// to a local "
        "TLS-terminating proxy (see docs/agent.md)");
  }
  if (url.substr(0, kHttp.size()) != kHttp) {
    return absl::InvalidArgumentError("server URL " + std::string(url) +
                                      ": expected http://host[:port][/path]");
  }
  std::string_view rest = url.substr(kHttp.size());
  if (rest.find_first_of("?#@ ") != std::string_view::npos) {
    return absl::InvalidArgumentError("server URL " + std::string(url) +
                                      ": no user info, query, fragment or spaces allowed");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  ServerUrl result;
  if (slash != std::string_view::npos) {
    result.base_path = std::string(rest.substr(slash));
    while (!result.base_path.empty() && result.base_path.back() == '/') result.base_path.pop_back();
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError("server URL " + std::string(url) + ": unclosed [");
    }
    result.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return absl::InvalidArgumentError("server URL " + std::string(url) + ": bad authority");
      }
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    result.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (colon != std::string_view::npos && port_text.empty()) {
      return absl::InvalidArgumentError("server URL " + std::string(url) + ": empty port");
    }
  }
  if (result.host.empty()) {
    return absl::InvalidArgumentError("server URL " + std::string(url) + ": no host");
  }
  if (!port_text.empty()) {
    unsigned value = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || value > 65535) {
        return absl::InvalidArgumentError("server URL " + std::string(url) + ": bad port");
      }
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) {
      return absl::InvalidArgumentError("server URL " + std::string(url) + ": bad port");
    }
    result.port = static_cast<std::uint16_t>(value);
  }
  return result;
}

absl::StatusOr<Enrollment> Enroll(const ServerUrl& uem, const EnrollRequest& request) {
  const std::string what = "enroll";
  GH_ASSIGN_OR_RETURN(nlohmann::json jwk, ParseJwk(request.public_jwk));
  nlohmann::json body = {{"enrollmentToken", request.enrollment_token},
                         {"publicKey", jwk},
                         {"hostname", request.hostname},
                         {"operatingSystem", request.operating_system}};
  if (!request.os_version.empty()) body["osVersion"] = request.os_version;
  GH_ASSIGN_OR_RETURN(nlohmann::json answer, PostJson(uem, "/uem/v1/enroll", body, "", what));
  Enrollment enrollment;
  GH_ASSIGN_OR_RETURN(enrollment.device_id, RequiredString(answer, "deviceId", what));
  GH_ASSIGN_OR_RETURN(enrollment.device_secret, RequiredString(answer, "deviceSecret", what));
  if (!IsSafePathSegment(enrollment.device_id)) {
    return absl::InternalError(what + ": the UEM answered with an unusable device id");
  }
  return enrollment;
}

absl::StatusOr<CheckInAnswer> CheckIn(const ServerUrl& uem, std::string_view device_id,
                                      std::string_view device_secret, std::int64_t sequence,
                                      const nlohmann::json& posture) {
  const std::string what = "check-in";
  if (!IsSafePathSegment(device_id)) return absl::InvalidArgumentError("bad UEM device id");
  const nlohmann::json body = {{"sequence", sequence}, {"posture", posture}};
  GH_ASSIGN_OR_RETURN(
      nlohmann::json answer,
      PostJson(uem, "/uem/v1/devices/" + std::string(device_id) + "/checkins", body,
               device_secret, what));
  CheckInAnswer result;
  const auto accepted = answer.find("accepted");
  if (accepted == answer.end() || !accepted->is_boolean()) {
    return absl::InternalError(what + ": the answer lacks a boolean \"accepted\"");
  }
  result.accepted = accepted->get<bool>();
  if (const auto state = answer.find("complianceState");
      state != answer.end() && state->is_string()) {
    result.compliance_state = state->get<std::string>();
  }
  if (const auto compliant = answer.find("compliant");
      compliant != answer.end() && compliant->is_boolean()) {
    result.compliant = compliant->get<bool>();
  }
  if (const auto commands = answer.find("commands");
      commands != answer.end() && commands->is_array()) {
    result.commands_json = commands->dump();
  }
  return result;
}

absl::Status PostDirectoryLink(const ServerUrl& uem, std::string_view device_id,
                               std::string_view device_secret,
                               std::string_view directory_device_id) {
  if (!IsSafePathSegment(device_id)) return absl::InvalidArgumentError("bad UEM device id");
  const nlohmann::json body = {{"directoryDeviceId", std::string(directory_device_id)}};
  return PostJson(uem, "/uem/v1/devices/" + std::string(device_id) + "/directoryLink", body,
                  device_secret, "directory link")
      .status();
}

absl::StatusOr<RegistrationNonce> GetRegistrationNonce(const ServerUrl& idp,
                                                       std::string_view code) {
  const std::string what = "registration nonce";
  GH_ASSIGN_OR_RETURN(nlohmann::json answer,
                      PostJson(idp, "/idp/v1/deviceRegistrations/nonce",
                               {{"code", std::string(code)}}, "", what));
  RegistrationNonce nonce;
  GH_ASSIGN_OR_RETURN(nonce.nonce, RequiredString(answer, "nonce", what));
  GH_ASSIGN_OR_RETURN(nonce.binding, RequiredString(answer, "binding", what));
  return nonce;
}

absl::StatusOr<Registration> RegisterDevice(const ServerUrl& idp,
                                            const RegistrationRequest& request) {
  const std::string what = "device registration";
  GH_ASSIGN_OR_RETURN(nlohmann::json jwk, ParseJwk(request.public_jwk));
  nlohmann::json body = {{"code", request.code},
                         {"nonce", request.nonce},
                         {"signature", request.signature},
                         {"publicKey", jwk},
                         {"displayName", request.display_name},
                         {"operatingSystem", request.operating_system}};
  if (!request.operating_system_version.empty()) {
    body["operatingSystemVersion"] = request.operating_system_version;
  }
  GH_ASSIGN_OR_RETURN(nlohmann::json answer,
                      PostJson(idp, "/idp/v1/deviceRegistrations", body, "", what));
  Registration registration;
  GH_ASSIGN_OR_RETURN(registration.device_id, RequiredString(answer, "deviceId", what));
  if (const auto it = answer.find("trustType"); it != answer.end() && it->is_string()) {
    registration.trust_type = it->get<std::string>();
  }
  if (const auto it = answer.find("registeredOwnerId"); it != answer.end() && it->is_string()) {
    registration.registered_owner_id = it->get<std::string>();
  }
  return registration;
}

}  // namespace gatehouse::agent
