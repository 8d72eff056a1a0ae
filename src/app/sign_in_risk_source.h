// The risk engine (src/risk) behind the sign-in pipeline's idp::SignInRiskSource hook, its
// persistence in the store, and the Graph-shaped risky-users admin API (docs/risk.md §8).
//
// RiskEngineSignInRiskSource keeps one risk::RiskState behind a reader/writer lock (Assess takes
// the shared lock; Record and the admin actions the exclusive one); thread-safe. An attempt for
// an unknown user name (empty user_id) is keyed "upn:<lower-case name>" so brute force on guessed
// names is still counted; failures never create a profile and such keys are never persisted.
//
// Persistence (when a store is given): every directory user's learned record (profile + user
// risk, RiskState::RecordToJson, ~1-1.5 KB) is written as store kind kCredential, id
// "risk:user:<userId>", right after each Record that changed it and after each admin action; the
// population model as "risk:population" at most once a minute of sign-in time and at Flush().
// kCredential writes do not bump the tenant version, so a sign-in never recompiles the tenant.
// Load() puts everything back at start. The failure window (spray, brute force) is memory only.
#pragma once

#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "app/admin_auth.h"
#include "app/tenant_state.h"
#include "http/http_types.h"
#include "idp/sign_in_risk.h"
#include "nlohmann/json_fwd.hpp"
#include "risk/risk_state.h"
#include "store/store.h"

namespace gatehouse::app {

// Store ids of the persisted risk state (kind kCredential).
inline constexpr const char* kRiskUserPrefix = "risk:user:";
inline constexpr const char* kRiskPopulationId = "risk:population";

// The risk configuration file of `gatehouse serve` (server setting riskConfigFile; empty: the
// defaults of docs/risk.md). Errors name the file and the JSON pointer.
absl::StatusOr<std::shared_ptr<const risk::RiskConfig>> LoadRiskConfigFile(
    const std::string& path);

class RiskEngineSignInRiskSource final : public idp::SignInRiskSource {
 public:
  // `store` may be null: memory only (tests, `gatehouse risk score`).
  explicit RiskEngineSignInRiskSource(std::shared_ptr<const risk::RiskConfig> config,
                                      store::Store* store = nullptr);

  // Reads the persisted records and population back (call once, before serving). A record that
  // does not parse is skipped and named in the returned error (the others are still loaded).
  absl::Status Load();
  // Writes the population model now (shutdown).
  absl::Status Flush();

  idp::SignInRiskResult Assess(const idp::SignInRiskInput& input) override;
  void Record(const idp::SignInRiskInput& input, bool succeeded) override;

  // Admin actions (audited as `actor`) and self-remediation (the passwordChange grant).
  absl::Status ConfirmCompromised(const std::string& user_id, absl::Time now,
                                  const std::string& actor = "system");
  absl::Status Dismiss(const std::string& user_id, absl::Time now,
                       const std::string& actor = "system");
  void SecurePasswordChanged(const std::string& user_id, absl::Time now);

  // The user's record as JSON for the store (null when the user has none).
  nlohmann::json UserRecordJson(const std::string& user_id) const;

  struct RiskyUser {
    std::string user_id;
    risk::RiskLevel level = risk::RiskLevel::kNone;
    risk::UserRiskState state = risk::UserRiskState::kNone;
    risk::UserRiskDetail detail = risk::UserRiskDetail::kNone;
    absl::Time updated;
  };
  // Users whose risk state is not "none" (atRisk, confirmedCompromised, dismissed, remediated).
  std::vector<RiskyUser> RiskyUsers(absl::Time now) const;

  static risk::SignInObservation ToObservation(const idp::SignInRiskInput& input);

 private:
  absl::Status PersistUser(const std::string& user_id, const store::AuditEntry& audit);
  absl::Status ApplyAdminAction(const std::string& user_id, const std::string& actor,
                                const std::string& activity,
                                const std::function<void(risk::RiskState&)>& action);
  absl::Status PersistPopulation();

  store::Store* store_;
  mutable std::shared_mutex mutex_;
  risk::RiskState state_;
  absl::flat_hash_set<std::string> users_;  // directory users with a record
  absl::Time population_saved_ = absl::InfinitePast();
};

// GET /v1.0/identityProtection/riskyUsers (IdentityRiskyUser.Read.All),
// POST /v1.0/identityProtection/riskyUsers/confirmCompromised and .../dismiss
// {"userIds": [...]} (IdentityRiskyUser.ReadWrite.All) → 204. Everything must outlive the router.
struct RiskyUsersApiContext {
  AdminAuthority* auth = nullptr;
  TenantState* tenant = nullptr;
  RiskEngineSignInRiskSource* risk = nullptr;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};
void RegisterRiskyUsersApi(http::Router& router, RiskyUsersApiContext context);

}  // namespace gatehouse::app
