#include "ca/policy_codec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/json_document.h"
#include "core/text.h"
#include "directory/directory_snapshot.h"
#include "nlohmann/json.hpp"

namespace gatehouse::ca {
namespace {

using nlohmann::json;

using core::EqualsIgnoreCase;
std::string Lower(std::string_view s) { return core::AsciiLower(s); }
bool Is(std::string_view a, std::string_view b) { return EqualsIgnoreCase(a, b); }

// Reading context: the document being read and where problems go.
class Reader {
 public:
  explicit Reader(core::ProblemList& problems) : problems_(problems) {}

  void Error(const std::string& pointer, std::string message) {
    problems_.AddError(pointer, std::move(message));
  }
  void Warning(const std::string& pointer, std::string message) {
    problems_.AddWarning(pointer, std::move(message));
  }

  // The member as an object, or nullptr when absent / null. Reports other types.
  const json* Object(const json& parent, std::string_view key, const std::string& pointer) {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return nullptr;
    if (!it->is_object()) {
      Error(pointer, "expected an object, found " + std::string(it->type_name()));
      return nullptr;
    }
    return &*it;
  }

  // A list of strings (array, or comma-joined string for flag enums).
  std::vector<std::string> Tokens(const json& parent, std::string_view key,
                                  const std::string& pointer) {
    std::vector<std::string> out;
    auto it = parent.find(key);
    if (it == parent.end()) return out;
    if (!core::ReadTokenList(*it, out)) {
      Error(pointer, "expected an array of strings or a comma-separated string, found " +
                         std::string(it->type_name()));
    }
    return out;
  }

  // Ids of directory objects; warns about placeholders ("<...>") and template text.
  std::vector<std::string> Ids(const json& parent, std::string_view key, const std::string& pointer) {
    std::vector<std::string> ids = Tokens(parent, key, pointer);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const std::string& id = ids[i];
      if (id.size() > 2 && id.front() == '<' && id.back() == '>') {
        Warning(pointer + "/" + std::to_string(i),
                "'" + id + "' is a placeholder, not an object id; it matches nothing until it "
                "is replaced");
      } else if (id.find(' ') != std::string::npos) {
        Warning(pointer + "/" + std::to_string(i),
                "'" + id + "' is not an object id (template text?); it matches nothing");
      }
      ids[i] = Lower(id);
    }
    return ids;
  }

  template <typename E, typename Parse>
  std::uint32_t EnumBits(const json& parent, std::string_view key, const std::string& pointer,
                         Parse parse, const char* allowed) {
    std::uint32_t bits = 0;
    std::vector<std::string> tokens = Tokens(parent, key, pointer);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (Is(tokens[i], "unknownFutureValue")) continue;
      std::optional<E> value = parse(tokens[i]);
      if (!value) {
        Error(pointer + "/" + std::to_string(i),
              "unknown value '" + tokens[i] + "'; expected one of " + allowed);
        continue;
      }
      bits |= Bit(*value);
    }
    return bits;
  }

  bool Bool(const json& parent, std::string_view key, const std::string& pointer, bool fallback) {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return fallback;
    if (it->is_boolean()) return it->get<bool>();
    Error(pointer, "expected true or false, found " + std::string(it->type_name()));
    return fallback;
  }

  std::string String(const json& parent, std::string_view key, const std::string& pointer) {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return "";
    if (it->is_string()) return it->get<std::string>();
    Error(pointer, "expected a string, found " + std::string(it->type_name()));
    return "";
  }

 private:
  core::ProblemList& problems_;
};

std::uint32_t GuestTypes(Reader& r, const json* guests, const std::string& pointer,
                         std::vector<std::string>& tenants) {
  if (!guests) return 0;
  std::uint32_t bits = 0;
  std::vector<std::string> tokens =
      r.Tokens(*guests, "guestOrExternalUserTypes", pointer + "/guestOrExternalUserTypes");
  for (const std::string& token : tokens) {
    if (Is(token, "unknownFutureValue") || Is(token, "none")) continue;
    auto bit = directory::GuestTypeFromName(token);
    if (!bit) {
      r.Error(pointer + "/guestOrExternalUserTypes",
              "unknown guest or external user type '" + token + "'");
      continue;
    }
    bits |= *bit;
  }
  if (const json* ext = r.Object(*guests, "externalTenants", pointer + "/externalTenants")) {
    std::string kind = r.String(*ext, "membershipKind", pointer + "/externalTenants/membershipKind");
    if (Is(kind, "enumerated")) {
      tenants = r.Ids(*ext, "members", pointer + "/externalTenants/members");
      if (tenants.empty()) {
        r.Warning(pointer + "/externalTenants/members",
                  "enumerated external tenants without members match no tenant");
        tenants.push_back("");  // matches nothing
      }
    } else if (!kind.empty() && !Is(kind, "all")) {
      r.Error(pointer + "/externalTenants/membershipKind",
              "expected all or enumerated, found '" + kind + "'");
    }
  }
  return bits;
}

void ReadUsers(Reader& r, const json& conditions, Policy& policy) {
  const json* users = r.Object(conditions, "users", "/conditions/users");
  if (!users) return;
  UserCondition& u = policy.users;
  const std::string p = "/conditions/users";
  for (const std::string& id : r.Ids(*users, "includeUsers", p + "/includeUsers")) {
    if (id == "all") {
      u.include_all = true;
    } else if (id == "none") {
      u.include_none = true;
    } else if (id == "guestsorexternalusers") {
      // Legacy value: guests and B2B collaboration users of any tenant.
      u.include_guest_types |= directory::kInternalGuest | directory::kB2bCollaborationGuest |
                               directory::kB2bCollaborationMember;
    } else {
      u.include_users.push_back(id);
    }
  }
  for (const std::string& id : r.Ids(*users, "excludeUsers", p + "/excludeUsers")) {
    if (id == "guestsorexternalusers") {
      u.exclude_guest_types |= directory::kInternalGuest | directory::kB2bCollaborationGuest |
                               directory::kB2bCollaborationMember;
    } else {
      u.exclude_users.push_back(id);
    }
  }
  u.include_groups = r.Ids(*users, "includeGroups", p + "/includeGroups");
  u.exclude_groups = r.Ids(*users, "excludeGroups", p + "/excludeGroups");
  u.include_roles = r.Ids(*users, "includeRoles", p + "/includeRoles");
  u.exclude_roles = r.Ids(*users, "excludeRoles", p + "/excludeRoles");
  u.include_guest_types |= GuestTypes(
      r, r.Object(*users, "includeGuestsOrExternalUsers", p + "/includeGuestsOrExternalUsers"),
      p + "/includeGuestsOrExternalUsers", u.include_guest_tenants);
  u.exclude_guest_types |= GuestTypes(
      r, r.Object(*users, "excludeGuestsOrExternalUsers", p + "/excludeGuestsOrExternalUsers"),
      p + "/excludeGuestsOrExternalUsers", u.exclude_guest_tenants);
}

void ReadClientApplications(Reader& r, const json& conditions, Policy& policy) {
  const std::string p = "/conditions/clientApplications";
  const json* apps = r.Object(conditions, "clientApplications", p);
  if (!apps) return;
  ClientApplicationCondition& c = policy.client_applications;
  for (const std::string& id :
       r.Ids(*apps, "includeServicePrincipals", p + "/includeServicePrincipals")) {
    if (id == "serviceprincipalsinmytenant") {
      c.include_all_service_principals = true;
    } else {
      c.include_service_principals.push_back(id);
    }
  }
  c.exclude_service_principals =
      r.Ids(*apps, "excludeServicePrincipals", p + "/excludeServicePrincipals");
  c.configured = c.include_all_service_principals || !c.include_service_principals.empty();
  if (apps->contains("servicePrincipalFilter") && !(*apps)["servicePrincipalFilter"].is_null()) {
    r.Warning(p + "/servicePrincipalFilter",
              "filters on custom security attributes of service principals are not supported; "
              "the filter is ignored");
  }
}

void ReadApplications(Reader& r, const json& conditions, Policy& policy) {
  const std::string p = "/conditions/applications";
  const json* apps = r.Object(conditions, "applications", p);
  if (!apps) {
    r.Error(p, "required: the policy must target resources, user actions or an authentication "
               "context");
    return;
  }
  ApplicationCondition& a = policy.applications;
  for (const std::string& id : r.Ids(*apps, "includeApplications", p + "/includeApplications")) {
    if (id == "all") {
      a.include_all = true;
    } else if (id == "office365") {
      a.include_office365 = true;
    } else if (id == "microsoftadminportals") {
      a.include_admin_portals = true;
    } else if (id == "none") {
      // Placeholder used by templates: targets nothing.
    } else {
      a.include_apps.push_back(id);
    }
  }
  for (const std::string& id : r.Ids(*apps, "excludeApplications", p + "/excludeApplications")) {
    if (id == "office365") {
      a.exclude_office365 = true;
    } else if (id == "microsoftadminportals") {
      a.exclude_admin_portals = true;
    } else {
      a.exclude_apps.push_back(id);
    }
  }
  std::vector<std::string> actions = r.Tokens(*apps, "includeUserActions", p + "/includeUserActions");
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (Is(actions[i], "urn:user:registersecurityinfo")) {
      a.include_user_actions.push_back(UserAction::kRegisterSecurityInfo);
    } else if (Is(actions[i], "urn:user:registerdevice")) {
      a.include_user_actions.push_back(UserAction::kRegisterDevice);
    } else {
      r.Error(p + "/includeUserActions/" + std::to_string(i),
              "unknown user action '" + actions[i] +
                  "'; expected urn:user:registersecurityinfo or urn:user:registerdevice");
    }
  }
  std::vector<std::string> contexts = r.Tokens(*apps, "includeAuthenticationContextClassReferences",
                                               p + "/includeAuthenticationContextClassReferences");
  for (std::size_t i = 0; i < contexts.size(); ++i) {
    std::string c = Lower(contexts[i]);
    bool valid = c.size() >= 2 && c.size() <= 3 && c[0] == 'c' &&
                 std::all_of(c.begin() + 1, c.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    int n = valid ? std::stoi(c.substr(1)) : 0;
    if (!valid || n < 1 || n > 99) {
      r.Error(p + "/includeAuthenticationContextClassReferences/" + std::to_string(i),
              "'" + contexts[i] + "' is not an authentication context id (c1 to c99)");
      continue;
    }
    a.include_auth_contexts.push_back(c);
  }
  if (apps->contains("applicationFilter") && !(*apps)["applicationFilter"].is_null()) {
    r.Warning(p + "/applicationFilter",
              "filters on custom security attributes of applications are not supported; the "
              "filter is ignored");
  }
}

void ReadPlatforms(Reader& r, const json& conditions, Policy& policy) {
  const std::string p = "/conditions/platforms";
  const json* platforms = r.Object(conditions, "platforms", p);
  if (!platforms) return;
  auto parse = [](const std::string& t) { return ParseDevicePlatform(t); };
  const char* allowed = "all, android, iOS, windows, windowsPhone, macOS, linux";
  policy.platforms.include = r.EnumBits<DevicePlatform>(*platforms, "includePlatforms",
                                                        p + "/includePlatforms", parse, allowed);
  policy.platforms.exclude = r.EnumBits<DevicePlatform>(*platforms, "excludePlatforms",
                                                        p + "/excludePlatforms", parse, allowed);
  policy.platforms.configured = policy.platforms.include != 0 || policy.platforms.exclude != 0;
  if (policy.platforms.configured && policy.platforms.include == 0) {
    r.Error(p + "/includePlatforms", "required when platforms are excluded");
  }
}

void ReadLocations(Reader& r, const json& conditions, Policy& policy) {
  const std::string p = "/conditions/locations";
  const json* locations = r.Object(conditions, "locations", p);
  if (!locations) return;
  LocationCondition& l = policy.locations;
  for (const std::string& id : r.Ids(*locations, "includeLocations", p + "/includeLocations")) {
    if (id == "all") {
      l.include_all = true;
    } else if (id == "alltrusted") {
      l.include_all_trusted = true;
    } else {
      l.include_ids.push_back(id);
    }
  }
  for (const std::string& id : r.Ids(*locations, "excludeLocations", p + "/excludeLocations")) {
    if (id == "alltrusted") {
      l.exclude_all_trusted = true;
    } else if (id == "all") {
      r.Warning(p + "/excludeLocations", "excluding All locations means the policy never applies");
      l.exclude_ids.push_back("*");
    } else {
      l.exclude_ids.push_back(id);
    }
  }
  l.configured = l.include_all || l.include_all_trusted || !l.include_ids.empty() ||
                 l.exclude_all_trusted || !l.exclude_ids.empty();
  if (l.configured && !l.include_all && !l.include_all_trusted && l.include_ids.empty()) {
    r.Error(p + "/includeLocations", "required when locations are excluded");
  }
}

void ReadDevices(Reader& r, const json& conditions, Policy& policy) {
  const std::string p = "/conditions/devices";
  const json* devices = r.Object(conditions, "devices", p);
  if (!devices) return;
  const json* filter = r.Object(*devices, "deviceFilter", p + "/deviceFilter");
  if (!filter) return;
  std::string mode = r.String(*filter, "mode", p + "/deviceFilter/mode");
  std::string rule = r.String(*filter, "rule", p + "/deviceFilter/rule");
  if (!Is(mode, "include") && !Is(mode, "exclude")) {
    r.Error(p + "/deviceFilter/mode", "expected include or exclude, found '" + mode + "'");
    return;
  }
  auto parsed = devicefilter::DeviceFilter::Parse(rule);
  if (!parsed.ok()) {
    r.Error(p + "/deviceFilter/rule", std::string(parsed.status().message()));
    return;
  }
  policy.devices.configured = true;
  policy.devices.include_mode = Is(mode, "include");
  policy.devices.filter = std::move(*parsed);
}

void ReadRisk(Reader& r, const json& conditions, Policy& policy) {
  auto parse = [](const std::string& t) { return ParseRiskLevel(t); };
  const char* allowed = "low, medium, high, hidden, none";
  policy.sign_in_risk_levels = r.EnumBits<RiskLevel>(
      conditions, "signInRiskLevels", "/conditions/signInRiskLevels", parse, allowed);
  policy.user_risk_levels = r.EnumBits<RiskLevel>(conditions, "userRiskLevels",
                                                  "/conditions/userRiskLevels", parse, allowed);
  policy.service_principal_risk_levels =
      r.EnumBits<RiskLevel>(conditions, "servicePrincipalRiskLevels",
                            "/conditions/servicePrincipalRiskLevels", parse, allowed);
  policy.insider_risk_levels = r.EnumBits<InsiderRiskLevel>(
      conditions, "insiderRiskLevels", "/conditions/insiderRiskLevels",
      [](const std::string& t) { return ParseInsiderRiskLevel(t); }, "minor, moderate, elevated");
  if (const json* flows =
          r.Object(conditions, "authenticationFlows", "/conditions/authenticationFlows")) {
    policy.transfer_methods = r.EnumBits<TransferMethod>(
        *flows, "transferMethods", "/conditions/authenticationFlows/transferMethods",
        [](const std::string& t) { return ParseTransferMethod(t); },
        "deviceCodeFlow, authenticationTransfer");
    policy.transfer_methods &= ~Bit(TransferMethod::kNone);
  }
}

void ReadGrant(Reader& r, const json& doc, Policy& policy) {
  const std::string p = "/grantControls";
  const json* grant = r.Object(doc, "grantControls", p);
  if (!grant) return;
  GrantControls& g = policy.grant;
  std::string op = r.String(*grant, "operator", p + "/operator");
  if (op.empty() || Is(op, "AND")) {
    g.require_all = true;
  } else if (Is(op, "OR")) {
    g.require_all = false;
  } else {
    r.Error(p + "/operator", "expected AND or OR, found '" + op + "'");
  }
  std::vector<std::string> controls = r.Tokens(*grant, "builtInControls", p + "/builtInControls");
  for (std::size_t i = 0; i < controls.size(); ++i) {
    if (Is(controls[i], "unknownFutureValue")) continue;
    auto control = ParseBuiltInGrantControl(controls[i]);
    if (!control) {
      r.Error(p + "/builtInControls/" + std::to_string(i),
              "unknown control '" + controls[i] +
                  "'; expected block, mfa, compliantDevice, domainJoinedDevice, "
                  "approvedApplication, compliantApplication or passwordChange");
      continue;
    }
    g.built_in |= Bit(*control);
  }
  g.terms_of_use = r.Ids(*grant, "termsOfUse", p + "/termsOfUse");
  if (!g.terms_of_use.empty()) g.built_in |= Bit(GrantControl::kTermsOfUse);
  g.custom_factors = r.Ids(*grant, "customAuthenticationFactors", p + "/customAuthenticationFactors");
  if (!g.custom_factors.empty()) g.built_in |= Bit(GrantControl::kCustomFactor);
  if (const json* strength =
          r.Object(*grant, "authenticationStrength", p + "/authenticationStrength")) {
    g.authentication_strength_id = Lower(r.String(*strength, "id", p + "/authenticationStrength/id"));
    if (g.authentication_strength_id.empty()) {
      r.Error(p + "/authenticationStrength/id", "required");
    } else {
      g.built_in |= Bit(GrantControl::kAuthenticationStrength);
    }
  }
  g.configured = g.built_in != 0;
  if ((g.built_in & Bit(GrantControl::kBlock)) && g.built_in != Bit(GrantControl::kBlock)) {
    r.Warning(p + "/builtInControls",
              "block is combined with other controls; the policy blocks (block always wins)");
  }
  if ((g.built_in & Bit(GrantControl::kPasswordChange)) &&
      (g.built_in & ~(Bit(GrantControl::kPasswordChange) | Bit(GrantControl::kMfa) |
                      Bit(GrantControl::kAuthenticationStrength))) != 0) {
    r.Warning(p + "/builtInControls",
              "passwordChange can only be combined with mfa or an authentication strength");
  }
}

void ReadSession(Reader& r, const json& doc, Policy& policy) {
  const std::string p = "/sessionControls";
  const json* session = r.Object(doc, "sessionControls", p);
  if (!session) return;
  SessionControls& s = policy.session;
  auto enabled = [&](const json* control, const std::string& pointer) {
    return control && r.Bool(*control, "isEnabled", pointer + "/isEnabled", true);
  };
  if (const json* c = r.Object(*session, "applicationEnforcedRestrictions",
                               p + "/applicationEnforcedRestrictions")) {
    s.application_enforced_restrictions = enabled(c, p + "/applicationEnforcedRestrictions");
  }
  if (const json* c = r.Object(*session, "cloudAppSecurity", p + "/cloudAppSecurity");
      enabled(c, p + "/cloudAppSecurity")) {
    std::string type = r.String(*c, "cloudAppSecurityType", p + "/cloudAppSecurity/cloudAppSecurityType");
    if (Is(type, "blockDownloads")) {
      s.cloud_app_security = CloudAppSecurityType::kBlockDownloads;
    } else if (Is(type, "monitorOnly")) {
      s.cloud_app_security = CloudAppSecurityType::kMonitorOnly;
    } else {
      s.cloud_app_security = CloudAppSecurityType::kMcasConfigured;
    }
  }
  if (const json* c = r.Object(*session, "signInFrequency", p + "/signInFrequency");
      enabled(c, p + "/signInFrequency")) {
    std::string interval = r.String(*c, "frequencyInterval", p + "/signInFrequency/frequencyInterval");
    if (Is(interval, "everyTime")) {
      s.sign_in_frequency_every_time = true;
    } else {
      auto value = c->find("value");
      std::string type = r.String(*c, "type", p + "/signInFrequency/type");
      if (value == c->end() || !value->is_number_integer() || value->get<std::int64_t>() <= 0) {
        r.Error(p + "/signInFrequency/value", "expected a positive whole number of hours or days");
      } else if (Is(type, "days")) {
        s.sign_in_frequency_hours = value->get<std::int64_t>() * 24;
      } else if (Is(type, "hours")) {
        s.sign_in_frequency_hours = value->get<std::int64_t>();
      } else {
        r.Error(p + "/signInFrequency/type", "expected days or hours, found '" + type + "'");
      }
    }
  }
  if (const json* c = r.Object(*session, "persistentBrowser", p + "/persistentBrowser");
      enabled(c, p + "/persistentBrowser")) {
    std::string mode = r.String(*c, "mode", p + "/persistentBrowser/mode");
    if (Is(mode, "always")) {
      s.persistent_browser = PersistentBrowserMode::kAlways;
    } else if (Is(mode, "never")) {
      s.persistent_browser = PersistentBrowserMode::kNever;
    } else {
      r.Error(p + "/persistentBrowser/mode", "expected always or never, found '" + mode + "'");
    }
  }
  if (const json* c = r.Object(*session, "continuousAccessEvaluation",
                               p + "/continuousAccessEvaluation")) {
    std::string mode = r.String(*c, "mode", p + "/continuousAccessEvaluation/mode");
    if (Is(mode, "strictEnforcement")) {
      s.continuous_access_evaluation = ContinuousAccessMode::kStrictEnforcement;
    } else if (Is(mode, "strictLocation")) {
      s.continuous_access_evaluation = ContinuousAccessMode::kStrictLocation;
    } else if (Is(mode, "disabled")) {
      s.continuous_access_evaluation = ContinuousAccessMode::kDisabled;
    } else if (!mode.empty()) {
      r.Error(p + "/continuousAccessEvaluation/mode",
              "expected strictEnforcement, strictLocation or disabled, found '" + mode + "'");
    }
  }
  s.disable_resilience_defaults =
      r.Bool(*session, "disableResilienceDefaults", p + "/disableResilienceDefaults", false);
  if (const json* c = r.Object(*session, "secureSignInSession", p + "/secureSignInSession")) {
    s.secure_sign_in_session = enabled(c, p + "/secureSignInSession");
  }
}

}  // namespace

std::optional<Policy> ParsePolicy(const json& doc, const std::string& fallback_id,
                                  core::ProblemList& problems) {
  core::ProblemList local;
  Reader r(local);
  if (!doc.is_object()) {
    problems.AddError("", "expected a conditionalAccessPolicy object, found " +
                              std::string(doc.type_name()));
    return std::nullopt;
  }
  Policy policy;
  policy.id = r.String(doc, "id", "/id");  // as exported; compare case-insensitively
  if (policy.id.empty()) {
    if (fallback_id.empty()) {
      r.Error("/id", "required");
    } else {
      r.Warning("/id", "missing; using '" + fallback_id + "'");
      policy.id = fallback_id;
    }
  }
  policy.display_name = r.String(doc, "displayName", "/displayName");
  std::string state = r.String(doc, "state", "/state");
  if (auto parsed = ParsePolicyState(state)) {
    policy.state = *parsed;
  } else {
    r.Error("/state", state.empty() ? "required: enabled, disabled or "
                                      "enabledForReportingButNotEnforced"
                                    : "unknown state '" + state +
                                          "'; expected enabled, disabled or "
                                          "enabledForReportingButNotEnforced");
  }

  const json* conditions = r.Object(doc, "conditions", "/conditions");
  if (!conditions) {
    r.Error("/conditions", "required");
  } else {
    ReadUsers(r, *conditions, policy);
    ReadClientApplications(r, *conditions, policy);
    ReadApplications(r, *conditions, policy);
    policy.client_app_types = r.EnumBits<ClientAppType>(
        *conditions, "clientAppTypes", "/conditions/clientAppTypes",
        [](const std::string& t) { return ParseClientAppType(t); },
        "all, browser, mobileAppsAndDesktopClients, exchangeActiveSync, easSupported, other");
    if (policy.client_app_types & Bit(ClientAppType::kAll)) policy.client_app_types = 0;
    ReadPlatforms(r, *conditions, policy);
    ReadLocations(r, *conditions, policy);
    ReadDevices(r, *conditions, policy);
    ReadRisk(r, *conditions, policy);
    if (conditions->contains("deviceStates") && !(*conditions)["deviceStates"].is_null()) {
      r.Warning("/conditions/deviceStates",
                "deviceStates is deprecated and not evaluated; use devices.deviceFilter");
    }
    if (conditions->contains("times") && !(*conditions)["times"].is_null()) {
      r.Warning("/conditions/times", "the undocumented times condition is not evaluated");
    }
    const UserCondition& u = policy.users;
    bool targets_users = u.include_all || u.include_none || !u.include_users.empty() ||
                         !u.include_groups.empty() || !u.include_roles.empty() ||
                         u.include_guest_types != 0;
    if (!targets_users && !policy.client_applications.configured) {
      r.Error("/conditions/users", "required: the policy must include users, groups, roles, "
                                   "guests or service principals (use None to target nobody)");
    }
    const ApplicationCondition& a = policy.applications;
    bool targets_apps = a.include_all || a.include_office365 || a.include_admin_portals ||
                        !a.include_apps.empty() || !a.include_user_actions.empty() ||
                        !a.include_auth_contexts.empty();
    bool has_none = false;
    if (const json* apps = conditions->contains("applications") ? &(*conditions)["applications"]
                                                                 : nullptr;
        apps && apps->is_object()) {
      std::vector<std::string> incl;
      core::ReadTokenList(apps->value("includeApplications", json()), incl);
      has_none = std::any_of(incl.begin(), incl.end(), [](auto& s) { return Is(s, "none"); });
    }
    if (!targets_apps && !has_none && conditions->contains("applications")) {
      r.Error("/conditions/applications",
              "targets nothing: set includeApplications, includeUserActions or "
              "includeAuthenticationContextClassReferences");
    }
    if (!a.include_user_actions.empty() && policy.state == PolicyState::kReportOnly) {
      r.Warning("/state", "report-only is not supported for user actions in Entra");
    }
  }
  ReadGrant(r, doc, policy);
  ReadSession(r, doc, policy);
  if (!policy.grant.configured && !policy.session.any()) {
    r.Warning("/grantControls", "the policy has neither grant nor session controls");
  }
  policy.source = std::make_shared<const json>(doc);
  json echo = json::object();
  for (const auto& [key, value] : doc.items()) {
    if (!core::IsODataAnnotation(key)) echo[key] = value;
  }
  if (!echo.contains("id") || !echo["id"].is_string()) echo["id"] = policy.id;
  policy.response_prefix = echo.dump();
  policy.response_prefix.pop_back();  // the closing brace

  bool ok = !local.has_errors();
  problems.Merge(local);
  if (!ok) return std::nullopt;
  return policy;
}

}  // namespace gatehouse::ca
