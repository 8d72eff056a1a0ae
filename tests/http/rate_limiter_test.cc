#include "http/internal/rate_limiter.h"

#include "gtest/gtest.h"

namespace gatehouse::http::internal {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TokenBucketLimiter::Clock::time_point kStart{seconds(1000)};

TEST(TokenBucketLimiter, AllowsABurstThenRefusesWithRetryAfter) {
  TokenBucketLimiter limiter(/*rate_per_second=*/0.5, /*burst=*/3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("10.0.0.1", kStart).allowed);
  const auto refused = limiter.Acquire("10.0.0.1", kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 2);  // one token per 2 s
}

TEST(TokenBucketLimiter, RefillsAtTheConfiguredRate) {
  TokenBucketLimiter limiter(2, 1);
  EXPECT_TRUE(limiter.Acquire("a", kStart).allowed);
  EXPECT_FALSE(limiter.Acquire("a", kStart + milliseconds(100)).allowed);
  EXPECT_TRUE(limiter.Acquire("a", kStart + milliseconds(500)).allowed);
}

TEST(TokenBucketLimiter, KeepsSeparateBucketsPerClient) {
  TokenBucketLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.Acquire("a", kStart).allowed);
  EXPECT_FALSE(limiter.Acquire("a", kStart).allowed);
  EXPECT_TRUE(limiter.Acquire("b", kStart).allowed);
}

TEST(TokenBucketLimiter, ZeroRateDisablesLimiting) {
  TokenBucketLimiter limiter(0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.Acquire("a", kStart).allowed);
}

TEST(TokenBucketLimiter, RetryAfterIsAtLeastOneSecond) {
  TokenBucketLimiter limiter(1000, 1);
  EXPECT_TRUE(limiter.Acquire("a", kStart).allowed);
  EXPECT_EQ(limiter.Acquire("a", kStart).retry_after_seconds, 1);
}

TEST(TokenBucketLimiter, EvictsRefilledBucketsWhenTheTableIsFull) {
  TokenBucketLimiter limiter(1, 1, /*max_clients=*/2);
  EXPECT_TRUE(limiter.Acquire("a", kStart).allowed);
  EXPECT_TRUE(limiter.Acquire("b", kStart + seconds(5)).allowed);
  // "a" has refilled by now and is dropped to make room; "b" is still limited.
  EXPECT_TRUE(limiter.Acquire("c", kStart + seconds(5)).allowed);
  EXPECT_FALSE(limiter.Acquire("b", kStart + seconds(5)).allowed);
}

}  // namespace
}  // namespace gatehouse::http::internal
