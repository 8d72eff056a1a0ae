#include "ca/sign_in_log.h"

#include "ca/decision_json.h"
#include "core/iso_time.h"
#include "nlohmann/json.hpp"

namespace gatehouse::ca {

using json = nlohmann::ordered_json;

const char* FailureReason(std::string_view code) {
  if (code.empty()) return "";
  if (code == "53003") return "Access has been blocked by Conditional Access policies.";
  if (code == "530003") {
    return "Your device is required to be managed to access this resource: no device identity was "
           "presented.";
  }
  if (code == "53000") {
    return "Device is not in required device state: compliant. The device must be marked "
           "compliant by the device management service.";
  }
  if (code == "53001") return "Device is not in required device state: domain joined.";
  if (code == "53002") return "Application used is not an approved application.";
  if (code == "53009") return "Application needs to enforce app protection policies.";
  if (code == "50076") {
    return "Due to a configuration change made by your administrator, or because you moved to a "
           "new location, you must use multi-factor authentication.";
  }
  if (code == "50142") return "Password change is required due to a Conditional Access policy.";
  if (code == "50158") return "External security challenge was not satisfied.";
  if (code == "70043") {
    return "The session has expired due to sign-in frequency checks by Conditional Access.";
  }
  return "Conditional Access requirement not met.";
}

namespace {

const char* ClientAppUsed(ClientAppType type) {
  switch (type) {
    case ClientAppType::kBrowser: return "Browser";
    case ClientAppType::kMobileAppsAndDesktopClients: return "Mobile Apps and Desktop clients";
    case ClientAppType::kExchangeActiveSync:
    case ClientAppType::kEasSupported: return "Exchange ActiveSync";
    case ClientAppType::kOther: return "Other clients";
    case ClientAppType::kAll: return "";
  }
  return "";
}

}  // namespace

json SignInLogRecord(const CompiledPolicySet& policies, const SignInContext& sign_in,
                     const Decision& decision, const SignInLogIds& ids) {
  const directory::DirectorySnapshot& dir = policies.directory();
  json record;
  record["id"] = ids.id;
  record["createdDateTime"] = core::FormatIsoDateTime(sign_in.time);
  record["correlationId"] = ids.correlation_id;
  if (sign_in.subject == SubjectKind::kUser) {
    record["userId"] = sign_in.user ? dir.user(*sign_in.user).id : sign_in.user_id;
    record["userPrincipalName"] = sign_in.user ? dir.user(*sign_in.user).user_principal_name : "";
    record["userDisplayName"] = sign_in.user ? dir.user(*sign_in.user).display_name : "";
  } else {
    record["servicePrincipalId"] = sign_in.service_principal_id;
  }
  std::string app_id = sign_in.applications.empty() ? "" : sign_in.applications.front();
  record["appId"] = app_id;
  const directory::Application* app = app_id.empty() ? nullptr : dir.FindApplication(app_id);
  record["appDisplayName"] = app ? app->display_name : "";
  record["ipAddress"] = sign_in.origin.ip ? sign_in.origin.ip->ToString() : "";
  record["clientAppUsed"] = ClientAppUsed(sign_in.client_app_type);
  record["isInteractive"] = true;
  record["riskLevelDuringSignIn"] = ToString(sign_in.sign_in_risk);
  record["location"] = {{"countryOrRegion", sign_in.origin.country.value_or("")}};
  json device = {{"deviceId", ""}, {"displayName", ""}, {"operatingSystem", ToString(sign_in.platform)},
                 {"isCompliant", false}, {"isManaged", false}, {"trustType", ""}};
  if (sign_in.device) {
    device["deviceId"] = sign_in.device->device_id;
    device["displayName"] = sign_in.device->display_name;
    if (!sign_in.device->operating_system.empty()) {
      device["operatingSystem"] = sign_in.device->operating_system;
    }
    device["isCompliant"] = sign_in.device->is_compliant.value_or(false);
    device["isManaged"] = sign_in.device->is_managed;
    device["trustType"] = sign_in.device->trust_type;
  }
  record["deviceDetail"] = std::move(device);
  int error_code = decision.error_code.empty() ? 0 : std::stoi(std::string(decision.error_code));
  record["status"] = {{"errorCode", error_code},
                      {"failureReason", FailureReason(decision.error_code)},
                      {"additionalDetails", ToString(decision.outcome)}};
  json rendered = DecisionToJson(policies, decision, TraceDetail::kFull);
  record["conditionalAccessStatus"] = rendered["conditionalAccessStatus"];
  record["appliedConditionalAccessPolicies"] = rendered["appliedConditionalAccessPolicies"];
  return record;
}

}  // namespace gatehouse::ca
