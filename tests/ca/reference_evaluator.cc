#include "reference_evaluator.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "ca/device_properties.h"
#include "ca/well_known_apps.h"

namespace gatehouse::ca::testing {
namespace {

bool Has(const std::vector<std::string>& list, const std::string& value) {
  for (const auto& item : list) {
    if (absl::AsciiStrToLower(item) == absl::AsciiStrToLower(value)) return true;
  }
  return false;
}

struct Subject {
  std::string user_id;
  std::vector<std::string> groups, roles;
  std::uint32_t guest_type = 0;
  std::string tenant;
};

bool GuestMatches(std::uint32_t types, const std::vector<std::string>& tenants, const Subject& s) {
  if (!(types & s.guest_type)) return false;
  return tenants.empty() || Has(tenants, s.tenant);
}

bool UsersMatch(const UserCondition& c, const Subject& s) {
  bool included = c.include_all || Has(c.include_users, s.user_id) ||
                  GuestMatches(c.include_guest_types, c.include_guest_tenants, s);
  for (const auto& g : s.groups) included = included || Has(c.include_groups, g);
  for (const auto& r : s.roles) included = included || Has(c.include_roles, r);
  bool excluded = Has(c.exclude_users, s.user_id) ||
                  GuestMatches(c.exclude_guest_types, c.exclude_guest_tenants, s);
  for (const auto& g : s.groups) excluded = excluded || Has(c.exclude_groups, g);
  for (const auto& r : s.roles) excluded = excluded || Has(c.exclude_roles, r);
  return included && !excluded;
}

bool AppMatches(const ApplicationCondition& c, const SignInContext& in, std::uint32_t grant) {
  switch (in.resource) {
    case ResourceKind::kApplication:
      for (const auto& app : in.applications) {
        bool o365 = IsOffice365App(app), portal = IsAdminPortalApp(app);
        bool included = c.include_all || Has(c.include_apps, app) ||
                        (o365 && c.include_office365) || (portal && c.include_admin_portals);
        bool excluded = Has(c.exclude_apps, app) || (o365 && c.exclude_office365) ||
                        (portal && c.exclude_admin_portals);
        if (included && !excluded) return true;
      }
      return false;
    case ResourceKind::kUserAction:
      {
        const bool device_grant =
            grant & (Bit(GrantControl::kCompliantDevice) | Bit(GrantControl::kDomainJoinedDevice));
        const bool all = c.include_all &&
                         !(in.user_action == UserAction::kRegisterDevice && device_grant);
        return all || std::find(c.include_user_actions.begin(), c.include_user_actions.end(),
                                in.user_action) != c.include_user_actions.end();
      }
    case ResourceKind::kAuthenticationContext:
      return Has(c.include_auth_contexts, in.authentication_context);
  }
  return false;
}

bool PlatformMatches(const PlatformCondition& c, DevicePlatform p) {
  if (!c.configured) return true;
  bool specific = p != DevicePlatform::kUnknown && p != DevicePlatform::kAll;
  bool included = (c.include & Bit(DevicePlatform::kAll)) || (specific && (c.include & Bit(p)));
  bool excluded = (c.exclude & Bit(DevicePlatform::kAll)) || (specific && (c.exclude & Bit(p)));
  return included && !excluded;
}

bool ClientMatches(std::uint32_t types, ClientAppType t) {
  if (types == 0) return true;
  if (t == ClientAppType::kAll) return false;
  if (t == ClientAppType::kExchangeActiveSync) {
    return types & (Bit(ClientAppType::kExchangeActiveSync) | Bit(ClientAppType::kEasSupported));
  }
  return types & Bit(t);
}

bool LevelMatches(std::uint32_t levels, int level) { return levels == 0 || (levels & (1u << level)); }

}  // namespace

Decision ReferenceEvaluate(const std::vector<Policy>& policies,
                           const std::vector<location::NamedLocation>& locations,
                           const std::vector<AuthenticationStrength>& custom_strengths,
                           const directory::DirectorySnapshot& directory,
                           const SignInContext& in) {
  Decision d;
  d.Reset(policies.size());
  d.device_presented = in.device != nullptr;
  Subject subject;
  subject.user_id = in.user_id;
  subject.guest_type = in.external_guest_type;
  subject.tenant = in.external_tenant_id;
  if (in.user) {
    for (auto g : directory.GroupsOfUser(*in.user)) subject.groups.push_back(directory.group_id(g));
    for (auto r : directory.RolesOfUser(*in.user)) {
      subject.roles.push_back(directory.role_template_id(r));
    }
  }
  auto find_location = [&](const std::string& id) -> const location::NamedLocation* {
    for (const auto& l : locations) {
      if (absl::AsciiStrToLower(l.id) == id) return &l;
    }
    return nullptr;
  };
  bool trusted_match = false;
  for (const auto& l : locations) {
    if (l.is_trusted && location::LocationMatches(l, in.origin)) trusted_match = true;
  }
  DirectoryDeviceProperties device(in.device);
  bool any_applied = false, any_failed = false, blocked = false;
  std::uint32_t required = 0;
  for (std::size_t index = 0; index < policies.size(); ++index) {
    const Policy& p = policies[index];
    PolicyTrace t;
    auto fail = [&](Condition c) { t.failed_conditions |= 1u << static_cast<int>(c); };
    if (p.state == PolicyState::kDisabled) {
      t.result = PolicyResult::kNotEnabled;
      d.Record(index, p.state, t);
      continue;
    }
    // Users / workload identities.
    if (in.subject == SubjectKind::kUser) {
      if (p.client_applications.configured) {
        fail(Condition::kWorkloadIdentities);
      } else if (!UsersMatch(p.users, subject)) {
        fail(Condition::kUsers);
      }
    } else {
      const directory::Application* app = directory.FindApplication(in.service_principal_id);
      std::vector<std::string> ids = {in.service_principal_id};
      if (app) {
        ids.push_back(app->app_id);
        ids.push_back(app->id);
      }
      bool included = app && p.client_applications.include_all_service_principals;
      bool excluded = false;
      for (const auto& id : ids) {
        if (id.empty()) continue;
        included = included || Has(p.client_applications.include_service_principals, id);
        excluded = excluded || Has(p.client_applications.exclude_service_principals, id);
      }
      if (!included || excluded) fail(Condition::kWorkloadIdentities);
      if (!LevelMatches(p.service_principal_risk_levels, static_cast<int>(in.service_principal_risk))) {
        fail(Condition::kServicePrincipalRisk);
      }
    }
    if (!AppMatches(p.applications, in, p.grant.built_in)) {
      fail(in.resource == ResourceKind::kApplication   ? Condition::kApplication
           : in.resource == ResourceKind::kUserAction ? Condition::kUserActions
                                                      : Condition::kAuthenticationContext);
    }
    if (!PlatformMatches(p.platforms, in.platform)) fail(Condition::kDevicePlatform);
    if (p.locations.configured) {
      const LocationCondition& l = p.locations;
      bool known = in.origin.ip || in.origin.country;
      bool only_all = l.include_all && l.exclude_ids.empty() && !l.exclude_all_trusted;
      if (in.what_if && !known && !only_all) {
        fail(Condition::kNotEnoughInformation);
      } else {
        bool included = l.include_all || (l.include_all_trusted && trusted_match);
        for (const auto& id : l.include_ids) {
          const auto* loc = find_location(id);
          included = included || (loc && location::LocationMatches(*loc, in.origin));
        }
        bool excluded = l.exclude_all_trusted && trusted_match;
        for (const auto& id : l.exclude_ids) {
          const auto* loc = find_location(id);
          excluded = excluded || id == "*" || (loc && location::LocationMatches(*loc, in.origin));
        }
        if (!included || excluded) fail(Condition::kLocation);
      }
    }
    if (!ClientMatches(p.client_app_types, in.client_app_type)) fail(Condition::kClientApps);
    if (!LevelMatches(p.sign_in_risk_levels, static_cast<int>(in.sign_in_risk))) {
      fail(Condition::kSignInRisk);
    }
    if (!LevelMatches(p.user_risk_levels, static_cast<int>(in.user_risk))) fail(Condition::kUserRisk);
    if (!LevelMatches(p.insider_risk_levels, static_cast<int>(in.insider_risk))) {
      fail(Condition::kInsiderRisk);
    }
    if (p.devices.configured && p.devices.filter) {
      bool match = p.devices.filter->Matches(device);
      if (match != p.devices.include_mode) fail(Condition::kDevices);
    }
    if (!LevelMatches(p.transfer_methods, static_cast<int>(in.transfer_method))) {
      fail(Condition::kAuthenticationFlow);
    }
    const bool report_only = p.state == PolicyState::kReportOnly;
    if (t.failed_conditions != 0) {
      t.result = report_only ? PolicyResult::kReportOnlyNotApplied : PolicyResult::kNotApplied;
      d.Record(index, p.state, t);
      continue;
    }
    t.applies = true;
    // Grant controls, one by one.
    const GrantControls& g = p.grant;
    std::uint32_t unmet = 0;
    auto check = [&](GrantControl c, bool satisfied) {
      if ((g.built_in & Bit(c)) && !satisfied) unmet |= Bit(c);
    };
    const SessionFacts& s = in.session;
    check(GrantControl::kMfa, SatisfiesMfa(s.authentication_methods));
    bool strength_ok = false;
    for (const auto& strength : BuiltInAuthenticationStrengths()) {
      if (strength.id == g.authentication_strength_id) {
        strength_ok = SatisfiesStrength(s.authentication_methods, strength);
      }
    }
    for (const auto& strength : custom_strengths) {
      if (absl::AsciiStrToLower(strength.id) == g.authentication_strength_id) {
        strength_ok = SatisfiesStrength(s.authentication_methods, strength);
      }
    }
    check(GrantControl::kAuthenticationStrength, strength_ok);
    check(GrantControl::kCompliantDevice, in.device && in.device->is_compliant.value_or(false));
    check(GrantControl::kDomainJoinedDevice, in.device && in.device->trust_type == "ServerAD");
    check(GrantControl::kApprovedApplication, s.approved_client_app);
    check(GrantControl::kCompliantApplication, s.app_protection_policy);
    check(GrantControl::kPasswordChange, s.password_changed);
    bool tou = true;
    for (const auto& id : g.terms_of_use) tou = tou && Has(s.accepted_terms_of_use, id);
    check(GrantControl::kTermsOfUse, tou);
    bool custom = true;
    for (const auto& id : g.custom_factors) custom = custom && Has(s.satisfied_custom_controls, id);
    check(GrantControl::kCustomFactor, custom);
    check(GrantControl::kBlock, false);
    if (g.built_in & Bit(GrantControl::kBlock)) {
      unmet = Bit(GrantControl::kBlock);
    } else if (!g.require_all) {
      unmet = (unmet == g.built_in) ? g.built_in : 0;
    }
    t.unmet_controls = unmet;
    if (report_only) {
      if (unmet == 0) {
        t.result = PolicyResult::kReportOnlySuccess;
      } else {
        const std::uint32_t interactive =
            Bit(GrantControl::kMfa) | Bit(GrantControl::kAuthenticationStrength) |
            Bit(GrantControl::kPasswordChange) | Bit(GrantControl::kTermsOfUse) |
            Bit(GrantControl::kCustomFactor);
        bool prompt = g.require_all ? (unmet & ~interactive) == 0 : (g.built_in & interactive) != 0;
        if (g.built_in & Bit(GrantControl::kBlock)) prompt = false;
        t.result = prompt ? PolicyResult::kReportOnlyInterrupted : PolicyResult::kReportOnlyFailure;
      }
    } else {
      any_applied = true;
      if (unmet == 0) {
        t.result = PolicyResult::kSuccess;
      } else {
        t.result = PolicyResult::kFailure;
        any_failed = true;
        blocked = blocked || (unmet & Bit(GrantControl::kBlock));
        required |= unmet;
      }
    }
    d.Record(index, p.state, t);
  }
  if (blocked) {
    d.outcome = Outcome::kBlock;
    d.required_controls = Bit(GrantControl::kBlock);
  } else if (required) {
    d.outcome = Outcome::kInterrupt;
    d.required_controls = required;
  }
  d.status = any_failed ? AccessStatus::kFailure
             : any_applied ? AccessStatus::kSuccess
                           : AccessStatus::kNotApplied;
  return d;
}

}  // namespace gatehouse::ca::testing
