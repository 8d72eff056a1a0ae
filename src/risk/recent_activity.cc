#include "risk/recent_activity.h"

#include <string_view>

#include "absl/container/flat_hash_set.h"

namespace gatehouse::risk {

std::uint64_t ActivityKey(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash == 0 ? 1 : hash;
}

void RecentActivity::RecordFailure(std::uint64_t source_key, std::uint64_t user_key,
                                   absl::Time time) {
  const std::int64_t t = absl::ToUnixSeconds(time);
  const std::int64_t horizon = t - absl::ToInt64Seconds(retention_);
  if (source_key != 0) {
    Source& source = sources_[source_key];
    source.failures.emplace_back(t, user_key);
    ++source.per_account[user_key];
    while (!source.failures.empty() &&
           (source.failures.size() > kMaxEntriesPerKey || source.failures.front().first <= horizon)) {
      auto it = source.per_account.find(source.failures.front().second);
      if (it != source.per_account.end() && --it->second <= 0) source.per_account.erase(it);
      source.failures.pop_front();
    }
  }
  Account& account = accounts_[user_key];
  account.failures.push_back(t);
  while (!account.failures.empty() &&
         (account.failures.size() > kMaxEntriesPerKey || account.failures.front() <= horizon)) {
    account.failures.pop_front();
  }
  if (sources_.size() > kMaxKeys || accounts_.size() > kMaxKeys) Sweep(t);
}

void RecentActivity::Sweep(std::int64_t now) {
  const std::int64_t horizon = now - absl::ToInt64Seconds(retention_);
  absl::erase_if(sources_, [horizon](const auto& entry) {
    return entry.second.failures.empty() || entry.second.failures.back().first <= horizon;
  });
  absl::erase_if(accounts_, [horizon](const auto& entry) {
    return entry.second.failures.empty() || entry.second.failures.back() <= horizon;
  });
  // Still too many live keys (a flood): drop arbitrary ones down to three quarters.
  while (sources_.size() > kMaxKeys * 3 / 4) sources_.erase(sources_.begin());
  while (accounts_.size() > kMaxKeys * 3 / 4) accounts_.erase(accounts_.begin());
}

int RecentActivity::DistinctAccountsFailedFrom(std::uint64_t source_key, absl::Time now,
                                               absl::Duration window) const {
  auto it = sources_.find(source_key);
  if (source_key == 0 || it == sources_.end() || it->second.failures.empty()) return 0;
  const std::int64_t t = absl::ToUnixSeconds(now);
  const std::int64_t horizon = t - absl::ToInt64Seconds(window);
  const auto& failures = it->second.failures;
  // Common case: every kept failure is inside the window and none is in the future.
  if (failures.front().first > horizon && failures.back().first <= t) {
    return static_cast<int>(it->second.per_account.size());
  }
  absl::flat_hash_set<std::uint64_t> accounts;
  for (const auto& failure : failures) {
    if (failure.first > horizon && failure.first <= t) accounts.insert(failure.second);
  }
  return static_cast<int>(accounts.size());
}

int RecentActivity::FailuresOf(std::uint64_t user_key, absl::Time now,
                               absl::Duration window) const {
  auto it = accounts_.find(user_key);
  if (it == accounts_.end()) return 0;
  const std::int64_t t = absl::ToUnixSeconds(now);
  const std::int64_t horizon = t - absl::ToInt64Seconds(window);
  int count = 0;
  for (auto f = it->second.failures.rbegin(); f != it->second.failures.rend(); ++f) {
    if (*f <= horizon) break;
    if (*f <= t) ++count;
  }
  return count;
}

}  // namespace gatehouse::risk
