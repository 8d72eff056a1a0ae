#include "idp/refresh_tokens.h"

#include <memory>
#include <string>

#include "crypto/crypto.h"
#include "gtest/gtest.h"
#include "idp/stored_refresh_tokens.h"
#include "store/temp_dir.h"

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

// Every behaviour below is the RefreshTokenStore contract: it runs against the in-memory store
// and against the durable one on the SQLite store.
class RefreshTokenStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  RefreshTokenStore& Make(RefreshTokenOptions options) {
    if (GetParam() == "InMemory") {
      tokens_ = std::make_unique<InMemoryRefreshTokenStore>(options);
    } else {
      auto opened = store::OpenSqliteStore(dir_.path());
      EXPECT_TRUE(opened.ok()) << opened.status();
      backing_ = std::move(*opened);
      tokens_ = std::make_unique<StoredRefreshTokenStore>(*backing_, options);
    }
    return *tokens_;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> backing_;
  std::unique_ptr<RefreshTokenStore> tokens_;
};

INSTANTIATE_TEST_SUITE_P(Backends, RefreshTokenStoreTest, ::testing::Values("InMemory", "Sqlite"),
                         [](const auto& info) { return info.param; });

TEST_P(RefreshTokenStoreTest, RotatesOnEveryUseAndCarriesTheGrant) {
  RefreshTokenStore& store = Make(Options());
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

TEST_P(RefreshTokenStoreTest, ReuseOfARotatedTokenRevokesTheWholeFamily) {
  RefreshTokenStore& store = Make(Options());
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

TEST_P(RefreshTokenStoreTest, ReuseRevokesOnlyThatFamily) {
  RefreshTokenStore& store = Make(Options());
  const IssuedRefreshToken a = *store.StartFamily(Grant(), kNow);
  const IssuedRefreshToken b = *store.StartFamily(Grant(), kNow);
  ASSERT_TRUE(store.Rotate(a.token, "app-1", kNow).ok());
  EXPECT_FALSE(store.Rotate(a.token, "app-1", kNow).ok());
  EXPECT_TRUE(store.Rotate(b.token, "app-1", kNow).ok());
}

TEST_P(RefreshTokenStoreTest, ATokenPresentedByAnotherClientIsRefusedAndRevokesTheFamily) {
  RefreshTokenStore& store = Make(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  EXPECT_EQ(store.Rotate(first.token, "app-2", kNow).status().message(),
            "refresh token was issued to another client; its family is revoked");
  EXPECT_FALSE(store.Rotate(first.token, "app-1", kNow).ok());
}

TEST_P(RefreshTokenStoreTest, RefusesATokenIdleLongerThanTheIdleTimeout) {
  RefreshTokenStore& store = Make(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  EXPECT_EQ(store.Rotate(first.token, "app-1", kNow + absl::Hours(2)).status().message(),
            "refresh token has not been used for too long");
}

TEST_P(RefreshTokenStoreTest, EndsTheFamilyAtItsAbsoluteLifetimeEvenWhenUsedOften) {
  RefreshTokenStore& store = Make(Options());
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

TEST_P(RefreshTokenStoreTest, RefusesUnknownTokens) {
  RefreshTokenStore& store = Make(Options());
  ASSERT_TRUE(store.StartFamily(Grant(), kNow).ok());
  EXPECT_EQ(store.Rotate(crypto::RandomToken(32), "app-1", kNow).status().message(),
            "refresh token is unknown or expired");
}

TEST_P(RefreshTokenStoreTest, RevokeTokenRevokesItsFamilyButNotForAnotherClient) {
  RefreshTokenStore& store = Make(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  EXPECT_EQ(store.RevokeToken(first.token, "app-2").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(store.Rotate(first.token, "app-1", kNow).ok());  // nothing was revoked
  const IssuedRefreshToken other = *store.StartFamily(Grant(), kNow);
  EXPECT_TRUE(store.RevokeToken(other.token, "app-1").ok());
  EXPECT_FALSE(store.Rotate(other.token, "app-1", kNow).ok());
  EXPECT_TRUE(store.RevokeToken("unknown", "app-1").ok());  // RFC 7009 §2.2
}

TEST_P(RefreshTokenStoreTest, RevokesEveryFamilyOfAUserOrADevice) {
  RefreshTokenStore& store = Make(Options());
  const IssuedRefreshToken alice1 = *store.StartFamily(Grant("alice", "d1"), kNow);
  const IssuedRefreshToken alice2 = *store.StartFamily(Grant("alice", "d2"), kNow);
  const IssuedRefreshToken bob = *store.StartFamily(Grant("bob", "d3"), kNow);
  EXPECT_EQ(store.RevokeDevice("d2"), 1u);
  EXPECT_FALSE(store.Rotate(alice2.token, "app-1", kNow).ok());
  EXPECT_TRUE(store.Rotate(alice1.token, "app-1", kNow).ok());
  EXPECT_EQ(store.RevokeUser("alice"), 1u);  // alice2's family was already revoked
  EXPECT_TRUE(store.Rotate(bob.token, "app-1", kNow).ok());
}

TEST_P(RefreshTokenStoreTest, RevokeFamilyById) {
  RefreshTokenStore& store = Make(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  EXPECT_TRUE(store.RevokeFamily(first.family_id).ok());
  EXPECT_FALSE(store.Rotate(first.token, "app-1", kNow).ok());
  EXPECT_EQ(store.RevokeFamily("rtf_unknown").code(), absl::StatusCode::kNotFound);
}

TEST_P(RefreshTokenStoreTest, PurgesFamiliesPastTheirAbsoluteLifetime) {
  RefreshTokenStore& store = Make(Options());
  const IssuedRefreshToken first = *store.StartFamily(Grant(), kNow);
  ASSERT_TRUE(store.StartFamily(Grant(), kNow + absl::Hours(12)).ok());
  store.PurgeExpired(kNow + absl::Hours(24));
  EXPECT_EQ(store.family_count(), 1u);
  EXPECT_EQ(store.Rotate(first.token, "app-1", kNow + absl::Hours(24)).status().message(),
            "refresh token is unknown or expired");
}

TEST_P(RefreshTokenStoreTest, RequiresClientAndUser) {
  RefreshTokenStore& store = Make(Options());
  RefreshGrant grant = Grant();
  grant.client_id.clear();
  EXPECT_EQ(store.StartFamily(grant, kNow).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(RefreshTokenStoreTest, IsBounded) {
  RefreshTokenStore& store = Make(RefreshTokenOptions{
      .absolute_lifetime = absl::Hours(1), .idle_timeout = absl::Hours(1), .max_families = 1});
  ASSERT_TRUE(store.StartFamily(Grant(), kNow).ok());
  EXPECT_EQ(store.StartFamily(Grant(), kNow).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store.StartFamily(Grant(), kNow + absl::Hours(1)).ok());
}

TEST(StoredRefreshTokenStore, FamiliesSurviveAReopenOfTheStore) {
  store::testing::TempDir dir;
  std::string token;
  {
    auto backing = store::OpenSqliteStore(dir.path());
    ASSERT_TRUE(backing.ok());
    StoredRefreshTokenStore tokens(**backing, Options());
    token = tokens.StartFamily(Grant(), kNow)->token;
  }
  auto backing = store::OpenSqliteStore(dir.path());
  ASSERT_TRUE(backing.ok());
  StoredRefreshTokenStore tokens(**backing, Options());
  auto rotated = tokens.Rotate(token, "app-1", kNow + absl::Minutes(1));
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(rotated->grant.device_id, "device-1");
  // Only hashes are stored.
  auto all = (*backing)->List(store::ObjectKind::kRefreshTokenFamily);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].body.find(rotated->token), std::string::npos);
  EXPECT_EQ((*all)[0].body.find(token.substr(token.find('.') + 1)), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::idp
