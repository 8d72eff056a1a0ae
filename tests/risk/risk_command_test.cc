#include "app/risk_command.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

using ::testing::HasSubstr;

struct ScoreRun {
  int code;
  std::string out, err;
};

ScoreRun Score(const std::string& input, const std::string& config_path = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  RiskScoreOptions options{"-", config_path};
  int code = RunRiskScore(options, CommandStreams{in, out, err});
  return {code, out.str(), err.str()};
}

std::string Line(const std::string& id, int day, const std::string& ip, int asn,
                 const std::string& country, double lat, double lon, const std::string& device,
                 int error_code = 0) {
  nlohmann::json j = {
      {"id", id},
      {"createdDateTime", "2025-01-" + std::string(day < 10 ? "0" : "") + std::to_string(day) +
                              "T09:00:00Z"},
      {"userId", "alice"},
      {"ipAddress", ip},
      {"autonomousSystemNumber", asn},
      {"location",
       {{"countryOrRegion", country}, {"geoCoordinates", {{"latitude", lat}, {"longitude", lon}}}}},
      {"deviceDetail", {{"deviceId", device}, {"browser", "Chrome 120"}, {"operatingSystem", "Windows10"}}},
      {"status", {{"errorCode", error_code}}}};
  return j.dump() + "\n";
}

std::vector<nlohmann::json> Lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(RiskScoreCommand, PrintsOneLinePerSignInAndLearnsAsItGoes) {
  std::string input;
  for (int day = 1; day <= 20; ++day) {
    input += Line("s" + std::to_string(day), day, "203.0.113.10", 1136, "NL", 52.37, 4.9, "d1");
  }
  input += "\n";  // blank lines are skipped
  input += Line("attack", 21, "198.51.100.77", 37148, "NG", 6.52, 3.38, "");
  ScoreRun run = Score(input);
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  std::vector<nlohmann::json> out = Lines(run.out);
  ASSERT_EQ(out.size(), 21u);
  EXPECT_EQ(run.out.substr(0, run.out.find('\n')),
            R"({"id":"s1","riskLevelDuringSignIn":"none","riskEventTypes_v2":[],"riskDetail":"none"})");
  EXPECT_EQ(out[19]["riskLevelDuringSignIn"], "none");
  EXPECT_EQ(out[20]["id"], "attack");
  // Four new properties (prefix, ASN, country, device) after 20 sign-ins: 4 × log10(21) = 5.3,
  // minus the familiar browser: medium (4.0 <= score < 6.0).
  EXPECT_EQ(out[20]["riskLevelDuringSignIn"], "medium");
  EXPECT_EQ(out[20]["riskEventTypes_v2"], nlohmann::json::array({"unfamiliarFeatures"}));
  EXPECT_THAT(out[20]["riskDetail"].get<std::string>(), HasSubstr("new country NG"));
}

TEST(RiskScoreCommand, BadLinesAreReportedWithLineNumberFieldAndReason) {
  std::string input = Line("s1", 2, "203.0.113.10", 1136, "NL", 52.37, 4.9, "d1");
  input += "{not json\n";
  input += R"({"createdDateTime": "2025-01-03T09:00:00Z", "userId": "alice", "ipAddress": "300.1.1.1"})"
           "\n";
  input += Line("old", 1, "203.0.113.10", 1136, "NL", 52.37, 4.9, "d1");
  input += Line("s2", 4, "203.0.113.10", 1136, "NL", 52.37, 4.9, "d1");
  ScoreRun run = Score(input);
  EXPECT_EQ(run.code, 1);
  std::vector<nlohmann::json> out = Lines(run.out);
  ASSERT_EQ(out.size(), 2u);  // the good lines are still scored
  EXPECT_EQ(out[1]["id"], "s2");
  EXPECT_THAT(run.err, HasSubstr("gatehouse risk score: line 2: not JSON: line 1, column 3"));
  EXPECT_THAT(run.err, HasSubstr("gatehouse risk score: line 3: /ipAddress: '300.1.1.1' is not an "
                                 "IPv4 or IPv6 address\n"));
  EXPECT_THAT(run.err, HasSubstr("gatehouse risk score: line 4: /createdDateTime: "
                                 "2025-01-01T09:00:00Z is earlier than line 1 "
                                 "(2025-01-02T09:00:00Z); the stream must be sorted"));
}

TEST(RiskScoreCommand, ReadsTheConfigurationFileAndReportsItsProblems) {
  const std::string dir = std::string(GATEHOUSE_BINARY_DIR) + "/risk_command_test_scratch";
  std::filesystem::create_directories(dir);
  const std::string good = dir + "/good.json";
  std::ofstream(good) << R"({"maliciousIpRanges": ["198.51.100.0/24"]})";
  ScoreRun run = Score(Line("s1", 1, "198.51.100.1", 1136, "NL", 52.37, 4.9, "d1"), good);
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(Lines(run.out).at(0)["riskEventTypes_v2"],
            nlohmann::json::array({"maliciousIPAddress"}));

  const std::string bad = dir + "/bad.json";
  std::ofstream(bad) << R"({"maliciousIpRanges": ["198.51.100.0/33"], "colour": 1})";
  run = Score("", bad);
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("gatehouse risk score: " + bad + ": /colour: unknown key\n"));
  EXPECT_THAT(run.err, HasSubstr(bad + ": /maliciousIpRanges/0: "));

  run = Score("", dir + "/missing.json");
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.err, HasSubstr("missing.json"));
}

TEST(RiskScoreCommand, MissingIdIsNull) {
  ScoreRun run = Score(R"({"createdDateTime": "2025-01-03T09:00:00Z", "userId": "alice"})" "\n");
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(Lines(run.out).at(0)["id"], nullptr);
}

}  // namespace
}  // namespace gatehouse::app

namespace gatehouse::app {
namespace {

idp::SignInRiskInput Input(const std::string& user, absl::Time time, const std::string& ip,
                           const std::string& country, const std::string& device) {
  idp::SignInRiskInput input;
  input.request_id = "r";
  input.time = time;
  input.user_id = user;
  input.user_principal_name = user + "@example.com";
  input.ip_address = ip;
  input.user_agent =
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36";
  input.device_id = device;
  input.country = country;
  return input;
}

TEST(RiskEngineSignInRiskSource, LearnsFromThePipelineAndRatesATakeover) {
  RiskEngineSignInRiskSource source(std::make_shared<const risk::RiskConfig>());
  const absl::Time start = absl::FromUnixSeconds(1735722000);
  for (int day = 0; day < 30; ++day) {
    idp::SignInRiskInput input =
        Input("alice", start + absl::Hours(24 * day), "203.0.113.10", "nl", "laptop");
    EXPECT_EQ(source.Assess(input).level, "none");
    source.Record(input, true);
  }
  idp::SignInRiskInput attack =
      Input("alice", start + absl::Hours(24 * 30), "198.51.100.7", "NG", "");
  attack.user_agent = "python-requests/2.31.0";
  idp::SignInRiskResult result = source.Assess(attack);
  EXPECT_TRUE(result.level == "medium" || result.level == "high") << result.level;
  EXPECT_EQ(result.risk_event_types, std::vector<std::string>{"unfamiliarFeatures"});
  EXPECT_THAT(result.detail, HasSubstr("new country NG"));
  EXPECT_EQ(result.user_risk_level, "none");
  // The attacker got in (interrupted by MFA, error 50074): the password was right, so the user's
  // risk rises; the sign-in is not learned.
  attack.error_code = 50074;
  source.Record(attack, false);
  EXPECT_NE(source.Assess(attack).user_risk_level, "none");
  source.SecurePasswordChanged("alice", attack.time);
  EXPECT_EQ(source.Assess(attack).user_risk_level, "none");
  EXPECT_EQ(source.UserRecordJson("alice")["userRisk"]["riskDetail"],
            "userPerformedSecuredPasswordChange");
}

TEST(RiskEngineSignInRiskSource, CountsFailuresOfUnknownNamesWithoutProfiles) {
  RiskEngineSignInRiskSource source(std::make_shared<const risk::RiskConfig>());
  const absl::Time start = absl::FromUnixSeconds(1735722000);
  for (int i = 0; i < 10; ++i) {
    idp::SignInRiskInput input =
        Input("", start + absl::Minutes(i), "192.0.2.1", "", "");
    input.user_principal_name = "Guess" + std::to_string(i) + "@example.com";
    input.error_code = 50034;
    source.Record(input, false);
  }
  idp::SignInRiskInput next = Input("bob", start + absl::Minutes(11), "192.0.2.1", "", "");
  EXPECT_EQ(source.Assess(next).risk_event_types, std::vector<std::string>{"passwordSpray"});
  EXPECT_EQ(source.UserRecordJson("upn:guess0@example.com"), nullptr);
  EXPECT_EQ(RiskEngineSignInRiskSource::ToObservation(next).ip->ToString(), "192.0.2.1");
}

}  // namespace
}  // namespace gatehouse::app
