#include "idp/authorization_codes.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "idp/pkce.h"

namespace gatehouse::idp {
namespace {

const std::string kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const absl::Time kNow = absl::FromUnixSeconds(1714557600);

AuthorizationGrant Grant() {
  AuthorizationGrant grant;
  grant.client_id = "app-1";
  grant.redirect_uri = "https://app.example/callback";
  grant.code_challenge = PkceS256Challenge(kVerifier);
  grant.nonce = "n-0S6_WzA2Mj";
  grant.scope = "openid profile";
  grant.user_id = "user-alice";
  grant.device_id = "device-1";
  grant.auth_methods = {"pwd", "otp"};
  grant.auth_time = kNow - absl::Seconds(5);
  grant.session_id = "sid-1";
  return grant;
}

TEST(AuthorizationCodeStore, RedeemsAValidCodeForItsGrant) {
  AuthorizationCodeStore store;
  const absl::StatusOr<std::string> code = store.Issue(Grant(), kNow);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->size(), 43u);
  const absl::StatusOr<AuthorizationGrant> grant =
      store.Redeem(*code, "app-1", "https://app.example/callback", kVerifier, kNow);
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_EQ(grant->user_id, "user-alice");
  EXPECT_EQ(grant->device_id, "device-1");
  EXPECT_EQ(grant->nonce, "n-0S6_WzA2Mj");
  EXPECT_EQ(grant->auth_methods, (std::vector<std::string>{"pwd", "otp"}));
  EXPECT_EQ(grant->auth_time, kNow - absl::Seconds(5));
  EXPECT_EQ(grant->session_id, "sid-1");
  EXPECT_EQ(grant->scope, "openid profile");
}

TEST(AuthorizationCodeStore, RefusesASecondRedemptionOfTheSameCode) {
  AuthorizationCodeStore store;
  const std::string code = *store.Issue(Grant(), kNow);
  ASSERT_TRUE(store.Redeem(code, "app-1", "https://app.example/callback", kVerifier, kNow).ok());
  const absl::StatusOr<AuthorizationGrant> again =
      store.Redeem(code, "app-1", "https://app.example/callback", kVerifier, kNow);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(again.status().message(), "authorization code is unknown, already used or expired");
}

TEST(AuthorizationCodeStore, DeletesTheCodeEvenWhenTheFirstAttemptFails) {
  AuthorizationCodeStore store;
  const std::string code = *store.Issue(Grant(), kNow);
  const std::string wrong_verifier(43, 'x');
  EXPECT_FALSE(
      store.Redeem(code, "app-1", "https://app.example/callback", wrong_verifier, kNow).ok());
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(store.Redeem(code, "app-1", "https://app.example/callback", kVerifier, kNow).ok());
}

TEST(AuthorizationCodeStore, RefusesAPkceMismatch) {
  AuthorizationCodeStore store;
  const std::string code = *store.Issue(Grant(), kNow);
  const absl::StatusOr<AuthorizationGrant> grant =
      store.Redeem(code, "app-1", "https://app.example/callback", std::string(43, 'x'), kNow);
  EXPECT_EQ(grant.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(grant.status().message(), "code_verifier does not match the code_challenge");
}

TEST(AuthorizationCodeStore, RefusesAMissingVerifier) {
  AuthorizationCodeStore store;
  const std::string code = *store.Issue(Grant(), kNow);
  EXPECT_FALSE(store.Redeem(code, "app-1", "https://app.example/callback", "", kNow).ok());
}

TEST(AuthorizationCodeStore, RefusesAnotherClient) {
  AuthorizationCodeStore store;
  const std::string code = *store.Issue(Grant(), kNow);
  const absl::StatusOr<AuthorizationGrant> grant =
      store.Redeem(code, "app-2", "https://app.example/callback", kVerifier, kNow);
  EXPECT_EQ(grant.status().message(), "authorization code was issued to another client");
}

TEST(AuthorizationCodeStore, RequiresTheExactRedirectUri) {
  for (const char* other : {"https://app.example/callback/", "https://APP.example/callback",
                            "https://app.example/callback?x=1", "https://evil.example/callback"}) {
    AuthorizationCodeStore store;
    const std::string code = *store.Issue(Grant(), kNow);
    const absl::StatusOr<AuthorizationGrant> grant =
        store.Redeem(code, "app-1", other, kVerifier, kNow);
    EXPECT_EQ(grant.status().message(),
              "redirect_uri does not match the one of the authorization request")
        << other;
  }
}

TEST(AuthorizationCodeStore, ExpiresSixtySecondsAfterIssue) {
  AuthorizationCodeStore store;
  const std::string fresh = *store.Issue(Grant(), kNow);
  const std::string stale = *store.Issue(Grant(), kNow);
  EXPECT_TRUE(store
                  .Redeem(fresh, "app-1", "https://app.example/callback", kVerifier,
                          kNow + absl::Seconds(59))
                  .ok());
  const absl::StatusOr<AuthorizationGrant> late = store.Redeem(
      stale, "app-1", "https://app.example/callback", kVerifier, kNow + absl::Seconds(60));
  EXPECT_EQ(late.status().message(), "authorization code has expired");
}

TEST(AuthorizationCodeStore, RefusesAnUnknownCode) {
  AuthorizationCodeStore store;
  ASSERT_TRUE(store.Issue(Grant(), kNow).ok());
  EXPECT_FALSE(
      store.Redeem("not-a-code", "app-1", "https://app.example/callback", kVerifier, kNow).ok());
  EXPECT_EQ(store.size(), 1u);
}

TEST(AuthorizationCodeStore, RefusesToIssueWithoutTheBindingFields) {
  AuthorizationCodeStore store;
  AuthorizationGrant no_challenge = Grant();
  no_challenge.code_challenge.clear();
  EXPECT_EQ(store.Issue(no_challenge, kNow).status().code(), absl::StatusCode::kInvalidArgument);
  AuthorizationGrant no_user = Grant();
  no_user.user_id.clear();
  EXPECT_FALSE(store.Issue(no_user, kNow).ok());
}

TEST(AuthorizationCodeStore, IsBoundedAndPurgesExpiredCodesToMakeRoom) {
  AuthorizationCodeStore store(AuthorizationCodeOptions{.max_outstanding = 2});
  ASSERT_TRUE(store.Issue(Grant(), kNow).ok());
  ASSERT_TRUE(store.Issue(Grant(), kNow).ok());
  EXPECT_EQ(store.Issue(Grant(), kNow).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store.Issue(Grant(), kNow + absl::Seconds(61)).ok());
  EXPECT_EQ(store.size(), 1u);
}

TEST(AuthorizationCodeStore, ConcurrentRedemptionsOfOneCodeSucceedExactlyOnce) {
  AuthorizationCodeStore store;
  const std::string code = *store.Issue(Grant(), kNow);
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (store.Redeem(code, "app-1", "https://app.example/callback", kVerifier, kNow).ok()) {
        ++successes;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(successes.load(), 1);
}

}  // namespace
}  // namespace gatehouse::idp
