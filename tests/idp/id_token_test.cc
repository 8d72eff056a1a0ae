#include "idp/id_token.h"

#include <string>

#include "crypto/crypto.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::idp {
namespace {

using nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1714557600);

IdTokenClaims IdClaims() {
  IdTokenClaims claims;
  claims.issuer = "https://idp.example";
  claims.subject = "user-alice";
  claims.audience = "app-1";
  claims.issued_at = kNow;
  claims.lifetime = absl::Minutes(60);
  claims.auth_time = kNow - absl::Seconds(30);
  claims.nonce = "n-0S6_WzA2Mj";
  claims.amr = {"pwd", "otp", "mfa"};
  claims.device_id = "device-1";
  claims.session_id = "sid-1";
  return claims;
}

TEST(BuildIdTokenClaims, CarriesTheOidcClaimsAsNumericDates) {
  const json claims = json::parse(*BuildIdTokenClaims(IdClaims()));
  EXPECT_EQ(claims["iss"], "https://idp.example");
  EXPECT_EQ(claims["sub"], "user-alice");
  EXPECT_EQ(claims["aud"], "app-1");
  EXPECT_EQ(claims["iat"], 1714557600);
  EXPECT_EQ(claims["exp"], 1714557600 + 3600);
  EXPECT_EQ(claims["auth_time"], 1714557570);
  EXPECT_EQ(claims["nonce"], "n-0S6_WzA2Mj");
  EXPECT_EQ(claims["amr"], json::array({"pwd", "otp", "mfa"}));
  EXPECT_EQ(claims["deviceid"], "device-1");
  EXPECT_EQ(claims["sid"], "sid-1");
  EXPECT_FALSE(claims.contains("acr"));
}

TEST(BuildIdTokenClaims, OmitsDeviceIdAndNonceWhenAbsent) {
  IdTokenClaims input = IdClaims();
  input.device_id.reset();
  input.nonce.reset();
  input.acr = "1";
  input.email = "alice@contoso.com";
  const json claims = json::parse(*BuildIdTokenClaims(input));
  EXPECT_FALSE(claims.contains("deviceid"));
  EXPECT_FALSE(claims.contains("nonce"));
  EXPECT_EQ(claims["acr"], "1");
  EXPECT_EQ(claims["email"], "alice@contoso.com");
}

TEST(BuildIdTokenClaims, RefusesMissingRequiredClaims) {
  IdTokenClaims no_issuer = IdClaims();
  no_issuer.issuer.clear();
  EXPECT_EQ(BuildIdTokenClaims(no_issuer).status().code(), absl::StatusCode::kInvalidArgument);
  IdTokenClaims no_auth_time = IdClaims();
  no_auth_time.auth_time = absl::InfinitePast();
  EXPECT_FALSE(BuildIdTokenClaims(no_auth_time).ok());
  IdTokenClaims no_lifetime = IdClaims();
  no_lifetime.lifetime = absl::ZeroDuration();
  EXPECT_FALSE(BuildIdTokenClaims(no_lifetime).ok());
}

TEST(BuildAccessTokenClaims, CarriesRfc9068ClaimsAndARandomJti) {
  AccessTokenClaims input;
  input.issuer = "https://idp.example";
  input.subject = "user-alice";
  input.audience = "https://api.example";
  input.client_id = "app-1";
  input.scope = "openid api.read";
  input.issued_at = kNow;
  input.auth_time = kNow;
  input.amr = {"pwd"};
  input.device_id = "device-1";
  const json a = json::parse(*BuildAccessTokenClaims(input));
  const json b = json::parse(*BuildAccessTokenClaims(input));
  EXPECT_EQ(a["client_id"], "app-1");
  EXPECT_EQ(a["aud"], "https://api.example");
  EXPECT_EQ(a["scope"], "openid api.read");
  EXPECT_EQ(a["exp"], 1714557600 + 3600);
  EXPECT_EQ(a["deviceid"], "device-1");
  EXPECT_NE(a["jti"], b["jti"]);
  input.client_id.clear();
  EXPECT_FALSE(BuildAccessTokenClaims(input).ok());
}

KeyRingOptions RingOptions() {
  return KeyRingOptions{.max_token_lifetime = absl::Hours(1),
                        .clock_skew = absl::Minutes(5),
                        .min_next_publication = absl::Hours(24)};
}

std::vector<std::string> Kids(const std::string& jwks) {
  std::vector<std::string> kids;
  const json doc = json::parse(jwks);  // named: a temporary would die before the loop body
  for (const json& key : doc["keys"]) kids.push_back(key["kid"]);
  return kids;
}

TEST(KeyRing, PublishesTheNextKeyBeforeItSignsAnything) {
  KeyRing ring = *KeyRing::Create(kNow, RingOptions());
  const std::string next_kid = ring.next().key_id();
  const std::string active_kid = ring.active().key_id();
  EXPECT_NE(next_kid, active_kid);
  EXPECT_EQ(Kids(ring.PublishedJwks(kNow)), (std::vector<std::string>{active_kid, next_kid}));
  // Tokens are signed by the active key only.
  const std::string token = *ring.Sign(*BuildIdTokenClaims(IdClaims()));
  crypto::JwtVerifier active_only;
  ASSERT_TRUE(active_only.AddJwk(ring.active().PublicJwk()).ok());
  EXPECT_TRUE(active_only.Verify(token).ok());
  crypto::JwtVerifier next_only;
  ASSERT_TRUE(next_only.AddJwk(ring.next().PublicJwk()).ok());
  EXPECT_FALSE(next_only.Verify(token).ok());
}

TEST(KeyRing, RefusesToActivateANextKeyPublishedForLessThanTheCachePeriod) {
  KeyRing ring = *KeyRing::Create(kNow, RingOptions());
  const std::string active_kid = ring.active().key_id();
  const absl::Status early = ring.Rotate(kNow + absl::Hours(23));
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ring.active().key_id(), active_kid);
  EXPECT_EQ(ring.entries().size(), 2u);
}

TEST(KeyRing, RotationPromotesNextAndKeepsTheOldKeyUntilItsLastTokenExpires) {
  KeyRing ring = *KeyRing::Create(kNow, RingOptions());
  const std::string first_kid = ring.active().key_id();
  const std::string second_kid = ring.next().key_id();
  const absl::Time rotation = kNow + absl::Hours(24);
  // A verifier that fetched the JWKS before the rotation...
  crypto::JwtVerifier cached;
  const json published = json::parse(ring.PublishedJwks(kNow));
  for (const json& key : published["keys"]) {
    ASSERT_TRUE(cached.AddJwk(key.dump()).ok());
  }
  const std::string old_token = *ring.Sign(*BuildIdTokenClaims(IdClaims()));
  ASSERT_TRUE(ring.Rotate(rotation).ok());
  EXPECT_EQ(ring.active().key_id(), second_kid);
  const std::string third_kid = ring.next().key_id();
  // ...already knows the key that signs from now on.
  const std::string new_token = *ring.Sign(*BuildIdTokenClaims(IdClaims()));
  EXPECT_TRUE(cached.Verify(new_token).ok());
  EXPECT_TRUE(cached.Verify(old_token).ok());
  // The retired key stays published for the longest token lifetime plus skew, then goes.
  EXPECT_EQ(Kids(ring.PublishedJwks(rotation)),
            (std::vector<std::string>{second_kid, third_kid, first_kid}));
  const absl::Time last_expiry = rotation + absl::Hours(1) + absl::Minutes(5);
  EXPECT_EQ(Kids(ring.PublishedJwks(last_expiry - absl::Seconds(1))).size(), 3u);
  EXPECT_EQ(Kids(ring.PublishedJwks(last_expiry)),
            (std::vector<std::string>{second_kid, third_kid}));
  ring.PurgeExpired(last_expiry);
  EXPECT_EQ(ring.entries().size(), 2u);
}

TEST(KeyRing, ReplacingACompromisedActiveKeyUnpublishesItAtOnce) {
  KeyRing ring = *KeyRing::Create(kNow, RingOptions());
  const std::string compromised = ring.active().key_id();
  const std::string next_kid = ring.next().key_id();
  ASSERT_TRUE(ring.ReplaceCompromisedActive(kNow + absl::Minutes(1)).ok());
  EXPECT_EQ(ring.active().key_id(), next_kid);
  const std::vector<std::string> kids = Kids(ring.PublishedJwks(kNow + absl::Minutes(1)));
  EXPECT_EQ(kids.size(), 2u);
  EXPECT_EQ(std::count(kids.begin(), kids.end(), compromised), 0);
}

TEST(KeyRing, SerializesAndRestoresEveryKeyAndTime) {
  KeyRing ring = *KeyRing::Create(kNow, RingOptions());
  ASSERT_TRUE(ring.Rotate(kNow + absl::Hours(24)).ok());
  const std::string token = *ring.Sign(*BuildIdTokenClaims(IdClaims()));
  const KeyRing restored = *KeyRing::Restore(ring.Serialize(), RingOptions());
  EXPECT_EQ(restored.Serialize(), ring.Serialize());
  EXPECT_EQ(restored.PublishedJwks(kNow + absl::Hours(24)),
            ring.PublishedJwks(kNow + absl::Hours(24)));
  crypto::JwtVerifier verifier;
  ASSERT_TRUE(verifier.AddJwk(restored.active().PublicJwk()).ok());
  EXPECT_TRUE(verifier.Verify(token).ok());
  // The restored ring keeps the schedule: the next key was created at the rotation.
  KeyRing copy = restored;
  EXPECT_FALSE(copy.Rotate(kNow + absl::Hours(47)).ok());
  EXPECT_TRUE(copy.Rotate(kNow + absl::Hours(48)).ok());
}

TEST(KeyRing, RestoreRefusesMalformedRings) {
  const KeyRing ring = *KeyRing::Create(kNow, RingOptions());
  json doc = json::parse(ring.Serialize());
  EXPECT_FALSE(KeyRing::Restore("[]").ok());
  json wrong_version = doc;
  wrong_version["version"] = 2;
  EXPECT_FALSE(KeyRing::Restore(wrong_version.dump()).ok());
  json two_active = doc;
  two_active["keys"][1]["state"] = "active";
  EXPECT_EQ(KeyRing::Restore(two_active.dump()).status().message(),
            "key ring: exactly one active and one next key required");
  json duplicate = doc;
  duplicate["keys"][1]["kid"] = doc["keys"][0]["kid"];
  EXPECT_FALSE(KeyRing::Restore(duplicate.dump()).ok());
  json bad_pem = doc;
  bad_pem["keys"][0]["privateKeyPem"] = "garbage";
  EXPECT_FALSE(KeyRing::Restore(bad_pem.dump()).ok());
  json retired_without_end = doc;
  retired_without_end["keys"].push_back(doc["keys"][0]);
  retired_without_end["keys"][2]["kid"] = "other";
  retired_without_end["keys"][2]["state"] = "retired";
  EXPECT_FALSE(KeyRing::Restore(retired_without_end.dump()).ok());
}

}  // namespace
}  // namespace gatehouse::idp
