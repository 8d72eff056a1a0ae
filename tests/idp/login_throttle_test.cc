#include "idp/login_throttle.h"

#include <string>

#include "gtest/gtest.h"

namespace gatehouse::idp {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1714557600);

LoginThrottleOptions Options() {
  return LoginThrottleOptions{.account_free_failures = 3,
                              .ip_free_failures = 10,
                              .base_delay = absl::Seconds(1),
                              .max_delay = absl::Minutes(15),
                              .forget_after = absl::Hours(1)};
}

TEST(LoginThrottle, AllowsTheFreeFailuresThenBacksOffExponentially) {
  LoginThrottle throttle(Options());
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(throttle.RecordFailure("alice", "10.0.0.1", kNow).allowed);
  }
  EXPECT_EQ(throttle.RecordFailure("alice", "10.0.0.1", kNow).retry_after, absl::Seconds(1));
  EXPECT_EQ(throttle.RecordFailure("alice", "10.0.0.1", kNow).retry_after, absl::Seconds(2));
  EXPECT_EQ(throttle.RecordFailure("alice", "10.0.0.1", kNow).retry_after, absl::Seconds(4));
  const ThrottleDecision locked = throttle.Check("alice", "10.0.0.2", kNow + absl::Seconds(3));
  EXPECT_FALSE(locked.allowed);
  EXPECT_EQ(locked.retry_after, absl::Seconds(1));
  EXPECT_TRUE(throttle.Check("alice", "10.0.0.2", kNow + absl::Seconds(4)).allowed);
}

TEST(LoginThrottle, CapsTheDelay) {
  LoginThrottle throttle(Options());
  ThrottleDecision last;
  for (int i = 0; i < 40; ++i) last = throttle.RecordFailure("alice", "10.0.0.1", kNow);
  EXPECT_EQ(last.retry_after, absl::Minutes(15));
}

TEST(LoginThrottle, AnswersIdenticallyForUnknownAndExistingAccounts) {
  // The caller records a failure for a wrong password and for an unknown name alike; the throttle
  // keys on the submitted name, so both sequences look the same.
  LoginThrottle throttle(Options());
  for (int i = 0; i < 6; ++i) {
    const ThrottleDecision existing = throttle.RecordFailure("alice@contoso.com", "10.0.0.1", kNow);
    const ThrottleDecision unknown = throttle.RecordFailure("nobody@contoso.com", "10.0.0.2", kNow);
    EXPECT_EQ(existing.allowed, unknown.allowed) << i;
    EXPECT_EQ(existing.retry_after, unknown.retry_after) << i;
  }
}

TEST(LoginThrottle, ThrottlesAPasswordSprayFromOneAddressAcrossAccounts) {
  LoginThrottle throttle(Options());
  ThrottleDecision decision;
  for (int i = 0; i < 11; ++i) {
    decision = throttle.RecordFailure("user" + std::to_string(i), "203.0.113.7", kNow);
  }
  EXPECT_FALSE(decision.allowed);
  EXPECT_FALSE(throttle.Check("user-never-tried", "203.0.113.7", kNow).allowed);
  EXPECT_TRUE(throttle.Check("user-never-tried", "198.51.100.1", kNow).allowed);
}

TEST(LoginThrottle, SuccessResetsTheAccountButNotTheAddress) {
  LoginThrottle throttle(Options());
  for (int i = 0; i < 11; ++i) throttle.RecordFailure("alice", "203.0.113.7", kNow);
  throttle.RecordSuccess("alice", kNow);
  EXPECT_TRUE(throttle.Check("alice", "198.51.100.1", kNow).allowed);
  EXPECT_FALSE(throttle.Check("alice", "203.0.113.7", kNow).allowed);
}

TEST(LoginThrottle, NormalisesTheAccountName) {
  LoginThrottle throttle(Options());
  for (int i = 0; i < 4; ++i) throttle.RecordFailure(" Alice@Contoso.COM ", "10.0.0.1", kNow);
  EXPECT_FALSE(throttle.Check("alice@contoso.com", "10.9.9.9", kNow).allowed);
  EXPECT_EQ(LoginThrottle::NormalizeAccount("\tBob "), "bob");
}

TEST(LoginThrottle, ForgetsFailuresAfterTheQuietPeriod) {
  LoginThrottle throttle(Options());
  for (int i = 0; i < 3; ++i) throttle.RecordFailure("alice", "10.0.0.1", kNow);
  const absl::Time later = kNow + absl::Hours(1);
  EXPECT_TRUE(throttle.RecordFailure("alice", "10.0.0.1", later).allowed);
}

TEST(LoginThrottle, RoundsRetryAfterUpToWholeSeconds) {
  LoginThrottle throttle(Options());
  for (int i = 0; i < 4; ++i) throttle.RecordFailure("alice", "10.0.0.1", kNow);
  EXPECT_EQ(throttle.Check("alice", "10.0.0.1", kNow + absl::Milliseconds(100)).retry_after,
            absl::Seconds(1));
}

TEST(LoginThrottle, StaysWithinItsKeyBound) {
  LoginThrottleOptions options = Options();
  options.max_keys = 4;
  LoginThrottle throttle(options);
  for (int i = 0; i < 10; ++i) {
    throttle.RecordFailure("user" + std::to_string(i), "10.0.0." + std::to_string(i),
                           kNow + absl::Seconds(i));
  }
  EXPECT_LE(throttle.tracked_keys(), 4u);
}

}  // namespace
}  // namespace gatehouse::idp
