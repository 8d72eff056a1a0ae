#include "idp/discovery.h"

#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace gatehouse::idp {

absl::StatusOr<std::string> NormalizeIssuer(std::string_view issuer) {
  std::string value(issuer);
  while (!value.empty() && value.back() == '/') value.pop_back();
  if (value.find_first_of("?#") != std::string::npos) {
    return absl::InvalidArgumentError("issuer must not have a query or fragment");
  }
  for (const char c : value) {
    if (c <= 0x20 || c >= 0x7F) {
      return absl::InvalidArgumentError(
          "issuer must be a URL without spaces or control characters");
    }
  }
  std::string_view rest;
  bool https = false;
  if (value.rfind("https://", 0) == 0) {
    https = true;
    rest = std::string_view(value).substr(8);
  } else if (value.rfind("http://", 0) == 0) {
    rest = std::string_view(value).substr(7);
  } else {
    return absl::InvalidArgumentError("issuer must be an https URL");
  }
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError("issuer must name a host (and no user info)");
  }
  if (!https) {
    std::string_view host = authority;
    if (host.rfind("[::1]", 0) == 0) {
      host = "[::1]";
    } else {
      host = host.substr(0, host.find(':'));
    }
    if (host != "localhost" && host != "127.0.0.1" && host != "[::1]") {
      return absl::InvalidArgumentError("issuer must use https (http only for loopback hosts)");
    }
  }
  return value;
}

absl::StatusOr<std::string> OpenIdProviderMetadata(std::string_view issuer) {
  absl::StatusOr<std::string> base = NormalizeIssuer(issuer);
  if (!base.ok()) return base.status();
  nlohmann::ordered_json doc;
  doc["issuer"] = *base;
  doc["authorization_endpoint"] = *base + std::string(kAuthorizationPath);
  doc["token_endpoint"] = *base + std::string(kTokenPath);
  doc["jwks_uri"] = *base + std::string(kJwksPath);
  doc["userinfo_endpoint"] = *base + std::string(kUserInfoPath);
  doc["response_types_supported"] = nlohmann::ordered_json::array({"code"});
  doc["response_modes_supported"] = nlohmann::ordered_json::array({"query"});
  doc["grant_types_supported"] = {"authorization_code", "refresh_token"};
  doc["code_challenge_methods_supported"] = nlohmann::ordered_json::array({"S256"});
  doc["subject_types_supported"] = nlohmann::ordered_json::array({"public"});
  doc["id_token_signing_alg_values_supported"] = nlohmann::ordered_json::array({"ES256"});
  doc["scopes_supported"] = {"openid", "profile", "email", "offline_access"};
  doc["claims_supported"] = {
      "iss", "sub", "aud", "exp",      "iat",  "auth_time",          "nonce",
      "amr", "acr", "sid", "deviceid", "name", "preferred_username", "email"};
  doc["token_endpoint_auth_methods_supported"] = {"client_secret_basic", "client_secret_post",
                                                  "none"};
  doc["claims_parameter_supported"] = false;
  doc["request_parameter_supported"] = false;
  doc["request_uri_parameter_supported"] = false;
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace gatehouse::idp
