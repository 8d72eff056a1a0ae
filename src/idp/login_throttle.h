// Throttling of password sign-in attempts (issue 5 "Authentication"): per-account and per-IP
// failure counters with exponential backoff, against online guessing (one account, many
// passwords) and password spray (one password, many accounts, from one address).
//
// No enumeration: the account key is the sign-in name *as submitted* (normalised: trimmed, ASCII
// lower case), never the directory user id, and the caller records a failure for an unknown name
// exactly as for a wrong password. The throttle therefore holds the same state and answers the
// same "retry after N seconds" whether or not the account exists.
//
// Backoff: each key may fail `free_failures` times; the n-th failure beyond that locks the key for
// base_delay * 2^(n-1), capped at max_delay. A key's counter is forgotten `forget_after` after its
// last failure. A success resets the account's counter only (never the IP's: one valid account
// must not launder a spray). The answer to Check is the longer of the two locks.
//
// The caller passes the IP key it wants counted (e.g. the IPv4 address, or the /64 of an IPv6
// address). Thread-safe (one mutex); in memory, bounded by `max_keys` (stale keys are purged
// first, then the oldest). Every call takes an explicit `now`.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace gatehouse::idp {

struct LoginThrottleOptions {
  int account_free_failures = 5;
  int ip_free_failures = 20;
  absl::Duration base_delay = absl::Seconds(1);
  absl::Duration max_delay = absl::Minutes(15);
  absl::Duration forget_after = absl::Hours(1);
  std::size_t max_keys = 200000;
};

struct ThrottleDecision {
  bool allowed = true;
  absl::Duration retry_after = absl::ZeroDuration();  // whole seconds, rounded up; 0 if allowed
};

class LoginThrottle {
 public:
  explicit LoginThrottle(LoginThrottleOptions options = {});

  // Before checking a password: may this attempt proceed?
  ThrottleDecision Check(std::string_view account, std::string_view ip, absl::Time now) const;
  // After a wrong password or an unknown account (the same call for both). Returns the decision a
  // Check right after would give, so the failure page can say when to retry.
  ThrottleDecision RecordFailure(std::string_view account, std::string_view ip, absl::Time now);
  // After a correct password: forgets the account's failures.
  void RecordSuccess(std::string_view account, absl::Time now);

  // "alice@contoso.com" for " Alice@Contoso.COM ".
  static std::string NormalizeAccount(std::string_view account);

  std::size_t tracked_keys() const;

 private:
  struct Counter {
    int failures = 0;
    absl::Time last_failure = absl::InfinitePast();
    absl::Time locked_until = absl::InfinitePast();
  };
  absl::Duration RemainingLocked(const std::string& key, absl::Time now) const;
  void Fail(const std::string& key, int free_failures, absl::Time now);
  void MakeRoomLocked(absl::Time now);

  const LoginThrottleOptions options_;
  mutable std::mutex mutex_;
  absl::flat_hash_map<std::string, Counter> counters_;  // "a:" account / "i:" ip; mutex_
};

}  // namespace gatehouse::idp
