#include "idp/login_throttle.h"

#include <algorithm>
#include <cmath>

namespace gatehouse::idp {
namespace {

std::string AccountKey(std::string_view account) {
  return "a:" + LoginThrottle::NormalizeAccount(account);
}
std::string IpKey(std::string_view ip) { return "i:" + std::string(ip); }

absl::Duration RoundUpToSeconds(absl::Duration d) {
  return absl::Seconds(std::ceil(absl::ToDoubleSeconds(d)));
}

}  // namespace

LoginThrottle::LoginThrottle(LoginThrottleOptions options) : options_(options) {}

std::string LoginThrottle::NormalizeAccount(std::string_view account) {
  std::size_t begin = 0;
  std::size_t end = account.size();
  while (begin < end && (account[begin] == ' ' || account[begin] == '\t')) ++begin;
  while (end > begin && (account[end - 1] == ' ' || account[end - 1] == '\t')) --end;
  std::string out(account.substr(begin, end - begin));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

absl::Duration LoginThrottle::RemainingLocked(const std::string& key, absl::Time now) const {
  const auto it = counters_.find(key);
  if (it == counters_.end() || now >= it->second.locked_until) return absl::ZeroDuration();
  return it->second.locked_until - now;
}

ThrottleDecision LoginThrottle::Check(std::string_view account, std::string_view ip,
                                      absl::Time now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const absl::Duration wait =
      std::max(RemainingLocked(AccountKey(account), now), RemainingLocked(IpKey(ip), now));
  if (wait <= absl::ZeroDuration()) return ThrottleDecision{};
  return ThrottleDecision{false, RoundUpToSeconds(wait)};
}

void LoginThrottle::Fail(const std::string& key, int free_failures, absl::Time now) {
  auto it = counters_.find(key);
  if (it == counters_.end()) {
    MakeRoomLocked(now);
    it = counters_.emplace(key, Counter{}).first;
  }
  Counter& counter = it->second;
  if (now >= counter.last_failure + options_.forget_after) counter = Counter{};
  ++counter.failures;
  counter.last_failure = now;
  const int excess = counter.failures - free_failures;
  if (excess > 0) {
    // 2^(excess-1), saturating well before overflow.
    const int shift = std::min(excess - 1, 30);
    const absl::Duration delay =
        std::min(options_.base_delay * static_cast<std::int64_t>(std::int64_t{1} << shift),
                 options_.max_delay);
    counter.locked_until = std::max(counter.locked_until, now + delay);
  }
}

ThrottleDecision LoginThrottle::RecordFailure(std::string_view account, std::string_view ip,
                                              absl::Time now) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Fail(AccountKey(account), options_.account_free_failures, now);
    Fail(IpKey(ip), options_.ip_free_failures, now);
  }
  return Check(account, ip, now);
}

void LoginThrottle::RecordSuccess(std::string_view account, absl::Time /*now*/) {
  std::lock_guard<std::mutex> lock(mutex_);
  counters_.erase(AccountKey(account));
}

void LoginThrottle::MakeRoomLocked(absl::Time now) {
  if (counters_.size() < options_.max_keys) return;
  absl::erase_if(counters_, [&](const auto& item) {
    return now >= item.second.last_failure + options_.forget_after &&
           now >= item.second.locked_until;
  });
  if (counters_.size() < options_.max_keys) return;
  // Still full of live keys: drop the one whose last failure is oldest.
  auto oldest = counters_.begin();
  for (auto it = counters_.begin(); it != counters_.end(); ++it) {
    if (it->second.last_failure < oldest->second.last_failure) oldest = it;
  }
  counters_.erase(oldest);
}

std::size_t LoginThrottle::tracked_keys() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_.size();
}

}  // namespace gatehouse::idp
