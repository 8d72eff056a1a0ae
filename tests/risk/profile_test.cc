#include "risk/profile.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "risk/assessment.h"
#include "risk/risk_state.h"
#include "test_util.h"

namespace gatehouse::risk {
namespace {

using testing::At;
using testing::Home;

TEST(UserAgentFamily, DropsVersionsAndReadsRawUserAgents) {
  EXPECT_EQ(UserAgentFamily("Chrome 120.0.6099", "Windows10", ""), "chrome/windows");
  EXPECT_EQ(UserAgentFamily("Mobile Safari 17.1", "iOS 17.1.2", ""), "mobile safari/ios");
  EXPECT_EQ(UserAgentFamily("", "",
                            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                            "like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91"),
            "edge/windows");
  EXPECT_EQ(UserAgentFamily("", "", "python-requests/2.31.0"), "python/other");
  EXPECT_EQ(UserAgentFamily("", "", ""), "");
}

TEST(ExtractFeatures, UsesPrefixesAndNamesAMissingDevice) {
  SignInObservation o = Home("u", At(0));
  o.device_id = "";
  FeatureVector f = ExtractFeatures(o);
  EXPECT_EQ(f.labels[static_cast<int>(Feature::kIpPrefix)], "203.0.113.0/24");
  EXPECT_EQ(f.labels[static_cast<int>(Feature::kAsn)], "AS1136");
  EXPECT_EQ(f.labels[static_cast<int>(Feature::kDevice)], "none");
  o.ip = location::IpAddress::Parse("2001:db8:1234:5678::1");
  f = ExtractFeatures(o);
  EXPECT_EQ(f.labels[static_cast<int>(Feature::kIpPrefix)], "2001:db8:1234::/48");
  // Unknown properties are skipped (key 0), never hashed as "".
  o.ip.reset();
  o.asn.reset();
  o.country.clear();
  f = ExtractFeatures(o);
  EXPECT_EQ(f.keys[static_cast<int>(Feature::kIpPrefix)], 0u);
  EXPECT_EQ(f.keys[static_cast<int>(Feature::kAsn)], 0u);
  EXPECT_EQ(f.keys[static_cast<int>(Feature::kCountry)], 0u);
}

TEST(FeatureTable, StaysBoundedAndKeepsFrequentValues) {
  FeatureTable table;
  for (int i = 0; i < 50; ++i) table.Add(FeatureKey(Feature::kIpPrefix, "home"), i);
  for (int i = 0; i < 500; ++i) {
    table.Add(FeatureKey(Feature::kIpPrefix, "hotel-" + std::to_string(i)), 100 + i);
  }
  EXPECT_LE(table.distinct, kSlotsPerFeature);
  EXPECT_LE(table.total, kMaxFeatureTotal + 1);
  // Halving faded "home" as new values kept coming; it is still known only while its count
  // beats the one-off values.
  float sum = 0;
  int filled = 0;
  for (const FeatureSlot& slot : table.slots) {
    sum += slot.count;
    filled += slot.key != 0;
  }
  EXPECT_FLOAT_EQ(sum, table.total);
  EXPECT_EQ(filled, table.distinct);
}

TEST(FeatureTable, EvictsTheWeakestValueWhenFull) {
  FeatureTable table;
  for (int v = 0; v < kSlotsPerFeature; ++v) {
    for (int n = 0; n <= v; ++n) table.Add(FeatureKey(Feature::kAsn, std::to_string(v)), v);
  }
  table.Add(FeatureKey(Feature::kAsn, "new"), 100);
  EXPECT_EQ(table.Find(FeatureKey(Feature::kAsn, "0")), nullptr);  // count 1, the weakest
  EXPECT_NE(table.Find(FeatureKey(Feature::kAsn, "1")), nullptr);
  EXPECT_NE(table.Find(FeatureKey(Feature::kAsn, "new")), nullptr);
}

// docs/risk.md states the bytes per user; this pins them.
TEST(UserProfile, HasABoundedFixedSize) {
  EXPECT_EQ(sizeof(FeatureSlot), 16u);
  EXPECT_LE(sizeof(UserProfile), 728u);
  EXPECT_LE(sizeof(UserRiskRecord), 888u);
  UserProfile profile;
  for (int i = 0; i < 10000; ++i) {
    SignInObservation o = Home("u", At(i / 24, i % 24));
    o.ip = location::IpAddress::Parse("10." + std::to_string(i % 200) + ".1.1");
    o.device_id = "device-" + std::to_string(i);
    LearnSignIn(profile, ExtractFeatures(o), o, false);
  }
  for (const FeatureTable& table : profile.features) EXPECT_LE(table.distinct, kSlotsPerFeature);
  EXPECT_EQ(profile.sign_ins, 10000u);
}

TEST(UserProfileJson, RoundTripsExactly) {
  UserProfile profile;
  for (int i = 0; i < 30; ++i) {
    SignInObservation o = Home("u", At(i));
    if (i % 3 == 0) o.device_id = "";
    LearnSignIn(profile, ExtractFeatures(o), o, i == 29);
  }
  const nlohmann::json doc = ProfileToJson(profile);
  auto back = ProfileFromJson(nlohmann::json::parse(doc.dump()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ProfileToJson(*back), doc);
  EXPECT_EQ(back->sign_ins, 30u);
  EXPECT_TRUE(back->last.via_vpn);
  EXPECT_TRUE(back->last.has_coordinates);
  EXPECT_EQ(back->features[static_cast<int>(Feature::kDevice)].distinct, 2);
  // The profile holds keys, not the values themselves.
  EXPECT_EQ(doc.dump().find("203.0.113"), std::string::npos);
  EXPECT_EQ(doc.dump().find("laptop"), std::string::npos);
}

TEST(UserProfileJson, BadFieldsNameTheirPointer) {
  UserProfile profile;
  SignInObservation o = Home("u", At(0));
  LearnSignIn(profile, ExtractFeatures(o), o, false);
  nlohmann::json doc = ProfileToJson(profile);
  doc["features"]["country"][0]["key"] = "xyz";
  auto back = ProfileFromJson(doc);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().message(),
            "/features/country/0/key: expected 16 lower-case hex digits (not all zero)");
  doc = ProfileToJson(profile);
  doc["features"]["asn"][0]["count"] = -1;
  EXPECT_EQ(ProfileFromJson(doc).status().message(),
            "/features/asn/0/count: expected a number from 0 to 65");
  EXPECT_EQ(ProfileFromJson(nlohmann::json::array()).status().message(), "expected an object");
}

TEST(PopulationModel, SmoothsAndRoundTrips) {
  PopulationModel population;
  for (int i = 0; i < 9; ++i) population.Add(ExtractFeatures(Home("u" + std::to_string(i), At(0))));
  const std::uint64_t nl = FeatureKey(Feature::kCountry, "NL");
  const std::uint64_t fr = FeatureKey(Feature::kCountry, "FR");
  // (c + α) / (N + α·(V + 1)) with N = 9, V = 1, α = 0.5.
  EXPECT_DOUBLE_EQ(population.Probability(Feature::kCountry, nl, 0.5), 9.5 / 10);
  EXPECT_DOUBLE_EQ(population.Probability(Feature::kCountry, fr, 0.5), 0.5 / 10);
  auto back = PopulationModel::FromJson(nlohmann::json::parse(population.ToJson().dump()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToJson(), population.ToJson());
  EXPECT_DOUBLE_EQ(back->Probability(Feature::kCountry, nl, 0.5), 9.5 / 10);
}

}  // namespace
}  // namespace gatehouse::risk
