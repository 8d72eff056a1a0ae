#include "devicefilter/device_filter.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::devicefilter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A device as a filter sees it. Every property not set is null, so a default
// FakeDevice is an unregistered device. Reading a property through the wrong
// accessor is a test failure.
class FakeDevice : public DevicePropertySource {
 public:
  FakeDevice &Set(DeviceProperty property, std::string value) {
    scalars_[property] = std::move(value);
    return *this;
  }
  FakeDevice &SetCollection(DeviceProperty property, std::vector<std::string> values) {
    collections_[property] = std::move(values);
    return *this;
  }

  std::optional<std::string_view> Scalar(DeviceProperty property) const override {
    if (IsCollectionProperty(property)) {
      ADD_FAILURE() << "Scalar() called for collection " << DevicePropertyName(property);
    }
    auto it = scalars_.find(property);
    if (it == scalars_.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  std::optional<std::span<const std::string>> Collection(DeviceProperty property) const override {
    if (!IsCollectionProperty(property)) {
      ADD_FAILURE() << "Collection() called for scalar " << DevicePropertyName(property);
    }
    auto it = collections_.find(property);
    if (it == collections_.end()) return std::nullopt;
    return std::span<const std::string>(it->second);
  }

 private:
  std::map<DeviceProperty, std::string> scalars_;
  std::map<DeviceProperty, std::vector<std::string>> collections_;
};

FakeDevice CompliantCompanyDevice() {
  FakeDevice device;
  device.Set(DeviceProperty::kDeviceId, "6f1e2a3b-0000-4000-8000-00000000c0de")
      .Set(DeviceProperty::kDisplayName, "Contoso-Laptop-01")
      .Set(DeviceProperty::kDeviceOwnership, "Company")
      .Set(DeviceProperty::kIsCompliant, "True")
      .Set(DeviceProperty::kManufacturer, "Lenovo")
      .Set(DeviceProperty::kModel, "ThinkPad X1 Carbon")
      .Set(DeviceProperty::kOperatingSystem, "Windows")
      .Set(DeviceProperty::kOperatingSystemVersion, "10.0.22631.2861")
      .Set(DeviceProperty::kProfileType, "RegisteredDevice")
      .Set(DeviceProperty::kTrustType, "AzureAD")
      .Set(DeviceProperty::kMdmAppId, "0000000a-0000-0000-c000-000000000000")
      .Set(DeviceProperty::kExtensionAttribute1, "SAW")
      .SetCollection(DeviceProperty::kSystemLabels, {"CloudPC", "M365Managed"})
      .SetCollection(DeviceProperty::kPhysicalIds, {"[ZTDId]:abc123", "[USER-GID]:42"});
  return device;
}

FakeDevice NonCompliantPersonalDevice() {
  FakeDevice device;
  device.Set(DeviceProperty::kDeviceId, "11111111-2222-3333-4444-555555555555")
      .Set(DeviceProperty::kDisplayName, "Alex's iPhone")
      .Set(DeviceProperty::kDeviceOwnership, "Personal")
      .Set(DeviceProperty::kIsCompliant, "False")
      .Set(DeviceProperty::kOperatingSystem, "iOS")
      .Set(DeviceProperty::kOperatingSystemVersion, "17.4.1")
      .Set(DeviceProperty::kProfileType, "RegisteredDevice")
      .Set(DeviceProperty::kTrustType, "Workplace")
      .SetCollection(DeviceProperty::kSystemLabels, {})
      .SetCollection(DeviceProperty::kPhysicalIds, {});
  return device;
}

FakeDevice UnregisteredDevice() { return FakeDevice(); }

bool Eval(std::string_view rule, const DevicePropertySource &device) {
  absl::StatusOr<DeviceFilter> filter = DeviceFilter::Parse(rule);
  EXPECT_TRUE(filter.ok()) << rule << ": " << filter.status();
  if (!filter.ok()) return false;
  return filter->Matches(device);
}

std::string ParseError(std::string_view rule, const DeviceFilterLimits &limits = {}) {
  absl::StatusOr<DeviceFilter> filter = DeviceFilter::Parse(rule, limits);
  EXPECT_FALSE(filter.ok()) << "expected an error for: " << rule;
  if (filter.ok()) return "";
  EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(filter.status().message());
}

// A syntactically valid rule of exactly `length` characters.
std::string RuleOfLength(std::size_t length) {
  const std::string prefix = "device.displayName -eq \"";
  return prefix + std::string(length - prefix.size() - 1, 'x') + "\"";
}

// ---------------------------------------------------------------------------------------------
// Property names.

TEST(DeviceProperty, NamesRoundTripForEveryProperty) {
  for (std::size_t i = 0; i < kDevicePropertyCount; ++i) {
    const auto property = static_cast<DeviceProperty>(i);
    EXPECT_EQ(DevicePropertyFromName(DevicePropertyName(property)), property);
  }
  EXPECT_EQ(DevicePropertyName(DeviceProperty::kExtensionAttribute15), "extensionAttribute15");
  EXPECT_EQ(DevicePropertyName(DeviceProperty::kTrustType), "trustType");
}

TEST(DeviceProperty, LookupIgnoresCaseAndRejectsUnknownNames) {
  EXPECT_EQ(DevicePropertyFromName("DEVICEID"), DeviceProperty::kDeviceId);
  EXPECT_EQ(DevicePropertyFromName("extensionattribute7"), DeviceProperty::kExtensionAttribute7);
  EXPECT_EQ(DevicePropertyFromName("color"), std::nullopt);
  EXPECT_EQ(DevicePropertyFromName("device.deviceId"), std::nullopt);
  EXPECT_EQ(DevicePropertyFromName("extensionAttribute16"), std::nullopt);
  EXPECT_EQ(DevicePropertyFromName(""), std::nullopt);
}

TEST(DeviceProperty, OnlyPhysicalIdsAndSystemLabelsAreCollections) {
  for (std::size_t i = 0; i < kDevicePropertyCount; ++i) {
    const auto property = static_cast<DeviceProperty>(i);
    const bool expected =
        property == DeviceProperty::kPhysicalIds || property == DeviceProperty::kSystemLabels;
    EXPECT_EQ(IsCollectionProperty(property), expected) << DevicePropertyName(property);
  }
}

// ---------------------------------------------------------------------------------------------
// Operators on strings.

TEST(DeviceFilter, EqualsComparesWholeStringIgnoringCase) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.displayName -eq "contoso-LAPTOP-01")", device));
  EXPECT_FALSE(Eval(R"(device.displayName -eq "Contoso-Laptop")", device));
}

TEST(DeviceFilter, NotEqualsIsTheNegationOfEquals) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_FALSE(Eval(R"(device.displayName -ne "CONTOSO-laptop-01")", device));
  EXPECT_TRUE(Eval(R"(device.displayName -ne "Contoso-Laptop")", device));
}

TEST(DeviceFilter, StartsWithAndNotStartsWithComparePrefixes) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.displayName -startsWith "contoso-")", device));
  EXPECT_FALSE(Eval(R"(device.displayName -startsWith "Laptop")", device));
  EXPECT_FALSE(Eval(R"(device.displayName -notStartsWith "CONTOSO")", device));
  EXPECT_TRUE(Eval(R"(device.displayName -notStartsWith "Fabrikam")", device));
  EXPECT_FALSE(Eval(R"(device.displayName -startsWith "Contoso-Laptop-01-extra")", device));
}

TEST(DeviceFilter, EndsWithAndNotEndsWithCompareSuffixes) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.displayName -endsWith "-01")", device));
  EXPECT_TRUE(Eval(R"(device.displayName -endsWith "LAPTOP-01")", device));
  EXPECT_FALSE(Eval(R"(device.displayName -endsWith "Contoso")", device));
  EXPECT_FALSE(Eval(R"(device.displayName -notEndsWith "-01")", device));
  EXPECT_TRUE(Eval(R"(device.displayName -notEndsWith "-02")", device));
}

TEST(DeviceFilter, ContainsOnAStringPropertyMatchesSubstrings) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.model -contains "x1")", device));
  EXPECT_TRUE(Eval(R"(device.model -contains "pad X1 car")", device));
  EXPECT_FALSE(Eval(R"(device.model -contains "Yoga")", device));
  EXPECT_FALSE(Eval(R"(device.model -notContains "THINKPAD")", device));
  EXPECT_TRUE(Eval(R"(device.model -notContains "Yoga")", device));
}

TEST(DeviceFilter, EmptyStringIsAPrefixSuffixAndSubstringOfEveryValue) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.model -startsWith "")", device));
  EXPECT_TRUE(Eval(R"(device.model -endsWith "")", device));
  EXPECT_TRUE(Eval(R"(device.model -contains "")", device));
  EXPECT_FALSE(Eval(R"(device.model -eq "")", device));
}

TEST(DeviceFilter, InMatchesWhenTheValueEqualsOneListItem) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.operatingSystem -in ["iOS", "WINDOWS", "Android"])", device));
  EXPECT_FALSE(Eval(R"(device.operatingSystem -in ["iOS", "Win"])", device));
  EXPECT_TRUE(Eval(R"(device.deviceId -in ["6F1E2A3B-0000-4000-8000-00000000C0DE"])", device));
  EXPECT_TRUE(Eval(R"(device.mdmAppId -in ["x", "0000000a-0000-0000-c000-000000000000"])", device));
}

TEST(DeviceFilter, NotInMatchesWhenTheValueEqualsNoListItem) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_FALSE(Eval(R"(device.operatingSystem -notIn ["iOS", "windows"])", device));
  EXPECT_TRUE(Eval(R"(device.operatingSystem -notIn ["iOS", "macOS"])", device));
}

TEST(DeviceFilter, ListsMayUseSingleQuotesAndSingleItems) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.manufacturer -in ['Dell','lenovo'])", device));
  EXPECT_TRUE(Eval(R"(device.manufacturer -in ["Lenovo"])", device));
  EXPECT_TRUE(Eval(R"(device.manufacturer -in [ 'HP' , "LENOVO" ])", device));
}

TEST(DeviceFilter, EqualityOnlyPropertiesCompareIgnoringCase) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.trustType -eq "azuread")", device));
  EXPECT_TRUE(Eval(R"(device.profileType -eq "registereddevice")", device));
  EXPECT_TRUE(Eval(R"(device.deviceOwnership -ne "Personal")", device));
  EXPECT_TRUE(Eval(R"(device.deviceId -ne "something-else")", device));
}

TEST(DeviceFilter, ExtensionAttributesSupportEveryStringOperator) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.extensionAttribute1 -eq "saw")", device));
  EXPECT_TRUE(Eval(R"(device.extensionAttribute1 -startsWith "S")", device));
  EXPECT_TRUE(Eval(R"(device.extensionAttribute1 -in ["SAW", "PAW"])", device));
  EXPECT_TRUE(Eval(R"(device.extensionAttribute15 -notContains "x")", device));
}

// ---------------------------------------------------------------------------------------------
// Operators on collections.

TEST(DeviceFilter, ContainsOnACollectionMatchesAWholeElementIgnoringCase) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.systemLabels -contains "cloudpc")", device));
  EXPECT_TRUE(Eval(R"(device.systemLabels -contains "M365Managed")", device));
  EXPECT_FALSE(Eval(R"(device.systemLabels -contains "Cloud")", device));
  EXPECT_TRUE(Eval(R"(device.physicalIds -contains "[ztdid]:ABC123")", device));
  EXPECT_FALSE(Eval(R"(device.physicalIds -contains "[ZTDId]")", device));
}

TEST(DeviceFilter, NotContainsOnACollectionIsTheNegationOfContains) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_FALSE(Eval(R"(device.systemLabels -notContains "CLOUDPC")", device));
  EXPECT_TRUE(Eval(R"(device.systemLabels -notContains "Cloud")", device));
  EXPECT_TRUE(Eval(R"(device.physicalIds -notContains "[ZTDId]:other")", device));
}

TEST(DeviceFilter, EmptyCollectionContainsNothing) {
  const FakeDevice device = NonCompliantPersonalDevice();
  EXPECT_FALSE(Eval(R"(device.systemLabels -contains "CloudPC")", device));
  EXPECT_TRUE(Eval(R"(device.systemLabels -notContains "CloudPC")", device));
}

// ---------------------------------------------------------------------------------------------
// Null semantics (§3.4).

TEST(DeviceFilter, PositiveOperatorOnUnregisteredDeviceIsFalse) {
  const FakeDevice device = UnregisteredDevice();
  for (std::string_view rule : {
           R"(device.displayName -eq "x")",
           R"(device.displayName -startsWith "x")",
           R"(device.displayName -endsWith "x")",
           R"(device.displayName -contains "x")",
           R"(device.displayName -in ["x"])",
           R"(device.isCompliant -eq True)",
           R"(device.isCompliant -eq False)",
           R"(device.systemLabels -contains "CloudPC")",
           R"(device.physicalIds -contains "[ZTDId]:x")",
       }) {
    EXPECT_FALSE(Eval(rule, device)) << rule;
  }
}

TEST(DeviceFilter, NegativeOperatorOnUnregisteredDeviceIsTrue) {
  const FakeDevice device = UnregisteredDevice();
  for (std::string_view rule : {
           R"(device.displayName -ne "x")",
           R"(device.displayName -notStartsWith "x")",
           R"(device.displayName -notEndsWith "x")",
           R"(device.displayName -notContains "x")",
           R"(device.displayName -notIn ["x"])",
           R"(device.isCompliant -ne True)",
           R"(device.systemLabels -notContains "CloudPC")",
           R"(device.physicalIds -notContains "[ZTDId]:x")",
       }) {
    EXPECT_TRUE(Eval(rule, device)) << rule;
  }
}

TEST(DeviceFilter, NullPropertyOfARegisteredDeviceFollowsNullSemantics) {
  const FakeDevice device = NonCompliantPersonalDevice();  // no extensionAttribute1, no model
  EXPECT_TRUE(Eval(R"(device.extensionAttribute1 -ne "SAW")", device));
  EXPECT_FALSE(Eval(R"(device.extensionAttribute1 -eq "SAW")", device));
  EXPECT_FALSE(Eval(R"(device.model -notContains "x" -and device.model -contains "x")", device));
  EXPECT_TRUE(Eval(R"(device.model -notContains "x" -or device.model -contains "x")", device));
}

// ---------------------------------------------------------------------------------------------
// Booleans.

TEST(DeviceFilter, IsCompliantAcceptsBareAndQuotedBooleansInAnyCase) {
  const FakeDevice compliant = CompliantCompanyDevice();
  const FakeDevice noncompliant = NonCompliantPersonalDevice();
  for (std::string_view rule : {
           "device.isCompliant -eq True",
           "device.isCompliant -eq true",
           "device.isCompliant -eq TRUE",
           R"(device.isCompliant -eq "True")",
           R"(device.isCompliant -eq 'true')",
           "device.isCompliant -ne False",
           R"(device.isCompliant -ne "false")",
       }) {
    EXPECT_TRUE(Eval(rule, compliant)) << rule;
    EXPECT_FALSE(Eval(rule, noncompliant)) << rule;
  }
}

TEST(DeviceFilter, IsCompliantFalseMatchesANonCompliantDevice) {
  EXPECT_TRUE(Eval("device.isCompliant -eq False", NonCompliantPersonalDevice()));
  EXPECT_FALSE(Eval("device.isCompliant -eq false", CompliantCompanyDevice()));
}

// ---------------------------------------------------------------------------------------------
// Precedence and parentheses.

// A is true, B and C are false for the compliant company device.
constexpr char kA[] = R"(device.trustType -eq "AzureAD")";
constexpr char kB[] = R"(device.trustType -eq "ServerAD")";
constexpr char kC[] = R"(device.deviceOwnership -eq "Personal")";

std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out += part;
  return out;
}

TEST(DeviceFilter, AndBindsTighterThanOr) {
  const FakeDevice device = CompliantCompanyDevice();
  // A -or (B -and C) = true; (A -or B) -and C would be false.
  EXPECT_TRUE(Eval(Join({kA, " -or ", kB, " -and ", kC}), device));
  // (B -and C) -or A = true; B -and (C -or A) would be false.
  EXPECT_TRUE(Eval(Join({kB, " -and ", kC, " -or ", kA}), device));
}

TEST(DeviceFilter, ParenthesesOverridePrecedence) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_FALSE(Eval(Join({"(", kA, " -or ", kB, ") -and ", kC}), device));
  EXPECT_TRUE(Eval(Join({"(", kA, " -or ", kB, ") -and (", kC, " -or ", kA, ")"}), device));
  EXPECT_TRUE(Eval(Join({"((((", kA, "))))"}), device));
  EXPECT_FALSE(Eval(Join({"(", kB, ") -or ((", kC, "))"}), device));
}

TEST(DeviceFilter, LongChainsOfAndAndOrEvaluateEveryOperand) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_FALSE(Eval(Join({kA, " -and ", kA, " -and ", kA, " -and ", kB}), device));
  EXPECT_TRUE(Eval(Join({kA, " -and ", kA, " -and ", kA, " -and ", kA}), device));
  EXPECT_TRUE(Eval(Join({kB, " -or ", kC, " -or ", kB, " -or ", kA}), device));
  EXPECT_FALSE(Eval(Join({kB, " -or ", kC, " -or ", kB, " -or ", kC}), device));
}

// ---------------------------------------------------------------------------------------------
// Case-insensitivity and lexical details.

TEST(DeviceFilter, PropertyNamesAndOperatorsAreCaseInsensitive) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval(R"(device.deviceid -eq "6f1e2a3b-0000-4000-8000-00000000c0de")", device));
  EXPECT_TRUE(Eval(R"(DEVICE.TRUSTTYPE -EQ "azuread")", device));
  EXPECT_TRUE(
      Eval(R"(Device.TrustType -Eq "AzureAD" -AND device.model -STARTSWITH "think")", device));
  EXPECT_TRUE(Eval(R"(device.model -eq "x" -OR device.systemlabels -CONTAINS "cloudpc")", device));
  EXPECT_TRUE(Eval(R"(device.operatingsystem -NOTIN ["ios"])", device));
}

TEST(DeviceFilter, WhitespaceIsFlexible) {
  const FakeDevice device = CompliantCompanyDevice();
  EXPECT_TRUE(Eval("  device.trustType\t-eq\n\"AzureAD\"  ", device));
  EXPECT_TRUE(Eval(R"((device.trustType -eq "AzureAD")-and(device.isCompliant -eq True))", device));
  EXPECT_TRUE(Eval(R"(device.operatingSystem -in["Windows","iOS"])", device));
}

TEST(DeviceFilter, StringsAcceptSingleQuotesAndEscapedQuotes) {
  FakeDevice device;
  device.Set(DeviceProperty::kDisplayName, R"(Alex's "work" PC\1)");
  EXPECT_TRUE(Eval(R"(device.displayName -eq 'Alex\'s "work" PC\\1')", device));
  EXPECT_TRUE(Eval(R"(device.displayName -eq "Alex's \"work\" PC\1")", device));
  EXPECT_TRUE(Eval(R"(device.displayName -contains "`"work`"")", device));
  EXPECT_TRUE(Eval(R"(device.displayName -endsWith 'PC\1')", device));
}

TEST(DeviceFilter, NonAsciiValuesCompareByteForByteOutsideAscii) {
  FakeDevice device;
  device.Set(DeviceProperty::kDisplayName, "Zoë's Laptop");
  EXPECT_TRUE(Eval(R"(device.displayName -eq "ZOë's LAPTOP")", device));
  EXPECT_TRUE(Eval(R"(device.displayName -contains "ë")", device));
}

// ---------------------------------------------------------------------------------------------
// Real rules from public exports (§3.3). All are used with mode `exclude`: the
// policy applies iff the rule is false.

struct RealRuleCase {
  const char *rule;
  bool compliant_company;
  bool noncompliant_personal;
  bool unregistered;
};

class RealRules : public ::testing::TestWithParam<RealRuleCase> {};

TEST_P(RealRules, MatchCompanyPersonalAndUnregisteredDevicesAsDocumented) {
  const RealRuleCase &c = GetParam();
  absl::StatusOr<DeviceFilter> filter = DeviceFilter::Parse(c.rule);
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(filter->Matches(CompliantCompanyDevice()), c.compliant_company);
  EXPECT_EQ(filter->Matches(NonCompliantPersonalDevice()), c.noncompliant_personal);
  EXPECT_EQ(filter->Matches(UnregisteredDevice()), c.unregistered);
}

INSTANTIATE_TEST_SUITE_P(
    PublicExports, RealRules,
    ::testing::Values(
        // Exclude compliant company devices: personal and unregistered devices
        // stay in scope.
        RealRuleCase{R"(device.isCompliant -eq True -and device.deviceOwnership -eq "Company")",
                     true, false, false},
        RealRuleCase{R"(device.deviceOwnership -eq "Company" -or device.isCompliant -eq True)",
                     true, false, false},
        RealRuleCase{R"(device.isCompliant -eq True -or device.trustType -eq "ServerAD")", true,
                     false, false},
        RealRuleCase{
            R"(device.systemLabels -contains "CloudPC" -and device.trustType -eq "AzureAD")", true,
            false, false},
        // Negative operator: the SAW device stays in scope, everything else
        // (including unregistered devices, whose extensionAttribute1 is null)
        // is exempted.
        RealRuleCase{R"(device.extensionAttribute1 -ne "SAW")", false, true, true}));

TEST(DeviceFilter, ExcludeWithPositiveRuleNeverExemptsAnUnregisteredDevice) {
  absl::StatusOr<DeviceFilter> filter = DeviceFilter::Parse(
      R"(device.isCompliant -eq True -and device.deviceOwnership -eq "Company")");
  ASSERT_TRUE(filter.ok());
  const bool policy_applies = !filter->Matches(UnregisteredDevice());  // mode exclude
  EXPECT_TRUE(policy_applies);
}

TEST(DeviceFilter, ExcludeWithNotEqualsExemptsAnUnregisteredDevice) {
  absl::StatusOr<DeviceFilter> filter =
      DeviceFilter::Parse(R"(device.extensionAttribute1 -ne "SAW")");
  ASSERT_TRUE(filter.ok());
  const bool policy_applies = !filter->Matches(UnregisteredDevice());  // mode exclude
  EXPECT_FALSE(policy_applies);
}

// ---------------------------------------------------------------------------------------------
// Accessors.

TEST(DeviceFilter, RuleReturnsTheOriginalText) {
  const std::string rule = R"(  device.trustType -EQ "AzureAD" )";
  absl::StatusOr<DeviceFilter> filter = DeviceFilter::Parse(rule);
  ASSERT_TRUE(filter.ok());
  EXPECT_EQ(filter->rule(), rule);
}

TEST(DeviceFilter, PropertiesListsEachPropertyOnceInOrderOfFirstUse) {
  absl::StatusOr<DeviceFilter> filter = DeviceFilter::Parse(
      R"(device.trustType -eq "a" -or (device.isCompliant -eq True -and device.TRUSTTYPE -ne "b")
         -or device.systemLabels -contains "x")");
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_THAT(filter->properties(),
              ElementsAre(DeviceProperty::kTrustType, DeviceProperty::kIsCompliant,
                          DeviceProperty::kSystemLabels));
}

TEST(DeviceFilter, CopiesShareTheCompiledRule) {
  absl::StatusOr<DeviceFilter> filter = DeviceFilter::Parse(R"(device.trustType -eq "AzureAD")");
  ASSERT_TRUE(filter.ok());
  const DeviceFilter copy = *filter;
  EXPECT_EQ(&copy.rule(), &filter->rule());
  EXPECT_TRUE(copy.Matches(CompliantCompanyDevice()));
  EXPECT_FALSE(copy.Matches(NonCompliantPersonalDevice()));
}

// ---------------------------------------------------------------------------------------------
// Errors: every message starts with "position N: " and says what was expected
// and found.

TEST(DeviceFilterErrors, EmptyRuleIsAnError) {
  EXPECT_EQ(ParseError(""),
            "position 1: expected a condition such as "
            "device.trustType -eq \"AzureAD\", found end "
            "of rule");
  EXPECT_THAT(ParseError("   "), StartsWith("position 4: expected a condition"));
}

TEST(DeviceFilterErrors, OperatorWithoutHyphenIsRejected) {
  EXPECT_EQ(ParseError(R"(device.trustType eq "AzureAD")"),
            "position 18: expected an operator such as -eq or -ne after "
            "device.trustType, found "
            "'eq'");
}

TEST(DeviceFilterErrors, UnknownPropertyIsRejected) {
  const std::string message = ParseError(R"(device.color -eq "red")");
  EXPECT_THAT(message, StartsWith("position 1: expected a device property (deviceId, "));
  EXPECT_THAT(message, HasSubstr("extensionAttribute1 to extensionAttribute15), found "
                                 "'device.color'"));
  EXPECT_THAT(ParseError(R"(device.extensionAttribute16 -eq "x")"),
              HasSubstr("found 'device.extensionAttribute16'"));
}

TEST(DeviceFilterErrors, PropertyWithoutDevicePrefixIsRejected) {
  EXPECT_EQ(ParseError(R"(trustType -eq "AzureAD")"),
            "position 1: expected a condition such as device.trustType -eq "
            "\"AzureAD\" or '(', "
            "found 'trustType'");
  EXPECT_EQ(ParseError(R"(user.department -eq "x")"),
            "position 1: expected a condition such as device.trustType -eq "
            "\"AzureAD\" or '(', "
            "found 'user.department'");
  EXPECT_THAT(ParseError(R"(device. -eq "x")"), StartsWith("position 1: expected a condition"));
}

TEST(DeviceFilterErrors, UnknownOperatorIsRejected) {
  EXPECT_EQ(ParseError(R"(device.model -gt "x")"),
            "position 14: expected an operator such as -eq, -ne, -startsWith, "
            "-notStartsWith, "
            "-endsWith, -notEndsWith, -contains, -notContains, -in, or -notIn "
            "after device.model, "
            "found '-gt'");
}

TEST(DeviceFilterErrors, DynamicGroupOperatorsAreNotSupportedInDeviceFilters) {
  EXPECT_EQ(ParseError(R"(-not (device.model -eq "x"))"),
            "position 1: expected a condition such as device.trustType -eq "
            "\"AzureAD\" or '(', "
            "found '-not', which is not supported in device filters");
  EXPECT_EQ(ParseError(R"(device.model -match "x.*")"),
            "position 14: expected an operator such as -eq, -ne, -startsWith, "
            "-notStartsWith, "
            "-endsWith, -notEndsWith, -contains, -notContains, -in, or -notIn "
            "after device.model, "
            "found '-match', which is not supported in device filters");
  for (std::string_view op : {"-notMatch", "-any", "-all", "-le", "-ge", "-NOT", "-Match"}) {
    const std::string rule = "device.model " + std::string(op) + " \"x\"";
    const std::string message = ParseError(rule);
    EXPECT_THAT(message, StartsWith("position 14: ")) << rule;
    EXPECT_THAT(message, HasSubstr("found '" + std::string(op) +
                                   "', which is not supported in device filters"))
        << rule;
  }
  EXPECT_THAT(ParseError(R"(device.model -eq "x" -not device.model -eq "y")"),
              StartsWith("position 22: expected -and, -or or end of rule, "
                         "found '-not', which is "
                         "not supported in device filters"));
}

TEST(DeviceFilterErrors, OperatorNotAllowedForPropertyIsRejected) {
  EXPECT_EQ(ParseError(R"(device.trustType -contains "x")"),
            "position 18: operator -contains is not allowed for "
            "device.trustType; expected -eq or "
            "-ne");
  EXPECT_EQ(ParseError(R"(device.deviceId -startsWith "6f")"),
            "position 17: operator -startsWith is not allowed for "
            "device.deviceId; expected -eq, "
            "-ne, -in, or -notIn");
  EXPECT_EQ(ParseError(R"(device.systemLabels -eq "CloudPC")"),
            "position 21: operator -eq is not allowed for device.systemLabels; "
            "expected -contains "
            "or -notContains");
  EXPECT_EQ(ParseError(R"(device.isCompliant -in ["True"])"),
            "position 20: operator -in is not allowed for device.isCompliant; "
            "expected -eq or -ne");
  EXPECT_THAT(ParseError(R"(device.mdmAppId -endsWith "x")"),
              StartsWith("position 17: operator -endsWith is not allowed for "
                         "device.mdmAppId"));
  EXPECT_THAT(ParseError(R"(device.physicalIds -in ["x"])"),
              StartsWith("position 20: operator -in is not allowed for device.physicalIds"));
  EXPECT_THAT(ParseError(R"(device.profileType -startsWith "x")"),
              StartsWith("position 20: operator -startsWith is not allowed for "
                         "device.profileType"));
  EXPECT_THAT(ParseError(R"(device.deviceOwnership -in ["Company"])"),
              StartsWith("position 24: operator -in is not allowed for "
                         "device.deviceOwnership"));
}

TEST(DeviceFilterErrors, InRequiresAList) {
  EXPECT_EQ(ParseError(R"(device.model -in "x")"),
            "position 18: expected a list such as [\"a\", \"b\"] after -in, "
            "found the string \"x\"");
  EXPECT_THAT(ParseError(R"(device.deviceId -notIn 'x')"),
              StartsWith("position 24: expected a list such as [\"a\", \"b\"] after -notIn"));
}

TEST(DeviceFilterErrors, ScalarOperatorsRejectAList) {
  EXPECT_EQ(ParseError(R"(device.model -eq ["x"])"),
            "position 18: expected a quoted string after -eq (a list needs -in "
            "or -notIn), found "
            "'['");
  EXPECT_EQ(ParseError(R"(device.isCompliant -eq [True])"),
            "position 24: expected True or False after -eq (a list needs -in "
            "or -notIn), found "
            "'['");
}

TEST(DeviceFilterErrors, StringValueMustBeQuoted) {
  EXPECT_EQ(ParseError("device.deviceOwnership -eq Company"),
            "position 28: expected a quoted string after -eq, found 'Company'");
  EXPECT_EQ(ParseError("device.displayName -eq True"),
            "position 24: expected a quoted string after -eq, found 'True'");
  EXPECT_EQ(ParseError("device.model -eq"),
            "position 17: expected a quoted string after -eq, found end of rule");
}

TEST(DeviceFilterErrors, IsCompliantRequiresABoolean) {
  EXPECT_EQ(ParseError(R"(device.isCompliant -eq "yes")"),
            "position 24: expected True or False after -eq, found the string "
            "\"yes\"");
  EXPECT_EQ(ParseError("device.isCompliant -ne 1"),
            "position 24: expected True or False after -ne, found '1'");
}

TEST(DeviceFilterErrors, UnterminatedStringIsReportedWhereItStarts) {
  EXPECT_EQ(ParseError(R"(device.model -eq "abc)"),
            "position 18: expected a quoted string after -eq, found a string "
            "with no closing \"");
  EXPECT_EQ(ParseError(R"(device.model -eq 'abc\')"),
            "position 18: expected a quoted string after -eq, found a string "
            "with no closing '");
}

TEST(DeviceFilterErrors, UnclosedParenthesisIsRejected) {
  EXPECT_EQ(ParseError(R"(  (device.model -eq "x")"),
            "position 24: expected -and, -or or ')' to close the '(' at "
            "position 3, found end of "
            "rule");
}

TEST(DeviceFilterErrors, UnbalancedClosingParenthesisIsRejected) {
  EXPECT_EQ(ParseError(R"(device.model -eq "x"))"),
            "position 21: expected -and, -or or end of rule, found ')'");
  EXPECT_THAT(ParseError("()"), StartsWith("position 2: expected a condition such as "));
}

TEST(DeviceFilterErrors, ConnectiveWithoutHyphenIsRejected) {
  EXPECT_EQ(ParseError(R"(device.model -eq "x" and device.model -eq "y")"),
            "position 22: expected -and, -or or end of rule, found 'and'");
}

TEST(DeviceFilterErrors, DanglingConnectiveIsRejected) {
  EXPECT_EQ(ParseError(R"(device.model -eq "x" -and)"),
            "position 26: expected a condition such as device.trustType -eq "
            "\"AzureAD\" or '(', "
            "found end of rule");
  EXPECT_THAT(ParseError(R"(-or device.model -eq "x")"),
              StartsWith("position 1: expected a condition such as device.trustType -eq "
                         "\"AzureAD\" or '(', found '-or'"));
}

TEST(DeviceFilterErrors, MalformedListsAreRejected) {
  EXPECT_EQ(ParseError("device.model -in []"),
            "position 19: expected a quoted string in the list, found ']'");
  EXPECT_EQ(ParseError(R"(device.model -in ["a",])"),
            "position 23: expected a quoted string after ',', found ']'");
  EXPECT_EQ(ParseError(R"(device.model -in ["a" "b"])"),
            "position 23: expected ',' or ']', found the string \"b\"");
  EXPECT_EQ(ParseError(R"(device.model -in ["a")"),
            "position 22: expected ',' or ']', found end of rule");
  EXPECT_EQ(ParseError("device.model -in [a]"),
            "position 19: expected a quoted string in the list, found 'a'");
}

TEST(DeviceFilterErrors, UnexpectedCharactersAreNamed) {
  EXPECT_EQ(ParseError(R"(device.model -eq "x" & device.model -eq "y")"),
            "position 22: expected -and, -or or end of rule, found '&'");
  EXPECT_EQ(ParseError(std::string("device.model -eq \"x\" \x01")),
            "position 22: expected -and, -or or end of rule, found control "
            "character 0x01");
  EXPECT_EQ(ParseError(R"(device.model - eq "x")"),
            "position 14: expected an operator such as -eq, -ne, -startsWith, "
            "-notStartsWith, "
            "-endsWith, -notEndsWith, -contains, -notContains, -in, or -notIn "
            "after device.model, "
            "found '-'");
}

TEST(DeviceFilterErrors, PositionsCountCharactersNotBytes) {
  // "é" is two bytes in UTF-8 but one character.
  EXPECT_EQ(ParseError(R"(device.displayName -eq "é" x)"),
            "position 28: expected -and, -or or end of rule, found 'x'");
  EXPECT_EQ(ParseError(R"(device.displayName -eq "é" €)"),
            "position 28: expected -and, -or or end of rule, found '€'");
}

TEST(DeviceFilterErrors, LongValuesAreShortenedInMessages) {
  const std::string rule =
      "device.model -eq \"a\" " + std::string("\"") + std::string(100, 'b') + "\"";
  EXPECT_EQ(ParseError(rule),
            "position 22: expected -and, -or or end of rule, found the string \"" +
                std::string(39, 'b') + "...");
}

// ---------------------------------------------------------------------------------------------
// Limits.

TEST(DeviceFilterLimits, RuleOfExactly3072CharactersIsAccepted) {
  const std::string rule = RuleOfLength(3072);
  ASSERT_EQ(rule.size(), 3072u);
  EXPECT_TRUE(DeviceFilter::Parse(rule).ok());
}

TEST(DeviceFilterLimits, RuleOf3073CharactersIsRejected) {
  EXPECT_EQ(ParseError(RuleOfLength(3073)),
            "position 3073: rule is 3073 characters; the limit is 3072");
}

TEST(DeviceFilterLimits, RuleLengthCountsCharactersNotBytes) {
  // 3072 characters, more bytes: every padding character is a two-byte "é".
  const std::string prefix = "device.displayName -eq \"";
  std::string rule = prefix;
  for (std::size_t i = 0; i < 3072 - prefix.size() - 1; ++i) rule += "é";
  rule += "\"";
  EXPECT_GT(rule.size(), 3072u);
  EXPECT_TRUE(DeviceFilter::Parse(rule).ok());
}

TEST(DeviceFilterLimits, RuleLengthLimitIsConfigurable) {
  DeviceFilterLimits limits;
  limits.max_rule_length = 20;
  EXPECT_EQ(ParseError(R"(device.model -eq "abcd")", limits),
            "position 21: rule is 23 characters; the limit is 20");
}

std::string Nested(std::size_t depth) {
  return std::string(depth, '(') + R"(device.model -eq "x")" + std::string(depth, ')');
}

TEST(DeviceFilterLimits, NestingUpToTheLimitIsAccepted) {
  EXPECT_TRUE(DeviceFilter::Parse(Nested(32)).ok());
}

TEST(DeviceFilterLimits, NestingBeyondTheLimitIsRejected) {
  EXPECT_EQ(ParseError(Nested(33)),
            "position 33: expected at most 32 levels "
            "of nested parentheses, found more");
  DeviceFilterLimits limits;
  limits.max_nesting = 1;
  EXPECT_TRUE(DeviceFilter::Parse(Nested(1), limits).ok());
  EXPECT_EQ(ParseError(Nested(2), limits),
            "position 2: expected at most 1 levels of nested parentheses, "
            "found more");
}

TEST(DeviceFilterLimits, SiblingParenthesesDoNotCountAsNesting) {
  DeviceFilterLimits limits;
  limits.max_nesting = 1;
  EXPECT_TRUE(DeviceFilter::Parse(Join({"(", kA, ") -or (", kB, ") -or (", kC, ")"}), limits).ok());
}

TEST(DeviceFilterLimits, ListItemsBeyondTheLimitAreRejected) {
  DeviceFilterLimits limits;
  limits.max_list_items = 3;
  EXPECT_TRUE(DeviceFilter::Parse(R"(device.model -in ["a","b","c"])", limits).ok());
  EXPECT_EQ(ParseError(R"(device.model -in ["a","b","c","d"])", limits),
            "position 31: expected at most 3 items in the list, found more");
}

TEST(DeviceFilterLimits, DefaultListLimitIs500Items) {
  std::string rule = "device.model -in [";
  for (int i = 0; i < 500; ++i) rule += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  EXPECT_TRUE(DeviceFilter::Parse(rule + "]").ok());
  EXPECT_THAT(ParseError(rule + ",\"500\"]"),
              HasSubstr("expected at most 500 items in the list, found more"));
}

}  // namespace
}  // namespace gatehouse::devicefilter
