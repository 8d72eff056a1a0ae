#include "app/sign_in_risk_source.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <utility>

#include "core/iso_time.h"
#include "core/json_document.h"
#include "core/problem.h"
#include "core/status_macros.h"
#include "core/text.h"
#include "nlohmann/json.hpp"
#include "risk/config.h"

namespace gatehouse::app {

namespace {

using nlohmann::json;

const store::AuditEntry kQuiet{};
// The population is written at most this often (in sign-in time), and at Flush().
constexpr absl::Duration kPopulationInterval = absl::Minutes(1);
// Graph accepts at most 60 ids per confirmCompromised / dismiss call.
constexpr std::size_t kMaxUserIds = 60;

bool IsDirectoryUser(const std::string& key) { return !key.empty() && key.rfind("upn:", 0) != 0; }

}  // namespace

absl::StatusOr<std::shared_ptr<const risk::RiskConfig>> LoadRiskConfigFile(
    const std::string& path) {
  if (path.empty()) return std::make_shared<const risk::RiskConfig>();
  GH_ASSIGN_OR_RETURN(std::string text, core::ReadFileToString(path));
  auto doc = core::ParseJsonDocument(text);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(path + ": " + std::string(doc.status().message()));
  }
  core::ProblemList problems;
  auto config = risk::ParseRiskConfig(*doc, problems);
  if (!config.ok()) {
    std::string message;
    for (core::Problem problem : problems.problems()) {
      problem.file = path;
      if (!message.empty()) message += "; ";
      message += problem.ToString();
    }
    return absl::InvalidArgumentError(message.empty() ? path + ": " +
                                                            std::string(config.status().message())
                                                      : message);
  }
  return std::make_shared<const risk::RiskConfig>(std::move(*config));
}

RiskEngineSignInRiskSource::RiskEngineSignInRiskSource(
    std::shared_ptr<const risk::RiskConfig> config, store::Store* store)
    : store_(store), state_(std::move(config)) {}

absl::Status RiskEngineSignInRiskSource::Load() {
  if (store_ == nullptr) return absl::OkStatus();
  GH_ASSIGN_OR_RETURN(std::vector<store::StoredObject> objects,
                      store_->List(store::ObjectKind::kCredential));
  std::string bad;
  std::unique_lock lock(mutex_);
  for (const store::StoredObject& object : objects) {
    const bool is_user = object.id.rfind(kRiskUserPrefix, 0) == 0;
    const bool is_population = object.id == kRiskPopulationId;
    if (!is_user && !is_population) continue;
    json doc = json::parse(object.body, nullptr, false);
    absl::Status status;
    if (doc.is_discarded()) {
      status = absl::InvalidArgumentError("not JSON");
    } else if (is_population) {
      auto population = risk::PopulationModel::FromJson(doc);
      if (population.ok()) {
        state_.SetPopulation(std::move(*population));
      } else {
        status = population.status();
      }
    } else {
      auto record = risk::RiskState::RecordFromJson(doc);
      if (record.ok()) {
        const std::string user_id = object.id.substr(std::string(kRiskUserPrefix).size());
        state_.Put(user_id, std::move(*record));
        users_.insert(user_id);
      } else {
        status = record.status();
      }
    }
    if (!status.ok()) {
      if (!bad.empty()) bad += "; ";
      bad += object.id + ": " + std::string(status.message());
    }
  }
  if (!bad.empty()) return absl::DataLossError("risk state records skipped: " + bad);
  return absl::OkStatus();
}

absl::Status RiskEngineSignInRiskSource::PersistUser(const std::string& user_id,
                                                     const store::AuditEntry& audit) {
  if (store_ == nullptr || !IsDirectoryUser(user_id)) return absl::OkStatus();
  std::string body;
  {
    std::shared_lock lock(mutex_);
    const risk::UserRiskRecord* record = state_.Find(user_id);
    if (record == nullptr) return absl::OkStatus();
    body = risk::RiskState::RecordToJson(*record).dump();
  }
  return store_->Put(store::ObjectKind::kCredential, kRiskUserPrefix + user_id, body, audit)
      .status();
}

absl::Status RiskEngineSignInRiskSource::PersistPopulation() {
  if (store_ == nullptr) return absl::OkStatus();
  std::string body;
  {
    std::shared_lock lock(mutex_);
    body = state_.population().ToJson().dump();
  }
  return store_->Put(store::ObjectKind::kCredential, kRiskPopulationId, body, kQuiet).status();
}

absl::Status RiskEngineSignInRiskSource::Flush() { return PersistPopulation(); }

risk::SignInObservation RiskEngineSignInRiskSource::ToObservation(
    const idp::SignInRiskInput& input) {
  risk::SignInObservation o;
  o.user_id = !input.user_id.empty() ? input.user_id
                                     : "upn:" + core::AsciiLower(input.user_principal_name);
  o.time = input.time;
  o.ip = location::IpAddress::Parse(input.ip_address);
  if (input.country.size() == 2 && std::isalpha(static_cast<unsigned char>(input.country[0])) &&
      std::isalpha(static_cast<unsigned char>(input.country[1]))) {
    for (char c : input.country) {
      o.country += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  o.device_id = input.device_id;
  o.user_agent = input.user_agent;
  o.password_sha256 = input.password_sha256;
  o.error_code = input.error_code;
  return o;
}

idp::SignInRiskResult RiskEngineSignInRiskSource::Assess(const idp::SignInRiskInput& input) {
  const risk::SignInObservation observation = ToObservation(input);
  std::shared_lock lock(mutex_);
  const risk::SignInRiskAssessment assessment = state_.Assess(observation);
  idp::SignInRiskResult result;
  result.level = std::string(risk::RiskLevelName(assessment.level));
  result.risk_event_types = assessment.RiskEventTypes();
  result.detail = assessment.Detail();
  result.user_risk_level =
      std::string(risk::RiskLevelName(state_.UserRiskLevel(observation.user_id, input.time)));
  return result;
}

void RiskEngineSignInRiskSource::Record(const idp::SignInRiskInput& input, bool succeeded) {
  risk::SignInObservation observation = ToObservation(input);
  // The digest is for the one assessment only; the engine never stores it, nor does Record.
  observation.password_sha256.clear();
  if (succeeded) observation.error_code = 0;
  // A failure reported without a code counts as a wrong password.
  if (!succeeded && observation.error_code == 0) observation.error_code = 50126;
  bool changed_user = false;
  bool save_population = false;
  {
    std::unique_lock lock(mutex_);
    state_.Record(observation);
    // A primary failure only feeds the in-memory window; anything else may change the record.
    if (IsDirectoryUser(observation.user_id) &&
        !state_.config().IsPrimaryFailure(observation.error_code) &&
        state_.Find(observation.user_id) != nullptr) {
      users_.insert(observation.user_id);
      changed_user = true;
    }
    if (observation.error_code == 0 && input.time - population_saved_ >= kPopulationInterval) {
      population_saved_ = input.time;
      save_population = true;
    }
  }
  // Store errors are not the sign-in's problem: the state stays in memory and the next write
  // (or a replay of the sign-in log) catches up.
  if (changed_user) (void)PersistUser(observation.user_id, kQuiet);
  if (save_population) (void)PersistPopulation();
}

absl::Status RiskEngineSignInRiskSource::ConfirmCompromised(const std::string& user_id,
                                                            absl::Time now,
                                                            const std::string& actor) {
  return ApplyAdminAction(user_id, actor, "Confirm user compromised",
                          [&](risk::RiskState& state) { state.ConfirmCompromised(user_id, now); });
}

absl::Status RiskEngineSignInRiskSource::Dismiss(const std::string& user_id, absl::Time now,
                                                 const std::string& actor) {
  return ApplyAdminAction(user_id, actor, "Dismiss user risk",
                          [&](risk::RiskState& state) { state.Dismiss(user_id, now); });
}

// Applies an admin action to the user's risk state, then persists it with its audit record.
absl::Status RiskEngineSignInRiskSource::ApplyAdminAction(
    const std::string& user_id, const std::string& actor, const std::string& activity,
    const std::function<void(risk::RiskState&)>& action) {
  {
    std::unique_lock lock(mutex_);
    action(state_);
    users_.insert(user_id);
  }
  store::AuditEntry audit;
  audit.actor = actor;
  audit.activity = activity;
  audit.category = "IdentityProtection";
  audit.details_json = json{{"userId", user_id}}.dump();
  return PersistUser(user_id, audit);
}

void RiskEngineSignInRiskSource::SecurePasswordChanged(const std::string& user_id,
                                                       absl::Time now) {
  {
    std::unique_lock lock(mutex_);
    state_.SecurePasswordChanged(user_id, now);
    if (IsDirectoryUser(user_id)) users_.insert(user_id);
  }
  (void)PersistUser(user_id, kQuiet);
}

nlohmann::json RiskEngineSignInRiskSource::UserRecordJson(const std::string& user_id) const {
  std::shared_lock lock(mutex_);
  const risk::UserRiskRecord* record = state_.Find(user_id);
  return record == nullptr ? nlohmann::json(nullptr) : risk::RiskState::RecordToJson(*record);
}

std::vector<RiskEngineSignInRiskSource::RiskyUser> RiskEngineSignInRiskSource::RiskyUsers(
    absl::Time now) const {
  std::vector<RiskyUser> out;
  std::shared_lock lock(mutex_);
  for (const std::string& user_id : users_) {
    const risk::UserRiskRecord* record = state_.Find(user_id);
    if (record == nullptr || record->risk.state == risk::UserRiskState::kNone) continue;
    RiskyUser user;
    user.user_id = user_id;
    user.level = record->risk.LevelAt(now, state_.config());
    user.state = record->risk.state;
    user.detail = record->risk.detail;
    user.updated = absl::FromUnixSeconds(record->risk.updated_unix);
    out.push_back(std::move(user));
  }
  std::sort(out.begin(), out.end(),
            [](const RiskyUser& a, const RiskyUser& b) { return a.user_id < b.user_id; });
  return out;
}

// ---- the admin API --------------------------------------------------------------------------

namespace {

http::HttpResponse Unauthorized(const absl::Status& status) {
  http::HttpResponse r =
      http::Problem(401, "Authentication required", std::string(status.message()));
  r.SetHeader("WWW-Authenticate", "Bearer realm=\"gatehouse\"");
  return r;
}

// The principal when the bearer token holds `scope`; else the 401/403 in `error`.
std::optional<AdminPrincipal> Authorize(const RiskyUsersApiContext& c,
                                        const http::HttpRequest& request,
                                        const std::string& scope, http::HttpResponse& error) {
  auto who = c.auth->Authenticate(request.Header("authorization"), c.clock());
  if (!who.ok()) {
    error = Unauthorized(who.status());
    return std::nullopt;
  }
  if (!ScopeAllows(who->scopes, scope)) {
    error = http::Problem(403, "Insufficient scope", "this operation needs the " + scope + " scope");
    return std::nullopt;
  }
  return *who;
}

// {"userIds": [ids of directory users]}: 1..60 distinct strings, every one a directory user.
std::optional<std::vector<std::string>> UserIds(const RiskyUsersApiContext& c,
                                                const http::HttpRequest& request,
                                                http::HttpResponse& error) {
  auto doc = core::ParseJsonDocument(request.body);
  if (!doc.ok() || !doc->is_object()) {
    error = http::Problem(400, "The request body is not valid",
                          doc.ok() ? "expected a JSON object" : std::string(doc.status().message()));
    return std::nullopt;
  }
  const json& ids = (*doc)["userIds"];
  if (!ids.is_array() || ids.empty() || ids.size() > kMaxUserIds) {
    error = http::Problem(400, "The request body is not valid",
                          "/userIds: expected an array of 1 to 60 user ids");
    return std::nullopt;
  }
  auto snapshot = c.tenant->Current();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].is_string() || ids[i].get<std::string>().empty()) {
      error = http::Problem(400, "The request body is not valid",
                            "/userIds/" + std::to_string(i) + ": expected a user id");
      return std::nullopt;
    }
    const std::string id = ids[i].get<std::string>();
    if (!snapshot || !snapshot->bundle.directory->FindUser(id)) {
      error = http::Problem(404, "Not found", "no user with id '" + id + "'");
      return std::nullopt;
    }
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

http::HttpResponse AdminAction(const RiskyUsersApiContext& c, http::HttpRequest& request,
                               bool confirm) {
  http::HttpResponse error;
  auto who = Authorize(c, request, "IdentityRiskyUser.ReadWrite.All", error);
  if (!who) return error;
  auto ids = UserIds(c, request, error);
  if (!ids) return error;
  const absl::Time now = c.clock();
  for (const std::string& id : *ids) {
    absl::Status status = confirm ? c.risk->ConfirmCompromised(id, now, who->client_id)
                                  : c.risk->Dismiss(id, now, who->client_id);
    if (!status.ok()) return http::ProblemFor(status);
  }
  http::HttpResponse response;
  response.status = 204;
  return response;
}

}  // namespace

void RegisterRiskyUsersApi(http::Router& router, RiskyUsersApiContext context) {
  auto c = std::make_shared<RiskyUsersApiContext>(std::move(context));
  router.Add("GET", "/v1.0/identityProtection/riskyUsers", [c](http::HttpRequest& request) {
    http::HttpResponse error;
    if (!Authorize(*c, request, "IdentityRiskyUser.Read.All", error)) return error;
    auto snapshot = c->tenant->Current();
    json value = json::array();
    for (const auto& user : c->risk->RiskyUsers(c->clock())) {
      json item = {{"id", user.user_id},
                   {"isDeleted", true},
                   {"isProcessing", false},
                   {"riskLevel", std::string(risk::RiskLevelName(user.level))},
                   {"riskState", std::string(risk::UserRiskStateName(user.state))},
                   {"riskDetail", std::string(risk::UserRiskDetailName(user.detail))},
                   {"riskLastUpdatedDateTime", core::FormatIsoDateTime(user.updated)},
                   {"userDisplayName", ""},
                   {"userPrincipalName", ""}};
      if (snapshot) {
        if (auto index = snapshot->bundle.directory->FindUser(user.user_id)) {
          const auto& u = snapshot->bundle.directory->user(*index);
          item["isDeleted"] = false;
          item["userDisplayName"] = u.display_name;
          item["userPrincipalName"] = u.user_principal_name;
        }
      }
      value.push_back(std::move(item));
    }
    return http::HttpResponse::Json(
        200, json{{"@odata.context", "$metadata#identityProtection/riskyUsers"}, {"value", value}}
                 .dump());
  });
  router.Add("POST", "/v1.0/identityProtection/riskyUsers/confirmCompromised",
             [c](http::HttpRequest& request) { return AdminAction(*c, request, true); });
  router.Add("POST", "/v1.0/identityProtection/riskyUsers/dismiss",
             [c](http::HttpRequest& request) { return AdminAction(*c, request, false); });
}

}  // namespace gatehouse::app
