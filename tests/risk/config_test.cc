#include "risk/config.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::risk {
namespace {

using nlohmann::json;

TEST(RiskLevels, ThresholdsMapScoresToLevels) {
  LevelThresholds t{0.1, 0.45, 0.8};
  EXPECT_EQ(t.LevelOf(0), RiskLevel::kNone);
  EXPECT_EQ(t.LevelOf(0.09), RiskLevel::kNone);
  EXPECT_EQ(t.LevelOf(0.1), RiskLevel::kLow);
  EXPECT_EQ(t.LevelOf(0.5), RiskLevel::kMedium);
  EXPECT_EQ(t.LevelOf(0.8), RiskLevel::kHigh);
  EXPECT_EQ(t.LevelOf(1.0), RiskLevel::kHigh);
}

TEST(RiskLevels, NamesRoundTripCaseInsensitively) {
  EXPECT_EQ(RiskLevelName(RiskLevel::kMedium), "medium");
  EXPECT_EQ(ParseRiskLevel("HIGH"), RiskLevel::kHigh);
  EXPECT_EQ(ParseRiskLevel("hidden"), std::nullopt);
  EXPECT_EQ(DetectionTypeName(DetectionType::kAnonymizedIp), "anonymizedIPAddress");
  EXPECT_EQ(ParseDetectionType("passwordSpray"), DetectionType::kPasswordSpray);
}

TEST(RiskConfigParse, EmptyObjectGivesTheDocumentedDefaults) {
  core::ProblemList problems;
  auto config = ParseRiskConfig(json::object(), problems);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_DOUBLE_EQ(config->sign_in_thresholds.medium, 0.45);
  EXPECT_EQ(config->unfamiliar.min_history, 10);
  EXPECT_DOUBLE_EQ(config->travel.max_speed_kmh, 1000);
  EXPECT_EQ(config->password_spray.threshold, 10);
  EXPECT_EQ(config->brute_force.window, absl::Minutes(30));
  EXPECT_EQ(config->user_risk_half_life, absl::Hours(720));
  EXPECT_TRUE(config->IsPrimaryFailure(50126));
  EXPECT_FALSE(config->IsPrimaryFailure(50076));  // MFA required: the password was right
}

TEST(RiskConfigParse, ReadsEveryKey) {
  core::ProblemList problems;
  json doc = json::parse(R"({
    "signInRiskThresholds": {"low": 0.2, "medium": 0.5, "high": 0.9},
    "userRiskThresholds": {"low": 0.1, "medium": 0.4, "high": 0.7},
    "userRiskHalfLifeHours": 48,
    "unfamiliarFeatures": {"minHistory": 5, "lowScore": 2, "mediumScore": 3, "highScore": 4,
                           "globalAlpha": 1, "maturityHours": 6, "weights": {"device": 0.5}},
    "impossibleTravel": {"maxSpeedKmh": 800, "minDistanceKm": 300, "slackMinutes": 60,
                         "vpnRanges": ["192.0.2.0/24"], "vpnAsns": [9009]},
    "anonymousIpRanges": ["185.220.100.0/22"], "anonymousAsns": [60729],
    "maliciousIpRanges": ["2001:db8:bad::/48"],
    "passwordSpray": {"windowMinutes": 120, "minAccounts": 5},
    "bruteForce": {"windowMinutes": 10, "minFailures": 4},
    "leakedPasswordSha256": ["5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8"],
    "noLearningLevel": "medium",
    "failureErrorCodes": [50126]
  })");
  auto config = ParseRiskConfig(doc, problems);
  ASSERT_TRUE(config.ok()) << problems.ToString();
  EXPECT_DOUBLE_EQ(config->sign_in_thresholds.high, 0.9);
  EXPECT_EQ(config->user_risk_half_life, absl::Hours(48));
  EXPECT_DOUBLE_EQ(config->unfamiliar.weights[4], 0.5);
  EXPECT_EQ(config->unfamiliar.maturity, absl::Hours(6));
  EXPECT_EQ(config->travel.slack, absl::Hours(1));
  EXPECT_TRUE(config->travel.vpn_ranges.Contains(*location::IpAddress::Parse("192.0.2.9")));
  EXPECT_TRUE(config->travel.vpn_asns.contains(9009));
  EXPECT_TRUE(config->malicious_ranges.Contains(*location::IpAddress::Parse("2001:db8:bad::1")));
  EXPECT_EQ(config->password_spray.window, absl::Hours(2));
  EXPECT_EQ(config->brute_force.threshold, 4);
  // Hex digests are stored lower case.
  EXPECT_TRUE(config->leaked_password_sha256.contains(
      "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"));
  EXPECT_EQ(config->no_learning_level, RiskLevel::kMedium);
  EXPECT_FALSE(config->IsPrimaryFailure(50053));
}

TEST(RiskConfigParse, EveryProblemNamesItsPointer) {
  core::ProblemList problems;
  json doc = json::parse(R"({
    "signInRiskThresholds": {"low": 0.5, "medium": 0.4, "high": 0.9},
    "unfamiliarFeatures": {"minHistroy": 5},
    "anonymousIpRanges": ["10.0.0.0/33", 7],
    "leakedPasswordSha256": ["password"],
    "passwordSpray": {"minAccounts": 1},
    "noLearningLevel": "none"
  })");
  auto config = ParseRiskConfig(doc, problems);
  ASSERT_FALSE(config.ok());
  std::vector<std::string> pointers;
  for (const auto& p : problems.problems()) pointers.push_back(p.pointer);
  EXPECT_EQ(pointers, (std::vector<std::string>{
                          "/anonymousIpRanges/0", "/anonymousIpRanges/1", "/leakedPasswordSha256/0",
                          "/noLearningLevel", "/passwordSpray/minAccounts", "/signInRiskThresholds",
                          "/unfamiliarFeatures/minHistroy"}));
  EXPECT_EQ(problems.problems()[6].message, "unknown key");
  EXPECT_EQ(problems.problems()[5].message, "thresholds must satisfy low <= medium <= high");
}

TEST(RiskConfigParse, RefusesANonObject) {
  core::ProblemList problems;
  EXPECT_FALSE(ParseRiskConfig(json::array(), problems).ok());
  EXPECT_EQ(problems.problems().at(0).message, "expected an object");
}

}  // namespace
}  // namespace gatehouse::risk
