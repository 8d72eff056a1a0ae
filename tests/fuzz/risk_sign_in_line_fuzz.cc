// libFuzzer target for the risk engine's sign-in line reader (`gatehouse risk score --signins`):
// bytes -> risk::ParseSignInLine -> RiskState::Assess -> Record. Beyond "no crash, no sanitizer
// report" it checks the contract: a refused line has a non-empty InvalidArgument message; an
// accepted one has a user id, scores to a level with detections whose confidence is in [0, 1] in
// the DetectionType order, and learning from it keeps the profile within its bounds and the
// profile JSON round-trips.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "nlohmann/json.hpp"
#include "risk/risk_state.h"
#include "risk/sign_in_line.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

std::shared_ptr<const gatehouse::risk::RiskConfig> Config() {
  auto config = std::make_shared<gatehouse::risk::RiskConfig>();
  config->unfamiliar.min_history = 1;
  config->password_spray.threshold = 2;
  config->brute_force.threshold = 2;
  config->anonymous_ranges =
      gatehouse::location::CidrSet({*gatehouse::location::CidrRange::Parse("10.0.0.0/8")});
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto* config = new std::shared_ptr<const gatehouse::risk::RiskConfig>(Config());
  // A fresh state per input keeps every run reproducible.
  auto state = std::make_unique<gatehouse::risk::RiskState>(*config);
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto line = gatehouse::risk::ParseSignInLine(bytes);
  if (!line.ok()) {
    Check(line.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!line.status().message().empty());
    return 0;
  }
  const gatehouse::risk::SignInObservation& o = line->observation;
  Check(!o.user_id.empty());
  // Learn the line twice (a history), then judge it.
  state->Record(o);
  state->Record(o);
  const gatehouse::risk::SignInRiskAssessment a = state->Assess(o);
  Check(a.score >= 0 && a.score <= 1);
  Check(static_cast<int>(a.level) <= 3);
  for (std::size_t i = 0; i < a.detections.size(); ++i) {
    Check(a.detections[i].confidence >= 0 && a.detections[i].confidence <= 1);
    Check(!a.detections[i].explanation.empty());
    if (i > 0) Check(a.detections[i - 1].type < a.detections[i].type);
  }
  Check(a.detections.empty() == (a.Detail() == "none"));
  const gatehouse::risk::UserRiskRecord* record = state->Find(o.user_id);
  if (record != nullptr) {
    for (const auto& table : record->profile.features) {
      Check(table.distinct <= gatehouse::risk::kSlotsPerFeature);
    }
    const nlohmann::json doc = gatehouse::risk::RiskState::RecordToJson(*record);
    auto back = gatehouse::risk::RiskState::RecordFromJson(nlohmann::json::parse(doc.dump()));
    Check(back.ok());
    Check(gatehouse::risk::RiskState::RecordToJson(*back) == doc);
  }
  return 0;
}
