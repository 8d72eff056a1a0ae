#include "location/named_location.h"

#include <string>
#include <vector>

#include "core/json_document.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::location {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

IpAddress Ip(std::string_view text) { return IpAddress::Parse(text).value(); }

std::vector<std::string> Lines(const core::ProblemList& problems) {
  std::vector<std::string> out;
  for (const core::Problem& problem : problems.problems()) out.push_back(problem.ToString());
  return out;
}

json IpLocation(json ranges) {
  return json{{"@odata.type", "#microsoft.graph.ipNamedLocation"},
              {"id", "loc-1"},
              {"displayName", "Office"},
              {"ipRanges", std::move(ranges)}};
}

json V4(const std::string& cidr) {
  return json{{"@odata.type", "#microsoft.graph.iPv4CidrRange"}, {"cidrAddress", cidr}};
}

json V6(const std::string& cidr) {
  return json{{"@odata.type", "#microsoft.graph.iPv6CidrRange"}, {"cidrAddress", cidr}};
}

NamedLocation ParseOk(const json& doc) {
  core::ProblemList problems;
  absl::StatusOr<NamedLocation> location = ParseNamedLocation(doc, problems);
  EXPECT_TRUE(location.ok()) << location.status();
  EXPECT_FALSE(problems.has_errors()) << problems.ToString();
  return location.ok() ? *std::move(location) : NamedLocation();
}

NamedLocation ReadFixture(const std::string& name) {
  absl::StatusOr<std::string> bytes = core::ReadFileToString(std::string(GATEHOUSE_SOURCE_DIR) +
                                                             "/tests/location/testdata/" + name);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<json> doc = core::ParseJsonDocument(bytes.value_or(""));
  EXPECT_TRUE(doc.ok()) << doc.status();
  core::ProblemList problems;
  absl::StatusOr<NamedLocation> location = ParseNamedLocation(doc.value_or(json()), problems);
  EXPECT_TRUE(location.ok()) << location.status();
  EXPECT_TRUE(problems.empty()) << problems.ToString();
  return location.ok() ? *std::move(location) : NamedLocation();
}

SignInOrigin FromCountry(std::optional<std::string> country) {
  SignInOrigin origin;
  origin.country = std::move(country);
  return origin;
}

// --- IP locations -----------------------------------------------------------------------------

TEST(ParseNamedLocation, ReadsTrustedIpLocationWithBothFamilies) {
  json doc = IpLocation({V4("203.0.113.0/24"), V6("2001:db8::/32")});
  doc["isTrusted"] = true;
  NamedLocation location = ParseOk(doc);
  EXPECT_EQ(location.id, "loc-1");
  EXPECT_EQ(location.display_name, "Office");
  EXPECT_EQ(location.kind, NamedLocationKind::kIp);
  EXPECT_TRUE(location.is_trusted);
  EXPECT_EQ(location.ranges.size(), 2u);
  EXPECT_TRUE(location.ranges.Contains(Ip("203.0.113.9")));
  EXPECT_TRUE(location.ranges.Contains(Ip("2001:db8::9")));
}

TEST(ParseNamedLocation, IpLocationIsUntrustedByDefault) {
  EXPECT_FALSE(ParseOk(IpLocation({V4("203.0.113.0/24")})).is_trusted);
}

TEST(ParseNamedLocation, MatchesODataTypesCaseInsensitively) {
  json doc = IpLocation(
      {json{{"@odata.type", "#MICROSOFT.GRAPH.IPV4CIDRRANGE"}, {"cidrAddress", "203.0.113.0/24"}}});
  doc["@odata.type"] = "#Microsoft.Graph.IPNamedLocation";
  EXPECT_EQ(ParseOk(doc).kind, NamedLocationKind::kIp);
}

TEST(ParseNamedLocation, InfersKindFromFieldsWhenODataTypeIsAbsent) {
  NamedLocation ip = ParseOk(json{{"id", "a"}, {"ipRanges", {{{"cidrAddress", "1.2.3.0/24"}}}}});
  EXPECT_EQ(ip.kind, NamedLocationKind::kIp);
  NamedLocation country = ParseOk(json{{"id", "b"}, {"countriesAndRegions", {"de"}}});
  EXPECT_EQ(country.kind, NamedLocationKind::kCountry);
}

TEST(ParseNamedLocation, IgnoresUnknownFields) {
  json doc = IpLocation({V4("203.0.113.0/24")});
  doc["somethingNew"] = {{"nested", 1}};
  doc["createdDateTime"] = "2024-05-24T09:26:17Z";
  doc["ipRanges"][0]["extra"] = true;
  EXPECT_EQ(ParseOk(doc).ranges.size(), 1u);
}

TEST(ParseNamedLocation, RejectsSlashEightWithPointerToTheRange) {
  json doc = IpLocation(
      {V4("203.0.113.0/24"), V4("198.51.100.0/24"), V6("2001:db8::/32"), V4("10.0.0.0/8")});
  core::ProblemList problems;
  absl::StatusOr<NamedLocation> location = ParseNamedLocation(doc, problems);
  EXPECT_FALSE(location.ok());
  EXPECT_EQ(location.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      Lines(problems),
      ElementsAre("/ipRanges/3/cidrAddress: '10.0.0.0/8': the mask must be longer than /8"));
}

TEST(ParseNamedLocation, AcceptsSlashNineAndAppliesTheRuleToIpv6) {
  EXPECT_TRUE(ParseOk(IpLocation({V4("10.0.0.0/9")})).ranges.Contains(Ip("10.127.0.1")));
  core::ProblemList problems;
  EXPECT_FALSE(ParseNamedLocation(IpLocation({V6("2000::/3")}), problems).ok());
  EXPECT_THAT(Lines(problems),
              ElementsAre("/ipRanges/0/cidrAddress: '2000::/3': the mask must be longer than /8"));
}

TEST(ParseNamedLocation, CollectsEveryRangeProblemInOnePass) {
  json doc = IpLocation(
      {V4("1.2.3.0/24"), V4("1.2.3.4/33"), V4("not-an-ip/24"),
       json{{"@odata.type", "#microsoft.graph.iPv4CidrRange"}}, 42, V4("2001:db8::/32"),
       json{{"@odata.type", "#x.range"}, {"cidrAddress", "1.2.4.0/24"}}, json{{"cidrAddress", 7}}});
  core::ProblemList problems;
  absl::StatusOr<NamedLocation> location = ParseNamedLocation(doc, problems);
  EXPECT_FALSE(location.ok());
  EXPECT_EQ(location.status().message(),
            "/ipRanges/1/cidrAddress: '1.2.3.4/33': prefix length 33 is larger than 32 (and 6 "
            "more problems)");
  EXPECT_THAT(
      Lines(problems),
      ElementsAre(
          "/ipRanges/1/cidrAddress: '1.2.3.4/33': prefix length 33 is larger than 32",
          "/ipRanges/2/cidrAddress: 'not-an-ip/24': 'not-an-ip' is not an IPv4 or IPv6 address",
          "/ipRanges/3/cidrAddress: required", "/ipRanges/4: must be an object with cidrAddress",
          "/ipRanges/5/@odata.type: '#microsoft.graph.iPv4CidrRange' does not match "
          "'2001:db8::/32', an IPv6 range",
          "/ipRanges/6/@odata.type: unknown range type '#x.range' (expected "
          "#microsoft.graph.iPv4CidrRange or #microsoft.graph.iPv6CidrRange)",
          "/ipRanges/7/cidrAddress: must be a string"));
}

TEST(ParseNamedLocation, AcceptsExactlyTwoThousandRanges) {
  json ranges = json::array();
  for (int i = 0; i < 2000; ++i) {
    ranges.push_back(V4("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24"));
  }
  NamedLocation location = ParseOk(IpLocation(ranges));
  EXPECT_EQ(location.ranges.size(), 2000u);
  EXPECT_TRUE(location.ranges.Contains(Ip("10.7.207.1")));   // range 1999
  EXPECT_FALSE(location.ranges.Contains(Ip("10.7.208.1")));  // would be range 2000
}

TEST(ParseNamedLocation, RejectsMoreThanTwoThousandRanges) {
  json ranges = json::array();
  for (int i = 0; i < 2001; ++i) {
    ranges.push_back(V4("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24"));
  }
  core::ProblemList problems;
  absl::StatusOr<NamedLocation> location = ParseNamedLocation(IpLocation(ranges), problems);
  EXPECT_FALSE(location.ok());
  EXPECT_THAT(Lines(problems), ElementsAre("/ipRanges: 2001 ranges; at most 2000 are allowed"));
}

TEST(ParseNamedLocation, IpLocationNeedsRanges) {
  json missing = IpLocation(nullptr);
  missing.erase("ipRanges");
  core::ProblemList problems;
  EXPECT_FALSE(ParseNamedLocation(missing, problems).ok());
  EXPECT_FALSE(ParseNamedLocation(IpLocation(json::array()), problems).ok());
  EXPECT_FALSE(ParseNamedLocation(IpLocation("1.2.3.0/24"), problems).ok());
  EXPECT_THAT(Lines(problems),
              ElementsAre("/ipRanges: required", "/ipRanges: at least one range is required",
                          "/ipRanges: must be an array of ranges"));
}

// --- Common fields ----------------------------------------------------------------------------

TEST(ParseNamedLocation, MissingOrEmptyIdIsAnError) {
  json doc = IpLocation({V4("1.2.3.0/24")});
  doc.erase("id");
  core::ProblemList problems;
  EXPECT_FALSE(ParseNamedLocation(doc, problems).ok());
  doc["id"] = "";
  EXPECT_FALSE(ParseNamedLocation(doc, problems).ok());
  doc["id"] = 5;
  EXPECT_FALSE(ParseNamedLocation(doc, problems).ok());
  EXPECT_THAT(Lines(problems),
              ElementsAre("/id: required", "/id: required", "/id: must be a string"));
}

TEST(ParseNamedLocation, UnknownODataTypeIsAnError) {
  json doc = IpLocation({V4("1.2.3.0/24")});
  doc["@odata.type"] = "#microsoft.graph.namedLocation";
  core::ProblemList problems;
  EXPECT_FALSE(ParseNamedLocation(doc, problems).ok());
  ASSERT_EQ(problems.problems().size(), 1u);
  EXPECT_EQ(problems.problems()[0].pointer, "/@odata.type");
  EXPECT_THAT(problems.problems()[0].message,
              HasSubstr("unknown named location type '#microsoft.graph.namedLocation'"));
}

TEST(ParseNamedLocation, CannotTellKindWithoutTypeOrFields) {
  core::ProblemList problems;
  EXPECT_FALSE(ParseNamedLocation(json{{"id", "x"}, {"displayName", "?"}}, problems).ok());
  EXPECT_THAT(Lines(problems),
              ElementsAre("/@odata.type: required (or ipRanges / countriesAndRegions to tell "
                          "the kind)"));
}

TEST(ParseNamedLocation, NonObjectDocumentIsAnError) {
  core::ProblemList problems;
  EXPECT_FALSE(ParseNamedLocation(json::array(), problems).ok());
  EXPECT_THAT(Lines(problems), ElementsAre("a named location must be a JSON object"));
}

TEST(ParseNamedLocation, WrongTypesForBooleansAreErrors) {
  json doc = IpLocation({V4("1.2.3.0/24")});
  doc["isTrusted"] = "yes";
  core::ProblemList problems;
  EXPECT_FALSE(ParseNamedLocation(doc, problems).ok());
  EXPECT_THAT(Lines(problems), ElementsAre("/isTrusted: must be true or false"));
}

// --- Country locations ------------------------------------------------------------------------

json CountryLocation(json countries) {
  return json{{"@odata.type", "#microsoft.graph.countryNamedLocation"},
              {"id", "c-1"},
              {"displayName", "Allowed"},
              {"countriesAndRegions", std::move(countries)}};
}

TEST(ParseNamedLocation, NormalizesCountryCodesToSortedUpperCase) {
  NamedLocation location = ParseOk(CountryLocation({"nl", "BE", "lu", "NL"}));
  EXPECT_EQ(location.kind, NamedLocationKind::kCountry);
  EXPECT_THAT(location.countries, ElementsAre("BE", "LU", "NL"));
  EXPECT_FALSE(location.include_unknown_countries);
  EXPECT_EQ(location.lookup_method, CountryLookupMethod::kClientIpAddress);
  EXPECT_FALSE(location.is_trusted);
}

TEST(ParseNamedLocation, AcceptsCountriesAsCommaString) {
  EXPECT_THAT(ParseOk(CountryLocation("de, fr")).countries, ElementsAre("DE", "FR"));
}

TEST(ParseNamedLocation, RejectsCountryCodesThatAreNotTwoLetters) {
  core::ProblemList problems;
  EXPECT_FALSE(ParseNamedLocation(CountryLocation({"NL", "NLD", "1A", 31, ""}), problems).ok());
  EXPECT_THAT(Lines(problems),
              ElementsAre("/countriesAndRegions/1: 'NLD' is not a two-letter country code",
                          "/countriesAndRegions/2: '1A' is not a two-letter country code",
                          "/countriesAndRegions/3: must be a two-letter country code string",
                          "/countriesAndRegions/4: '' is not a two-letter country code"));
}

TEST(ParseNamedLocation, ReadsLookupMethodCaseInsensitively) {
  json doc = CountryLocation({"NL"});
  doc["countryLookupMethod"] = "AuthenticatorAppGPS";
  doc["includeUnknownCountriesAndRegions"] = true;
  NamedLocation location = ParseOk(doc);
  EXPECT_EQ(location.lookup_method, CountryLookupMethod::kAuthenticatorAppGps);
  EXPECT_TRUE(location.include_unknown_countries);
}

TEST(ParseNamedLocation, UnknownLookupMethodIsAnError) {
  json doc = CountryLocation({"NL"});
  doc["countryLookupMethod"] = "unknownFutureValue";
  core::ProblemList problems;
  EXPECT_FALSE(ParseNamedLocation(doc, problems).ok());
  EXPECT_THAT(Lines(problems),
              ElementsAre("/countryLookupMethod: unknown value 'unknownFutureValue' (expected "
                          "clientIpAddress or authenticatorAppGps)"));
}

TEST(ParseNamedLocation, CountryLocationIsNeverTrusted) {
  json doc = CountryLocation({"NL"});
  doc["isTrusted"] = true;
  core::ProblemList problems;
  absl::StatusOr<NamedLocation> location = ParseNamedLocation(doc, problems);
  ASSERT_TRUE(location.ok());
  EXPECT_FALSE(location->is_trusted);
  EXPECT_THAT(Lines(problems),
              ElementsAre("warning: /isTrusted: only IP locations can be trusted; ignored"));
}

TEST(ParseNamedLocation, EmptyCountryListWarnsThatNothingMatches) {
  core::ProblemList problems;
  ASSERT_TRUE(ParseNamedLocation(CountryLocation(json::array()), problems).ok());
  EXPECT_FALSE(problems.has_errors());
  EXPECT_EQ(problems.problems().size(), 1u);
}

TEST(ParseNamedLocation, CountryLocationNeedsItsList) {
  json doc = CountryLocation(nullptr);
  core::ProblemList problems;
  EXPECT_FALSE(ParseNamedLocation(doc, problems).ok());
  EXPECT_THAT(Lines(problems), ElementsAre("/countriesAndRegions: required"));
}

// --- Real exports (j0eyv/ConditionalAccessBaseline, MIT; UTF-16LE with BOM) -------------------

TEST(ParseNamedLocation, ReadsRealCountryExport) {
  NamedLocation location = ReadFixture("j0eyv_allowed_countries.json");
  EXPECT_EQ(location.id, "185c993e-10a9-44fa-98d1-230c8f72f497");
  EXPECT_EQ(location.display_name, "ALLOWED COUNTRIES");
  EXPECT_EQ(location.kind, NamedLocationKind::kCountry);
  EXPECT_THAT(location.countries, ElementsAre("BE", "LU", "NL"));
  EXPECT_FALSE(location.include_unknown_countries);
  EXPECT_EQ(location.lookup_method, CountryLookupMethod::kClientIpAddress);
  EXPECT_TRUE(LocationMatches(location, FromCountry("LU")));
  EXPECT_FALSE(LocationMatches(location, FromCountry("DE")));
  EXPECT_FALSE(LocationMatches(location, FromCountry(std::nullopt)));
}

TEST(ParseNamedLocation, ReadsRealCompliantNetworkExport) {
  NamedLocation location = ReadFixture("j0eyv_all_compliant_network_locations.json");
  EXPECT_EQ(location.id, "3d46dbda-8382-466a-856d-eb00cbc6b910");
  EXPECT_EQ(location.display_name, "All Compliant Network locations");
  EXPECT_EQ(location.kind, NamedLocationKind::kCompliantNetwork);
  EXPECT_FALSE(location.is_trusted);  // exported with isTrusted: true; trust is for IP locations
}

// --- Matching ---------------------------------------------------------------------------------

TEST(LocationMatches, IpLocationMatchesOnlyAddressesInItsRanges) {
  NamedLocation location = ParseOk(IpLocation({V4("203.0.113.0/24"), V6("2001:db8::/32")}));
  SignInOrigin origin;
  EXPECT_FALSE(LocationMatches(location, origin));  // no IP known
  origin.ip = Ip("203.0.113.255");
  EXPECT_TRUE(LocationMatches(location, origin));
  origin.ip = Ip("203.0.114.0");
  EXPECT_FALSE(LocationMatches(location, origin));
  origin.ip = Ip("2001:db8:ffff::1");
  EXPECT_TRUE(LocationMatches(location, origin));
}

TEST(LocationMatches, IpLocationIgnoresTheCountry) {
  NamedLocation location = ParseOk(IpLocation({V4("203.0.113.0/24")}));
  SignInOrigin origin = FromCountry("NL");
  origin.ip = Ip("198.51.100.1");
  EXPECT_FALSE(LocationMatches(location, origin));
}

TEST(LocationMatches, UnknownCountryMatchesOnlyWhenIncluded) {
  json doc = CountryLocation({"NL"});
  NamedLocation strict = ParseOk(doc);
  doc["includeUnknownCountriesAndRegions"] = true;
  NamedLocation lenient = ParseOk(doc);
  EXPECT_FALSE(LocationMatches(strict, FromCountry(std::nullopt)));
  EXPECT_TRUE(LocationMatches(lenient, FromCountry(std::nullopt)));
  EXPECT_TRUE(LocationMatches(lenient, FromCountry("NL")));
  EXPECT_FALSE(
      LocationMatches(lenient, FromCountry("US")));  // known countries still must be listed
}

TEST(LocationMatches, CountryComparisonIgnoresCase) {
  EXPECT_TRUE(LocationMatches(ParseOk(CountryLocation({"NL"})), FromCountry("nl")));
}

TEST(LocationMatches, CompliantNetworkNeverMatches) {
  NamedLocation location =
      ParseOk(json{{"@odata.type", "#microsoft.graph.compliantNetworkNamedLocation"},
                   {"id", "cn"},
                   {"isTrusted", true}});
  SignInOrigin origin = FromCountry("NL");
  origin.ip = Ip("203.0.113.1");
  EXPECT_FALSE(LocationMatches(location, origin));
  EXPECT_FALSE(LocationMatches(location, SignInOrigin{}));
}

// --- Origin resolution ------------------------------------------------------------------------

class FakeResolver final : public CountryResolver {
 public:
  std::optional<std::string> CountryOf(const IpAddress& address) const override {
    ++calls;
    if (address == Ip("203.0.113.5")) return "DE";
    return std::nullopt;
  }
  mutable int calls = 0;
};

TEST(ResolveOrigin, GivenCountryWinsOverGeoIpAndIsUpperCased) {
  FakeResolver resolver;
  SignInOrigin origin = ResolveOrigin(Ip("203.0.113.5"), "fr", &resolver);
  EXPECT_EQ(origin.country, "FR");
  EXPECT_EQ(origin.ip, Ip("203.0.113.5"));
  EXPECT_EQ(resolver.calls, 0);
}

TEST(ResolveOrigin, LooksUpTheIpWhenNoCountryIsGiven) {
  FakeResolver resolver;
  EXPECT_EQ(ResolveOrigin(Ip("203.0.113.5"), std::nullopt, &resolver).country, "DE");
  EXPECT_EQ(ResolveOrigin(Ip("203.0.113.5"), "", &resolver).country, "DE");
  EXPECT_EQ(ResolveOrigin(Ip("198.51.100.1"), std::nullopt, &resolver).country, std::nullopt);
}

TEST(ResolveOrigin, CountryStaysUnknownWithoutIpOrResolver) {
  FakeResolver resolver;
  EXPECT_EQ(ResolveOrigin(std::nullopt, std::nullopt, &resolver).country, std::nullopt);
  EXPECT_EQ(ResolveOrigin(Ip("203.0.113.5"), std::nullopt, nullptr).country, std::nullopt);
  EXPECT_EQ(resolver.calls, 0);
}

}  // namespace
}  // namespace gatehouse::location
