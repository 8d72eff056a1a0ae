// OpenID Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414) served at
// <issuer>/.well-known/openid-configuration, and the endpoint paths the server mounts.
//
// What it advertises is exactly what the provider implements: the authorization code flow only
// (no implicit or hybrid flow), PKCE S256 only, ES256 ID tokens, public subject identifiers, and
// client authentication by client_secret_basic, client_secret_post or none (public clients,
// which must use PKCE).
//
// Pure functions. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gatehouse::idp {

inline constexpr std::string_view kDiscoveryPath = "/.well-known/openid-configuration";
inline constexpr std::string_view kAuthorizationPath = "/authorize";
inline constexpr std::string_view kTokenPath = "/token";
inline constexpr std::string_view kJwksPath = "/.well-known/jwks.json";
inline constexpr std::string_view kUserInfoPath = "/userinfo";

// The issuer identifier as tokens carry it: an https URL without query or fragment, with any
// trailing "/" removed. Plain http is accepted only for loopback hosts (localhost, 127.0.0.1,
// [::1]) so development and tests work without TLS. InvalidArgument otherwise.
absl::StatusOr<std::string> NormalizeIssuer(std::string_view issuer);

// The metadata document (JSON object text) for `issuer`; endpoints are issuer + path. Errors as
// NormalizeIssuer.
absl::StatusOr<std::string> OpenIdProviderMetadata(std::string_view issuer);

}  // namespace gatehouse::idp
