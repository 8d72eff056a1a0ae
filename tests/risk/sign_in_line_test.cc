#include "risk/sign_in_line.h"

#include "gtest/gtest.h"

namespace gatehouse::risk {
namespace {

TEST(SignInLine, ReadsAGraphSignIn) {
  auto line = ParseSignInLine(R"({"id": "s1", "createdDateTime": "2025-03-01T10:00:00Z",
    "userId": "u1", "userPrincipalName": "a@example.com", "ipAddress": "203.0.113.7",
    "autonomousSystemNumber": 1136,
    "location": {"countryOrRegion": "nl", "city": "Amsterdam",
                 "geoCoordinates": {"latitude": 52.37, "longitude": 4.9, "altitude": null}},
    "deviceDetail": {"deviceId": "d1", "browser": "Edge 120.0", "operatingSystem": "Windows10"},
    "userAgent": "Mozilla/5.0", "status": {"errorCode": 50126, "failureReason": "x"},
    "riskLevelDuringSignIn": "none"})");
  ASSERT_TRUE(line.ok()) << line.status();
  const SignInObservation& o = line->observation;
  EXPECT_EQ(line->id, "s1");
  EXPECT_EQ(o.user_id, "u1");
  EXPECT_EQ(absl::ToUnixSeconds(o.time), 1740823200);
  EXPECT_EQ(o.ip->ToString(), "203.0.113.7");
  EXPECT_EQ(o.asn, 1136u);
  EXPECT_EQ(o.country, "NL");
  EXPECT_EQ(o.city, "Amsterdam");
  EXPECT_DOUBLE_EQ(*o.latitude, 52.37);
  EXPECT_DOUBLE_EQ(*o.longitude, 4.9);
  EXPECT_EQ(o.device_id, "d1");
  EXPECT_EQ(o.browser, "Edge 120.0");
  EXPECT_EQ(o.operating_system, "Windows10");
  EXPECT_EQ(o.user_agent, "Mozilla/5.0");
  EXPECT_EQ(o.error_code, 50126);
}

TEST(SignInLine, OnlyTimeAndUserAreRequired) {
  auto line = ParseSignInLine(
      R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": "u1", "autonomousSystemNumber": 0,
          "location": null, "deviceDetail": {"deviceId": null}, "status": {}})");
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->id, "");
  EXPECT_FALSE(line->observation.ip.has_value());
  EXPECT_FALSE(line->observation.asn.has_value());  // Graph writes 0 for "unknown"
  EXPECT_EQ(line->observation.error_code, 0);
}

struct BadLine {
  const char* text;
  const char* error;
};

class SignInLineErrors : public ::testing::TestWithParam<BadLine> {};

TEST_P(SignInLineErrors, NameTheFieldAndWhy) {
  auto line = ParseSignInLine(GetParam().text);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().message(), GetParam().error);
}

constexpr const char* kOk = R"("createdDateTime": "2025-03-01T10:00:00Z", "userId": "u")";

INSTANTIATE_TEST_SUITE_P(
    Table, SignInLineErrors,
    ::testing::Values(
        BadLine{"[1]", "expected a JSON object (one Graph signIn per line)"},
        BadLine{R"({"userId": "u"})", "/createdDateTime: required (ISO 8601 date-time)"},
        BadLine{R"({"createdDateTime": "yesterday", "userId": "u"})",
                "/createdDateTime: 'yesterday' is not an ISO 8601 date-time"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z"})",
                "/userId: required (the user's object id)"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": 7})",
                "/userId: expected a string"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": "u",
                    "ipAddress": "1.2.3.4:443"})",
                "/ipAddress: '1.2.3.4:443' is not an IPv4 or IPv6 address"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": "u",
                    "autonomousSystemNumber": -1})",
                "/autonomousSystemNumber: expected an integer from 0 to 4294967295"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": "u",
                    "location": {"countryOrRegion": "Netherlands"}})",
                "/location/countryOrRegion: 'Netherlands' is not a two-letter ISO 3166 country "
                "code"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": "u",
                    "location": {"geoCoordinates": {"latitude": 91, "longitude": 0}}})",
                "/location/geoCoordinates/latitude: expected a number from -90 to 90"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": "u",
                    "location": {"geoCoordinates": {"latitude": 1}}})",
                "/location/geoCoordinates: latitude and longitude must be given together"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": "u",
                    "location": "NL"})",
                "/location: expected an object"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": "u",
                    "deviceDetail": {"browser": 5}})",
                "/deviceDetail/browser: expected a string"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": "u",
                    "status": {"errorCode": "50126"}})",
                "/status/errorCode: expected a non-negative integer (0 = success)"},
        BadLine{R"({"createdDateTime": "2025-03-01T10:00:00Z", "userId": "u",
                    "passwordSha256": "abc"})",
                "/passwordSha256: expected 64 hex digits (SHA-256)"}));

TEST(SignInLine, RefusesMalformedJsonWithItsPosition) {
  auto line = ParseSignInLine(std::string("{") + kOk + ",}");
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(std::string(line.status().message()).substr(0, 19), "not JSON: line 1, c");
}

TEST(SignInLine, RefusesOverlongLines) {
  std::string text = std::string("{") + kOk + R"(, "pad": ")" +
                     std::string(kMaxSignInLineBytes, 'x') + "\"}";
  auto line = ParseSignInLine(text);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().message(), "line is longer than 65536 bytes");
}

}  // namespace
}  // namespace gatehouse::risk
