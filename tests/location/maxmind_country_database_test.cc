// GeoIP lookups against test-country.mmdb, written at build time by
// testdata/make_test_mmdb.pl: 203.0.113.0/24 -> DE, 198.51.100.0/24 -> US, 2001:db8::/32 -> NL,
// 192.0.2.0/24 -> registered_country FR only.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "location/named_location.h"

namespace gatehouse::location {
namespace {

using ::testing::HasSubstr;

IpAddress Ip(std::string_view text) { return IpAddress::Parse(text).value(); }

std::unique_ptr<MaxMindCountryDatabase> OpenFixture() {
  absl::StatusOr<std::unique_ptr<MaxMindCountryDatabase>> db =
      MaxMindCountryDatabase::Open(GATEHOUSE_TEST_MMDB);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

TEST(MaxMindCountryDatabase, FindsCountryOfIpv4Address) {
  auto db = OpenFixture();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->CountryOf(Ip("203.0.113.5")), "DE");
  EXPECT_EQ(db->CountryOf(Ip("203.0.113.255")), "DE");
  EXPECT_EQ(db->CountryOf(Ip("198.51.100.0")), "US");
}

TEST(MaxMindCountryDatabase, FindsCountryOfIpv6Address) {
  auto db = OpenFixture();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->CountryOf(Ip("2001:db8::1")), "NL");
  EXPECT_EQ(db->CountryOf(Ip("2001:db8:ffff::1")), "NL");
}

TEST(MaxMindCountryDatabase, FindsCountryOfIpv4MappedIpv6Address) {
  auto db = OpenFixture();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->CountryOf(Ip("::ffff:203.0.113.5")), "DE");
}

TEST(MaxMindCountryDatabase, FallsBackToRegisteredCountry) {
  auto db = OpenFixture();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->CountryOf(Ip("192.0.2.10")), "FR");
}

TEST(MaxMindCountryDatabase, UnknownAddressesHaveNoCountry) {
  auto db = OpenFixture();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->CountryOf(Ip("203.0.114.1")), std::nullopt);
  EXPECT_EQ(db->CountryOf(Ip("8.8.8.8")), std::nullopt);
  EXPECT_EQ(db->CountryOf(Ip("2001:db9::1")), std::nullopt);
  EXPECT_EQ(db->CountryOf(Ip("::")), std::nullopt);
}

TEST(MaxMindCountryDatabase, OpeningAMissingFileIsNotFoundAndNamesThePath) {
  const std::string path = std::string(GATEHOUSE_BINARY_DIR) + "/no-such-dir/missing.mmdb";
  absl::StatusOr<std::unique_ptr<MaxMindCountryDatabase>> db = MaxMindCountryDatabase::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(db.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(db.status().message()),
              HasSubstr("Error opening the specified MaxMind DB file"));
}

TEST(MaxMindCountryDatabase, OpeningAFileThatIsNotAMaxMindDbIsInvalidArgument) {
  // Any file that exists but is not an .mmdb: this test's own source.
  const std::string path =
      std::string(GATEHOUSE_SOURCE_DIR) + "/tests/location/maxmind_country_database_test.cc";
  absl::StatusOr<std::unique_ptr<MaxMindCountryDatabase>> db = MaxMindCountryDatabase::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(db.status().message()), HasSubstr(path));
}

TEST(ResolveOrigin, UsesTheGeoIpDatabaseAndLetsAGivenCountryWin) {
  auto db = OpenFixture();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(ResolveOrigin(Ip("2001:db8::7"), std::nullopt, db.get()).country, "NL");
  EXPECT_EQ(ResolveOrigin(Ip("2001:db8::7"), "us", db.get()).country, "US");
  EXPECT_EQ(ResolveOrigin(Ip("8.8.8.8"), std::nullopt, db.get()).country, std::nullopt);
}

}  // namespace
}  // namespace gatehouse::location
