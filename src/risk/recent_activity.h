// Recent sign-in failures for the password-spray and brute-force detectors: a sliding window of
// primary-authentication failures (wrong password, locked account, unknown user), indexed by
// source IP address and by account. Pure value: the caller records each outcome with its time
// and passes the window to the assessment; nothing here reads a clock.
//
// Bounded: at most kMaxEntriesPerKey failures are kept per source and per account (older ones
// drop out first) and at most kMaxKeys sources and accounts; beyond that, keys whose newest
// failure is older than the retention are swept, then arbitrary keys (a flood degrades the
// counts, never the memory). Thread-compatible.
#pragma once

#include <cstdint>
#include <deque>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace gatehouse::risk {

class RecentActivity {
 public:
  static constexpr std::size_t kMaxEntriesPerKey = 512;
  static constexpr std::size_t kMaxKeys = 1u << 16;

  // `retention` is the longest window any query will ask for.
  explicit RecentActivity(absl::Duration retention = absl::Hours(1)) : retention_(retention) {}

  // Records one failed primary authentication of account `user_key` from `source_key` (0: the
  // source address is unknown, so only the account is counted). Times must not go backwards by
  // more than the retention; earlier ones are counted at their own time anyway.
  void RecordFailure(std::uint64_t source_key, std::uint64_t user_key, absl::Time time);

  // Distinct accounts that failed from `source_key` in (now - window, now].
  int DistinctAccountsFailedFrom(std::uint64_t source_key, absl::Time now,
                                 absl::Duration window) const;
  // Failures of `user_key` in (now - window, now].
  int FailuresOf(std::uint64_t user_key, absl::Time now, absl::Duration window) const;

  std::size_t source_count() const { return sources_.size(); }
  std::size_t account_count() const { return accounts_.size(); }

 private:
  struct Source {
    std::deque<std::pair<std::int64_t, std::uint64_t>> failures;  // (unix seconds, account)
    absl::flat_hash_map<std::uint64_t, int> per_account;
  };
  struct Account {
    std::deque<std::int64_t> failures;  // unix seconds
  };
  void Sweep(std::int64_t now);

  absl::Duration retention_;
  absl::flat_hash_map<std::uint64_t, Source> sources_;
  absl::flat_hash_map<std::uint64_t, Account> accounts_;
};

// Key of a source address / account for the window (FNV-1a; never 0).
std::uint64_t ActivityKey(std::string_view text);

}  // namespace gatehouse::risk
