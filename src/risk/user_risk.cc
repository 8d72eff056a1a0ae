#include "risk/user_risk.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace gatehouse::risk {

namespace {

constexpr std::string_view kStateNames[] = {"none", "atRisk", "confirmedCompromised", "dismissed",
                                            "remediated"};
constexpr std::string_view kDetailNames[] = {"none", "adminConfirmedUserCompromised",
                                             "adminDismissedAllRiskForUser",
                                             "userPerformedSecuredPasswordChange"};

void Clear(UserRisk& risk, absl::Time now, UserRiskState state, UserRiskDetail detail) {
  risk.score = 0;
  risk.updated_unix = absl::ToUnixSeconds(now);
  risk.state = state;
  risk.detail = detail;
  risk.events = {};
  risk.event_count = 0;
  risk.next_event = 0;
}

}  // namespace

std::string_view UserRiskStateName(UserRiskState state) {
  return kStateNames[static_cast<int>(state)];
}
std::string_view UserRiskDetailName(UserRiskDetail detail) {
  return kDetailNames[static_cast<int>(detail)];
}

double UserRisk::ScoreAt(absl::Time now, const RiskConfig& config) const {
  if (score <= 0) return 0;
  const double elapsed =
      std::max<double>(0, static_cast<double>(absl::ToUnixSeconds(now) - updated_unix));
  const double half_life = absl::ToDoubleSeconds(config.user_risk_half_life);
  return score * std::exp2(-elapsed / half_life);
}

RiskLevel UserRisk::LevelAt(absl::Time now, const RiskConfig& config) const {
  if (state == UserRiskState::kConfirmedCompromised) return RiskLevel::kHigh;
  return config.user_thresholds.LevelOf(ScoreAt(now, config));
}

void AddSignInDetections(UserRisk& risk, const SignInRiskAssessment& assessment, absl::Time now,
                         const RiskConfig& config) {
  if (assessment.detections.empty()) return;
  double points = 0;
  for (const Detection& d : assessment.detections) {
    points += UserRiskPoints(d.level) * d.confidence;
    UserRiskEvent& event = risk.events[risk.next_event];
    event = UserRiskEvent{d.type, d.level, absl::ToUnixSeconds(now)};
    risk.next_event = static_cast<std::uint8_t>((risk.next_event + 1) % UserRisk::kMaxEvents);
    if (risk.event_count < UserRisk::kMaxEvents) ++risk.event_count;
  }
  risk.score = risk.ScoreAt(now, config) + points;
  risk.updated_unix = std::max(risk.updated_unix, absl::ToUnixSeconds(now));
  if (risk.state != UserRiskState::kConfirmedCompromised) {
    risk.state = UserRiskState::kAtRisk;
    risk.detail = UserRiskDetail::kNone;
  }
}

void ConfirmCompromised(UserRisk& risk, absl::Time now) {
  risk.state = UserRiskState::kConfirmedCompromised;
  risk.detail = UserRiskDetail::kAdminConfirmedUserCompromised;
  risk.updated_unix = absl::ToUnixSeconds(now);
}

void Dismiss(UserRisk& risk, absl::Time now) {
  Clear(risk, now, UserRiskState::kDismissed, UserRiskDetail::kAdminDismissedAllRiskForUser);
}

void RemediateBySecurePasswordChange(UserRisk& risk, absl::Time now) {
  Clear(risk, now, UserRiskState::kRemediated, UserRiskDetail::kUserPerformedSecuredPasswordChange);
}

nlohmann::json UserRiskToJson(const UserRisk& risk) {
  nlohmann::json events = nlohmann::json::array();
  for (int i = 0; i < risk.event_count; ++i) {
    const int index = (risk.next_event - risk.event_count + i + UserRisk::kMaxEvents) %
                      UserRisk::kMaxEvents;
    const UserRiskEvent& e = risk.events[index];
    events.push_back({{"type", DetectionTypeName(e.type)},
                      {"level", RiskLevelName(e.level)},
                      {"time", e.time_unix}});
  }
  return {{"version", 1},
          {"score", risk.score},
          {"updated", risk.updated_unix},
          {"riskState", UserRiskStateName(risk.state)},
          {"riskDetail", UserRiskDetailName(risk.detail)},
          {"events", events}};
}

absl::StatusOr<UserRisk> UserRiskFromJson(const nlohmann::json& doc) {
  auto invalid = [](std::string_view pointer, std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(pointer), ": ", std::string(why)));
  };
  if (!doc.is_object() || !doc.contains("version") || doc["version"] != 1) {
    return invalid("/version", "expected 1");
  }
  UserRisk risk;
  if (!doc.contains("score") || !doc["score"].is_number() ||
      !std::isfinite(doc["score"].get<double>()) || doc["score"].get<double>() < 0) {
    return invalid("/score", "expected a non-negative number");
  }
  risk.score = doc["score"].get<double>();
  if (!doc.contains("updated") || !doc["updated"].is_number_integer()) {
    return invalid("/updated", "expected Unix seconds");
  }
  risk.updated_unix = doc["updated"].get<std::int64_t>();
  bool found = false;
  for (int i = 0; i < 5 && doc.contains("riskState"); ++i) {
    if (doc["riskState"] == kStateNames[i]) {
      risk.state = static_cast<UserRiskState>(i);
      found = true;
    }
  }
  if (!found) return invalid("/riskState", "expected a Graph riskState value");
  found = false;
  for (int i = 0; i < 4 && doc.contains("riskDetail"); ++i) {
    if (doc["riskDetail"] == kDetailNames[i]) {
      risk.detail = static_cast<UserRiskDetail>(i);
      found = true;
    }
  }
  if (!found) return invalid("/riskDetail", "expected a Graph riskDetail value");
  if (!doc.contains("events") || !doc["events"].is_array() ||
      doc["events"].size() > UserRisk::kMaxEvents) {
    return invalid("/events", "expected an array of at most 8 events");
  }
  for (std::size_t i = 0; i < doc["events"].size(); ++i) {
    const nlohmann::json& e = doc["events"][i];
    const std::string at = absl::StrCat("/events/", i);
    std::optional<DetectionType> type;
    std::optional<RiskLevel> level;
    if (e.is_object() && e.contains("type") && e["type"].is_string()) {
      type = ParseDetectionType(e["type"].get<std::string>());
    }
    if (e.is_object() && e.contains("level") && e["level"].is_string()) {
      level = ParseRiskLevel(e["level"].get<std::string>());
    }
    if (!type || !level || !e.contains("time") || !e["time"].is_number_integer()) {
      return invalid(at, "expected {\"type\", \"level\", \"time\"}");
    }
    risk.events[i] = UserRiskEvent{*type, *level, e["time"].get<std::int64_t>()};
  }
  risk.event_count = static_cast<std::uint8_t>(doc["events"].size());
  risk.next_event = static_cast<std::uint8_t>(risk.event_count % UserRisk::kMaxEvents);
  return risk;
}

}  // namespace gatehouse::risk
