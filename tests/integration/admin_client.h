// An admin API client for integration tests (a thin layer over http::Fetch that adds the bearer
// token and JSON handling), and a gtest fixture that runs one server on a fresh data directory.
//
// AdminClient is safe to use from several threads once its token is set.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "http/http_server.h"
#include "integration/server_process.h"
#include "nlohmann/json.hpp"

namespace gatehouse::integration {

using nlohmann::json;

inline constexpr const char* kPolicies = "/v1.0/identity/conditionalAccess/policies";
inline constexpr const char* kNamedLocations = "/v1.0/identity/conditionalAccess/namedLocations";
inline constexpr const char* kStrengths =
    "/v1.0/identity/conditionalAccess/authenticationStrength/policies";
inline constexpr const char* kEmergencyGroup = "22222222-0000-4000-8000-000000000003";
inline constexpr const char* kGlobalAdministrator = "62e90394-69f5-4237-9190-012177145e10";

// Header value by case-insensitive name, "" when absent.
inline std::string HeaderOf(const http::HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

// The body as JSON, or a string value holding the unparsable text (so assertions print it).
inline json BodyOf(const http::HttpResponse& response) {
  json doc = json::parse(response.body, nullptr, false);
  if (doc.is_discarded()) return json(response.body);
  return doc;
}

inline std::string FormEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    if (absl::ascii_isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

class AdminClient {
 public:
  explicit AdminClient(std::uint16_t port = 0) : port_(port) {}

  void set_port(std::uint16_t port) { port_ = port; }
  void set_token(std::string token) { token_ = std::move(token); }
  const std::string& token() const { return token_; }

  // Any request; a transport failure comes back as status 0 with the error as the body.
  http::HttpResponse Send(const std::string& method, const std::string& target,
                          const std::string& body = "",
                          std::vector<std::pair<std::string, std::string>> headers = {},
                          bool with_token = true) const {
    http::ClientRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.headers = std::move(headers);
    if (with_token && !token_.empty())
      request.headers.emplace_back("Authorization", "Bearer " + token_);
    if (!body.empty()) {
      bool has_type = false;
      for (const auto& [k, v] : request.headers)
        has_type = has_type || absl::EqualsIgnoreCase(k, "content-type");
      if (!has_type) request.headers.emplace_back("Content-Type", "application/json");
    }
    auto response = http::Fetch("127.0.0.1", port_, request, std::chrono::seconds(20));
    if (!response.ok()) return http::HttpResponse{0, {}, std::string(response.status().message())};
    return *response;
  }
  http::HttpResponse Get(const std::string& target) const { return Send("GET", target); }
  http::HttpResponse Post(const std::string& target, const json& body,
                          std::vector<std::pair<std::string, std::string>> headers = {}) const {
    return Send("POST", target, body.dump(), std::move(headers));
  }
  http::HttpResponse Patch(const std::string& target, const json& body,
                           std::vector<std::pair<std::string, std::string>> headers = {}) const {
    return Send("PATCH", target, body.dump(), std::move(headers));
  }
  http::HttpResponse Delete(const std::string& target) const { return Send("DELETE", target); }

  // POST /oauth2/v2.0/token with the client-credentials grant.
  http::HttpResponse RequestToken(const std::string& client_id, const std::string& secret,
                                  const std::string& scope = "") const {
    std::string form = "grant_type=client_credentials&client_id=" + FormEncode(client_id) +
                       "&client_secret=" + FormEncode(secret);
    if (!scope.empty()) form += "&scope=" + FormEncode(scope);
    return Send("POST", "/oauth2/v2.0/token", form,
                {{"Content-Type", "application/x-www-form-urlencoded"}}, /*with_token=*/false);
  }
  // A token for the bootstrap client, or "" (the failure is recorded with ADD_FAILURE).
  std::string TokenFor(const std::string& secret, const std::string& scope = "") const {
    auto response = RequestToken("gatehouse-bootstrap", secret, scope);
    json body = BodyOf(response);
    if (response.status != 200 || !body.contains("access_token")) {
      ADD_FAILURE() << "token request failed: " << response.status << " " << response.body;
      return "";
    }
    return body["access_token"].get<std::string>();
  }

 private:
  std::uint16_t port_;
  std::string token_;
};

// One server per test on a fresh data directory; `admin` holds a token with every bootstrap scope.
class ServerTest : public ::testing::Test {
 protected:
  std::string DataDir() const { return temp_.Sub("data"); }

  // Starts (or restarts) the server on this test's data directory.
  void StartServer(std::vector<std::string> extra_args = {}) {
    server_ = std::make_unique<ServerProcess>(DataDir(), std::move(extra_args));
    std::string error = server_->Start();
    ASSERT_EQ(error, "");
    admin.set_port(server_->port());
    if (!server_->bootstrap_secret().empty()) {
      secret_ = server_->bootstrap_secret();
      admin.set_token(admin.TokenFor(secret_));
      ASSERT_FALSE(admin.token().empty());
    }
  }
  void StartDemoServer() {
    StartServer({"--demo", "--rate-limit", "0", "--emergency-access-group", kEmergencyGroup});
  }

  ServerProcess& server() { return *server_; }
  const std::string& secret() const { return secret_; }

  TempDir temp_;
  std::unique_ptr<ServerProcess> server_;
  std::string secret_;
  AdminClient admin;
};

}  // namespace gatehouse::integration
