#include "risk/risk_state.h"

#include <algorithm>

#include "nlohmann/json.hpp"

namespace gatehouse::risk {

namespace {

absl::Duration Retention(const RiskConfig& config) {
  return std::max(config.password_spray.window, config.brute_force.window);
}

// Prefixes a nested document's error with the member's pointer.
absl::Status Nested(const std::string& member, const absl::Status& status) {
  const std::string message(status.message());
  return absl::InvalidArgumentError(member + (message.front() == '/' ? "" : ": ") + message);
}

}  // namespace

RiskState::RiskState(std::shared_ptr<const RiskConfig> config)
    : config_(std::move(config)), recent_(Retention(*config_)) {}

void RiskState::SetConfig(std::shared_ptr<const RiskConfig> config) {
  config_ = std::move(config);
}

SignInRiskAssessment RiskState::Assess(const SignInObservation& observation) const {
  const UserRiskRecord* record = Find(observation.user_id);
  return AssessSignIn(record == nullptr ? nullptr : &record->profile, population_, recent_,
                      record == nullptr ? nullptr : &record->risk, observation, *config_);
}

void RiskState::Record(const SignInObservation& observation,
                       const SignInRiskAssessment* assessment) {
  SignInRiskAssessment computed;
  if (assessment == nullptr) {
    computed = Assess(observation);
    assessment = &computed;
  }
  if (config_->IsPrimaryFailure(observation.error_code)) {
    // Failures never create a profile (no user enumeration through memory growth).
    UserProfile unused_profile;
    UserRisk unused_risk;
    RecordOutcome(unused_profile, unused_risk, population_, recent_, observation, *assessment,
                  *config_);
    return;
  }
  UserRiskRecord& record = users_[observation.user_id];
  RecordOutcome(record.profile, record.risk, population_, recent_, observation, *assessment,
                *config_);
}

void RiskState::ConfirmCompromised(const std::string& user_id, absl::Time now) {
  risk::ConfirmCompromised(users_[user_id].risk, now);
}

void RiskState::Dismiss(const std::string& user_id, absl::Time now) {
  risk::Dismiss(users_[user_id].risk, now);
}

void RiskState::SecurePasswordChanged(const std::string& user_id, absl::Time now) {
  RemediateBySecurePasswordChange(users_[user_id].risk, now);
}

RiskLevel RiskState::UserRiskLevel(const std::string& user_id, absl::Time now) const {
  const UserRiskRecord* record = Find(user_id);
  return record == nullptr ? RiskLevel::kNone : record->risk.LevelAt(now, *config_);
}

const UserRiskRecord* RiskState::Find(const std::string& user_id) const {
  auto it = users_.find(user_id);
  return it == users_.end() ? nullptr : &it->second;
}

void RiskState::Put(const std::string& user_id, UserRiskRecord record) {
  users_[user_id] = std::move(record);
}

nlohmann::json RiskState::RecordToJson(const UserRiskRecord& record) {
  return {{"profile", ProfileToJson(record.profile)}, {"userRisk", UserRiskToJson(record.risk)}};
}

absl::StatusOr<UserRiskRecord> RiskState::RecordFromJson(const nlohmann::json& doc) {
  if (!doc.is_object() || !doc.contains("profile") || !doc.contains("userRisk")) {
    return absl::InvalidArgumentError("expected {\"profile\", \"userRisk\"}");
  }
  UserRiskRecord record;
  auto profile = ProfileFromJson(doc["profile"]);
  if (!profile.ok()) {
    return Nested("/profile", profile.status());
  }
  auto risk = UserRiskFromJson(doc["userRisk"]);
  if (!risk.ok()) {
    return Nested("/userRisk", risk.status());
  }
  record.profile = *profile;
  record.risk = *risk;
  return record;
}

RiskState RiskState::Replay(const std::vector<SignInObservation>& log,
                            std::shared_ptr<const RiskConfig> config) {
  RiskState state(std::move(config));
  for (const SignInObservation& observation : log) {
    const SignInRiskAssessment assessment = state.Assess(observation);
    state.Record(observation, &assessment);
  }
  return state;
}

}  // namespace gatehouse::risk
