#include "bench/ca/tenant_generator.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>

#include "ca/policy_codec.h"
#include "directory/directory_codec.h"
#include "fmt/format.h"

namespace gatehouse::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// splitmix64: tiny, fast and identical on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint32_t Below(std::uint32_t n) { return static_cast<std::uint32_t>(Next() % n); }
  int Between(int lo, int hi) { return lo + static_cast<int>(Below(hi - lo + 1)); }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  std::string Guid() {
    std::uint64_t a = Next(), b = Next();
    return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xFFFF,
                       a & 0xFFF, 0x8000 | ((b >> 48) & 0x3FFF), b & 0xFFFFFFFFFFFFull);
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(static_cast<std::uint32_t>(items.size()))];
  }
  // `count` distinct items (fewer when the list is shorter).
  template <typename T>
  std::vector<T> Sample(const std::vector<T>& items, std::size_t count) {
    std::vector<T> copy = items;
    count = std::min(count, copy.size());
    for (std::size_t i = 0; i < count; ++i) {
      std::swap(copy[i], copy[i + Below(static_cast<std::uint32_t>(copy.size() - i))]);
    }
    copy.resize(count);
    return copy;
  }
  // Index drawn by weight.
  std::size_t Weighted(std::initializer_list<double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Unit() * total;
    std::size_t i = 0;
    for (double w : weights) {
      if (x < w) return i;
      x -= w;
      ++i;
    }
    return weights.size() - 1;
  }

 private:
  std::uint64_t state_;
};

// Microsoft's well-known appIds (the same lists as src/ca/well_known_apps.cc).
const std::vector<std::string> kOfficeApps = {
    "67ad5377-2d78-4ac2-a867-6300cda00e85", "00000002-0000-0ff1-ce00-000000000000",
    "00000003-0000-0ff1-ce00-000000000000", "00000004-0000-0ff1-ce00-000000000000",
    "00000005-0000-0ff1-ce00-000000000000", "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
    "1fec8e78-bce4-4aaf-ab1b-5451cc387264", "09abbdfd-ed23-44ee-a2d9-a627aa1c90f3",
    "c9a559d2-7aab-4f13-a6ed-e7e9c52aec87", "cf53fce8-def6-4aeb-8d30-b158e7b1cf83",
    "d3590ed6-52b3-4102-aeff-aad2292ab01c", "4345a7b9-9a63-4910-a426-35363201d503"};
const std::vector<std::string> kAdminPortalApps = {
    "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "00000006-0000-0ff1-ce00-000000000000",
    "497effe9-df71-4043-a8bb-14cf78c4b63b", "80ccca67-54bd-44ab-8625-4b79c4dc7775",
    "0000000a-0000-0000-c000-000000000000", "2793995e-0a7d-40d7-bd35-6968ba142197"};
constexpr const char* kIntuneEnrollmentApp = "d4ebce55-015a-49b5-a083-c84d1797ae8c";
constexpr const char* kIntuneApp = "0000000a-0000-0000-c000-000000000000";
constexpr const char* kDirectorySyncRole = "d29b2b05-8046-44ba-8758-1e26182fcf32";
constexpr const char* kPhishingResistantStrength = "00000000-0000-0000-0000-000000000004";

// The privileged roles j0eyv's CA105 targets.
const std::vector<std::string> kAdminRoles = {
    "62e90394-69f5-4237-9190-012177145e10", "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe", "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f", "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "158c047a-c907-4556-b7ef-446551a6b5f7", "966707d0-3269-4727-9be2-8c3a10f19b9d",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451", "3a2c62db-5318-420d-8d74-23affee5d9d5",
    "db506228-d27e-4b7d-95e5-295956d6615f", "6b942400-691f-4bf0-9d12-d8a254a2baf5",
    "d2562ede-74db-457e-a7b6-544e236ebb61", "e93e3737-fa85-474a-aee4-7d3fb86510f3",
    "b6a27b2b-f905-4b2e-81b5-0d90e0ef1fdb", "1707125e-0aa2-4d4d-8655-a7c786c76a25",
    "69091246-20e8-4a56-aa4d-066075b2a7a8", "11451d60-acb2-45eb-a7d6-43d0f0125c13"};

const std::vector<std::string> kAllGuestTypes = {
    "internalGuest", "b2bCollaborationGuest", "b2bCollaborationMember",
    "b2bDirectConnectUser", "otherExternalUser", "serviceProvider"};

struct CountryLocationSpec {
  const char* name;
  std::vector<std::string> countries;
  bool include_unknown;
};

const std::vector<CountryLocationSpec> kCountryLocations = {
    {"ALLOWED COUNTRIES", {"BE", "LU", "NL"}, false},
    {"ALLOWED COUNTRIES - SERVICE ACCOUNTS", {"NL"}, false},
    {"EU MEMBER STATES",
     {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
      "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"},
     false},
    {"BLOCKED COUNTRIES", {"KP", "IR", "SY", "CU", "RU", "BY"}, false},
    {"SALES TRAVEL",
     {"US", "GB", "DE", "FR", "ES", "IT", "CH", "SE", "NO", "DK", "JP", "SG", "AU", "CA"},
     false},
    {"HIGH RISK REGIONS", {"CN", "RU", "NG", "VN", "KP"}, true},
    {"NORTH AMERICA", {"US", "CA", "MX"}, false},
    {"APAC", {"JP", "SG", "AU", "NZ", "IN", "KR"}, false},
    {"LATAM", {"BR", "AR", "CL", "CO", "MX", "PE"}, false},
    {"UK AND IRELAND", {"GB", "IE"}, false},
    {"DACH", {"DE", "AT", "CH"}, false},
    {"NORDICS", {"SE", "NO", "DK", "FI", "IS"}, false},
};

struct IpLocationSpec {
  const char* name;
  bool trusted;
  int ranges;
  const char* country;  // where its addresses are
};

const std::vector<IpLocationSpec> kIpLocations = {
    {"HQ AMSTERDAM", true, 6, "NL"},        {"OFFICE BRUSSELS", true, 3, "BE"},
    {"DATACENTER", true, 8, "NL"},          {"VPN EGRESS", true, 4, "NL"},
    {"PARTNER NETWORKS", false, 25, "DE"},  {"KNOWN BAD - TOR EXITS", false, 120, "RU"},
    {"GUEST WIFI", false, 2, "NL"},         {"CLOUD PROVIDERS", false, 60, "US"},
};

// Where public sign-ins come from (weights sum to 100).
const std::vector<std::pair<const char*, int>> kSignInCountries = {
    {"NL", 35}, {"BE", 12}, {"LU", 3}, {"DE", 7}, {"US", 12}, {"GB", 6}, {"FR", 5},
    {"ES", 3},  {"IT", 2},  {"SE", 2}, {"JP", 2}, {"IN", 2},  {"BR", 2}, {"CN", 2},
    {"RU", 1},  {"NG", 1},  {"CH", 2}, {"AU", 1}, {"IE", 1},  {"KP", 1}};

std::string RandomPublicIpv4(Rng& rng) {
  int a;
  do {
    a = rng.Between(11, 223);
  } while (a == 127 || a == 172 || a == 192 || a == 169 || a == 100);
  return fmt::format("{}.{}.{}.{}", a, rng.Below(256), rng.Below(256), rng.Between(1, 254));
}

struct Directory {
  std::vector<std::string> org_groups, dept_groups, team_groups, exclusion_groups;
  std::string break_glass_group, service_account_group;
  std::vector<std::string> break_glass_users;
  std::vector<std::string> named_location_ids;  // in kCountryLocations, then kIpLocations order
  std::string trusted_location(std::size_t i) const {
    return named_location_ids[kCountryLocations.size() + i];
  }
  std::string country_location(std::size_t i) const { return named_location_ids[i]; }
};

// Policy kinds in the mix of the real baselines (j0eyv's 36 policies scaled to 195).
enum class Kind {
  kMfaAllUsers,
  kBlockLegacyAuth,
  kAdminRolesMfa,
  kAdminPhishingResistant,
  kAdminSession,
  kCompliantDevicePlatform,
  kDeviceFilterExclude,
  kDeviceFilterInclude,
  kCountryBlock,
  kIpBlock,
  kTrustedOnlyServiceAccounts,
  kSignInRisk,
  kUserRisk,
  kGuestsMfa,
  kGuestsBlockApps,
  kAppSpecific,
  kUnknownPlatformBlock,
  kRegisterSecurityInfo,
  kAuthFlows,
  kDataProtectionSession,
};

const std::vector<std::pair<Kind, int>> kMix = {
    {Kind::kMfaAllUsers, 15},          {Kind::kBlockLegacyAuth, 8},
    {Kind::kAdminRolesMfa, 12},        {Kind::kAdminPhishingResistant, 8},
    {Kind::kAdminSession, 6},          {Kind::kCompliantDevicePlatform, 25},
    {Kind::kDeviceFilterExclude, 15},  {Kind::kDeviceFilterInclude, 5},
    {Kind::kCountryBlock, 10},         {Kind::kIpBlock, 6},
    {Kind::kTrustedOnlyServiceAccounts, 5}, {Kind::kSignInRisk, 12},
    {Kind::kUserRisk, 8},              {Kind::kGuestsMfa, 8},
    {Kind::kGuestsBlockApps, 6},       {Kind::kAppSpecific, 29},
    {Kind::kUnknownPlatformBlock, 4},  {Kind::kRegisterSecurityInfo, 3},
    {Kind::kAuthFlows, 3},             {Kind::kDataProtectionSession, 7},
};

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kMfaAllUsers: return "Global-IdentityProtection-AnyApp-MFA";
    case Kind::kBlockLegacyAuth: return "Global-IdentityProtection-BLOCK-LegacyAuthentication";
    case Kind::kAdminRolesMfa: return "Admins-IdentityProtection-MFA";
    case Kind::kAdminPhishingResistant: return "Admins-IdentityProtection-PhishingResistantMFA";
    case Kind::kAdminSession: return "Admins-IdentityProtection-Session";
    case Kind::kCompliantDevicePlatform: return "Internals-BaseProtection-CompliantDevice";
    case Kind::kDeviceFilterExclude: return "Internals-IdentityProtection-UnmanagedDevices";
    case Kind::kDeviceFilterInclude: return "Admins-AttackSurfaceReduction-DeviceFilter";
    case Kind::kCountryBlock: return "Global-AttackSurfaceReduction-BLOCK-CountryWhitelist";
    case Kind::kIpBlock: return "Global-AttackSurfaceReduction-BLOCK-IpRanges";
    case Kind::kTrustedOnlyServiceAccounts:
      return "ServiceAccounts-AttackSurfaceReduction-BLOCK-UntrustedLocations";
    case Kind::kSignInRisk: return "Internals-IdentityProtection-SignInRisk";
    case Kind::kUserRisk: return "Internals-IdentityProtection-UserRisk";
    case Kind::kGuestsMfa: return "GuestUsers-IdentityProtection-MFA";
    case Kind::kGuestsBlockApps: return "GuestUsers-AttackSurfaceReduction-BLOCK-NonGuestApps";
    case Kind::kAppSpecific: return "Internals-AppProtection-SelectedApps";
    case Kind::kUnknownPlatformBlock: return "Internals-AttackSurfaceReduction-BLOCK-UnknownPlatforms";
    case Kind::kRegisterSecurityInfo: return "Global-BaseProtection-RegisterSecurityInfo-MFA";
    case Kind::kAuthFlows: return "Global-IdentityProtection-BLOCK-AuthenticationFlows";
    case Kind::kDataProtectionSession: return "Global-DataProtection-Office365-Session";
  }
  return "Unknown";
}

json Grant(std::vector<std::string> controls, const char* op = "OR") {
  return {{"operator", op}, {"builtInControls", std::move(controls)}};
}

json SignInFrequency(int hours) {
  return {{"value", hours}, {"type", "hours"}, {"isEnabled", true},
          {"frequencyInterval", "timeBased"},
          {"authenticationType", "primaryAndSecondaryAuthentication"}};
}

class PolicyFactory {
 public:
  PolicyFactory(Rng& rng, const Directory& dir, const SignInUniverse& universe)
      : rng_(rng), dir_(dir), universe_(universe) {}

  json Make(Kind kind, int number, const TenantShape& shape) {
    json policy;
    policy["@odata.type"] = "#microsoft.graph.conditionalAccessPolicy";
    policy["id"] = rng_.Guid();
    policy["displayName"] = fmt::format("CA{:03}-{}", number, KindName(kind));
    double r = rng_.Unit();
    policy["state"] = r < shape.disabled_share ? "disabled"
                      : r < shape.disabled_share + shape.report_only_share
                          ? "enabledForReportingButNotEnforced"
                          : "enabled";
    policy["createdDateTime"] = "2024-05-24T09:26:17Z";
    json& c = policy["conditions"];
    c["clientAppTypes"] = json::array({"all"});
    c["applications"] = {{"includeApplications", json::array({"All"})}};
    policy["grantControls"] = nullptr;
    policy["sessionControls"] = nullptr;
    Fill(kind, policy, c);
    return policy;
  }

 private:
  json AllUsersExcluded() {
    json users = {{"includeUsers", json::array({"All"})}};
    std::vector<std::string> groups = {dir_.break_glass_group};
    for (const auto& g : rng_.Sample(dir_.exclusion_groups, rng_.Below(4))) groups.push_back(g);
    users["excludeGroups"] = groups;
    if (rng_.Chance(0.3)) users["excludeUsers"] = dir_.break_glass_users;
    return users;
  }
  json SomeGroups(int lo, int hi) {
    std::vector<std::string> groups;
    int n = rng_.Between(lo, hi);
    for (int i = 0; i < n; ++i) {
      switch (rng_.Weighted({2, 5, 3})) {
        case 0: groups.push_back(rng_.Pick(dir_.org_groups)); break;
        case 1: groups.push_back(rng_.Pick(dir_.dept_groups)); break;
        default: groups.push_back(rng_.Pick(dir_.team_groups)); break;
      }
    }
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
    json users = {{"includeGroups", groups}};
    std::vector<std::string> exclude = {dir_.break_glass_group};
    if (rng_.Chance(0.5)) exclude.push_back(rng_.Pick(dir_.exclusion_groups));
    users["excludeGroups"] = exclude;
    return users;
  }
  json AdminRoles() {
    return {{"includeRoles", rng_.Sample(kAdminRoles, rng_.Between(4, 24))},
            {"excludeGroups", json::array({dir_.break_glass_group})}};
  }
  json Guests() {
    std::vector<std::string> types = rng_.Chance(0.6)
                                         ? kAllGuestTypes
                                         : rng_.Sample(kAllGuestTypes, rng_.Between(1, 3));
    std::string joined;
    for (const auto& t : types) joined += (joined.empty() ? "" : ",") + t;
    return {{"includeGuestsOrExternalUsers",
             {{"guestOrExternalUserTypes", joined},
              {"externalTenants",
               {{"@odata.type", "#microsoft.graph.conditionalAccessAllExternalTenants"},
                {"membershipKind", "all"}}}}},
            {"excludeGroups", json::array({dir_.break_glass_group})}};
  }
  std::vector<std::string> SomeCustomApps(int lo, int hi) {
    return rng_.Sample(universe_.custom_apps, rng_.Between(lo, hi));
  }
  json ExcludeTrustedOr(const std::vector<std::string>& extra) {
    std::vector<std::string> exclude = extra;
    if (rng_.Chance(0.5)) {
      exclude.push_back("AllTrusted");
    } else {
      exclude.push_back(dir_.trusted_location(rng_.Below(4)));
    }
    return {{"includeLocations", json::array({"All"})}, {"excludeLocations", exclude}};
  }

  void Fill(Kind kind, json& policy, json& c) {
    switch (kind) {
      case Kind::kMfaAllUsers:
        c["users"] = AllUsersExcluded();
        c["users"]["excludeRoles"] = json::array({kDirectorySyncRole});
        if (rng_.Chance(0.3)) c["applications"]["includeApplications"] = {"Office365"};
        if (rng_.Chance(0.3)) {
          c["applications"]["excludeApplications"] = {kIntuneEnrollmentApp};
        }
        policy["grantControls"] = Grant({"mfa"});
        break;
      case Kind::kBlockLegacyAuth:
        c["users"] = AllUsersExcluded();
        c["clientAppTypes"] = {"exchangeActiveSync", "other"};
        policy["grantControls"] = Grant({"block"});
        break;
      case Kind::kAdminRolesMfa:
        c["users"] = AdminRoles();
        if (rng_.Chance(0.4)) c["applications"]["includeApplications"] = {"MicrosoftAdminPortals"};
        policy["grantControls"] = Grant({"mfa"});
        break;
      case Kind::kAdminPhishingResistant:
        c["users"] = AdminRoles();
        c["applications"]["excludeApplications"] = {"14d82eec-204b-4c2f-b7e8-296a70dab67e"};
        policy["grantControls"] = {
            {"operator", "OR"},
            {"builtInControls", json::array()},
            {"authenticationStrength",
             {{"id", kPhishingResistantStrength}, {"displayName", "Phishing-resistant MFA"}}}};
        break;
      case Kind::kAdminSession: {
        c["users"] = AdminRoles();
        json session;
        switch (rng_.Below(3)) {
          case 0: session["signInFrequency"] = SignInFrequency(rng_.Between(1, 8)); break;
          case 1: session["persistentBrowser"] = {{"mode", "never"}, {"isEnabled", true}}; break;
          default: session["continuousAccessEvaluation"] = {{"mode", "strictLocation"}}; break;
        }
        policy["sessionControls"] = session;
        break;
      }
      case Kind::kCompliantDevicePlatform: {
        c["users"] = rng_.Chance(0.3) ? AllUsersExcluded() : SomeGroups(1, 4);
        c["applications"]["excludeApplications"] = {kIntuneApp, kIntuneEnrollmentApp};
        switch (rng_.Below(3)) {
          case 0:
            c["platforms"] = {{"includePlatforms", {"windows"}}};
            policy["grantControls"] = Grant({"compliantDevice", "domainJoinedDevice"});
            break;
          case 1:
            c["platforms"] = {{"includePlatforms", {"macOS"}}};
            policy["grantControls"] = Grant({"compliantDevice"});
            break;
          default:
            c["platforms"] = {{"includePlatforms", {"iOS", "android"}}};
            policy["grantControls"] = Grant({"compliantDevice", "compliantApplication"});
            break;
        }
        break;
      }
      case Kind::kDeviceFilterExclude: {
        c["users"] = SomeGroups(1, 3);
        c["platforms"] = {{"includePlatforms", {"windows", "macOS"}}};
        const char* rule = rng_.Chance(0.6)
                               ? "device.deviceOwnership -eq \"Company\" -or device.isCompliant "
                                 "-eq True"
                               : "device.trustType -eq \"ServerAD\" -or device.isCompliant -eq True";
        c["devices"] = {{"deviceFilter", {{"mode", "exclude"}, {"rule", rule}}}};
        if (rng_.Chance(0.5)) {
          policy["sessionControls"] = {{"signInFrequency", SignInFrequency(12)}};
        } else {
          policy["grantControls"] = Grant({"mfa"});
        }
        break;
      }
      case Kind::kDeviceFilterInclude: {
        const char* rule;
        if (rng_.Chance(0.5)) {
          c["users"] = AdminRoles();
          c["applications"]["includeApplications"] = {"MicrosoftAdminPortals"};
          rule = "device.extensionAttribute1 -ne \"PAW\"";
        } else {
          c["users"] = SomeGroups(1, 3);
          rule = "device.model -startsWith \"Virtual\" -or device.manufacturer -eq \"QEMU\"";
        }
        c["devices"] = {{"deviceFilter", {{"mode", "include"}, {"rule", rule}}}};
        policy["grantControls"] = Grant({"block"});
        break;
      }
      case Kind::kCountryBlock: {
        c["users"] = AllUsersExcluded();
        // ALLOWED COUNTRIES, EU, SALES TRAVEL, NORTH AMERICA: blocks the rest of the world.
        std::vector<std::string> allowed = {dir_.country_location(0), dir_.country_location(2),
                                            dir_.country_location(4), dir_.country_location(6)};
        c["locations"] = ExcludeTrustedOr(allowed);
        policy["grantControls"] = Grant({"block"});
        break;
      }
      case Kind::kIpBlock: {
        c["users"] = AllUsersExcluded();
        std::vector<std::string> include = {dir_.trusted_location(5)};  // KNOWN BAD
        if (rng_.Chance(0.5)) include.push_back(dir_.country_location(3));  // BLOCKED COUNTRIES
        if (rng_.Chance(0.3)) include.push_back(dir_.trusted_location(7));  // CLOUD PROVIDERS
        c["locations"] = {{"includeLocations", include}};
        policy["grantControls"] = Grant({"block"});
        break;
      }
      case Kind::kTrustedOnlyServiceAccounts:
        c["users"] = {{"includeGroups", {dir_.service_account_group}},
                      {"excludeGroups", {dir_.break_glass_group}}};
        c["locations"] = {{"includeLocations", {"All"}},
                          {"excludeLocations", {"AllTrusted", dir_.country_location(1)}}};
        policy["grantControls"] = Grant({"block"});
        break;
      case Kind::kSignInRisk:
        c["users"] = rng_.Chance(0.6) ? AllUsersExcluded() : SomeGroups(1, 3);
        if (rng_.Chance(0.5)) {
          c["signInRiskLevels"] = {"high"};
          policy["grantControls"] = Grant({"block"});
        } else {
          c["signInRiskLevels"] = {"medium", "high"};
          policy["grantControls"] = Grant({"mfa"});
          policy["sessionControls"] = {{"signInFrequency",
                                        {{"isEnabled", true}, {"frequencyInterval", "everyTime"}}}};
        }
        break;
      case Kind::kUserRisk:
        c["users"] = AllUsersExcluded();
        c["userRiskLevels"] = {"high"};
        policy["grantControls"] = Grant({"mfa", "passwordChange"}, "AND");
        break;
      case Kind::kGuestsMfa:
        c["users"] = Guests();
        policy["grantControls"] = Grant({"mfa"});
        if (rng_.Chance(0.5)) {
          policy["sessionControls"] = {{"signInFrequency", SignInFrequency(rng_.Between(1, 24))}};
        }
        break;
      case Kind::kGuestsBlockApps: {
        c["users"] = Guests();
        std::vector<std::string> allowed = rng_.Sample(universe_.office_apps, rng_.Between(2, 5));
        for (const auto& app : SomeCustomApps(1, 4)) allowed.push_back(app);
        c["applications"]["excludeApplications"] = allowed;
        policy["grantControls"] = Grant({"block"});
        break;
      }
      case Kind::kAppSpecific:
        c["users"] = SomeGroups(1, 4);
        c["applications"]["includeApplications"] = SomeCustomApps(1, 5);
        switch (rng_.Below(4)) {
          case 0: policy["grantControls"] = Grant({"mfa"}); break;
          case 1: policy["grantControls"] = Grant({"compliantDevice", "mfa"}); break;
          case 2:
            c["platforms"] = {{"includePlatforms", {"iOS", "android"}}};
            c["clientAppTypes"] = {"mobileAppsAndDesktopClients"};
            policy["grantControls"] = Grant({"approvedApplication", "compliantApplication"});
            break;
          default:
            c["clientAppTypes"] = {"browser"};
            policy["grantControls"] = Grant({"mfa", "compliantDevice"}, "AND");
            break;
        }
        break;
      case Kind::kUnknownPlatformBlock:
        c["users"] = AllUsersExcluded();
        c["platforms"] = {{"includePlatforms", {"all"}},
                          {"excludePlatforms", {"android", "iOS", "windows", "macOS", "linux"}}};
        policy["grantControls"] = Grant({"block"});
        break;
      case Kind::kRegisterSecurityInfo:
        c["users"] = AllUsersExcluded();
        c["applications"] = {{"includeApplications", json::array()},
                             {"includeUserActions", {"urn:user:registersecurityinfo"}}};
        c["locations"] = {{"includeLocations", {"All"}}, {"excludeLocations", {"AllTrusted"}}};
        policy["grantControls"] = Grant({"mfa"});
        // Entra does not offer report-only for user actions.
        if (policy["state"] == "enabledForReportingButNotEnforced") policy["state"] = "enabled";
        break;
      case Kind::kAuthFlows:
        c["users"] = AllUsersExcluded();
        c["authenticationFlows"] = {{"transferMethods", "deviceCodeFlow,authenticationTransfer"}};
        policy["grantControls"] = Grant({"block"});
        break;
      case Kind::kDataProtectionSession: {
        c["users"] = AllUsersExcluded();
        c["applications"]["includeApplications"] = {"Office365"};
        c["clientAppTypes"] = {"browser"};
        if (rng_.Chance(0.5)) {
          c["devices"] = {{"deviceFilter",
                           {{"mode", "exclude"},
                            {"rule", "device.isCompliant -eq True -or device.trustType -eq "
                                     "\"ServerAD\""}}}};
        }
        if (rng_.Chance(0.5)) {
          policy["sessionControls"] = {{"applicationEnforcedRestrictions", {{"isEnabled", true}}}};
        } else {
          policy["sessionControls"] = {
              {"cloudAppSecurity", {{"isEnabled", true}, {"cloudAppSecurityType", "monitorOnly"}}}};
        }
        break;
      }
    }
  }

  Rng& rng_;
  const Directory& dir_;
  const SignInUniverse& universe_;
};

const char* DeviceOs(std::size_t pick) {
  static constexpr std::array<const char*, 5> kOs = {"Windows", "iOS", "Android", "MacMDM",
                                                     "Linux"};
  return kOs[pick];
}

}  // namespace

TenantDocuments GenerateTenantDocuments(const TenantShape& shape) {
  Rng rng(shape.seed);
  TenantDocuments docs;
  SignInUniverse& u = docs.universe;
  Directory dir;

  // Applications.
  u.office_apps = kOfficeApps;
  u.admin_portal_apps = kAdminPortalApps;
  json apps = json::array();
  for (const auto& id : kOfficeApps) apps.push_back({{"appId", id}, {"displayName", "Office " + id.substr(0, 8)}});
  for (const auto& id : kAdminPortalApps) {
    apps.push_back({{"appId", id}, {"displayName", "Admin portal " + id.substr(0, 8)}});
  }
  apps.push_back({{"appId", kIntuneEnrollmentApp}, {"displayName", "Microsoft Intune Enrollment"}});
  for (int i = 0; i < shape.custom_applications; ++i) {
    std::string id = rng.Guid();
    u.custom_apps.push_back(id);
    apps.push_back({{"id", rng.Guid()}, {"appId", id}, {"displayName", fmt::format("LOB app {:02}", i)}});
  }
  docs.applications = {{"value", std::move(apps)}};

  // Named locations: country lists, then IP ranges (some trusted).
  for (const auto& spec : kCountryLocations) {
    std::string id = rng.Guid();
    dir.named_location_ids.push_back(id);
    docs.named_locations.push_back({{"@odata.type", "#microsoft.graph.countryNamedLocation"},
                                    {"id", id},
                                    {"displayName", spec.name},
                                    {"countriesAndRegions", spec.countries},
                                    {"includeUnknownCountriesAndRegions", spec.include_unknown},
                                    {"countryLookupMethod", "clientIpAddress"}});
  }
  std::vector<std::pair<std::string, std::string>> untrusted_ip_country;
  for (const auto& spec : kIpLocations) {
    std::string id = rng.Guid();
    dir.named_location_ids.push_back(id);
    json ranges = json::array();
    for (int r = 0; r < spec.ranges; ++r) {
      if (r == 0 && spec.trusted) {
        std::uint64_t h = rng.Next();
        ranges.push_back({{"@odata.type", "#microsoft.graph.iPv6CidrRange"},
                          {"cidrAddress", fmt::format("2001:db8:{:x}:{:x}::/64", (h >> 16) & 0xFFFF,
                                                      h & 0xFFFF)}});
        continue;
      }
      int prefix = spec.trusted ? (rng.Chance(0.5) ? 24 : 28) : (rng.Chance(0.7) ? 24 : 16);
      int a = rng.Between(20, 220), b = static_cast<int>(rng.Below(256)),
          cc = static_cast<int>(rng.Below(256));
      if (a == 127 || a == 172 || a == 192 || a == 169 || a == 100) a = 45;
      int last = prefix == 28 ? static_cast<int>(rng.Below(16)) * 16 : 0;
      std::string cidr = prefix == 16 ? fmt::format("{}.{}.0.0/16", a, b)
                                      : fmt::format("{}.{}.{}.{}/{}", a, b, cc, last, prefix);
      ranges.push_back({{"@odata.type", "#microsoft.graph.iPv4CidrRange"}, {"cidrAddress", cidr}});
      // A few addresses inside the range for the sign-in generator.
      for (int k = 0; k < 4; ++k) {
        std::string ip = prefix == 16   ? fmt::format("{}.{}.{}.{}", a, b, rng.Below(256),
                                                      rng.Between(1, 254))
                         : prefix == 24 ? fmt::format("{}.{}.{}.{}", a, b, cc, rng.Between(1, 254))
                                        : fmt::format("{}.{}.{}.{}", a, b, cc,
                                                      last + rng.Between(1, 14));
        (spec.trusted ? u.trusted_ips : u.untrusted_ips).push_back(ip);
        if (!spec.trusted) untrusted_ip_country.emplace_back(ip, spec.country);
      }
    }
    docs.named_locations.push_back({{"@odata.type", "#microsoft.graph.ipNamedLocation"},
                                    {"id", id},
                                    {"displayName", spec.name},
                                    {"isTrusted", spec.trusted},
                                    {"ipRanges", std::move(ranges)}});
  }

  // Groups: 20 orgs > 280 departments > teams (some nested in other teams), plus special
  // groups: break glass, service accounts and per-policy exclusion groups.
  const int groups = std::max(shape.groups, 400);
  const int orgs = 20, depts = 280, special = 40;
  const int teams = groups - orgs - depts - special;
  std::vector<std::string> group_ids(groups);
  std::vector<std::vector<std::string>> members(groups);
  for (auto& id : group_ids) id = rng.Guid();
  dir.org_groups.assign(group_ids.begin(), group_ids.begin() + orgs);
  dir.dept_groups.assign(group_ids.begin() + orgs, group_ids.begin() + orgs + depts);
  dir.team_groups.assign(group_ids.begin() + orgs + depts, group_ids.begin() + orgs + depts + teams);
  const int special_base = orgs + depts + teams;
  dir.break_glass_group = group_ids[special_base];
  dir.service_account_group = group_ids[special_base + 1];
  dir.exclusion_groups.assign(group_ids.begin() + special_base + 2, group_ids.end());
  for (int d = 0; d < depts; ++d) {
    members[rng.Below(orgs)].push_back(group_ids[orgs + d]);
    if (rng.Chance(0.1)) members[rng.Below(orgs)].push_back(group_ids[orgs + d]);
  }
  for (int t = 0; t < teams; ++t) {
    const int g = orgs + depts + t;
    members[orgs + rng.Below(depts)].push_back(group_ids[g]);
    // Project teams nested under earlier teams: deeper chains, no cycles.
    if (t > 0 && rng.Chance(0.15)) members[orgs + depts + rng.Below(t)].push_back(group_ids[g]);
  }

  // Users.
  const int users = shape.users;
  std::vector<std::string> tenants(30);
  for (auto& t : tenants) t = rng.Guid();
  json user_docs = json::array();
  u.user_ids.reserve(users);
  u.user_is_guest.reserve(users);
  std::vector<int> member_users;
  for (int i = 0; i < users; ++i) {
    std::string id = rng.Guid();
    const bool guest = rng.Chance(shape.guest_share);
    json user = {{"id", id}, {"displayName", fmt::format("User {}", i)}, {"accountEnabled", true}};
    if (guest) {
      user["userType"] = "Guest";
      user["userPrincipalName"] = fmt::format("guest{}_partner.example#EXT#@contoso.example", i);
      std::size_t kind = rng.Weighted({80, 8, 6, 6});
      static constexpr std::array<const char*, 4> kTypes = {
          "b2bCollaborationGuest", "b2bCollaborationMember", "b2bDirectConnectUser",
          "otherExternalUser"};
      user["externalUserType"] = kTypes[kind];
      user["externalTenantId"] = rng.Pick(tenants);
      if (rng.Chance(0.3)) members[orgs + depts + rng.Below(teams)].push_back(id);
    } else {
      user["userType"] = "Member";
      user["userPrincipalName"] = fmt::format("user{}@contoso.example", i);
      member_users.push_back(i);
      int memberships = rng.Between(1, 4);
      for (int m = 0; m < memberships; ++m) members[orgs + depts + rng.Below(teams)].push_back(id);
    }
    u.user_ids.push_back(id);
    u.user_is_guest.push_back(guest);
    user_docs.push_back(std::move(user));
  }
  // Special groups.
  auto random_member = [&] { return u.user_ids[member_users[rng.Below(member_users.size())]]; };
  for (int k = 0; k < 2; ++k) {
    dir.break_glass_users.push_back(random_member());
    members[special_base].push_back(dir.break_glass_users.back());
  }
  std::vector<std::string> service_accounts;
  for (int k = 0; k < 50; ++k) {
    service_accounts.push_back(random_member());
    members[special_base + 1].push_back(service_accounts.back());
  }
  for (int g = special_base + 2; g < groups; ++g) {
    int n = rng.Between(5, 200);
    for (int k = 0; k < n; ++k) members[g].push_back(random_member());
  }
  json group_docs = json::array();
  for (int g = 0; g < groups; ++g) {
    std::string name = g < orgs                       ? fmt::format("ORG-{:02}", g)
                       : g < orgs + depts             ? fmt::format("DEPT-{:03}", g - orgs)
                       : g < special_base             ? fmt::format("TEAM-{:04}", g - orgs - depts)
                       : g == special_base            ? std::string("CA-BreakGlassAccounts")
                       : g == special_base + 1        ? std::string("CA-ServiceAccounts")
                                                      : fmt::format("CA-Exclusions-{:02}", g - special_base - 2);
    std::sort(members[g].begin(), members[g].end());
    members[g].erase(std::unique(members[g].begin(), members[g].end()), members[g].end());
    group_docs.push_back({{"id", group_ids[g]}, {"displayName", name}, {"members", members[g]}});
  }
  docs.groups = {{"value", std::move(group_docs)}};
  docs.users = {{"value", std::move(user_docs)}};

  // Directory roles: ~300 admins with one or two privileged roles; sync accounts.
  std::vector<std::vector<std::string>> holders(kAdminRoles.size());
  for (int k = 0; k < 300; ++k) {
    std::string admin = random_member();
    int n = rng.Between(1, 2);
    for (int r = 0; r < n; ++r) holders[rng.Below(kAdminRoles.size())].push_back(admin);
  }
  json roles = json::array();
  for (std::size_t r = 0; r < kAdminRoles.size(); ++r) {
    roles.push_back({{"roleTemplateId", kAdminRoles[r]}, {"members", holders[r]}});
  }
  roles.push_back({{"roleTemplateId", kDirectorySyncRole},
                   {"members", {service_accounts[0], service_accounts[1], service_accounts[2]}}});
  docs.roles = std::move(roles);

  // Devices, owned by member users.
  u.devices_of_user.resize(users);
  json device_docs = json::array();
  for (int i = 0; i < shape.devices; ++i) {
    std::string device_id = rng.Guid();
    const int owner = member_users[rng.Below(member_users.size())];
    std::size_t os = rng.Weighted({50, 18, 15, 12, 5});
    json d = {{"id", rng.Guid()}, {"deviceId", device_id}, {"operatingSystem", DeviceOs(os)},
              {"registeredOwnerId", u.user_ids[owner]}, {"accountEnabled", true}};
    const bool corporate = rng.Chance(os == 0 || os == 3 ? 0.8 : 0.45);
    d["deviceOwnership"] = corporate ? "Company" : "Personal";
    d["isManaged"] = corporate || rng.Chance(0.3);
    d["isCompliant"] = d["isManaged"].get<bool>() && rng.Chance(0.88);
    switch (os) {
      case 0: {
        d["displayName"] = fmt::format("DESKTOP-{:06X}", rng.Below(0xFFFFFF));
        d["operatingSystemVersion"] =
            rng.Chance(0.7) ? "10.0.22631.3447" : (rng.Chance(0.7) ? "10.0.19045.4291" : "10.0.17763.5696");
        d["trustType"] = !corporate ? "Workplace" : (rng.Chance(0.45) ? "ServerAd" : "AzureAd");
        std::size_t model = rng.Weighted({40, 30, 20, 6, 4});
        static constexpr std::array<const char*, 5> kMaker = {"Microsoft Corporation", "Dell Inc.",
                                                              "LENOVO", "QEMU", "Microsoft Corporation"};
        static constexpr std::array<const char*, 5> kModel = {"Surface Laptop 5", "Latitude 7440",
                                                              "ThinkPad X1 Carbon", "Standard PC",
                                                              "Virtual Machine"};
        d["manufacturer"] = kMaker[model];
        d["model"] = kModel[model];
        if (corporate && rng.Chance(0.04)) d["extensionAttributes"] = {{"extensionAttribute1", "PAW"}};
        break;
      }
      case 1:
        d["displayName"] = fmt::format("iPhone-{:05}", i);
        d["operatingSystemVersion"] = rng.Chance(0.8) ? "17.4.1" : "16.7.7";
        d["trustType"] = "Workplace";
        d["manufacturer"] = "Apple";
        d["model"] = "iPhone 15";
        break;
      case 2:
        d["displayName"] = fmt::format("Android-{:05}", i);
        d["operatingSystemVersion"] = rng.Chance(0.7) ? "14.0" : "12.0";
        d["trustType"] = "Workplace";
        d["manufacturer"] = rng.Chance(0.5) ? "samsung" : "Google";
        d["model"] = rng.Chance(0.5) ? "SM-S918B" : "Pixel 8";
        break;
      case 3:
        d["displayName"] = fmt::format("MacBook-{:05}", i);
        d["operatingSystemVersion"] = "14.4.1";
        d["trustType"] = "Workplace";
        d["manufacturer"] = "Apple";
        d["model"] = "MacBookPro18,3";
        break;
      default:
        d["displayName"] = fmt::format("linux-{:05}", i);
        d["operatingSystemVersion"] = "6.1.0";
        d["trustType"] = "Workplace";
        d["manufacturer"] = "Dell Inc.";
        d["model"] = "XPS 13";
        break;
    }
    u.devices_of_user[owner].push_back(static_cast<std::uint32_t>(u.device_ids.size()));
    u.device_ids.push_back(device_id);
    u.device_os.push_back(DeviceOs(os));
    device_docs.push_back(std::move(d));
  }
  docs.devices = {{"value", std::move(device_docs)}};

  // Policies, in a shuffled order of kinds so that kinds are spread over the policy list.
  std::vector<Kind> kinds;
  for (const auto& [kind, count] : kMix) {
    for (int k = 0; k < count; ++k) kinds.push_back(kind);
  }
  while (static_cast<int>(kinds.size()) < shape.policies) kinds.push_back(Kind::kAppSpecific);
  kinds.resize(shape.policies);
  for (std::size_t i = kinds.size(); i > 1; --i) std::swap(kinds[i - 1], kinds[rng.Below(i)]);
  PolicyFactory factory(rng, dir, u);
  for (int i = 0; i < shape.policies; ++i) docs.policies.push_back(factory.Make(kinds[i], i, shape));
  return docs;
}

absl::StatusOr<GeneratedTenant> BuildTenant(const TenantDocuments& documents) {
  GeneratedTenant tenant;
  core::ProblemList& problems = tenant.problems;
  directory::DirectoryBuilder builder;
  directory::ReadUsers(documents.users, builder, problems);
  directory::ReadGroups(documents.groups, builder, problems);
  directory::ReadRoles(documents.roles, builder, problems);
  directory::ReadApplications(documents.applications, builder, problems);
  directory::ReadDevices(documents.devices, builder, problems);
  tenant.directory = std::move(builder).Build(problems);
  for (const auto& doc : documents.named_locations) {
    auto location = location::ParseNamedLocation(doc, problems);
    if (!location.ok()) return location.status();
    tenant.named_locations.push_back(std::move(*location));
  }
  for (const auto& doc : documents.policies) {
    auto policy = ca::ParsePolicy(doc, "", problems);
    if (!policy) return absl::InternalError("generated policy does not parse: " + doc.dump());
    tenant.policies.push_back(std::move(*policy));
  }
  if (problems.has_errors()) {
    std::string message = "generated tenant has errors:";
    for (const auto& p : problems.problems()) message += "\n  " + p.ToString();
    return absl::InternalError(message);
  }
  return tenant;
}

std::vector<json> GenerateSignIns(const TenantDocuments& documents, std::size_t count,
                                  std::uint64_t seed) {
  Rng rng(seed);
  const SignInUniverse& u = documents.universe;
  std::vector<json> out;
  out.reserve(count);
  static const std::vector<std::vector<std::string>> kMethods = {
      {"password"},
      {"password", "microsoftAuthenticatorPush"},
      {"password", "softwareOath"},
      {"password", "sms"},
      {"windowsHelloForBusiness"},
      {"fido2"},
      {"deviceBasedPush"}};
  static constexpr std::array<const char*, 4> kRisk = {"none", "low", "medium", "high"};
  // Most sign-ins come from people who have a registered device (they sign in all day).
  std::vector<std::uint32_t> with_device;
  for (std::uint32_t i = 0; i < u.devices_of_user.size(); ++i) {
    if (!u.devices_of_user[i].empty()) with_device.push_back(i);
  }
  for (std::size_t n = 0; n < count; ++n) {
    const std::uint32_t user = !with_device.empty() && rng.Chance(0.7)
                                   ? rng.Pick(with_device)
                                   : rng.Below(static_cast<std::uint32_t>(u.user_ids.size()));
    json signin;
    signin["signInIdentity"] = {{"userId", u.user_ids[user]}};
    std::string app;
    switch (rng.Weighted({58, 5, 37})) {
      case 0: app = rng.Pick(u.office_apps); break;
      case 1: app = rng.Pick(u.admin_portal_apps); break;
      default: app = rng.Pick(u.custom_apps); break;
    }
    signin["signInContext"] = {{"includeApplications", {app}}};

    json conditions;
    static constexpr std::array<const char*, 4> kClient = {
        "browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other"};
    std::string client = kClient[rng.Weighted({54, 43, 1.5, 1.5})];
    conditions["clientAppType"] = client;
    json device_id = nullptr;
    std::string platform;
    const auto& devices = u.devices_of_user[user];
    if (!devices.empty() && rng.Chance(0.8)) {
      std::uint32_t d = devices[rng.Below(static_cast<std::uint32_t>(devices.size()))];
      device_id = u.device_ids[d];
      const std::string& os = u.device_os[d];
      platform = os == "Windows" ? "windows"
                 : os == "iOS"   ? "iOS"
                 : os == "Android" ? "android"
                 : os == "MacMDM"  ? "macOS"
                                   : "linux";
    } else {
      static constexpr std::array<const char*, 6> kPlatforms = {"windows", "iOS", "android",
                                                                "macOS", "linux", ""};
      platform = kPlatforms[rng.Weighted({40, 20, 18, 12, 4, 2})];
    }
    if (!platform.empty()) conditions["devicePlatform"] = platform;
    std::string ip, country;
    switch (rng.Weighted({40, 2, 58})) {
      case 0:  // corporate network
        ip = rng.Pick(u.trusted_ips);
        country = rng.Chance(0.85) ? "NL" : "BE";
        break;
      case 1:  // partner networks, blocklisted ranges, cloud
        ip = rng.Pick(u.untrusted_ips);
        country = rng.Chance(0.5) ? "DE" : (rng.Chance(0.5) ? "US" : "RU");
        break;
      default: {
        std::size_t pick = rng.Weighted({35, 12, 3, 7, 12, 6, 5, 3, 2, 2, 2, 2, 2, 2, 1, 1, 2, 1, 1, 1});
        country = kSignInCountries[pick].first;
        if (rng.Chance(0.05)) {
          std::uint64_t h = rng.Next();
          ip = fmt::format("2a02:{:x}:{:x}::{:x}", (h >> 32) & 0xFFFF, (h >> 16) & 0xFFFF,
                           h & 0xFFFF);
        } else {
          ip = RandomPublicIpv4(rng);
        }
        break;
      }
    }
    conditions["ipAddress"] = ip;
    conditions["country"] = country;
    conditions["signInRiskLevel"] = kRisk[rng.Weighted({85, 8, 5, 2})];
    conditions["userRiskLevel"] = kRisk[rng.Weighted({90, 6, 3, 1})];
    if (rng.Chance(0.01)) conditions["authenticationFlow"] = {{"transferMethod", "deviceCodeFlow"}};
    signin["signInConditions"] = std::move(conditions);

    json session;
    session["authenticationMethods"] = kMethods[rng.Weighted({22, 33, 15, 5, 14, 6, 5})];
    session["deviceId"] = device_id;
    if (client == "mobileAppsAndDesktopClients" && (platform == "iOS" || platform == "android")) {
      bool managed_app = rng.Chance(0.6);
      session["approvedClientApp"] = managed_app;
      session["appProtectionPolicy"] = managed_app && rng.Chance(0.8);
    }
    if (rng.Chance(0.01)) session["passwordChanged"] = true;
    signin["session"] = std::move(session);
    signin["time"] = fmt::format("2024-06-03T{:02}:{:02}:{:02}Z", 6 + (n / 3600) % 12,
                                 (n / 60) % 60, n % 60);
    out.push_back(std::move(signin));
  }
  return out;
}

namespace {

absl::Status WriteJson(const fs::path& path, const json& doc, int indent) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError("cannot write " + path.string());
  out << doc.dump(indent) << '\n';
  if (!out) return absl::InternalError("write failed: " + path.string());
  return absl::OkStatus();
}

std::string SafeFileName(std::string name) {
  for (char& ch : name) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_')) ch = '_';
  }
  return name;
}

}  // namespace

absl::Status WriteBundle(const TenantDocuments& documents, const std::string& dir) {
  std::error_code ec;
  const fs::path root(dir);
  fs::remove_all(root / "conditionalAccess", ec);
  fs::create_directories(root / "conditionalAccess" / "policies", ec);
  fs::create_directories(root / "conditionalAccess" / "namedLocations", ec);
  if (ec) return absl::InternalError("cannot create " + dir + ": " + ec.message());
  for (const auto& policy : documents.policies) {
    std::string name = SafeFileName(policy["displayName"].get<std::string>()) + ".json";
    absl::Status s = WriteJson(root / "conditionalAccess" / "policies" / name, policy, 2);
    if (!s.ok()) return s;
  }
  for (const auto& location : documents.named_locations) {
    std::string name = SafeFileName(location["displayName"].get<std::string>()) + ".json";
    absl::Status s = WriteJson(root / "conditionalAccess" / "namedLocations" / name, location, 2);
    if (!s.ok()) return s;
  }
  for (const auto& [file, doc] :
       std::initializer_list<std::pair<const char*, const json*>>{
           {"users.json", &documents.users},
           {"groups.json", &documents.groups},
           {"roles.json", &documents.roles},
           {"applications.json", &documents.applications},
           {"devices.json", &documents.devices}}) {
    absl::Status s = WriteJson(root / file, *doc, -1);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status WriteSignIns(const std::vector<json>& sign_ins, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError("cannot write " + path);
  for (const auto& s : sign_ins) out << s.dump() << '\n';
  if (!out) return absl::InternalError("write failed: " + path);
  return absl::OkStatus();
}

}  // namespace gatehouse::bench
