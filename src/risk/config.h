// Per-tenant risk configuration: thresholds of every detector and of the levels, admin lists
// (anonymizer / malicious / VPN ranges and ASNs, leaked password hashes). Parsed once from JSON
// (docs/risk.md lists every key with its default), immutable afterwards, shared by every
// assessment. Thread-safe once built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/problem.h"
#include "location/ip_address.h"
#include "nlohmann/json_fwd.hpp"
#include "risk/types.h"

namespace gatehouse::risk {

// Thresholds on a 0..1 score: at or above `low` the level is low, and so on.
struct LevelThresholds {
  double low = 0.1;
  double medium = 0.45;
  double high = 0.8;
  RiskLevel LevelOf(double score) const;
};

struct UnfamiliarFeaturesConfig {
  // Successful sign-ins a user needs before the model judges them (learning period).
  int min_history = 10;
  // Thresholds on the log10 likelihood ratio (docs/risk.md §2). Below `low`: no detection.
  // Shipped values chosen on the evaluation (docs/risk.md §6): low 2.0 flags ~97 % of takeover
  // sign-ins at ~0.3 % of legitimate ones.
  double low_score = 2.0;
  double medium_score = 4.0;
  double high_score = 6.0;
  // Feature weights (multiply each feature's log10 ratio); order: ipPrefix, asn, country,
  // userAgent, device.
  double weights[5] = {1, 1, 1, 1, 1};
  double global_alpha = 0.5;  // additive smoothing of the global population
  // A value counts as familiar only this long after it entered the profile, so an attacker's
  // first sign-ins do not vouch for the next ones in the same session.
  absl::Duration maturity = absl::Hours(12);
};

struct TravelConfig {
  double max_speed_kmh = 1000;  // faster than a passenger jet → impossible
  double min_distance_km = 500; // shorter jumps are never flagged (GeoIP error, regional hubs)
  // Added to the elapsed time before computing the speed: absorbs clock skew, GeoIP error and
  // the time between authentication and the log record.
  absl::Duration slack = absl::Minutes(30);
  // VPN-like jumps: a jump into or out of these ranges / ASNs is not flagged.
  location::CidrSet vpn_ranges;
  absl::flat_hash_set<std::uint32_t> vpn_asns;
};

struct WindowedCountConfig {
  absl::Duration window = absl::Hours(1);
  int threshold = 10;
};

struct RiskConfig {
  LevelThresholds sign_in_thresholds;
  LevelThresholds user_thresholds{0.2, 0.45, 0.9};
  UnfamiliarFeaturesConfig unfamiliar;
  TravelConfig travel;
  location::CidrSet anonymous_ranges;
  absl::flat_hash_set<std::uint32_t> anonymous_asns;
  location::CidrSet malicious_ranges;
  WindowedCountConfig password_spray{absl::Hours(1), 10};  // distinct accounts failing per IP
  WindowedCountConfig brute_force{absl::Minutes(30), 10};  // failures on one account
  absl::flat_hash_set<std::string> leaked_password_sha256;  // lower-case hex
  absl::Duration user_risk_half_life = absl::Hours(24 * 30);
  // Sign-ins rated at or above this level are not learned into the profile (an attacker's
  // successful sign-in must not teach the model that the attacker is familiar).
  RiskLevel no_learning_level = RiskLevel::kMedium;
  // Graph status.errorCode values that mean "the password (primary factor) was wrong".
  absl::flat_hash_set<int> failure_error_codes{50126, 50053, 50034, 50056, 50055};

  bool IsPrimaryFailure(int error_code) const { return failure_error_codes.contains(error_code); }
};

// Parses the configuration object (unknown keys are errors, so typos do not silently keep a
// default). Every problem is added with its JSON pointer; returns InvalidArgument when any.
absl::StatusOr<RiskConfig> ParseRiskConfig(const nlohmann::json& doc, core::ProblemList& problems);

// Weight of a level in the combined sign-in score (low 0.3, medium 0.6, high 0.9).
double LevelWeight(RiskLevel level);
// Points a detection of this level adds to the user risk (low 0.25, medium 0.5, high 1.0).
double UserRiskPoints(RiskLevel level);

}  // namespace gatehouse::risk
