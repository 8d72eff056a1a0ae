#include "compliance/posture.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::compliance {
namespace {

int Cmp(const char* a, const char* b) {
  auto va = Version::Parse(a);
  auto vb = Version::Parse(b);
  EXPECT_TRUE(va.ok() && vb.ok());
  return CompareVersions(*va, *vb);
}

TEST(Version, ComparesPartsNumericallyNotAsText) {
  EXPECT_GT(Cmp("17.10", "17.4.1"), 0);
  EXPECT_LT(Cmp("9.3", "10.0"), 0);
}

TEST(Version, MissingTrailingPartsCompareAsZero) {
  EXPECT_EQ(Cmp("12", "12.0"), 0);
  EXPECT_EQ(Cmp("14.4", "14.4.0"), 0);
  EXPECT_LT(Cmp("14.4", "14.4.1"), 0);
}

TEST(Version, WindowsFourPartBuildsCompareByRevision) {
  EXPECT_LT(Cmp("10.0.22631.2861", "10.0.22631.4249"), 0);
  EXPECT_GT(Cmp("10.0.26100.1", "10.0.22631.4249"), 0);
}

TEST(Version, AppleBuildStringsOrderByLetterThenNumber) {
  EXPECT_LT(Cmp("21E236", "21F79"), 0);
  EXPECT_LT(Cmp("21E236", "21E237"), 0);
  EXPECT_GT(Cmp("22A100", "21Z999"), 0);
}

TEST(Version, RejectsMalformedText) {
  EXPECT_FALSE(Version::Parse("").ok());
  EXPECT_FALSE(Version::Parse("1..2").ok());
  EXPECT_FALSE(Version::Parse("1.2.").ok());
  EXPECT_FALSE(Version::Parse("1.2.3.4.5").ok());
  EXPECT_FALSE(Version::Parse("17 beta").ok());
  EXPECT_FALSE(Version::Parse("99999999999").ok());
}

TEST(PatchLevel, ReadsIsoDateAndGraphLongForm) {
  EXPECT_EQ(*ParsePatchLevel("2025-02-01"), absl::CivilDay(2025, 2, 1));
  EXPECT_EQ(*ParsePatchLevel("February 1, 2025"), absl::CivilDay(2025, 2, 1));
  EXPECT_FALSE(ParsePatchLevel("2025/02/01").ok());
}

TEST(Posture, MissingKeyIsNotReported) {
  auto posture = ParsePosture(nlohmann::json{{"deviceId", "d1"}, {"osVersion", "17.1"}});
  ASSERT_TRUE(posture.ok()) << posture.status();
  EXPECT_TRUE(posture->Has(PostureKey::kOsVersion));
  EXPECT_FALSE(posture->Has(PostureKey::kJailBroken));
  EXPECT_FALSE(posture->Has(PostureKey::kOperatingSystem));
  EXPECT_FALSE(posture->GetBool(PostureKey::kStorageEncrypted).has_value());
}

TEST(Posture, NullMeansNotReported) {
  auto posture = ParsePosture(nlohmann::json::parse(R"({"deviceId":"d","jailBroken":null})"));
  ASSERT_TRUE(posture.ok());
  EXPECT_FALSE(posture->Has(PostureKey::kJailBroken));
}

TEST(Posture, ReadsEveryTypedKey) {
  auto posture = ParsePosture(nlohmann::json::parse(R"({
    "deviceId": "d", "operatingSystem": "ipados", "osVersion": "17.4.1", "osBuildVersion": "21E236",
    "securityPatchLevel": "2024-06-05", "manufacturer": "Apple", "model": "iPad", "ownership": "company",
    "jailBroken": false, "passcodeSet": true, "passcodeMinimumLength": 6, "storageEncrypted": true,
    "threatLevel": "low", "installedApps": [{"id": "a", "version": "1"}, "b"],
    "userPrincipalName": "ann@example.com", "observedDateTime": "2025-03-01T10:00:00Z"})"));
  ASSERT_TRUE(posture.ok()) << posture.status();
  EXPECT_EQ(posture->operating_system, OperatingSystem::kIos);
  EXPECT_EQ(posture->security_patch_level, absl::CivilDay(2024, 6, 5));
  EXPECT_EQ(posture->ownership, Ownership::kCompany);
  EXPECT_EQ(posture->threat_level, ThreatLevel::kLow);
  EXPECT_EQ(posture->installed_apps->size(), 2u);
  EXPECT_EQ(posture->Describe(PostureKey::kInstalledApps), "[a, b]");
  EXPECT_EQ(*posture->GetBool(PostureKey::kPasscodeSet), true);
}

TEST(Posture, ErrorsCarryTheJsonPointer) {
  auto posture = ParsePosture(nlohmann::json::parse(R"({"deviceId":"d","osVersion":"seventeen!"})"),
                              "/value/3");
  ASSERT_FALSE(posture.ok());
  EXPECT_EQ(posture.status().message().substr(0, 20), "/value/3/osVersion: ");
  auto apps = ParsePosture(
      nlohmann::json::parse(R"({"deviceId":"d","installedApps":[{"id":"a"},{"version":"1"}]})"));
  ASSERT_FALSE(apps.ok());
  EXPECT_EQ(apps.status().message(), "/installedApps/1/id: required: a string");
}

TEST(Posture, RejectsUnknownOperatingSystemAndMissingDeviceId) {
  EXPECT_FALSE(
      ParsePosture(nlohmann::json::parse(R"({"deviceId":"d","operatingSystem":"Tizen"})")).ok());
  auto missing = ParsePosture(nlohmann::json::parse(R"({"osVersion":"1"})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "/deviceId: required: a non-empty string");
}

}  // namespace
}  // namespace gatehouse::compliance
