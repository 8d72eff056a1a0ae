#include "uem/partner_update.h"

#include "core/iso_time.h"
#include "gtest/gtest.h"

namespace gatehouse::uem {
namespace {

using nlohmann::json;

json Valid() {
  return {{"deviceId", "dev-1"},
          {"compliant", false},
          {"managed", true},
          {"complianceState", "nonCompliant"},
          {"observedAt", "2026-01-01T10:00:00Z"},
          {"sequence", 7},
          {"failingSettings", json::array({{{"setting", "firewall"}, {"state", "nonCompliant"},
                                            {"reason", "The firewall is off."},
                                            {"remediation", "Turn it on."}}})}};
}

TEST(PartnerUpdate, RoundTripsThroughJson) {
  auto parsed = ParsePartnerUpdate(Valid());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->device_id, "dev-1");
  EXPECT_EQ(parsed->sequence, 7);
  ASSERT_EQ(parsed->failing_settings.size(), 1u);
  EXPECT_EQ(parsed->failing_settings[0].remediation, "Turn it on.");
  EXPECT_EQ(PartnerUpdateToJson(*parsed), Valid());
}

TEST(PartnerUpdate, BadMembersAreNamedWithTheirPointer) {
  json doc = Valid();
  doc["sequence"] = 0;
  EXPECT_EQ(ParsePartnerUpdate(doc, "/value/3").status().message(),
            "/value/3/sequence: required: an integer >= 1");
  doc = Valid();
  doc.erase("compliant");
  EXPECT_EQ(ParsePartnerUpdate(doc, "/value/0").status().message(),
            "/value/0/compliant: required: true or false");
  doc = Valid();
  doc["complianceState"] = "great";
  EXPECT_NE(ParsePartnerUpdate(doc).status().message().find("/complianceState: expected unknown"),
            std::string::npos);
  doc = Valid();
  doc["observedAt"] = "yesterday";
  EXPECT_EQ(ParsePartnerUpdate(doc).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePartnerUpdate(json::array()).status().message(), "/: expected an object");
}

TEST(PartnerUpdate, SequenceDecidesDuplicateAndOutOfOrder) {
  EXPECT_EQ(DecideApply(0, 1), ApplyDecision::kApply);
  EXPECT_EQ(DecideApply(5, 6), ApplyDecision::kApply);
  EXPECT_EQ(DecideApply(5, 5), ApplyDecision::kDuplicate);
  EXPECT_EQ(DecideApply(5, 4), ApplyDecision::kOutOfOrder);
  EXPECT_STREQ(ApplyDecisionName(ApplyDecision::kOutOfOrder), "outOfOrder");
}

TEST(PartnerUpdate, AppliedUpdateWritesGraphFieldsAndExtension) {
  json device = {{"id", "obj-1"}, {"deviceId", "dev-1"}, {"displayName", "laptop"}};
  auto update = ParsePartnerUpdate(Valid());
  ASSERT_TRUE(update.ok());
  ApplyToDeviceRecord(device, *update, absl::FromUnixSeconds(1767261600));
  EXPECT_EQ(device["isCompliant"], false);
  EXPECT_EQ(device["isManaged"], true);
  EXPECT_EQ(device["displayName"], "laptop");
  EXPECT_EQ(device["gatehouseCompliance"]["sequence"], 7);
  EXPECT_EQ(device["gatehouseCompliance"]["complianceState"], "nonCompliant");
  EXPECT_EQ(device["gatehouseCompliance"]["failingSettings"][0]["setting"], "firewall");
  EXPECT_EQ(device["gatehouseCompliance"]["receivedDateTime"], "2026-01-01T10:00:00Z");
  EXPECT_EQ(StoredComplianceSequence(device), 7);
}

TEST(PartnerUpdate, ComplianceOlderThanTheValidityPeriodIsNotCompliant) {
  json doc = Valid();
  doc["compliant"] = true;
  doc["complianceState"] = "compliant";
  auto update = ParsePartnerUpdate(doc);
  ASSERT_TRUE(update.ok());
  json device = {{"deviceId", "dev-1"}};
  ApplyToDeviceRecord(device, *update, update->observed_at);
  const absl::Time observed = update->observed_at;

  json fresh = device;
  auto expires = ApplyComplianceValidity(fresh, absl::Hours(1), observed + absl::Minutes(59));
  ASSERT_TRUE(expires.has_value());
  EXPECT_EQ(*expires, observed + absl::Hours(1));
  EXPECT_EQ(fresh["isCompliant"], true);

  json stale = device;
  EXPECT_FALSE(ApplyComplianceValidity(stale, absl::Hours(1), observed + absl::Hours(1)).has_value());
  EXPECT_EQ(stale["isCompliant"], false);
  EXPECT_EQ(stale["gatehouseCompliance"]["stale"], true);

  json never = {{"deviceId", "x"}, {"isCompliant", true}};  // not from the partner: untouched
  EXPECT_FALSE(ApplyComplianceValidity(never, absl::Hours(1), observed + absl::Hours(100)).has_value());
  EXPECT_EQ(never["isCompliant"], true);
}

}  // namespace
}  // namespace gatehouse::uem
