#include <algorithm>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "risk/assessment.h"
#include "risk/risk_state.h"
#include "test_util.h"

namespace gatehouse::risk {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::At;
using testing::Home;
using testing::Takeover;

std::shared_ptr<const RiskConfig> Defaults() { return std::make_shared<const RiskConfig>(); }

// Alice signs in from home every working day for `days` days; 30 colleagues do the same from
// their own homes (other prefixes, two ISPs), so the population is not just Alice.
RiskState StableHistory(std::shared_ptr<const RiskConfig> config, int days = 40) {
  RiskState state(std::move(config));
  for (int day = 0; day < days; ++day) {
    for (int c = 0; c < 30; ++c) {
      SignInObservation o = Home("colleague" + std::to_string(c), At(day, 8, c));
      o.ip = location::IpAddress::Parse("100.64." + std::to_string(c) + ".9");
      o.asn = c % 2 == 0 ? 1136 : 33915;
      state.Record(o);
    }
    state.Record(Home("alice", At(day, 9)));
  }
  return state;
}

std::vector<DetectionType> Types(const SignInRiskAssessment& a) {
  std::vector<DetectionType> out;
  for (const Detection& d : a.detections) out.push_back(d.type);
  return out;
}

TEST(UnfamiliarFeatures, FamiliarSignInRaisesNothing) {
  RiskState state = StableHistory(Defaults());
  SignInRiskAssessment a = state.Assess(Home("alice", At(40, 9)));
  EXPECT_TRUE(a.detections.empty()) << a.Detail();
  EXPECT_EQ(a.level, RiskLevel::kNone);
  EXPECT_LT(a.unfamiliar_score, 0);
  EXPECT_EQ(a.Detail(), "none");
}

// The "done when" of issue 7: new country + new ASN + new device for a stable history.
TEST(UnfamiliarFeatures, NewCountryAsnAndDeviceRateAtLeastMediumWithReasons) {
  RiskState state = StableHistory(Defaults());
  SignInObservation o = Takeover("alice", At(40, 9));
  o.browser = "Chrome 121.0";  // the same browser family: only country, ASN, prefix, device new
  o.operating_system = "Windows 10";
  SignInRiskAssessment a = state.Assess(o);
  EXPECT_GE(a.level, RiskLevel::kMedium);
  EXPECT_THAT(a.RiskEventTypes(), ElementsAre("unfamiliarFeatures"));
  EXPECT_THAT(a.Detail(), HasSubstr("new country NG"));
  EXPECT_THAT(a.Detail(), HasSubstr("new asn AS37148"));
  EXPECT_THAT(a.Detail(), HasSubstr("new ipPrefix 198.51.100.0/24"));
  EXPECT_THAT(a.Detail(), HasSubstr("new device none"));
  EXPECT_THAT(a.Detail(), HasSubstr("learned from 40 sign-ins"));
  EXPECT_THAT(a.Detail(), Not(HasSubstr("new userAgent")));
}

TEST(UnfamiliarFeatures, UnseenValueRatioIsTheUsersNoveltyRateWhateverThePopulation) {
  RiskState state = StableHistory(Defaults());
  const UserRiskRecord* alice = state.Find("alice");
  ASSERT_NE(alice, nullptr);
  const FeatureTable& countries = alice->profile.features[static_cast<int>(Feature::kCountry)];
  ASSERT_EQ(countries.distinct, 1);
  // p_u(v) = d·p_G(v) / (n + d) for an unseen v, so p_G / p_u = (n + d) / d: one rare and one
  // common country give the same term, log10(41) for n = 40, d = 1.
  for (const char* country : {"NG", "DE"}) {
    SignInObservation o = Home("alice", At(40));
    o.country = country;
    UnfamiliarBreakdown b = ScoreUnfamiliarFeatures(alice->profile, state.population(),
                                                    ExtractFeatures(o), o.time, state.config());
    EXPECT_NEAR(b.terms[static_cast<int>(Feature::kCountry)], std::log10(41.0), 1e-6) << country;
    EXPECT_TRUE(b.novel[static_cast<int>(Feature::kCountry)]);
  }
  // A seen value: p_G / p_u < 1, a negative term.
  UnfamiliarBreakdown b = ScoreUnfamiliarFeatures(alice->profile, state.population(),
                                                  ExtractFeatures(Home("alice", At(40))), At(40),
                                                  state.config());
  EXPECT_LT(b.terms[static_cast<int>(Feature::kDevice)], -1);
}

TEST(UnfamiliarFeatures, RoamingUsersAreJudgedByTheirOwnNoveltyRate) {
  RiskState state(Defaults());
  for (int day = 0; day < 40; ++day) {  // a different hotel network every day
    SignInObservation o = Home("roamer", At(day));
    o.ip = location::IpAddress::Parse("198.18." + std::to_string(day) + ".1");
    o.asn = 64500 + day;
    state.Record(o);
  }
  SignInObservation o = Home("roamer", At(40));
  o.ip = location::IpAddress::Parse("198.19.0.1");
  o.asn = 65000;
  SignInRiskAssessment a = state.Assess(o);
  EXPECT_TRUE(a.detections.empty()) << a.Detail();
}

TEST(UnfamiliarFeatures, NewValuesMatureBeforeTheyCountAsFamiliar) {
  RiskState state = StableHistory(Defaults());
  SignInObservation cafe = Home("alice", At(40, 9));
  cafe.ip = location::IpAddress::Parse("203.0.114.20");  // a new prefix only: no detection
  SignInRiskAssessment first = state.Assess(cafe);
  ASSERT_TRUE(first.detections.empty()) << first.Detail();
  state.Record(cafe, &first);
  const int prefix = static_cast<int>(Feature::kIpPrefix);
  const UserProfile& profile = state.Find("alice")->profile;
  // An hour later the prefix is in the profile but not yet mature (12 h): still new.
  cafe.time = At(40, 10);
  UnfamiliarBreakdown soon = ScoreUnfamiliarFeatures(profile, state.population(),
                                                     ExtractFeatures(cafe), cafe.time,
                                                     state.config());
  EXPECT_TRUE(soon.novel[prefix]);
  EXPECT_GT(soon.terms[prefix], 1);
  cafe.time = At(40, 22);
  UnfamiliarBreakdown later = ScoreUnfamiliarFeatures(profile, state.population(),
                                                      ExtractFeatures(cafe), cafe.time,
                                                      state.config());
  EXPECT_FALSE(later.novel[prefix]);
  EXPECT_LT(later.terms[prefix], 0);
}

TEST(UnfamiliarFeatures, NothingIsJudgedDuringTheLearningPeriod) {
  RiskState state = StableHistory(Defaults(), /*days=*/9);  // 9 < minHistory 10
  SignInRiskAssessment a = state.Assess(Takeover("alice", At(9)));
  EXPECT_TRUE(a.detections.empty());
  EXPECT_EQ(a.unfamiliar_score, 0);
}

TEST(UnfamiliarFeatures, RiskySignInsAreNotLearned) {
  RiskState state = StableHistory(Defaults());
  SignInObservation attack = Takeover("alice", At(40));
  SignInRiskAssessment a = state.Assess(attack);
  ASSERT_EQ(a.level, RiskLevel::kHigh);
  state.Record(attack, &a);
  const FeatureTable& countries =
      state.Find("alice")->profile.features[static_cast<int>(Feature::kCountry)];
  EXPECT_EQ(countries.Find(FeatureKey(Feature::kCountry, "NG")), nullptr);
  EXPECT_EQ(state.Assess(Takeover("alice", At(41))).level, RiskLevel::kHigh);
}

TEST(ImpossibleTravel, FlagsAmsterdamToNewYorkInOneHour) {
  RiskState state = StableHistory(Defaults());
  SignInObservation ny = Home("alice", At(39, 10));  // one hour after the last sign-in
  ny.ip = location::IpAddress::Parse("192.0.2.44");
  ny.asn = 7922;
  ny.country = "US";
  ny.latitude = 40.71;
  ny.longitude = -74.01;
  SignInRiskAssessment a = state.Assess(ny);
  EXPECT_THAT(Types(a), ::testing::Contains(DetectionType::kImpossibleTravel));
  EXPECT_THAT(a.Detail(), HasSubstr("impossible travel: 5863 km from the previous sign-in"));
  // Eight hours later the same trip is a flight.
  ny.time = At(39, 17);
  EXPECT_THAT(Types(state.Assess(ny)), Not(::testing::Contains(DetectionType::kImpossibleTravel)));
}

TEST(ImpossibleTravel, ToleratesVpnLikeJumps) {
  auto config = std::make_shared<RiskConfig>();
  config->travel.vpn_ranges = location::CidrSet({*location::CidrRange::Parse("192.0.2.0/24")});
  RiskState state = StableHistory(config);
  SignInObservation ny = Home("alice", At(39, 10));
  ny.ip = location::IpAddress::Parse("192.0.2.44");
  ny.asn = 7922;
  ny.latitude = 40.71;
  ny.longitude = -74.01;
  EXPECT_THAT(Types(state.Assess(ny)), Not(::testing::Contains(DetectionType::kImpossibleTravel)));
  // Same network as the previous sign-in: GeoIP moved, the user did not.
  ny.ip = location::IpAddress::Parse("203.0.113.99");
  ny.asn = 1136;
  EXPECT_THAT(Types(state.Assess(ny)), Not(::testing::Contains(DetectionType::kImpossibleTravel)));
  // Short jumps never count, however fast.
  SignInObservation brussels = Home("alice", At(39, 9, 5));
  brussels.latitude = 50.85;
  brussels.longitude = 4.35;
  brussels.asn = 5432;
  EXPECT_THAT(Types(state.Assess(brussels)),
              Not(::testing::Contains(DetectionType::kImpossibleTravel)));
}

TEST(IpLists, AnonymizedAndMaliciousAddresses) {
  auto config = std::make_shared<RiskConfig>();
  config->anonymous_ranges = location::CidrSet({*location::CidrRange::Parse("185.220.100.0/22")});
  config->anonymous_asns = {60729};
  config->malicious_ranges = location::CidrSet({*location::CidrRange::Parse("198.51.100.0/24")});
  RiskState state(config);
  SignInObservation o = Home("bob", At(0));
  o.ip = location::IpAddress::Parse("185.220.101.4");
  SignInRiskAssessment a = state.Assess(o);
  EXPECT_THAT(Types(a), ElementsAre(DetectionType::kAnonymizedIp));
  EXPECT_EQ(a.level, RiskLevel::kMedium);  // 0.6 × 0.9 = 0.54
  EXPECT_EQ(a.Detail(),
            "anonymized IP address: 185.220.101.4 is in the tenant's anonymizer ranges");
  o.ip = location::IpAddress::Parse("203.0.113.1");
  o.asn = 60729;
  EXPECT_THAT(a.Detail(), HasSubstr("anonymized IP address"));
  EXPECT_THAT(state.Assess(o).Detail(), HasSubstr("AS60729 is on the tenant's anonymizer ASN"));
  o.ip = location::IpAddress::Parse("198.51.100.7");
  o.asn = 1136;
  a = state.Assess(o);
  EXPECT_THAT(Types(a), ElementsAre(DetectionType::kMaliciousIp));
  EXPECT_EQ(a.level, RiskLevel::kHigh);
}

TEST(CombinedLevel, IndependentDetectionsAddUp) {
  auto config = std::make_shared<RiskConfig>();
  config->anonymous_ranges = location::CidrSet({*location::CidrRange::Parse("192.0.2.0/24")});
  config->malicious_ranges = location::CidrSet({*location::CidrRange::Parse("192.0.2.0/25")});
  RiskState state(config);
  SignInObservation o = Home("bob", At(0));
  o.ip = location::IpAddress::Parse("192.0.2.1");
  SignInRiskAssessment a = state.Assess(o);
  // noisy-OR: 1 - (1 - 0.54)(1 - 0.9) = 0.954
  EXPECT_NEAR(a.score, 0.954, 1e-9);
  EXPECT_EQ(a.level, RiskLevel::kHigh);
  EXPECT_THAT(a.RiskEventTypes(), ElementsAre("anonymizedIPAddress", "maliciousIPAddress"));
}

TEST(CombinedLevel, FollowsTheTenantThresholds) {
  auto config = std::make_shared<RiskConfig>();
  config->anonymous_ranges = location::CidrSet({*location::CidrRange::Parse("192.0.2.0/24")});
  config->sign_in_thresholds = LevelThresholds{0.1, 0.6, 0.9};
  RiskState state(config);
  SignInObservation o = Home("bob", At(0));
  o.ip = location::IpAddress::Parse("192.0.2.1");
  EXPECT_EQ(state.Assess(o).level, RiskLevel::kLow);  // 0.54 < 0.6
}

SignInObservation Failure(const std::string& user, const char* ip, absl::Time time) {
  SignInObservation o = Home(user, time);
  o.ip = location::IpAddress::Parse(ip);
  o.error_code = 50126;
  return o;
}

TEST(PasswordSpray, ManyAccountsFailingFromOneSource) {
  RiskState state(Defaults());
  for (int i = 0; i < 9; ++i) {
    state.Record(Failure("victim" + std::to_string(i), "192.0.2.50", At(0, 10, i)));
  }
  SignInObservation next = Failure("alice", "192.0.2.50", At(0, 10, 30));
  EXPECT_TRUE(state.Assess(next).detections.empty());  // 9 accounts < 10
  state.Record(Failure("victim9", "192.0.2.50", At(0, 10, 21)));
  SignInRiskAssessment a = state.Assess(next);
  EXPECT_THAT(Types(a), ElementsAre(DetectionType::kPasswordSpray));
  EXPECT_EQ(a.Detail(),
            "password spray: 10 accounts failed to sign in from 192.0.2.50 in the last 1 h 0 min "
            "(threshold 10)");
  EXPECT_DOUBLE_EQ(a.detections[0].confidence, 0.5);
  // Another source, or the same one after the window, is not affected.
  EXPECT_TRUE(state.Assess(Failure("alice", "192.0.2.51", At(0, 10, 22))).detections.empty());
  EXPECT_TRUE(state.Assess(Failure("alice", "192.0.2.50", At(0, 12, 0))).detections.empty());
}

TEST(BruteForce, ManyFailuresOnOneAccount) {
  RiskState state(Defaults());
  for (int i = 0; i < 10; ++i) {
    state.Record(Failure("alice", ("192.0.2." + std::to_string(i)).c_str(), At(0, 10, i)));
  }
  SignInRiskAssessment a = state.Assess(Home("alice", At(0, 10, 15)));
  EXPECT_THAT(Types(a), ElementsAre(DetectionType::kBruteForce));
  EXPECT_THAT(a.Detail(), HasSubstr("brute force: 10 failed sign-ins on this account"));
  // The window is 30 minutes.
  EXPECT_TRUE(state.Assess(Home("alice", At(0, 10, 45))).detections.empty());
  // Failures create no profile (no memory per guessed user name).
  EXPECT_EQ(state.Find("alice"), nullptr);
}

TEST(LeakedCredentials, MatchesTheSha256OfThePassword) {
  auto config = std::make_shared<RiskConfig>();
  // SHA-256("password")
  config->leaked_password_sha256 = {
      "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"};
  RiskState state(config);
  SignInObservation o = Home("bob", At(0));
  EXPECT_TRUE(state.Assess(o).detections.empty());
  o.password_sha256 = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
  SignInRiskAssessment a = state.Assess(o);
  EXPECT_THAT(a.RiskEventTypes(), ElementsAre("leakedCredentials"));
  EXPECT_EQ(a.level, RiskLevel::kHigh);
  // A successful sign-in with a leaked password makes the user high risk.
  state.Record(o, &a);
  EXPECT_EQ(state.UserRiskLevel("bob", At(0, 10)), RiskLevel::kHigh);  // 1.0 ≥ 0.9
}

TEST(Replay, RebuildsTheSameStateAsIncrementalScoring) {
  std::vector<SignInObservation> log;
  for (int day = 0; day < 20; ++day) {
    log.push_back(Home("alice", At(day)));
    log.push_back(Failure("bob", "192.0.2.9", At(day, 10)));
  }
  log.push_back(Takeover("alice", At(20)));
  RiskState replayed = RiskState::Replay(log, Defaults());
  RiskState incremental(Defaults());
  for (const SignInObservation& o : log) incremental.Record(o);
  EXPECT_EQ(RiskState::RecordToJson(*replayed.Find("alice")),
            RiskState::RecordToJson(*incremental.Find("alice")));
  EXPECT_EQ(replayed.population().ToJson(), incremental.population().ToJson());
}

}  // namespace
}  // namespace gatehouse::risk
