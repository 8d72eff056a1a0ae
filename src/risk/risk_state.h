// RiskState: everything the risk engine learns, in one value — per-user profiles and user risk,
// the global population, and the recent-failure window — with the two calls the sign-in
// pipeline makes (Assess before the decision, Record after the outcome), the admin actions, and
// JSON for the store. `gatehouse risk score` replays a log through exactly these calls, and
// Replay() rebuilds the state from a sign-in log.
//
// Still pure: no clock (times come from the observations and the callers), no I/O, no locks.
// Thread-compatible: concurrent Assess calls are safe; Record and the admin actions need the
// caller's exclusive lock (idp wraps it in a mutex).
//
// Memory: sizeof(UserProfile) + sizeof(UserRisk) + the user id per user (test-pinned, see
// docs/risk.md), plus the population (16-24 bytes per distinct value, bounded) and the window.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"
#include "risk/assessment.h"

namespace gatehouse::risk {

struct UserRiskRecord {
  UserProfile profile;
  UserRisk risk;
};

class RiskState {
 public:
  explicit RiskState(std::shared_ptr<const RiskConfig> config);

  const RiskConfig& config() const { return *config_; }
  // Swaps the configuration (admin edit); learned state is kept.
  void SetConfig(std::shared_ptr<const RiskConfig> config);

  SignInRiskAssessment Assess(const SignInObservation& observation) const;
  // After the outcome (observation.error_code). `assessment` is the one Assess returned for this
  // sign-in; when null it is computed again.
  void Record(const SignInObservation& observation,
              const SignInRiskAssessment* assessment = nullptr);

  // Admin actions and self-remediation (user_risk.h). Unknown users get a fresh record.
  void ConfirmCompromised(const std::string& user_id, absl::Time now);
  void Dismiss(const std::string& user_id, absl::Time now);
  void SecurePasswordChanged(const std::string& user_id, absl::Time now);
  RiskLevel UserRiskLevel(const std::string& user_id, absl::Time now) const;

  const UserRiskRecord* Find(const std::string& user_id) const;
  // Replaces one user's record (loaded from the store).
  void Put(const std::string& user_id, UserRiskRecord record);
  std::size_t user_count() const { return users_.size(); }
  const PopulationModel& population() const { return population_; }
  void SetPopulation(PopulationModel population) { population_ = std::move(population); }

  // {"profile": ProfileToJson, "userRisk": UserRiskToJson} of one user / back.
  static nlohmann::json RecordToJson(const UserRiskRecord& record);
  static absl::StatusOr<UserRiskRecord> RecordFromJson(const nlohmann::json& doc);

  // Rebuilds the state from a time-ordered sign-in log (Assess then Record for each).
  static RiskState Replay(const std::vector<SignInObservation>& log,
                          std::shared_ptr<const RiskConfig> config);

 private:
  std::shared_ptr<const RiskConfig> config_;
  absl::flat_hash_map<std::string, UserRiskRecord> users_;
  PopulationModel population_;
  RecentActivity recent_;
};

}  // namespace gatehouse::risk
