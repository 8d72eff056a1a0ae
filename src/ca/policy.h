// The Conditional Access policy model: Graph's conditionalAccessPolicy, normalised (enum tokens
// parsed case-insensitively, flag enums split, not-configured conditions made explicit). Produced
// by policy_codec.h, consumed by the compiler (compiled_policy_set.h) and the reference evaluator
// used in tests. Plain values; no behaviour beyond small helpers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devicefilter/device_filter.h"
#include "nlohmann/json_fwd.hpp"

namespace gatehouse::ca {

enum class PolicyState : std::uint8_t { kEnabled, kDisabled, kReportOnly };

// conditionalAccessClientApp. kAll is "the condition does not restrict".
enum class ClientAppType : std::uint8_t {
  kAll,
  kBrowser,
  kMobileAppsAndDesktopClients,
  kExchangeActiveSync,
  kEasSupported,
  kOther,
};
inline constexpr int kClientAppTypeCount = 6;

// conditionalAccessDevicePlatform; kUnknown is a sign-in whose platform is not recognised (or not
// given), which only "all" matches.
enum class DevicePlatform : std::uint8_t {
  kAll,
  kAndroid,
  kIos,
  kWindows,
  kWindowsPhone,
  kMacOs,
  kLinux,
  kUnknown,
};
inline constexpr int kDevicePlatformCount = 8;

enum class RiskLevel : std::uint8_t { kNone, kLow, kMedium, kHigh, kHidden };
inline constexpr int kRiskLevelCount = 5;

enum class InsiderRiskLevel : std::uint8_t { kNone, kMinor, kModerate, kElevated };
inline constexpr int kInsiderRiskLevelCount = 4;

enum class TransferMethod : std::uint8_t { kNone, kDeviceCodeFlow, kAuthenticationTransfer };
inline constexpr int kTransferMethodCount = 3;

enum class UserAction : std::uint8_t { kRegisterSecurityInfo, kRegisterDevice };

// Built-in grant controls, in Entra's prompt order (the enum order is the order).
enum class GrantControl : std::uint8_t {
  kMfa,
  kAuthenticationStrength,  // prompted with MFA
  kCompliantDevice,
  kDomainJoinedDevice,
  kApprovedApplication,
  kCompliantApplication,
  kPasswordChange,
  kTermsOfUse,
  kCustomFactor,
  kBlock,
};
inline constexpr int kGrantControlCount = 10;

// Authentication method modes (Graph authenticationMethodModes), as bits.
enum AuthMethodBits : std::uint32_t {
  kMethodPassword = 1u << 0,
  kMethodVoice = 1u << 1,
  kMethodHardwareOath = 1u << 2,
  kMethodSoftwareOath = 1u << 3,
  kMethodSms = 1u << 4,
  kMethodFido2 = 1u << 5,
  kMethodWindowsHelloForBusiness = 1u << 6,
  kMethodMicrosoftAuthenticatorPush = 1u << 7,
  kMethodDeviceBasedPush = 1u << 8,
  kMethodTemporaryAccessPassOneTime = 1u << 9,
  kMethodTemporaryAccessPassMultiUse = 1u << 10,
  kMethodEmail = 1u << 11,
  kMethodX509CertificateSingleFactor = 1u << 12,
  kMethodX509CertificateMultiFactor = 1u << 13,
  kMethodFederatedSingleFactor = 1u << 14,
  kMethodFederatedMultiFactor = 1u << 15,
};

struct UserCondition {
  bool include_all = false;
  bool include_none = false;
  std::vector<std::string> include_users, exclude_users;
  std::vector<std::string> include_groups, exclude_groups;
  std::vector<std::string> include_roles, exclude_roles;
  std::uint32_t include_guest_types = 0;  // directory::GuestTypeBits
  std::uint32_t exclude_guest_types = 0;
  // External tenants limiting the typed guest include/exclude; empty = all tenants.
  std::vector<std::string> include_guest_tenants, exclude_guest_tenants;
};

struct ClientApplicationCondition {  // workload identities
  bool configured = false;
  bool include_all_service_principals = false;  // ServicePrincipalsInMyTenant
  std::vector<std::string> include_service_principals, exclude_service_principals;
};

struct ApplicationCondition {
  bool include_all = false;
  bool include_office365 = false, exclude_office365 = false;
  bool include_admin_portals = false, exclude_admin_portals = false;
  std::vector<std::string> include_apps, exclude_apps;  // lower-cased appIds
  std::vector<UserAction> include_user_actions;
  std::vector<std::string> include_auth_contexts;  // lower-cased c1..c99
};

struct LocationCondition {
  bool configured = false;
  bool include_all = false, include_all_trusted = false;
  bool exclude_all_trusted = false;
  std::vector<std::string> include_ids, exclude_ids;  // named-location ids, lower-cased
};

struct PlatformCondition {
  bool configured = false;
  std::uint32_t include = 0;  // bit per DevicePlatform; kAll's bit means every platform
  std::uint32_t exclude = 0;
};

struct DeviceCondition {
  bool configured = false;
  bool include_mode = true;  // false: exclude mode
  std::optional<devicefilter::DeviceFilter> filter;
};

struct GrantControls {
  bool configured = false;
  bool require_all = true;  // AND (default) vs OR
  std::uint32_t built_in = 0;  // bit per GrantControl
  std::vector<std::string> terms_of_use;
  std::vector<std::string> custom_factors;
  std::string authentication_strength_id;  // lower-cased; "" when none
};

enum class PersistentBrowserMode : std::uint8_t { kNotSet, kAlways, kNever };
enum class CloudAppSecurityType : std::uint8_t {
  kNotSet,
  kMonitorOnly,
  kMcasConfigured,
  kBlockDownloads
};
enum class ContinuousAccessMode : std::uint8_t {
  kNotSet,
  kDisabled,
  kStrictEnforcement,
  kStrictLocation
};

struct SessionControls {
  bool application_enforced_restrictions = false;
  CloudAppSecurityType cloud_app_security = CloudAppSecurityType::kNotSet;
  // Sign-in frequency: every_time, or an interval in hours (days are converted).
  bool sign_in_frequency_every_time = false;
  std::optional<std::int64_t> sign_in_frequency_hours;
  PersistentBrowserMode persistent_browser = PersistentBrowserMode::kNotSet;
  ContinuousAccessMode continuous_access_evaluation = ContinuousAccessMode::kNotSet;
  bool disable_resilience_defaults = false;
  bool secure_sign_in_session = false;  // token protection

  bool any() const;
};

struct Policy {
  std::string id;  // as written in the document (ids compare case-insensitively)
  std::string display_name;
  PolicyState state = PolicyState::kDisabled;

  UserCondition users;
  ClientApplicationCondition client_applications;
  ApplicationCondition applications;
  std::uint32_t client_app_types = 0;  // bit per ClientAppType; 0 or kAll's bit = all
  PlatformCondition platforms;
  LocationCondition locations;
  DeviceCondition devices;
  std::uint32_t sign_in_risk_levels = 0;  // bit per RiskLevel; 0 = not configured
  std::uint32_t user_risk_levels = 0;
  std::uint32_t service_principal_risk_levels = 0;
  std::uint32_t insider_risk_levels = 0;  // bit per InsiderRiskLevel; 0 = not configured
  std::uint32_t transfer_methods = 0;     // bit per TransferMethod; 0 = not configured

  GrantControls grant;
  SessionControls session;

  // The document as loaded, for What If responses that echo the policy.
  std::shared_ptr<const nlohmann::json> source;
  // The same document rendered once for responses: compact JSON without OData annotations, with
  // "id", and without its closing brace (responses append their own members).
  std::string response_prefix;
};

template <typename E>
constexpr std::uint32_t Bit(E value) {
  return 1u << static_cast<std::uint32_t>(value);
}

// Graph token spellings.
const char* ToString(PolicyState state);
const char* ToString(ClientAppType type);
const char* ToString(DevicePlatform platform);
const char* ToString(RiskLevel level);
const char* ToString(InsiderRiskLevel level);
const char* ToString(GrantControl control);

// Case-insensitive parsers of Graph tokens (deprecated aliases accepted: modern,
// easUnsupported).
std::optional<PolicyState> ParsePolicyState(std::string_view token);
std::optional<ClientAppType> ParseClientAppType(std::string_view token);
std::optional<DevicePlatform> ParseDevicePlatform(std::string_view token);
std::optional<RiskLevel> ParseRiskLevel(std::string_view token);
std::optional<InsiderRiskLevel> ParseInsiderRiskLevel(std::string_view token);
std::optional<TransferMethod> ParseTransferMethod(std::string_view token);
std::optional<GrantControl> ParseBuiltInGrantControl(std::string_view token);
std::optional<std::uint32_t> ParseAuthMethod(std::string_view token);

}  // namespace gatehouse::ca
