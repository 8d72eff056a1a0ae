#include "ca/policy.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace gatehouse::ca {
namespace {

template <typename E, std::size_t N>
std::optional<E> Lookup(const std::pair<const char*, E> (&table)[N], std::string_view token) {
  std::string lower = absl::AsciiStrToLower(std::string(token));
  for (const auto& [name, value] : table) {
    if (absl::AsciiStrToLower(std::string(name)) == lower) return value;
  }
  return std::nullopt;
}

template <typename E, std::size_t N>
const char* Name(const std::pair<const char*, E> (&table)[N], E value) {
  for (const auto& [name, v] : table) {
    if (v == value) return name;
  }
  return "unknownFutureValue";
}

constexpr std::pair<const char*, PolicyState> kStates[] = {
    {"enabled", PolicyState::kEnabled},
    {"disabled", PolicyState::kDisabled},
    {"enabledForReportingButNotEnforced", PolicyState::kReportOnly},
};
constexpr std::pair<const char*, ClientAppType> kClientAppTypes[] = {
    {"all", ClientAppType::kAll},
    {"browser", ClientAppType::kBrowser},
    {"mobileAppsAndDesktopClients", ClientAppType::kMobileAppsAndDesktopClients},
    {"exchangeActiveSync", ClientAppType::kExchangeActiveSync},
    {"easSupported", ClientAppType::kEasSupported},
    {"other", ClientAppType::kOther},
    // Deprecated members, still in old exports.
    {"modern", ClientAppType::kMobileAppsAndDesktopClients},
    {"easUnsupported", ClientAppType::kExchangeActiveSync},
};
constexpr std::pair<const char*, DevicePlatform> kPlatforms[] = {
    {"all", DevicePlatform::kAll},         {"android", DevicePlatform::kAndroid},
    {"iOS", DevicePlatform::kIos},         {"windows", DevicePlatform::kWindows},
    {"windowsPhone", DevicePlatform::kWindowsPhone}, {"macOS", DevicePlatform::kMacOs},
    {"linux", DevicePlatform::kLinux},     {"unknown", DevicePlatform::kUnknown},
};
constexpr std::pair<const char*, RiskLevel> kRiskLevels[] = {
    {"none", RiskLevel::kNone},     {"low", RiskLevel::kLow},
    {"medium", RiskLevel::kMedium}, {"high", RiskLevel::kHigh},
    {"hidden", RiskLevel::kHidden},
};
constexpr std::pair<const char*, InsiderRiskLevel> kInsiderRiskLevels[] = {
    {"none", InsiderRiskLevel::kNone},
    {"minor", InsiderRiskLevel::kMinor},
    {"moderate", InsiderRiskLevel::kModerate},
    {"elevated", InsiderRiskLevel::kElevated},
};
constexpr std::pair<const char*, TransferMethod> kTransferMethods[] = {
    {"none", TransferMethod::kNone},
    {"deviceCodeFlow", TransferMethod::kDeviceCodeFlow},
    {"authenticationTransfer", TransferMethod::kAuthenticationTransfer},
};
constexpr std::pair<const char*, GrantControl> kGrantControls[] = {
    {"mfa", GrantControl::kMfa},
    {"authenticationStrength", GrantControl::kAuthenticationStrength},
    {"compliantDevice", GrantControl::kCompliantDevice},
    {"domainJoinedDevice", GrantControl::kDomainJoinedDevice},
    {"approvedApplication", GrantControl::kApprovedApplication},
    {"compliantApplication", GrantControl::kCompliantApplication},
    {"passwordChange", GrantControl::kPasswordChange},
    {"termsOfUse", GrantControl::kTermsOfUse},
    {"customAuthenticationFactor", GrantControl::kCustomFactor},
    {"block", GrantControl::kBlock},
};
constexpr std::pair<const char*, std::uint32_t> kAuthMethods[] = {
    {"password", kMethodPassword},
    {"voice", kMethodVoice},
    {"hardwareOath", kMethodHardwareOath},
    {"softwareOath", kMethodSoftwareOath},
    {"sms", kMethodSms},
    {"fido2", kMethodFido2},
    {"windowsHelloForBusiness", kMethodWindowsHelloForBusiness},
    {"microsoftAuthenticatorPush", kMethodMicrosoftAuthenticatorPush},
    {"deviceBasedPush", kMethodDeviceBasedPush},
    {"temporaryAccessPassOneTime", kMethodTemporaryAccessPassOneTime},
    {"temporaryAccessPassMultiUse", kMethodTemporaryAccessPassMultiUse},
    {"email", kMethodEmail},
    {"x509CertificateSingleFactor", kMethodX509CertificateSingleFactor},
    {"x509CertificateMultiFactor", kMethodX509CertificateMultiFactor},
    {"federatedSingleFactor", kMethodFederatedSingleFactor},
    {"federatedMultiFactor", kMethodFederatedMultiFactor},
};

}  // namespace

bool SessionControls::any() const {
  return application_enforced_restrictions || cloud_app_security != CloudAppSecurityType::kNotSet ||
         sign_in_frequency_every_time || sign_in_frequency_hours.has_value() ||
         persistent_browser != PersistentBrowserMode::kNotSet ||
         continuous_access_evaluation != ContinuousAccessMode::kNotSet ||
         disable_resilience_defaults || secure_sign_in_session;
}

const char* ToString(PolicyState state) { return Name(kStates, state); }
const char* ToString(ClientAppType type) { return Name(kClientAppTypes, type); }
const char* ToString(DevicePlatform platform) { return Name(kPlatforms, platform); }
const char* ToString(RiskLevel level) { return Name(kRiskLevels, level); }
const char* ToString(InsiderRiskLevel level) { return Name(kInsiderRiskLevels, level); }
const char* ToString(GrantControl control) { return Name(kGrantControls, control); }

std::optional<PolicyState> ParsePolicyState(std::string_view token) {
  return Lookup(kStates, token);
}
std::optional<ClientAppType> ParseClientAppType(std::string_view token) {
  return Lookup(kClientAppTypes, token);
}
std::optional<DevicePlatform> ParseDevicePlatform(std::string_view token) {
  return Lookup(kPlatforms, token);
}
std::optional<RiskLevel> ParseRiskLevel(std::string_view token) {
  return Lookup(kRiskLevels, token);
}
std::optional<InsiderRiskLevel> ParseInsiderRiskLevel(std::string_view token) {
  return Lookup(kInsiderRiskLevels, token);
}
std::optional<TransferMethod> ParseTransferMethod(std::string_view token) {
  return Lookup(kTransferMethods, token);
}
std::optional<GrantControl> ParseBuiltInGrantControl(std::string_view token) {
  auto control = Lookup(kGrantControls, token);
  // Only these appear in builtInControls; the others come from their own fields.
  if (control == GrantControl::kAuthenticationStrength || control == GrantControl::kTermsOfUse ||
      control == GrantControl::kCustomFactor) {
    return std::nullopt;
  }
  return control;
}
std::optional<std::uint32_t> ParseAuthMethod(std::string_view token) {
  return Lookup(kAuthMethods, token);
}

}  // namespace gatehouse::ca
