#include "idp/refresh_tokens.h"

#include <string>

#include "crypto/crypto.h"
#include "gtest/gtest.h"

namespace gatehouse::idp {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1714557600);

RefreshGrant Grant(std::string user = "user-alice", std::string device = "device-1") {
  RefreshGrant grant;
  grant.client_id = "app-1";
  grant.user_id = std::move(user);
  grant.scope = "openid offline_access";
  grant.device_id = std::move(device);
  grant.auth_methods = {"pwd", "otp"};
  grant.auth_time = kNow;
  grant.session_id = "sid-1";
  return grant;
}

RefreshTokenOptions Options() {
  return RefreshTokenOptions{.absolute_lifetime = absl::Hours(24), .idle_timeout = absl::Hours(2)};
}

TEST(RefreshTokenStore, RotatesOnEveryUseAndCarriesTheGrant) {
  InMemoryRefreshTokenStore store(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  const absl::StatusOr<IssuedRefreshToken> second =
      store.Rotate(first.token, "app-1", kNow + absl::Minutes(10));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->token, first.token);
  EXPECT_EQ(second->family_id, first.family_id);
  EXPECT_EQ(second->grant.user_id, "user-alice");
  EXPECT_EQ(second->grant.device_id, "device-1");
  EXPECT_EQ(second->grant.auth_methods, (std::vector<std::string>{"pwd", "otp"}));
  EXPECT_EQ(second->expires, kNow + absl::Minutes(10) + absl::Hours(2));
  EXPECT_TRUE(store.Rotate(second->token, "app-1", kNow + absl::Minutes(20)).ok());
}

TEST(RefreshTokenStore, ReuseOfARotatedTokenRevokesTheWholeFamily) {
  InMemoryRefreshTokenStore store(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  const IssuedRefreshToken second = *store.Rotate(first.token, "app-1", kNow);
  // An attacker replays the stolen first token.
  const absl::StatusOr<IssuedRefreshToken> replay = store.Rotate(first.token, "app-1", kNow);
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(replay.status().message(),
            "refresh token was already used (reuse detected); its family is revoked");
  // The legitimate client's current token no longer works either.
  const absl::StatusOr<IssuedRefreshToken> legit = store.Rotate(second.token, "app-1", kNow);
  EXPECT_EQ(legit.status().message(), "refresh token family was revoked");
}

TEST(RefreshTokenStore, ReuseRevokesOnlyThatFamily) {
  InMemoryRefreshTokenStore store(Options());
  const IssuedRefreshToken a = *store.StartFamily(Grant(), kNow);
  const IssuedRefreshToken b = *store.StartFamily(Grant(), kNow);
  ASSERT_TRUE(store.Rotate(a.token, "app-1", kNow).ok());
  EXPECT_FALSE(store.Rotate(a.token, "app-1", kNow).ok());
  EXPECT_TRUE(store.Rotate(b.token, "app-1", kNow).ok());
}

TEST(RefreshTokenStore, ATokenPresentedByAnotherClientIsRefusedAndRevokesTheFamily) {
  InMemoryRefreshTokenStore store(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  EXPECT_EQ(store.Rotate(first.token, "app-2", kNow).status().message(),
            "refresh token was issued to another client; its family is revoked");
  EXPECT_FALSE(store.Rotate(first.token, "app-1", kNow).ok());
}

TEST(RefreshTokenStore, RefusesATokenIdleLongerThanTheIdleTimeout) {
  InMemoryRefreshTokenStore store(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  EXPECT_EQ(store.Rotate(first.token, "app-1", kNow + absl::Hours(2)).status().message(),
            "refresh token has not been used for too long");
}

TEST(RefreshTokenStore, EndsTheFamilyAtItsAbsoluteLifetimeEvenWhenUsedOften) {
  InMemoryRefreshTokenStore store(Options());
  IssuedRefreshToken current = *store.StartFamily(Grant(), kNow);
  absl::Time t = kNow;
  for (int i = 0; i < 23; ++i) {
    t += absl::Hours(1);
    absl::StatusOr<IssuedRefreshToken> next = store.Rotate(current.token, "app-1", t);
    ASSERT_TRUE(next.ok()) << i << ": " << next.status();
    current = *std::move(next);
  }
  EXPECT_EQ(current.expires, kNow + absl::Hours(24));  // capped by the family end
  EXPECT_EQ(store.Rotate(current.token, "app-1", kNow + absl::Hours(24)).status().message(),
            "refresh token family has expired; sign in again");
}

TEST(RefreshTokenStore, RefusesUnknownTokens) {
  InMemoryRefreshTokenStore store(Options());
  ASSERT_TRUE(store.StartFamily(Grant(), kNow).ok());
  EXPECT_EQ(store.Rotate(crypto::RandomToken(32), "app-1", kNow).status().message(),
            "refresh token is unknown or expired");
}

TEST(RefreshTokenStore, RevokeTokenRevokesItsFamilyButNotForAnotherClient) {
  InMemoryRefreshTokenStore store(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  EXPECT_EQ(store.RevokeToken(first.token, "app-2").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(store.Rotate(first.token, "app-1", kNow).ok());  // nothing was revoked
  const IssuedRefreshToken other = *store.StartFamily(Grant(), kNow);
  EXPECT_TRUE(store.RevokeToken(other.token, "app-1").ok());
  EXPECT_FALSE(store.Rotate(other.token, "app-1", kNow).ok());
  EXPECT_TRUE(store.RevokeToken("unknown", "app-1").ok());  // RFC 7009 §2.2
}

TEST(RefreshTokenStore, RevokesEveryFamilyOfAUserOrADevice) {
  InMemoryRefreshTokenStore store(Options());
  const IssuedRefreshToken alice1 = *store.StartFamily(Grant("alice", "d1"), kNow);
  const IssuedRefreshToken alice2 = *store.StartFamily(Grant("alice", "d2"), kNow);
  const IssuedRefreshToken bob = *store.StartFamily(Grant("bob", "d3"), kNow);
  EXPECT_EQ(store.RevokeDevice("d2"), 1u);
  EXPECT_FALSE(store.Rotate(alice2.token, "app-1", kNow).ok());
  EXPECT_TRUE(store.Rotate(alice1.token, "app-1", kNow).ok());
  EXPECT_EQ(store.RevokeUser("alice"), 1u);  // alice2's family was already revoked
  EXPECT_TRUE(store.Rotate(bob.token, "app-1", kNow).ok());
}

TEST(RefreshTokenStore, RevokeFamilyById) {
  InMemoryRefreshTokenStore store(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  EXPECT_TRUE(store.RevokeFamily(first.family_id).ok());
  EXPECT_FALSE(store.Rotate(first.token, "app-1", kNow).ok());
  EXPECT_EQ(store.RevokeFamily("rtf_unknown").code(), absl::StatusCode::kNotFound);
}

TEST(RefreshTokenStore, PurgesFamiliesPastTheirAbsoluteLifetime) {
  InMemoryRefreshTokenStore store(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  ASSERT_TRUE(store.StartFamily(Grant(), kNow + absl::Hours(12)).ok());
  store.PurgeExpired(kNow + absl::Hours(24));
  EXPECT_EQ(store.family_count(), 1u);
  EXPECT_EQ(store.Rotate(first.token, "app-1", kNow + absl::Hours(24)).status().message(),
            "refresh token is unknown or expired");
}

TEST(RefreshTokenStore, RequiresClientAndUser) {
  InMemoryRefreshTokenStore store(Options());
  RefreshGrant grant = Grant();
  grant.client_id.clear();
  EXPECT_EQ(store.StartFamily(grant, kNow).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RefreshTokenStore, IsBounded) {
  InMemoryRefreshTokenStore store(RefreshTokenOptions{
      .absolute_lifetime = absl::Hours(1), .idle_timeout = absl::Hours(1), .max_families = 1});
  ASSERT_TRUE(store.StartFamily(Grant(), kNow).ok());
  EXPECT_EQ(store.StartFamily(Grant(), kNow).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store.StartFamily(Grant(), kNow + absl::Hours(1)).ok());
}

}  // namespace
}  // namespace gatehouse::idp
