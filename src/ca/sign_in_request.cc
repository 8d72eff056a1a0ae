#include "ca/sign_in_request.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/iso_time.h"
#include "core/json_document.h"
#include "core/text.h"
#include "directory/directory_codec.h"
#include "nlohmann/json.hpp"

namespace gatehouse::ca {
namespace {

using nlohmann::json;

using core::EqualsIgnoreCase;
std::string Lower(std::string_view s) { return core::AsciiLower(s); }
bool Is(std::string_view a, std::string_view b) { return EqualsIgnoreCase(a, b); }
// "#microsoft.graph.userSignIn" -> "usersignin"
std::string ODataType(const json& object) {
  auto it = object.find("@odata.type");
  if (it == object.end() || !it->is_string()) return "";
  std::string type = Lower(it->get<std::string>());
  if (auto dot = type.rfind('.'); dot != std::string::npos) type = type.substr(dot + 1);
  if (!type.empty() && type[0] == '#') type = type.substr(1);
  return type;
}

const json* Member(const json& parent, std::string_view key) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string Str(const json& parent, std::string_view key, const std::string& pointer,
                core::ProblemList& problems) {
  return core::StringMember(parent, key, pointer, problems);
}

template <typename E, typename Parse>
E Enum(const json& parent, std::string_view key, const std::string& pointer, E fallback,
       Parse parse, const char* allowed, core::ProblemList& problems) {
  std::string token = Str(parent, key, pointer, problems);
  if (token.empty()) return fallback;
  std::optional<E> value = parse(token);
  if (!value) {
    problems.AddError(pointer + "/" + std::string(key),
                      "unknown value '" + token + "'; expected one of " + allowed);
    return fallback;
  }
  return *value;
}

void ReadIdentity(const json& identity, const std::string& pointer,
                  const directory::DirectorySnapshot& directory, SignInContext& ctx,
                  core::ProblemList& problems) {
  std::string type = ODataType(identity);
  bool service_principal = type == "serviceprincipalsignin" || type == "serviceprincipalsubject" ||
                           (type.empty() && identity.contains("servicePrincipalId"));
  if (service_principal) {
    ctx.subject = SubjectKind::kServicePrincipal;
    ctx.service_principal_id = Lower(Str(identity, "servicePrincipalId", pointer, problems));
    if (ctx.service_principal_id.empty()) {
      problems.AddError(pointer + "/servicePrincipalId", "required");
    }
    return;
  }
  if (!type.empty() && type != "usersignin" && type != "usersubject") {
    problems.AddError(pointer + "/@odata.type",
                      "expected #microsoft.graph.userSignIn or #microsoft.graph.servicePrincipalSignIn");
    return;
  }
  ctx.subject = SubjectKind::kUser;
  std::string user_id = Str(identity, "userId", pointer, problems);
  if (user_id.empty()) {
    problems.AddError(pointer + "/userId", "required");
    return;
  }
  ctx.user = directory.FindUserByIdOrName(user_id);
  ctx.user_id = ctx.user ? Lower(directory.user(*ctx.user).id) : Lower(user_id);
  // The request may describe the user's guest typing; otherwise the directory's holds.
  ctx.external_tenant_id = Lower(Str(identity, "externalTenantId", pointer, problems));
  if (ctx.external_tenant_id.empty() && ctx.user) {
    ctx.external_tenant_id = directory.user(*ctx.user).external_tenant_id;
  }
  std::string external = Str(identity, "externalUserType", pointer, problems);
  if (!external.empty()) {
    std::uint32_t types = 0;
    std::vector<std::string> tokens;
    core::ReadTokenList(identity["externalUserType"], tokens);
    for (const auto& token : tokens) {
      auto bit = directory::GuestTypeFromName(token);
      if (!bit) {
        problems.AddError(pointer + "/externalUserType",
                          "unknown guest or external user type '" + token + "'");
      } else {
        types |= *bit;
      }
    }
    // One sign-in is of one type; the lowest set bit wins if several were given.
    ctx.external_guest_type = types & (~types + 1);
  } else if (ctx.user) {
    ctx.external_guest_type = directory.user(*ctx.user).guest_type;
  }
  if (!ctx.user) {
    problems.AddWarning(pointer + "/userId",
                        "user '" + user_id + "' is not in the directory; only policies naming "
                        "this id, All users or guest types can apply");
  }
}

void ReadContext(const json& context, const std::string& pointer, SignInContext& ctx,
                 core::ProblemList& problems) {
  std::string type = ODataType(context);
  const bool apps = type == "applicationcontext" || type == "whatifapplicationcontext" ||
                    (type.empty() && context.contains("includeApplications"));
  const bool action = type == "useractioncontext" || type == "whatifuseractioncontext" ||
                      (type.empty() && context.contains("userAction"));
  const bool acr = type == "authcontext" || type == "whatifauthenticationcontext" ||
                   (type.empty() && (context.contains("authenticationContextValue") ||
                                     context.contains("authenticationContext")));
  if (apps) {
    ctx.resource = ResourceKind::kApplication;
    std::vector<std::string> ids;
    auto it = context.find("includeApplications");
    if (it == context.end() || !core::ReadTokenList(*it, ids) || ids.empty()) {
      problems.AddError(pointer + "/includeApplications", "required: a list of appIds");
    }
    for (auto& id : ids) ctx.applications.push_back(Lower(id));
  } else if (action) {
    ctx.resource = ResourceKind::kUserAction;
    std::string value = Str(context, "userAction", pointer, problems);
    if (Is(value, "registerSecurityInformation") || Is(value, "urn:user:registersecurityinfo")) {
      ctx.user_action = UserAction::kRegisterSecurityInfo;
    } else if (Is(value, "registerOrJoinDevices") || Is(value, "urn:user:registerdevice")) {
      ctx.user_action = UserAction::kRegisterDevice;
    } else {
      problems.AddError(pointer + "/userAction",
                        "expected registerSecurityInformation or registerOrJoinDevices, found '" +
                            value + "'");
    }
  } else if (acr) {
    ctx.resource = ResourceKind::kAuthenticationContext;
    std::string value = Str(context, "authenticationContextValue", pointer, problems);
    if (value.empty()) value = Str(context, "authenticationContext", pointer, problems);
    if (value.empty()) problems.AddError(pointer + "/authenticationContextValue", "required");
    ctx.authentication_context = Lower(value);
  } else {
    problems.AddError(pointer, "expected an applicationContext, userActionContext or authContext");
  }
}

void ReadConditions(const json& conditions, const std::string& pointer, SignInRequest& request,
                    const location::CountryResolver* geoip, bool accept_device_info,
                    core::ProblemList& problems) {
  SignInContext& ctx = request.context;
  ctx.platform = Enum(conditions, "devicePlatform", pointer, DevicePlatform::kUnknown,
                      [](const std::string& t) { return ParseDevicePlatform(t); },
                      "all, android, iOS, windows, windowsPhone, macOS, linux", problems);
  if (ctx.platform == DevicePlatform::kAll) ctx.platform = DevicePlatform::kUnknown;
  ctx.client_app_type = Enum(conditions, "clientAppType", pointer, ClientAppType::kAll,
                             [](const std::string& t) { return ParseClientAppType(t); },
                             "all, browser, mobileAppsAndDesktopClients, exchangeActiveSync, "
                             "easSupported, other",
                             problems);
  if (ctx.client_app_type == ClientAppType::kEasSupported) {
    ctx.client_app_type = ClientAppType::kExchangeActiveSync;
  }
  auto risk = [&](std::string_view key) {
    return Enum(conditions, key, pointer, RiskLevel::kNone,
                [](const std::string& t) { return ParseRiskLevel(t); },
                "none, low, medium, high, hidden", problems);
  };
  ctx.sign_in_risk = risk("signInRiskLevel");
  ctx.user_risk = risk("userRiskLevel");
  ctx.service_principal_risk = risk("servicePrincipalRiskLevel");
  ctx.insider_risk = Enum(conditions, "insiderRiskLevel", pointer, InsiderRiskLevel::kNone,
                          [](const std::string& t) { return ParseInsiderRiskLevel(t); },
                          "none, minor, moderate, elevated", problems);
  if (const json* flow = Member(conditions, "authenticationFlow")) {
    if (flow->is_object()) {
      ctx.transfer_method = Enum(*flow, "transferMethod", pointer + "/authenticationFlow",
                                 TransferMethod::kNone,
                                 [](const std::string& t) { return ParseTransferMethod(t); },
                                 "none, deviceCodeFlow, authenticationTransfer", problems);
    } else {
      problems.AddError(pointer + "/authenticationFlow", "expected an object with transferMethod");
    }
  }
  std::optional<location::IpAddress> ip;
  std::string ip_text = Str(conditions, "ipAddress", pointer, problems);
  if (!ip_text.empty()) {
    ip = location::IpAddress::Parse(ip_text);
    if (!ip) {
      problems.AddError(pointer + "/ipAddress", "'" + ip_text + "' is not an IPv4 or IPv6 address");
    }
  }
  std::optional<std::string> country;
  std::string country_text = Str(conditions, "country", pointer, problems);
  if (!country_text.empty()) {
    if (country_text.size() != 2 || !absl::ascii_isalpha(country_text[0]) ||
        !absl::ascii_isalpha(country_text[1])) {
      problems.AddError(pointer + "/country",
                        "'" + country_text + "' is not a two-letter country code");
    } else {
      country = country_text;
    }
  }
  ctx.origin = location::ResolveOrigin(ip, country, geoip);
  if (const json* info = Member(conditions, "deviceInfo")) {
    if (!accept_device_info) {
      problems.AddWarning(pointer + "/deviceInfo",
                          "ignored: a sign-in's device is the directory record named by "
                          "session.deviceId");
    } else if (!info->is_object()) {
      problems.AddError(pointer + "/deviceInfo", "expected an object");
    } else {
      request.described_device = std::make_unique<directory::Device>(
          directory::ReadDevice(*info, pointer + "/deviceInfo", problems));
      request.described_device->described_by_request = true;
      ctx.device = request.described_device.get();
    }
  }
}

absl::StatusOr<SignInRequest> ReadCommon(const json& body,
                                         const directory::DirectorySnapshot& directory,
                                         const location::CountryResolver* geoip, bool what_if,
                                         core::ProblemList& problems) {
  core::ProblemList local;
  if (!body.is_object()) {
    problems.AddError("", "expected a JSON object");
    return absl::InvalidArgumentError("request is not an object");
  }
  SignInRequest request;
  request.context.what_if = what_if;
  const bool legacy = body.contains("conditionalAccessWhatIfSubject");
  const char* identity_key = legacy ? "conditionalAccessWhatIfSubject" : "signInIdentity";
  const char* context_key = legacy ? "conditionalAccessContext" : "signInContext";
  const char* conditions_key = legacy ? "conditionalAccessWhatIfConditions" : "signInConditions";

  const json* identity = Member(body, identity_key);
  if (!identity || !identity->is_object()) {
    local.AddError(std::string("/") + identity_key, "required: the user or service principal");
  } else {
    ReadIdentity(*identity, std::string("/") + identity_key, directory, request.context, local);
  }
  const json* context = Member(body, context_key);
  if (!context || !context->is_object()) {
    local.AddError(std::string("/") + context_key,
                   "required: the application, user action or authentication context");
  } else {
    ReadContext(*context, std::string("/") + context_key, request.context, local);
  }
  if (const json* conditions = Member(body, conditions_key)) {
    if (!conditions->is_object()) {
      local.AddError(std::string("/") + conditions_key, "expected an object");
    } else {
      ReadConditions(*conditions, std::string("/") + conditions_key, request, geoip, what_if, local);
    }
  } else if (what_if) {
    local.AddError(std::string("/") + conditions_key, "required (may be {})");
  }
  if (const json* applied = Member(body, "appliedPoliciesOnly")) {
    if (applied->is_boolean()) {
      request.applied_policies_only = applied->get<bool>();
    } else {
      local.AddError("/appliedPoliciesOnly", "expected true or false");
    }
  }
  bool failed = local.has_errors();
  problems.Merge(local);
  if (failed) return absl::InvalidArgumentError("invalid sign-in request");
  return request;
}

}  // namespace

absl::StatusOr<SignInRequest> ReadWhatIfRequest(const json& body,
                                                const directory::DirectorySnapshot& directory,
                                                const location::CountryResolver* geoip,
                                                core::ProblemList& problems) {
  return ReadCommon(body, directory, geoip, /*what_if=*/true, problems);
}

absl::StatusOr<SignInRequest> ReadSignInRequest(const json& body,
                                                const directory::DirectorySnapshot& directory,
                                                const location::CountryResolver* geoip,
                                                core::ProblemList& problems) {
  auto request = ReadCommon(body, directory, geoip, /*what_if=*/false, problems);
  if (!request.ok()) return request;
  core::ProblemList local;
  SignInContext& ctx = request->context;
  if (const json* session = Member(body, "session")) {
    if (!session->is_object()) {
      local.AddError("/session", "expected an object");
    } else {
      std::vector<std::string> methods;
      if (auto it = session->find("authenticationMethods"); it != session->end()) {
        if (!core::ReadTokenList(*it, methods)) {
          local.AddError("/session/authenticationMethods", "expected an array of method names");
        }
      }
      for (std::size_t i = 0; i < methods.size(); ++i) {
        auto bit = ParseAuthMethod(methods[i]);
        if (!bit) {
          local.AddError("/session/authenticationMethods/" + std::to_string(i),
                         "unknown authentication method '" + methods[i] + "'");
        } else {
          ctx.session.authentication_methods |= *bit;
        }
      }
      if (const json* device_id = Member(*session, "deviceId")) {
        if (!device_id->is_string()) {
          local.AddError("/session/deviceId", "expected a device id or null");
        } else {
          ctx.device = directory.FindDevice(device_id->get<std::string>());
          if (!ctx.device) {
            local.AddWarning("/session/deviceId",
                             "device '" + device_id->get<std::string>() +
                                 "' is not registered in the directory; evaluated as no device "
                                 "identity");
          }
        }
      }
      auto read_ids = [&](std::string_view key, std::vector<std::string>& out) {
        if (auto it = session->find(key); it != session->end()) {
          if (!core::ReadTokenList(*it, out)) {
            local.AddError("/session/" + std::string(key), "expected an array of ids");
          }
          for (auto& id : out) id = Lower(id);
        }
      };
      read_ids("satisfiedTermsOfUse", ctx.session.accepted_terms_of_use);
      read_ids("satisfiedCustomControls", ctx.session.satisfied_custom_controls);
      auto read_bool = [&](std::string_view key, bool& out) {
        if (const json* v = Member(*session, key)) {
          if (v->is_boolean()) {
            out = v->get<bool>();
          } else {
            local.AddError("/session/" + std::string(key), "expected true or false");
          }
        }
      };
      read_bool("passwordChanged", ctx.session.password_changed);
      read_bool("approvedClientApp", ctx.session.approved_client_app);
      read_bool("appProtectionPolicy", ctx.session.app_protection_policy);
      std::string last = core::StringMember(*session, "lastAuthenticationTime", "/session", local);
      if (!last.empty()) {
        auto t = core::ParseIsoDateTime(last);
        if (!t.ok()) {
          local.AddError("/session/lastAuthenticationTime", std::string(t.status().message()));
        } else {
          ctx.session.last_authentication_time = *t;
        }
      }
    }
  }
  std::string time = core::StringMember(body, "time", "", local);
  if (!time.empty()) {
    auto t = core::ParseIsoDateTime(time);
    if (!t.ok()) {
      local.AddError("/time", std::string(t.status().message()));
    } else {
      ctx.time = *t;
    }
  }
  bool failed = local.has_errors();
  problems.Merge(local);
  if (failed) return absl::InvalidArgumentError("invalid sign-in request");
  return request;
}

}  // namespace gatehouse::ca
