#include "http/internal/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace gatehouse::http::internal {

TokenBucketLimiter::TokenBucketLimiter(double rate_per_second, double burst,
                                       std::size_t max_clients)
    : rate_(rate_per_second),
      burst_(std::max(1.0, burst)),
      max_clients_(std::max<std::size_t>(1, max_clients)) {}

TokenBucketLimiter::Decision TokenBucketLimiter::Acquire(const std::string& client,
                                                         Clock::time_point now) {
  if (rate_ <= 0) return {};
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) Evict(now);
    it = buckets_.emplace(client, Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  if (now > bucket.updated) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return {};
  }
  const double wait = (1.0 - bucket.tokens) / rate_;
  return {false, std::max(1L, static_cast<long>(std::ceil(wait)))};
}

void TokenBucketLimiter::Evict(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
    if (it->second.tokens + elapsed * rate_ >= burst_) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
  if (buckets_.size() >= max_clients_) buckets_.clear();
}

}  // namespace gatehouse::http::internal
