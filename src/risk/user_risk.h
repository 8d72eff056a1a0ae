// User risk: how likely the account itself is compromised, aggregated over the user's
// detections with exponential decay, plus the admin and self-remediation actions of Entra ID
// Protection's user-risk flow (docs/risk.md §4):
//   score(t) = score(t0) · 2^(-(t - t0) / halfLife) + Σ new points,
//   points of a detection = UserRiskPoints(level) · confidence (low 0.25, medium 0.5, high 1),
// halfLife 30 days by default. Levels come from the tenant's userRiskThresholds (0.2 / 0.45 /
// 0.9): one high detection makes the user high for about four days, medium for a month. "Confirm compromised" pins the user at high
// until remediated; "dismiss" and a secure password change clear the score and the detections.
// Pure value; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json_fwd.hpp"
#include "risk/config.h"
#include "risk/types.h"

namespace gatehouse::risk {

// Graph riskState values.
enum class UserRiskState : std::uint8_t {
  kNone = 0,               // "none"
  kAtRisk,                 // "atRisk"
  kConfirmedCompromised,   // "confirmedCompromised"
  kDismissed,              // "dismissed"
  kRemediated,             // "remediated"
};
std::string_view UserRiskStateName(UserRiskState state);

// Graph riskDetail values for the last change.
enum class UserRiskDetail : std::uint8_t {
  kNone = 0,                               // "none"
  kAdminConfirmedUserCompromised,          // "adminConfirmedUserCompromised"
  kAdminDismissedAllRiskForUser,           // "adminDismissedAllRiskForUser"
  kUserPerformedSecuredPasswordChange,     // "userPerformedSecuredPasswordChange"
};
std::string_view UserRiskDetailName(UserRiskDetail detail);

struct UserRiskEvent {
  DetectionType type = DetectionType::kUnfamiliarFeatures;
  RiskLevel level = RiskLevel::kNone;
  std::int64_t time_unix = 0;
};

struct UserRisk {
  static constexpr int kMaxEvents = 8;  // the most recent detections, for the explanation

  double score = 0;
  std::int64_t updated_unix = 0;
  UserRiskState state = UserRiskState::kNone;
  UserRiskDetail detail = UserRiskDetail::kNone;
  std::array<UserRiskEvent, kMaxEvents> events{};  // ring, newest at (next_event - 1)
  std::uint8_t event_count = 0, next_event = 0;

  // The decayed score at `now` (no change to the value).
  double ScoreAt(absl::Time now, const RiskConfig& config) const;
  RiskLevel LevelAt(absl::Time now, const RiskConfig& config) const;
};

// Adds the detections of a sign-in whose primary authentication succeeded (the password was
// right, so the account is what is at risk). No-op without detections.
void AddSignInDetections(UserRisk& risk, const SignInRiskAssessment& assessment, absl::Time now,
                         const RiskConfig& config);
void ConfirmCompromised(UserRisk& risk, absl::Time now);
void Dismiss(UserRisk& risk, absl::Time now);
// The user completed a secure password change (the passwordChange grant / session
// passwordChanged): remediates, whatever the state, including confirmedCompromised.
void RemediateBySecurePasswordChange(UserRisk& risk, absl::Time now);

nlohmann::json UserRiskToJson(const UserRisk& risk);
absl::StatusOr<UserRisk> UserRiskFromJson(const nlohmann::json& doc);

}  // namespace gatehouse::risk
