#include "risk/user_risk.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "risk/risk_state.h"
#include "test_util.h"

namespace gatehouse::risk {
namespace {

using testing::At;

SignInRiskAssessment WithDetection(DetectionType type, RiskLevel level, double confidence) {
  SignInRiskAssessment a;
  a.detections.push_back({type, level, confidence, "test"});
  return a;
}

TEST(UserRisk, AggregatesDetectionsAndDecaysWithTheHalfLife) {
  RiskConfig config;  // half-life 30 days; user thresholds 0.2 / 0.45 / 0.9
  UserRisk risk;
  AddSignInDetections(risk, WithDetection(DetectionType::kImpossibleTravel, RiskLevel::kMedium, 1),
                      At(0), config);
  EXPECT_DOUBLE_EQ(risk.ScoreAt(At(0), config), 0.5);
  EXPECT_EQ(risk.LevelAt(At(0), config), RiskLevel::kMedium);
  EXPECT_EQ(risk.state, UserRiskState::kAtRisk);
  EXPECT_NEAR(risk.ScoreAt(At(30), config), 0.25, 1e-9);
  EXPECT_EQ(risk.LevelAt(At(30), config), RiskLevel::kLow);
  EXPECT_EQ(risk.LevelAt(At(120), config), RiskLevel::kNone);
  // Two more medium detections a month later: 0.25 + 0.5 + 0.5 = 1.25 → high.
  for (int i = 0; i < 2; ++i) {
    AddSignInDetections(risk,
                        WithDetection(DetectionType::kUnfamiliarFeatures, RiskLevel::kMedium, 1),
                        At(30), config);
  }
  EXPECT_NEAR(risk.ScoreAt(At(30), config), 1.25, 1e-9);
  EXPECT_EQ(risk.LevelAt(At(30), config), RiskLevel::kHigh);
  EXPECT_EQ(risk.event_count, 3);
}

TEST(UserRisk, AdminConfirmationPinsHighUntilPasswordChange) {
  RiskConfig config;
  UserRisk risk;
  ConfirmCompromised(risk, At(0));
  EXPECT_EQ(risk.LevelAt(At(100), config), RiskLevel::kHigh);  // no decay
  EXPECT_EQ(risk.state, UserRiskState::kConfirmedCompromised);
  EXPECT_EQ(UserRiskDetailName(risk.detail), "adminConfirmedUserCompromised");
  // New detections keep the confirmed state.
  AddSignInDetections(risk, WithDetection(DetectionType::kAnonymizedIp, RiskLevel::kLow, 1), At(1),
                      config);
  EXPECT_EQ(risk.state, UserRiskState::kConfirmedCompromised);
  RemediateBySecurePasswordChange(risk, At(2));
  EXPECT_EQ(risk.LevelAt(At(2), config), RiskLevel::kNone);
  EXPECT_EQ(risk.state, UserRiskState::kRemediated);
  EXPECT_EQ(UserRiskDetailName(risk.detail), "userPerformedSecuredPasswordChange");
  EXPECT_EQ(risk.event_count, 0);
}

TEST(UserRisk, DismissClearsTheRiskAndLaterDetectionsCountAgain) {
  RiskConfig config;
  UserRisk risk;
  AddSignInDetections(risk, WithDetection(DetectionType::kLeakedCredentials, RiskLevel::kHigh, 1),
                      At(0), config);
  EXPECT_EQ(risk.LevelAt(At(0), config), RiskLevel::kHigh);
  Dismiss(risk, At(0));
  EXPECT_EQ(risk.LevelAt(At(0), config), RiskLevel::kNone);
  EXPECT_EQ(UserRiskStateName(risk.state), "dismissed");
  EXPECT_EQ(UserRiskDetailName(risk.detail), "adminDismissedAllRiskForUser");
  AddSignInDetections(risk, WithDetection(DetectionType::kImpossibleTravel, RiskLevel::kMedium, 1),
                      At(1), config);
  EXPECT_EQ(risk.state, UserRiskState::kAtRisk);
  EXPECT_EQ(risk.LevelAt(At(1), config), RiskLevel::kMedium);
}

TEST(UserRisk, KeepsOnlyTheMostRecentEvents) {
  RiskConfig config;
  UserRisk risk;
  for (int i = 0; i < 20; ++i) {
    AddSignInDetections(risk, WithDetection(DetectionType::kBruteForce, RiskLevel::kLow, 0.5),
                        At(i), config);
  }
  EXPECT_EQ(risk.event_count, UserRisk::kMaxEvents);
  nlohmann::json doc = UserRiskToJson(risk);
  ASSERT_EQ(doc["events"].size(), 8u);
  EXPECT_EQ(doc["events"][0]["time"], absl::ToUnixSeconds(At(12)));
  EXPECT_EQ(doc["events"][7]["time"], absl::ToUnixSeconds(At(19)));
}

TEST(UserRiskJson, RoundTripsAndNamesBadFields) {
  RiskConfig config;
  UserRisk risk;
  for (int i = 0; i < 11; ++i) {
    AddSignInDetections(risk, WithDetection(DetectionType::kPasswordSpray, RiskLevel::kHigh, 0.7),
                        At(i), config);
  }
  ConfirmCompromised(risk, At(12));
  const nlohmann::json doc = UserRiskToJson(risk);
  auto back = UserRiskFromJson(nlohmann::json::parse(doc.dump()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(UserRiskToJson(*back), doc);
  nlohmann::json bad = doc;
  bad["riskState"] = "compromised";
  EXPECT_EQ(UserRiskFromJson(bad).status().message(),
            "/riskState: expected a Graph riskState value");
  bad = doc;
  bad["events"][2]["level"] = "severe";
  EXPECT_EQ(UserRiskFromJson(bad).status().message(),
            "/events/2: expected {\"type\", \"level\", \"time\"}");
}

TEST(RiskState, AdminActionsAndSelfRemediation) {
  RiskState state(std::make_shared<const RiskConfig>());
  state.ConfirmCompromised("carol", At(0));
  EXPECT_EQ(state.UserRiskLevel("carol", At(5)), RiskLevel::kHigh);
  state.SecurePasswordChanged("carol", At(5));
  EXPECT_EQ(state.UserRiskLevel("carol", At(5)), RiskLevel::kNone);
  state.ConfirmCompromised("carol", At(6));
  state.Dismiss("carol", At(6));
  EXPECT_EQ(state.UserRiskLevel("carol", At(6)), RiskLevel::kNone);
  EXPECT_EQ(state.UserRiskLevel("nobody", At(6)), RiskLevel::kNone);
}

TEST(RiskState, RecordJsonRoundTrips) {
  RiskState state(std::make_shared<const RiskConfig>());
  for (int day = 0; day < 12; ++day) state.Record(testing::Home("dave", At(day)));
  state.ConfirmCompromised("dave", At(12));
  const nlohmann::json doc = RiskState::RecordToJson(*state.Find("dave"));
  auto back = RiskState::RecordFromJson(nlohmann::json::parse(doc.dump()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(RiskState::RecordToJson(*back), doc);
  RiskState restored(std::make_shared<const RiskConfig>());
  restored.Put("dave", *back);
  restored.SetPopulation(state.population());
  EXPECT_EQ(restored.Assess(testing::Takeover("dave", At(13))).unfamiliar_score,
            state.Assess(testing::Takeover("dave", At(13))).unfamiliar_score);
  nlohmann::json bad = doc;
  bad["profile"]["signIns"] = "many";
  EXPECT_EQ(RiskState::RecordFromJson(bad).status().message(), "/profile/signIns: expected a count");
}

}  // namespace
}  // namespace gatehouse::risk
