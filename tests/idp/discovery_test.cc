#include "idp/discovery.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::idp {
namespace {

using nlohmann::json;

TEST(OpenIdProviderMetadata, DescribesTheCodeFlowWithPkceAndEs256) {
  const json doc = json::parse(*OpenIdProviderMetadata("https://idp.example/"));
  EXPECT_EQ(doc["issuer"], "https://idp.example");
  EXPECT_EQ(doc["authorization_endpoint"], "https://idp.example/authorize");
  EXPECT_EQ(doc["token_endpoint"], "https://idp.example/token");
  EXPECT_EQ(doc["jwks_uri"], "https://idp.example/.well-known/jwks.json");
  EXPECT_EQ(doc["userinfo_endpoint"], "https://idp.example/userinfo");
  EXPECT_EQ(doc["response_types_supported"], json::array({"code"}));
  EXPECT_EQ(doc["grant_types_supported"], json::array({"authorization_code", "refresh_token"}));
  EXPECT_EQ(doc["code_challenge_methods_supported"], json::array({"S256"}));
  EXPECT_EQ(doc["id_token_signing_alg_values_supported"], json::array({"ES256"}));
  EXPECT_EQ(doc["subject_types_supported"], json::array({"public"}));
  EXPECT_EQ(doc["token_endpoint_auth_methods_supported"],
            json::array({"client_secret_basic", "client_secret_post", "none"}));
  EXPECT_EQ(doc["scopes_supported"], json::array({"openid", "profile", "email", "offline_access"}));
  const json& claims = doc["claims_supported"];
  for (const char* claim : {"sub", "amr", "deviceid", "sid", "nonce", "auth_time"}) {
    EXPECT_NE(std::find(claims.begin(), claims.end(), claim), claims.end()) << claim;
  }
}

TEST(OpenIdProviderMetadata, KeepsAnIssuerPath) {
  const json doc = json::parse(*OpenIdProviderMetadata("https://idp.example/tenant-1"));
  EXPECT_EQ(doc["token_endpoint"], "https://idp.example/tenant-1/token");
}

TEST(NormalizeIssuer, AllowsPlainHttpOnlyOnLoopback) {
  EXPECT_EQ(*NormalizeIssuer("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
  EXPECT_TRUE(NormalizeIssuer("http://localhost:8080").ok());
  EXPECT_TRUE(NormalizeIssuer("http://[::1]:8080").ok());
  EXPECT_EQ(NormalizeIssuer("http://idp.example").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(NormalizeIssuer("http://localhost.evil.example").ok());
}

TEST(NormalizeIssuer, RefusesQueriesFragmentsUserInfoAndOtherSchemes) {
  EXPECT_FALSE(NormalizeIssuer("https://idp.example/?a=b").ok());
  EXPECT_FALSE(NormalizeIssuer("https://idp.example/#x").ok());
  EXPECT_FALSE(NormalizeIssuer("https://user@idp.example").ok());
  EXPECT_FALSE(NormalizeIssuer("ftp://idp.example").ok());
  EXPECT_FALSE(NormalizeIssuer("https://").ok());
  EXPECT_FALSE(NormalizeIssuer("https://idp example").ok());
  EXPECT_FALSE(OpenIdProviderMetadata("idp.example").ok());
}

}  // namespace
}  // namespace gatehouse::idp
