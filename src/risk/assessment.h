// The sign-in risk assessment: every detector run on one sign-in against the state the caller
// keeps, and the learning step after the outcome. These free functions are the engine; RiskState
// (risk_state.h) bundles the state for callers that keep everything in memory.
//
// Detectors (docs/risk.md gives formulas, defaults and the evaluation):
//   unfamiliarFeatures  log10 likelihood ratio of the sign-in's features under the attacker
//                       (≈ global population) vs the user's smoothed history (Freeman et al.)
//   impossibleTravel    geo-velocity from the previous successful sign-in, VPN-like jumps tolerated
//   anonymizedIPAddress / maliciousIPAddress   admin CIDR / ASN lists
//   passwordSpray       many accounts failing from this source address in the window
//   bruteForce          many failures on this account in the window
//   leakedCredentials   the password's SHA-256 is on the admin's leaked-password list
// Pure functions; thread-safe for concurrent calls on unchanging inputs.
#pragma once

#include <array>

#include "risk/config.h"
#include "risk/profile.h"
#include "risk/recent_activity.h"
#include "risk/types.h"
#include "risk/user_risk.h"

namespace gatehouse::risk {

// Per-feature terms of the unfamiliar-features model, for explanations and the evaluation.
struct UnfamiliarBreakdown {
  double score = 0;                          // Σ weighted log10 ratios
  std::array<double, kFeatureCount> terms{}; // weighted log10 ratio per feature (0 = skipped)
  std::array<bool, kFeatureCount> novel{};   // value never seen in the user's profile
  bool judged = false;                       // false during the learning period
};

// s(x) = Σ_k w_k · log10( p_G(x_k) / p_u(x_k) ),
//   p_G(v) = (c_G(v) + α) / (N_G + α·(V_G + 1))           global population, additive smoothing
//   p_u(v) = (c_u(v) + d_u · p_G(v)) / (n_u + d_u)          Witten–Bell back-off to p_G
// where c_u, n_u, d_u are the user's count of v, total count and distinct values of feature k.
// A value that entered the profile less than unfamiliarFeatures.maturity before `now` counts as
// unseen (c_u = 0).
UnfamiliarBreakdown ScoreUnfamiliarFeatures(const UserProfile& profile,
                                            const PopulationModel& population,
                                            const FeatureVector& features, absl::Time now,
                                            const RiskConfig& config);

// True when the sign-in comes from a configured VPN or anonymizer range/ASN.
bool IsVpnLike(const SignInObservation& observation, const RiskConfig& config);

// Every detector on one sign-in. `profile` and `user_risk` may be null (first sign-in of the
// user). The time of the assessment is observation.time.
SignInRiskAssessment AssessSignIn(const UserProfile* profile, const PopulationModel& population,
                                  const RecentActivity& recent, const UserRisk* user_risk,
                                  const SignInObservation& observation, const RiskConfig& config);

// Learning after the outcome is known (observation.error_code):
//  - a primary-authentication failure (config.failure_error_codes) goes into `recent`;
//  - otherwise the password was right: the detections raise the user risk;
//  - a full success (error code 0) rated below config.no_learning_level is learned into the
//    profile and the population.
void RecordOutcome(UserProfile& profile, UserRisk& user_risk, PopulationModel& population,
                   RecentActivity& recent, const SignInObservation& observation,
                   const SignInRiskAssessment& assessment, const RiskConfig& config);

// Great-circle distance in km (haversine, mean Earth radius 6371.0 km).
double DistanceKm(double lat1, double lon1, double lat2, double lon2);

}  // namespace gatehouse::risk
