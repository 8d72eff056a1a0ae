// Randomized differential test: the compiled engine against the plain reference interpretation
// (reference_evaluator.cc) over generated tenants and sign-ins. Fixed seeds: failures reproduce.
#include <random>

#include "ca/compiled_policy_set.h"
#include "ca_test_util.h"
#include "gtest/gtest.h"
#include "reference_evaluator.h"

namespace gatehouse::ca {
namespace {

using nlohmann::json;

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  int Int(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(int percent) { return Int(100) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[Int(static_cast<int>(v.size()))]; }
  template <typename T>
  json Some(const std::vector<T>& pool, int max) {
    json out = json::array();
    int n = Int(max + 1);
    for (int i = 0; i < n; ++i) out.push_back(Pick(pool));
    return out;
  }

  std::mt19937 rng_;
};

const std::vector<std::string> kUserIds = {"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"};
const std::vector<std::string> kGroupIds = {"g0", "g1", "g2", "g3"};
const std::vector<std::string> kRoleIds = {"62e90394-69f5-4237-9190-012177145e10",
                                           "194ae4cb-b126-40b2-bd5b-6091b380977d"};
const std::vector<std::string> kApps = {"app-a", "app-b", "00000002-0000-0ff1-ce00-000000000000",
                                        "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"};
const std::vector<std::string> kPlatforms = {"android", "iOS", "windows", "macOS", "linux", "all"};
const std::vector<std::string> kClientTypes = {"browser", "mobileAppsAndDesktopClients",
                                               "exchangeActiveSync", "other", "all"};
const std::vector<std::string> kRisk = {"low", "medium", "high", "none"};
const std::vector<std::string> kControls = {"block", "mfa", "compliantDevice", "domainJoinedDevice",
                                            "approvedApplication", "compliantApplication",
                                            "passwordChange"};
const std::vector<std::string> kRules = {
    R"(device.isCompliant -eq True -and device.deviceOwnership -eq "Company")",
    R"(device.trustType -ne "ServerAD")",
    R"(device.displayName -startsWith "lap" -or device.model -in ["x1","x2"])",
    R"(device.extensionAttribute1 -eq "SAW")",
};

json RandomPolicy(Generator& g, int index) {
  json users = json::object();
  if (g.Chance(40)) {
    users["includeUsers"] = {"All"};
  } else {
    users["includeUsers"] = g.Some(kUserIds, 2);
    users["includeGroups"] = g.Some(kGroupIds, 2);
    users["includeRoles"] = g.Some(kRoleIds, 1);
    if (g.Chance(20)) users["includeUsers"].push_back("GuestsOrExternalUsers");
    if (users["includeUsers"].empty() && users["includeGroups"].empty() &&
        users["includeRoles"].empty()) {
      users["includeUsers"] = {"None"};
    }
  }
  users["excludeUsers"] = g.Some(kUserIds, 1);
  users["excludeGroups"] = g.Some(kGroupIds, 1);
  if (g.Chance(15)) {
    users["includeGuestsOrExternalUsers"] = {{"guestOrExternalUserTypes", "b2bCollaborationGuest,internalGuest"}};
  }
  json apps = json::object();
  int app_style = g.Int(10);
  if (app_style < 4) {
    apps["includeApplications"] = {"All"};
  } else if (app_style < 6) {
    apps["includeApplications"] = {g.Chance(50) ? "Office365" : "MicrosoftAdminPortals"};
  } else if (app_style < 8) {
    apps["includeApplications"] = {g.Pick(kApps)};
  } else if (app_style < 9) {
    apps["includeApplications"] = json::array();
    apps["includeUserActions"] = {g.Chance(50) ? "urn:user:registersecurityinfo"
                                               : "urn:user:registerdevice"};
  } else {
    apps["includeApplications"] = json::array();
    apps["includeAuthenticationContextClassReferences"] = {"c1"};
  }
  apps["excludeApplications"] = g.Some(kApps, 1);
  json conditions = {{"users", users}, {"applications", apps},
                     {"clientAppTypes", g.Chance(50) ? json{"all"} : g.Some(kClientTypes, 2)}};
  if (g.Chance(35)) {
    conditions["platforms"] = {{"includePlatforms", g.Some(kPlatforms, 2)},
                               {"excludePlatforms", g.Some(kPlatforms, 1)}};
    if (conditions["platforms"]["includePlatforms"].empty()) {
      conditions["platforms"]["includePlatforms"] = {"all"};
    }
  }
  if (g.Chance(35)) {
    std::vector<std::string> locs = {"loc-ip", "loc-country", "AllTrusted"};
    json include = g.Chance(50) ? json{"All"} : g.Some(locs, 2);
    if (include.empty()) include = {"All"};
    conditions["locations"] = {{"includeLocations", include},
                               {"excludeLocations", g.Some(locs, 1)}};
  }
  if (g.Chance(25)) {
    conditions["devices"] = {{"deviceFilter",
                              {{"mode", g.Chance(50) ? "include" : "exclude"}, {"rule", g.Pick(kRules)}}}};
  }
  if (g.Chance(20)) conditions["signInRiskLevels"] = g.Some(kRisk, 2);
  if (g.Chance(20)) conditions["userRiskLevels"] = g.Some(kRisk, 2);
  if (g.Chance(10)) conditions["authenticationFlows"] = {{"transferMethods", "deviceCodeFlow"}};
  json grant = {{"operator", g.Chance(50) ? "AND" : "OR"}, {"builtInControls", g.Some(kControls, 2)}};
  if (g.Chance(15)) grant["authenticationStrength"] = {{"id", "00000000-0000-0000-0000-000000000004"}};
  if (g.Chance(10)) grant["termsOfUse"] = {"tou-1"};
  if (grant["builtInControls"].empty() && !grant.contains("authenticationStrength") &&
      !grant.contains("termsOfUse")) {
    grant["builtInControls"] = {"mfa"};
  }
  std::vector<std::string> states = {"enabled", "enabled", "disabled", "enabledForReportingButNotEnforced"};
  return {{"id", "p" + std::to_string(index)},
          {"displayName", "policy " + std::to_string(index)},
          {"state", g.Pick(states)},
          {"conditions", conditions},
          {"grantControls", grant}};
}

TEST(CompiledPolicySetDifferential, AgreesWithReferenceInterpretation) {
  Generator g(20261128);
  auto directory = testing::MakeDirectory(
      R"([{"id":"u0"},{"id":"u1"},{"id":"u2"},{"id":"u3"},{"id":"u4","userType":"Guest"},
          {"id":"u5","userType":"Guest","externalTenantId":"t1"},{"id":"u6"},{"id":"u7"},
          {"id":"sp-app","userType":"Member"}])",
      R"([{"id":"g0","members":["u0","u1","g1"]},{"id":"g1","members":["u2","g2"]},
          {"id":"g2","members":["u3","u4","g0"]},{"id":"g3","members":["u5","u6"]}])",
      R"({"62e90394-69f5-4237-9190-012177145e10":["u1","u6"],"194ae4cb-b126-40b2-bd5b-6091b380977d":["u7"]})",
      R"([{"deviceId":"d0","displayName":"laptop-1","isCompliant":true,"deviceOwnership":"Company","trustType":"AzureAD"},
          {"deviceId":"d1","displayName":"desk","isCompliant":false,"trustType":"ServerAD","model":"x2"},
          {"deviceId":"d2","isCompliant":false,"trustType":"Workplace","isManaged":true,
           "extensionAttributes":{"extensionAttribute1":"SAW"}}])");
  core::ProblemList problems;
  auto ip_location = location::ParseNamedLocation(
      json::parse(R"({"@odata.type":"#microsoft.graph.ipNamedLocation","id":"loc-ip","isTrusted":true,
                      "ipRanges":[{"cidrAddress":"203.0.113.0/24"},{"cidrAddress":"2001:db8::/32"}]})"),
      problems);
  auto country_location = location::ParseNamedLocation(
      json::parse(R"({"@odata.type":"#microsoft.graph.countryNamedLocation","id":"loc-country",
                      "countriesAndRegions":["DE","NL"],"includeUnknownCountriesAndRegions":true})"),
      problems);
  ASSERT_TRUE(ip_location.ok() && country_location.ok()) << problems.ToString();
  std::vector<location::NamedLocation> locations = {*ip_location, *country_location};

  const std::vector<std::string> ips = {"203.0.113.5", "198.51.100.1", "2001:db8::7", ""};
  const std::vector<std::string> countries = {"DE", "US", ""};
  int compared = 0;
  for (int tenant = 0; tenant < 60; ++tenant) {
    std::vector<Policy> policies;
    int count = 1 + g.Int(40);
    for (int i = 0; i < count; ++i) {
      core::ProblemList policy_problems;
      auto policy = ParsePolicy(RandomPolicy(g, i), "", policy_problems);
      ASSERT_TRUE(policy.has_value()) << policy_problems.ToString();
      policies.push_back(std::move(*policy));
    }
    auto set = testing::Compile(policies, directory, locations);
    for (int n = 0; n < 60; ++n) {
      SignInContext s;
      if (g.Chance(90)) {
        std::string user = g.Chance(90) ? g.Pick(kUserIds) : "stranger";
        s.user = directory->FindUser(user);
        s.user_id = user;
        if (s.user) {
          s.external_guest_type = directory->user(*s.user).guest_type;
          s.external_tenant_id = directory->user(*s.user).external_tenant_id;
        }
      } else {
        s.subject = SubjectKind::kServicePrincipal;
        s.service_principal_id = g.Chance(50) ? "sp-app" : "other-sp";
      }
      int resource = g.Int(10);
      if (resource < 8) {
        s.applications = {g.Pick(kApps)};
      } else if (resource < 9) {
        s.resource = ResourceKind::kUserAction;
        s.user_action = g.Chance(50) ? UserAction::kRegisterDevice : UserAction::kRegisterSecurityInfo;
      } else {
        s.resource = ResourceKind::kAuthenticationContext;
        s.authentication_context = g.Chance(50) ? "c1" : "c2";
      }
      s.client_app_type = static_cast<ClientAppType>(g.Int(kClientAppTypeCount));
      s.platform = static_cast<DevicePlatform>(1 + g.Int(kDevicePlatformCount - 1));
      std::string ip = g.Pick(ips);
      if (!ip.empty()) s.origin.ip = location::IpAddress::Parse(ip);
      std::string country = g.Pick(countries);
      if (!country.empty()) s.origin.country = country;
      s.sign_in_risk = static_cast<RiskLevel>(g.Int(4));
      s.user_risk = static_cast<RiskLevel>(g.Int(4));
      s.transfer_method = static_cast<TransferMethod>(g.Int(2));
      std::vector<std::string> device_ids = {"d0", "d1", "d2", ""};
      std::string device = g.Pick(device_ids);
      s.device = device.empty() ? nullptr : directory->FindDevice(device);
      s.session.authentication_methods = static_cast<std::uint32_t>(g.Int(1 << 8));
      s.session.password_changed = g.Chance(20);
      s.session.approved_client_app = g.Chance(20);
      if (g.Chance(30)) s.session.accepted_terms_of_use = {"tou-1"};
      s.what_if = g.Chance(30);

      Decision fast = set->Evaluate(s);
      Decision slow = testing::ReferenceEvaluate(policies, locations, {}, *directory, s);
      ASSERT_EQ(fast.policy_count, slow.policy_count);
      SCOPED_TRACE("tenant " + std::to_string(tenant) + " sign-in " + std::to_string(n));
      EXPECT_EQ(fast.outcome, slow.outcome);
      EXPECT_EQ(fast.required_controls, slow.required_controls);
      EXPECT_EQ(fast.status, slow.status);
      for (std::size_t i = 0; i < fast.policy_count; ++i) {
        SCOPED_TRACE("policy " + std::to_string(i));
        EXPECT_EQ(fast.trace(i).applies, slow.trace(i).applies);
        EXPECT_EQ(fast.trace(i).result, slow.trace(i).result);
        EXPECT_EQ(fast.trace(i).failed_conditions, slow.trace(i).failed_conditions);
        EXPECT_EQ(fast.trace(i).unmet_controls, slow.trace(i).unmet_controls);
      }
      ++compared;
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_EQ(compared, 3600);
}

}  // namespace
}  // namespace gatehouse::ca
