#include "ca/compiled_policy_set.h"

#include <algorithm>
#include <bit>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "ca/device_properties.h"
#include "ca/well_known_apps.h"
#include "core/text.h"

namespace gatehouse::ca {
namespace {

std::string Lower(std::string_view s) { return core::AsciiLower(s); }

constexpr std::uint32_t kInteractiveControls =
    Bit(GrantControl::kMfa) | Bit(GrantControl::kAuthenticationStrength) |
    Bit(GrantControl::kPasswordChange) | Bit(GrantControl::kTermsOfUse) |
    Bit(GrantControl::kCustomFactor);

int GuestTypeSlot(std::uint32_t guest_bit) { return std::countr_zero(guest_bit); }

template <typename Map>
const PolicyMask* Find(const Map& map, std::string_view key) {
  // Debian's Abseil hashes absl::string_view, which is not std::string_view.
  auto it = map.find(absl::string_view(key.data(), key.size()));
  return it == map.end() ? nullptr : &it->second;
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// First unmet control in prompt order decides the error code.
std::string_view ErrorCodeFor(std::uint32_t unmet, bool device_presented) {
  for (int c = 0; c < kGrantControlCount; ++c) {
    if (!(unmet & (1u << c))) continue;
    switch (static_cast<GrantControl>(c)) {
      case GrantControl::kMfa:
      case GrantControl::kAuthenticationStrength: return "50076";
      case GrantControl::kCompliantDevice: return device_presented ? "53000" : "530003";
      case GrantControl::kDomainJoinedDevice: return device_presented ? "53001" : "530003";
      case GrantControl::kApprovedApplication: return "53002";
      case GrantControl::kCompliantApplication: return "53009";
      case GrantControl::kPasswordChange: return "50142";
      case GrantControl::kTermsOfUse:
      case GrantControl::kCustomFactor: return "50158";
      case GrantControl::kBlock: return "53003";
    }
  }
  return "";
}

void MergeSession(SessionControls& into, const SessionControls& from) {
  into.application_enforced_restrictions |= from.application_enforced_restrictions;
  into.cloud_app_security = std::max(into.cloud_app_security, from.cloud_app_security);
  into.sign_in_frequency_every_time |= from.sign_in_frequency_every_time;
  if (from.sign_in_frequency_hours &&
      (!into.sign_in_frequency_hours || *from.sign_in_frequency_hours < *into.sign_in_frequency_hours)) {
    into.sign_in_frequency_hours = from.sign_in_frequency_hours;
  }
  // never > always > not set
  if (from.persistent_browser == PersistentBrowserMode::kNever ||
      into.persistent_browser == PersistentBrowserMode::kNotSet) {
    if (into.persistent_browser != PersistentBrowserMode::kNever) {
      into.persistent_browser = from.persistent_browser;
    }
  }
  into.continuous_access_evaluation =
      std::max(into.continuous_access_evaluation, from.continuous_access_evaluation);
  into.disable_resilience_defaults |= from.disable_resilience_defaults;
  into.secure_sign_in_session |= from.secure_sign_in_session;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CompiledPolicySet>> CompiledPolicySet::Compile(
    std::vector<Policy> policies, std::vector<location::NamedLocation> named_locations,
    std::vector<AuthenticationStrength> custom_strengths,
    std::shared_ptr<const directory::DirectorySnapshot> directory) {
  if (policies.size() > kMaxCompiledPolicies) {
    return absl::InvalidArgumentError("too many policies: " + std::to_string(policies.size()) +
                                      " (the engine holds at most " +
                                      std::to_string(kMaxCompiledPolicies) + ")");
  }
  if (!directory) return absl::InvalidArgumentError("no directory snapshot");
  auto set = std::shared_ptr<CompiledPolicySet>(new CompiledPolicySet());
  CompiledPolicySet& s = *set;
  s.policies_ = std::move(policies);
  s.locations_ = std::move(named_locations);
  s.directory_ = std::move(directory);
  s.strengths_ = BuiltInAuthenticationStrengths();
  for (auto& strength : custom_strengths) {
    strength.id = Lower(strength.id);
    s.strengths_.push_back(std::move(strength));
  }
  if (s.locations_.size() > 256) {
    return absl::InvalidArgumentError("too many named locations: " +
                                      std::to_string(s.locations_.size()) + " (at most 256)");
  }
  for (auto& location : s.locations_) location.id = Lower(location.id);
  s.include_by_location_.resize(s.locations_.size());
  s.exclude_by_location_.resize(s.locations_.size());
  const directory::DirectorySnapshot& dir = *s.directory_;
  s.include_by_group_.resize(dir.group_count());
  s.exclude_by_group_.resize(dir.group_count());
  s.include_by_role_.resize(dir.role_count());
  s.exclude_by_role_.resize(dir.role_count());

  auto location_index = [&](const std::string& id) -> int {
    for (std::size_t i = 0; i < s.locations_.size(); ++i) {
      if (s.locations_[i].id == id) return static_cast<int>(i);
    }
    return -1;
  };

  for (std::size_t i = 0; i < s.policies_.size(); ++i) {
    const Policy& p = s.policies_[i];
    s.valid_.Set(i);
    if (p.state == PolicyState::kEnabled) s.enabled_.Set(i);
    if (p.state == PolicyState::kReportOnly) s.report_only_.Set(i);
    if (p.state != PolicyState::kDisabled) s.evaluated_.Set(i);

    // Users and workload identities.
    const UserCondition& u = p.users;
    if (p.client_applications.configured) {
      s.workload_policies_.Set(i);
      if (p.client_applications.include_all_service_principals) {
        s.include_all_service_principals_.Set(i);
      }
      for (const auto& id : p.client_applications.include_service_principals) {
        s.include_by_sp_[id].Set(i);
      }
      for (const auto& id : p.client_applications.exclude_service_principals) {
        s.exclude_by_sp_[id].Set(i);
      }
    }
    if (u.include_all) s.include_all_users_.Set(i);
    for (const auto& id : u.include_users) s.include_by_user_id_[id].Set(i);
    for (const auto& id : u.exclude_users) s.exclude_by_user_id_[id].Set(i);
    for (const auto& id : u.include_groups) {
      if (auto g = dir.FindGroup(id)) s.include_by_group_[*g].Set(i);
    }
    for (const auto& id : u.exclude_groups) {
      if (auto g = dir.FindGroup(id)) s.exclude_by_group_[*g].Set(i);
    }
    for (const auto& id : u.include_roles) {
      if (auto r = dir.FindRole(id)) s.include_by_role_[*r].Set(i);
    }
    for (const auto& id : u.exclude_roles) {
      if (auto r = dir.FindRole(id)) s.exclude_by_role_[*r].Set(i);
    }
    for (int t = 0; t < 6; ++t) {
      if (u.include_guest_types & (1u << t)) s.include_by_guest_type_[t].Set(i);
      if (u.exclude_guest_types & (1u << t)) s.exclude_by_guest_type_[t].Set(i);
    }
    if (!u.include_guest_tenants.empty()) {
      s.guest_tenant_restrictions_.push_back(
          {static_cast<std::uint16_t>(i), true, u.include_guest_tenants});
    }
    if (!u.exclude_guest_tenants.empty()) {
      s.guest_tenant_restrictions_.push_back(
          {static_cast<std::uint16_t>(i), false, u.exclude_guest_tenants});
    }

    // Applications, user actions, authentication contexts.
    const ApplicationCondition& a = p.applications;
    if (a.include_all) s.include_all_apps_.Set(i);
    if (a.include_office365) s.include_office365_.Set(i);
    if (a.exclude_office365) s.exclude_office365_.Set(i);
    if (a.include_admin_portals) s.include_admin_portals_.Set(i);
    if (a.exclude_admin_portals) s.exclude_admin_portals_.Set(i);
    for (const auto& id : a.include_apps) s.include_by_app_[id].Set(i);
    for (const auto& id : a.exclude_apps) s.exclude_by_app_[id].Set(i);
    for (UserAction action : a.include_user_actions) {
      s.include_by_user_action_[static_cast<int>(action)].Set(i);
    }
    for (const auto& acr : a.include_auth_contexts) s.include_by_auth_context_[acr].Set(i);

    // Client app types: 0 means all.
    for (int t = 0; t < kClientAppTypeCount; ++t) {
      auto type = static_cast<ClientAppType>(t);
      bool ok = p.client_app_types == 0;
      if (type == ClientAppType::kExchangeActiveSync) {
        ok = ok || (p.client_app_types &
                    (Bit(ClientAppType::kExchangeActiveSync) | Bit(ClientAppType::kEasSupported)));
      } else if (type != ClientAppType::kAll) {
        ok = ok || (p.client_app_types & Bit(type));
      }
      if (ok) s.client_app_ok_[t].Set(i);
    }

    // Platforms: an unknown platform matches only `all` and can't be excluded by a specific one.
    for (int t = 0; t < kDevicePlatformCount; ++t) {
      auto platform = static_cast<DevicePlatform>(t);
      const PlatformCondition& pc = p.platforms;
      bool ok = true;
      if (pc.configured) {
        bool included = (pc.include & Bit(DevicePlatform::kAll)) ||
                        (platform != DevicePlatform::kUnknown && platform != DevicePlatform::kAll &&
                         (pc.include & Bit(platform)));
        bool excluded = (pc.exclude & Bit(DevicePlatform::kAll)) ||
                        (platform != DevicePlatform::kUnknown && platform != DevicePlatform::kAll &&
                         (pc.exclude & Bit(platform)));
        ok = included && !excluded;
      }
      if (ok) s.platform_ok_[t].Set(i);
    }

    // Risk: an empty list does not restrict; otherwise the level must be listed.
    for (int level = 0; level < kRiskLevelCount; ++level) {
      if (p.sign_in_risk_levels == 0 || (p.sign_in_risk_levels & (1u << level))) {
        s.sign_in_risk_ok_[level].Set(i);
      }
      if (p.user_risk_levels == 0 || (p.user_risk_levels & (1u << level))) {
        s.user_risk_ok_[level].Set(i);
      }
      if (p.service_principal_risk_levels == 0 || (p.service_principal_risk_levels & (1u << level))) {
        s.sp_risk_ok_[level].Set(i);
      }
    }
    for (int level = 0; level < kInsiderRiskLevelCount; ++level) {
      if (p.insider_risk_levels == 0 || (p.insider_risk_levels & (1u << level))) {
        s.insider_risk_ok_[level].Set(i);
      }
    }
    for (int method = 0; method < kTransferMethodCount; ++method) {
      if (p.transfer_methods == 0 || (p.transfer_methods & (1u << method))) {
        s.transfer_ok_[method].Set(i);
      }
    }

    // Locations (tables built after the loop).
    const LocationCondition& l = p.locations;
    if (!l.configured) {
      s.location_unconfigured_.Set(i);
    } else {
      bool only_all = l.include_all && l.exclude_ids.empty() && !l.exclude_all_trusted;
      if (!only_all) s.location_needs_origin_.Set(i);
      if (l.include_all) s.location_include_all_.Set(i);
      if (l.include_all_trusted) s.location_include_trusted_.Set(i);
      if (l.exclude_all_trusted) s.location_exclude_trusted_.Set(i);
      for (const auto& id : l.include_ids) {
        if (int index = location_index(id); index >= 0) s.include_by_location_[index].Set(i);
      }
      for (const auto& id : l.exclude_ids) {
        if (id == "*") s.location_exclude_everything_.Set(i);
        if (int index = location_index(id); index >= 0) s.exclude_by_location_[index].Set(i);
      }
    }

    // Device filters.
    if (!p.devices.configured || !p.devices.filter) {
      s.device_unconfigured_.Set(i);
    } else {
      s.device_filters_.emplace_back(static_cast<std::uint16_t>(i), &*p.devices.filter);
      s.device_filter_include_mode_.push_back(p.devices.include_mode);
    }

    // Grant.
    CompiledGrant g;
    g.controls = p.grant.built_in;
    g.require_all = p.grant.require_all;
    if (!p.grant.authentication_strength_id.empty()) {
      g.strength = -2;
      for (std::size_t k = 0; k < s.strengths_.size(); ++k) {
        if (s.strengths_[k].id == p.grant.authentication_strength_id) g.strength = static_cast<int>(k);
      }
    }
    if (g.controls & Bit(GrantControl::kBlock)) s.has_block_.Set(i);
    if (g.controls & (Bit(GrantControl::kCompliantDevice) | Bit(GrantControl::kDomainJoinedDevice))) {
      s.device_grant_policies_.Set(i);
    }
    s.grants_.push_back(g);
  }
  s.BuildLocationTables();

  // Per-app masks for every app a policy names or a grouping contains; other apps only match
  // "All".
  for (const auto& [app, mask] : s.include_by_app_) s.app_masks_[app] = s.AppMask(app);
  for (const auto& [app, mask] : s.exclude_by_app_) s.app_masks_[app] = s.AppMask(app);
  for (std::string_view app : WellKnownGroupedApps()) s.app_masks_[std::string(app)] = s.AppMask(app);

  // Per-device masks: device filters evaluated once per directory device, and for "no device".
  s.no_device_mask_ = s.DeviceFilterMask(nullptr);
  s.device_masks_.reserve(dir.devices().size());
  for (const directory::Device& device : dir.devices()) {
    s.device_masks_.push_back(s.DeviceFilterMask(&device));
  }

  // Per-user masks, so a sign-in costs one look-up however many groups the user is in.
  s.user_masks_.resize(dir.user_count());
  for (directory::DirectorySnapshot::UserIndex u = 0; u < dir.user_count(); ++u) {
    const directory::User& user = dir.user(u);
    s.user_masks_[u] = s.UserMask(Lower(user.id), user.guest_type, user.external_tenant_id, &u);
  }
  return std::shared_ptr<const CompiledPolicySet>(std::move(set));
}

PolicyMask CompiledPolicySet::UserMask(std::string_view user_id, std::uint32_t guest_type,
                                       std::string_view external_tenant,
                                       const directory::DirectorySnapshot::UserIndex* user) const {
  PolicyMask include = include_all_users_;
  PolicyMask exclude;
  if (const PolicyMask* m = Find(include_by_user_id_, user_id)) include |= *m;
  if (const PolicyMask* m = Find(exclude_by_user_id_, user_id)) exclude |= *m;
  if (user != nullptr) {
    for (auto g : directory_->GroupsOfUser(*user)) {
      include |= include_by_group_[g];
      exclude |= exclude_by_group_[g];
    }
    for (auto r : directory_->RolesOfUser(*user)) {
      include |= include_by_role_[r];
      exclude |= exclude_by_role_[r];
    }
  }
  if (guest_type != 0) {
    int slot = GuestTypeSlot(guest_type);
    PolicyMask guest_include = include_by_guest_type_[slot];
    PolicyMask guest_exclude = exclude_by_guest_type_[slot];
    // Typed guest targeting may be limited to some external tenants.
    for (const TenantRestriction& r : guest_tenant_restrictions_) {
      if (Contains(r.tenants, external_tenant)) continue;
      PolicyMask only;
      only.Set(r.policy);
      if (r.include) {
        guest_include = guest_include.AndNot(only);
      } else {
        guest_exclude = guest_exclude.AndNot(only);
      }
    }
    include |= guest_include;
    exclude |= guest_exclude;
  }
  return include.AndNot(exclude);
}

PolicyMask CompiledPolicySet::AppMask(std::string_view app) const {
  PolicyMask include = include_all_apps_;
  PolicyMask exclude;
  if (const PolicyMask* m = Find(include_by_app_, app)) include |= *m;
  if (const PolicyMask* m = Find(exclude_by_app_, app)) exclude |= *m;
  if (IsOffice365App(app)) {
    include |= include_office365_;
    exclude |= exclude_office365_;
  }
  if (IsAdminPortalApp(app)) {
    include |= include_admin_portals_;
    exclude |= exclude_admin_portals_;
  }
  return include.AndNot(exclude);
}

PolicyMask CompiledPolicySet::ApplicationMask(const SignInContext& sign_in) const {
  PolicyMask ok;
  switch (sign_in.resource) {
    case ResourceKind::kApplication:
      for (const std::string& app : sign_in.applications) {
        const PolicyMask* m = Find(app_masks_, app);
        ok |= m ? *m : include_all_apps_;
      }
      break;
    case ResourceKind::kUserAction:
      // "All resources" covers user actions too (Microsoft's evaluate example 3), except that
      // registering a device is carved out of device-compliance policies (ca-semantics §1.4).
      ok = include_by_user_action_[static_cast<int>(sign_in.user_action)];
      ok |= sign_in.user_action == UserAction::kRegisterDevice
                ? include_all_apps_.AndNot(device_grant_policies_)
                : include_all_apps_;
      break;
    case ResourceKind::kAuthenticationContext:
      if (const PolicyMask* m = Find(include_by_auth_context_, sign_in.authentication_context)) {
        ok = *m;
      }
      break;
  }
  return ok;
}

void CompiledPolicySet::BuildLocationTables() {
  using Address = std::array<std::uint8_t, 16>;
  // Elementary segments: every range start and every address after a range end.
  std::vector<Address> bounds;
  auto after = [](Address a, bool& overflow) {
    for (int b = 15; b >= 0; --b) {
      if (++a[b] != 0) {
        overflow = false;
        return a;
      }
    }
    overflow = true;
    return a;
  };
  for (std::size_t k = 0; k < locations_.size(); ++k) {
    const location::NamedLocation& l = locations_[k];
    if (l.is_trusted) trusted_locations_.Set(k);
    if (l.kind == location::NamedLocationKind::kIp) {
      for (const auto& [first, last] : l.ranges.intervals()) {
        bounds.push_back(first);
        bool overflow = false;
        Address next = after(last, overflow);
        if (!overflow) bounds.push_back(next);
      }
    } else if (l.kind == location::NamedLocationKind::kCountry) {
      for (const std::string& country : l.countries) country_locations_[country].Set(k);
      if (l.include_unknown_countries) unknown_country_locations_.Set(k);
    }
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  ip_segment_starts_ = bounds;
  ip_segment_locations_.assign(bounds.size(), LocationSet{});
  for (std::size_t k = 0; k < locations_.size(); ++k) {
    if (locations_[k].kind != location::NamedLocationKind::kIp) continue;
    for (const auto& [first, last] : locations_[k].ranges.intervals()) {
      auto it = std::lower_bound(bounds.begin(), bounds.end(), first);
      for (auto seg = static_cast<std::size_t>(it - bounds.begin());
           seg < bounds.size() && bounds[seg] <= last; ++seg) {
        ip_segment_locations_[seg].Set(k);
      }
    }
  }
}

CompiledPolicySet::LocationSet CompiledPolicySet::MatchedLocations(
    const location::SignInOrigin& origin) const {
  LocationSet matched;
  if (origin.ip && !ip_segment_starts_.empty()) {
    const auto& address = origin.ip->bytes();
    auto it = std::upper_bound(ip_segment_starts_.begin(), ip_segment_starts_.end(), address);
    if (it != ip_segment_starts_.begin()) {
      matched |= ip_segment_locations_[static_cast<std::size_t>(it - ip_segment_starts_.begin()) - 1];
    }
  }
  if (origin.country) {
    if (const LocationSet* m = Find(country_locations_, *origin.country)) matched |= *m;
  } else {
    matched |= unknown_country_locations_;
  }
  return matched;
}

PolicyMask CompiledPolicySet::LocationMask(const SignInContext& sign_in,
                                           PolicyMask& not_enough_information) const {
  PolicyMask ok = location_unconfigured_;
  const bool origin_known = sign_in.origin.ip.has_value() || sign_in.origin.country.has_value();
  if (sign_in.what_if && !origin_known) {
    // What If without an IP or country: conditions that need one cannot be evaluated.
    not_enough_information = location_needs_origin_;
  }
  const LocationSet matched = MatchedLocations(sign_in.origin);
  const bool trusted = (matched.words[0] & trusted_locations_.words[0]) |
                       (matched.words[1] & trusted_locations_.words[1]) |
                       (matched.words[2] & trusted_locations_.words[2]) |
                       (matched.words[3] & trusted_locations_.words[3]);
  PolicyMask include = location_include_all_;
  PolicyMask exclude = location_exclude_everything_;
  if (trusted) {
    include |= location_include_trusted_;
    exclude |= location_exclude_trusted_;
  }
  matched.ForEach([&](std::size_t k) {
    include |= include_by_location_[k];
    exclude |= exclude_by_location_[k];
  });
  ok |= include.AndNot(exclude);
  return ok.AndNot(not_enough_information);
}

PolicyMask CompiledPolicySet::DeviceFilterMask(const directory::Device* device) const {
  PolicyMask ok = device_unconfigured_;
  DirectoryDeviceProperties properties(device);
  for (std::size_t k = 0; k < device_filters_.size(); ++k) {
    bool match = device_filters_[k].second->Matches(properties);
    if (match == device_filter_include_mode_[k]) ok.Set(device_filters_[k].first);
  }
  return ok;
}

PolicyMask CompiledPolicySet::DeviceMask(const SignInContext& sign_in) const {
  if (sign_in.device == nullptr) return no_device_mask_;
  const auto& devices = directory_->devices();
  if (!devices.empty() && sign_in.device >= devices.data() &&
      sign_in.device < devices.data() + devices.size()) {
    return device_masks_[static_cast<std::size_t>(sign_in.device - devices.data())];
  }
  return DeviceFilterMask(sign_in.device);  // a device described by a What If request
}

std::uint32_t CompiledPolicySet::UnmetControls(std::size_t policy, std::uint32_t satisfied_static,
                                               const SignInContext& sign_in) const {
  const CompiledGrant& g = grants_[policy];
  std::uint32_t satisfied = satisfied_static;
  const GrantControls& spec = policies_[policy].grant;
  if (g.controls & Bit(GrantControl::kAuthenticationStrength)) {
    if (g.strength >= 0 &&
        SatisfiesStrength(sign_in.session.authentication_methods, strengths_[g.strength])) {
      satisfied |= Bit(GrantControl::kAuthenticationStrength);
    }
  }
  if (g.controls & Bit(GrantControl::kTermsOfUse)) {
    bool all = std::all_of(spec.terms_of_use.begin(), spec.terms_of_use.end(), [&](auto& id) {
      return Contains(sign_in.session.accepted_terms_of_use, id);
    });
    if (all) satisfied |= Bit(GrantControl::kTermsOfUse);
  }
  if (g.controls & Bit(GrantControl::kCustomFactor)) {
    bool all = std::all_of(spec.custom_factors.begin(), spec.custom_factors.end(), [&](auto& id) {
      return Contains(sign_in.session.satisfied_custom_controls, id);
    });
    if (all) satisfied |= Bit(GrantControl::kCustomFactor);
  }
  if (g.controls & Bit(GrantControl::kBlock)) return Bit(GrantControl::kBlock);
  std::uint32_t unmet = g.controls & ~satisfied;
  if (g.require_all) return unmet;
  // OR: one satisfied control is enough; otherwise every listed control is an alternative.
  return (g.controls & satisfied) ? 0 : g.controls;
}

Decision CompiledPolicySet::Evaluate(const SignInContext& sign_in) const {
  Decision decision;
  Evaluate(sign_in, decision);
  return decision;
}

void CompiledPolicySet::Evaluate(const SignInContext& sign_in, Decision& decision) const {
  decision.policy_count = policies_.size();
  decision.session = SessionControls{};
  decision.device_presented = sign_in.device != nullptr;
  decision.disabled = valid_.AndNot(evaluated_);
  decision.report_only = report_only_;
  decision.applied.clear();

  // One mask per condition: the policies that condition lets through.
  std::array<PolicyMask, kConditionCount> ok;
  for (auto& m : ok) m = valid_;
  if (sign_in.subject == SubjectKind::kUser) {
    // The precomputed mask holds when the sign-in's guest typing is the directory's (a What If
    // request may describe the same user as coming from another tenant).
    const bool precomputed =
        sign_in.user && sign_in.external_guest_type == directory_->user(*sign_in.user).guest_type &&
        sign_in.external_tenant_id == directory_->user(*sign_in.user).external_tenant_id;
    PolicyMask users = precomputed ? user_masks_[*sign_in.user]
                                   : UserMask(sign_in.user_id, sign_in.external_guest_type,
                                              sign_in.external_tenant_id,
                                              sign_in.user ? &*sign_in.user : nullptr);
    // A user sign-in never matches a workload-identity policy; that is reported as the workload
    // identity condition failing, not the users condition.
    users |= workload_policies_;
    ok[static_cast<int>(Condition::kUsers)] = users;
    ok[static_cast<int>(Condition::kWorkloadIdentities)] = valid_.AndNot(workload_policies_);
  } else {
    // A service principal is named by appId or object id; ServicePrincipalsInMyTenant covers the
    // single-tenant applications registered in the directory.
    PolicyMask include, exclude;
    auto add = [&](std::string_view id) {
      if (id.empty()) return;
      std::string key = Lower(id);
      if (const PolicyMask* m = Find(include_by_sp_, key)) include |= *m;
      if (const PolicyMask* m = Find(exclude_by_sp_, key)) exclude |= *m;
    };
    add(sign_in.service_principal_id);
    if (const directory::Application* app =
            directory_->FindApplication(sign_in.service_principal_id)) {
      include |= include_all_service_principals_;
      add(app->app_id);
      add(app->id);
    }
    ok[static_cast<int>(Condition::kWorkloadIdentities)] = include.AndNot(exclude);
    ok[static_cast<int>(Condition::kServicePrincipalRisk)] =
        sp_risk_ok_[static_cast<int>(sign_in.service_principal_risk)];
  }
  Condition app_condition = sign_in.resource == ResourceKind::kApplication ? Condition::kApplication
                            : sign_in.resource == ResourceKind::kUserAction
                                ? Condition::kUserActions
                                : Condition::kAuthenticationContext;
  ok[static_cast<int>(app_condition)] = ApplicationMask(sign_in);
  ok[static_cast<int>(Condition::kDevicePlatform)] = platform_ok_[static_cast<int>(sign_in.platform)];
  PolicyMask not_enough;
  // The location condition failing for lack of information is reported as such, not twice.
  ok[static_cast<int>(Condition::kLocation)] = LocationMask(sign_in, not_enough);
  ok[static_cast<int>(Condition::kLocation)] |= not_enough;
  ok[static_cast<int>(Condition::kNotEnoughInformation)] = valid_.AndNot(not_enough);
  ok[static_cast<int>(Condition::kClientApps)] =
      client_app_ok_[static_cast<int>(sign_in.client_app_type)];
  ok[static_cast<int>(Condition::kSignInRisk)] = sign_in_risk_ok_[static_cast<int>(sign_in.sign_in_risk)];
  ok[static_cast<int>(Condition::kUserRisk)] = user_risk_ok_[static_cast<int>(sign_in.user_risk)];
  ok[static_cast<int>(Condition::kInsiderRisk)] =
      insider_risk_ok_[static_cast<int>(sign_in.insider_risk)];
  ok[static_cast<int>(Condition::kDevices)] = DeviceMask(sign_in);
  ok[static_cast<int>(Condition::kAuthenticationFlow)] =
      transfer_ok_[static_cast<int>(sign_in.transfer_method)];

  PolicyMask applies = evaluated_;
  for (int c = 0; c < kConditionCount; ++c) {
    applies &= ok[c];
    decision.failed[c] = evaluated_.AndNot(ok[c]);
  }
  decision.applies = applies;

  // Controls the session satisfies regardless of policy.
  std::uint32_t satisfied = 0;
  if (SatisfiesMfa(sign_in.session.authentication_methods)) satisfied |= Bit(GrantControl::kMfa);
  if (sign_in.device && sign_in.device->is_compliant.value_or(false)) satisfied |= Bit(GrantControl::kCompliantDevice);
  if (sign_in.device && sign_in.device->trust_type == "ServerAD") {
    satisfied |= Bit(GrantControl::kDomainJoinedDevice);
  }
  if (sign_in.session.approved_client_app) satisfied |= Bit(GrantControl::kApprovedApplication);
  if (sign_in.session.app_protection_policy) satisfied |= Bit(GrantControl::kCompliantApplication);
  if (sign_in.session.password_changed) satisfied |= Bit(GrantControl::kPasswordChange);

  bool any_enforced_applied = false, any_enforced_failed = false, blocked = false;
  std::uint32_t required = 0;
  applies.ForEach([&](std::size_t i) {
    const std::uint32_t unmet = UnmetControls(i, satisfied, sign_in);
    PolicyResult result;
    if (report_only_.Test(i)) {
      if (unmet == 0) {
        result = PolicyResult::kReportOnlySuccess;
      } else {
        const std::uint32_t controls = grants_[i].controls;
        bool interactive = grants_[i].require_all ? (unmet & ~kInteractiveControls) == 0
                                                  : (controls & kInteractiveControls) != 0;
        if (controls & Bit(GrantControl::kBlock)) interactive = false;
        result = interactive ? PolicyResult::kReportOnlyInterrupted
                             : PolicyResult::kReportOnlyFailure;
      }
    } else {
      any_enforced_applied = true;
      MergeSession(decision.session, policies_[i].session);
      if (unmet == 0) {
        result = PolicyResult::kSuccess;
      } else {
        result = PolicyResult::kFailure;
        any_enforced_failed = true;
        if (unmet & Bit(GrantControl::kBlock)) blocked = true;
        required |= unmet;
      }
    }
    decision.applied.push_back({static_cast<std::uint16_t>(i), result, unmet});
  });

  // Sign-in frequency: with the time of the session's last authentication known, an interval
  // that has passed means the user must sign in again (everyTime tolerates 5 minutes of skew).
  decision.reauthentication_required = false;
  if (!blocked && sign_in.session.last_authentication_time) {
    const absl::Duration age = sign_in.time - *sign_in.session.last_authentication_time;
    const SessionControls& s = decision.session;
    decision.reauthentication_required =
        (s.sign_in_frequency_every_time && age > absl::Minutes(5)) ||
        (s.sign_in_frequency_hours && age > absl::Hours(*s.sign_in_frequency_hours));
  }

  if (blocked) {
    decision.outcome = Outcome::kBlock;
    decision.required_controls = Bit(GrantControl::kBlock);
    decision.error_code = "53003";
  } else if (required != 0) {
    decision.outcome = Outcome::kInterrupt;
    decision.required_controls = required;
    decision.error_code = ErrorCodeFor(required, decision.device_presented);
  } else if (decision.reauthentication_required) {
    // AADSTS70043: the session is older than the sign-in frequency policy allows.
    decision.outcome = Outcome::kInterrupt;
    decision.required_controls = 0;
    decision.error_code = "70043";
  } else {
    decision.outcome = Outcome::kAllow;
    decision.required_controls = 0;
    decision.error_code = "";
  }
  decision.status = any_enforced_failed    ? AccessStatus::kFailure
                    : any_enforced_applied ? AccessStatus::kSuccess
                                           : AccessStatus::kNotApplied;
}

const AuthenticationStrength* CompiledPolicySet::FindStrength(std::string_view id) const {
  std::string key = Lower(id);
  for (const auto& s : strengths_) {
    if (s.id == key) return &s;
  }
  return nullptr;
}

std::size_t CompiledPolicySet::ApproximateMemoryBytes() const {
  std::size_t bytes = sizeof(*this);
  bytes += user_masks_.capacity() * sizeof(PolicyMask);
  bytes += (include_by_group_.capacity() + exclude_by_group_.capacity() +
            include_by_role_.capacity() + exclude_by_role_.capacity()) *
           sizeof(PolicyMask);
  auto map_bytes = [](const auto& map) {
    return map.size() * (sizeof(PolicyMask) + sizeof(std::string) + 40);
  };
  bytes += map_bytes(include_by_user_id_) + map_bytes(exclude_by_user_id_) +
           map_bytes(include_by_app_) + map_bytes(exclude_by_app_) +
           map_bytes(include_by_sp_) + map_bytes(exclude_by_sp_) +
           map_bytes(include_by_auth_context_);
  bytes += policies_.size() * (sizeof(Policy) + 512);
  return bytes;
}

}  // namespace gatehouse::ca
