// Token-bucket rate limiting per client key (the peer IP). The clock is passed in, so the limiter
// is deterministic under test. Thread-safe (one short mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace gatehouse::http::internal {

class TokenBucketLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Decision {
    bool allowed = true;
    // When refused: seconds until one token is available again (rounded up, at least 1).
    long retry_after_seconds = 0;
  };

  // `rate_per_second` <= 0 disables limiting (every call is allowed). `burst` is the bucket size
  // (at least 1). At most `max_clients` buckets are kept; when the table is full, buckets that
  // have refilled completely are dropped (they are indistinguishable from new ones), and if none
  // has, the table is cleared, which errs on the side of letting requests through.
  TokenBucketLimiter(double rate_per_second, double burst, std::size_t max_clients = 100000);

  Decision Acquire(const std::string& client, Clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  void Evict(Clock::time_point now);

  const double rate_;
  const double burst_;
  const std::size_t max_clients_;
  std::mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_;
};

}  // namespace gatehouse::http::internal
