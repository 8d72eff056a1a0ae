// What the engine knows about one sign-in: who, to what, from where, with which device and
// session. Built by the sign-in pipeline, the What If reader or the CLI; never by the engine.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ca/policy.h"
#include "directory/directory_snapshot.h"
#include "location/named_location.h"

namespace gatehouse::ca {

enum class SubjectKind : std::uint8_t { kUser, kServicePrincipal };
enum class ResourceKind : std::uint8_t { kApplication, kUserAction, kAuthenticationContext };

// Facts established during this sign-in session (grant controls are checked against them).
struct SessionFacts {
  std::uint32_t authentication_methods = 0;  // AuthMethodBits used in this session
  bool password_changed = false;             // a secure password change completed now
  bool approved_client_app = false;          // request came from an approved client app
  bool app_protection_policy = false;        // client app is under an app protection policy
  std::vector<std::string> accepted_terms_of_use;  // lower-cased agreement ids
  std::vector<std::string> satisfied_custom_controls;
  std::optional<absl::Time> last_authentication_time;
};

struct SignInContext {
  SubjectKind subject = SubjectKind::kUser;
  // The user, when the directory knows them. A user id the directory does not know still matches
  // policies naming that id, `All`, and (with external_guest_type) guest targeting.
  std::optional<directory::DirectorySnapshot::UserIndex> user;
  std::string user_id;  // lower-cased
  std::uint32_t external_guest_type = 0;  // for users not in the directory (What If)
  std::string external_tenant_id;         // lower-cased
  std::string service_principal_id;       // lower-cased

  ResourceKind resource = ResourceKind::kApplication;
  std::vector<std::string> applications;  // lower-cased appIds
  UserAction user_action = UserAction::kRegisterSecurityInfo;
  std::string authentication_context;     // lower-cased c1..c99

  ClientAppType client_app_type = ClientAppType::kAll;  // kAll = not specified
  DevicePlatform platform = DevicePlatform::kUnknown;
  location::SignInOrigin origin;
  RiskLevel sign_in_risk = RiskLevel::kNone;
  RiskLevel user_risk = RiskLevel::kNone;
  RiskLevel service_principal_risk = RiskLevel::kNone;
  InsiderRiskLevel insider_risk = InsiderRiskLevel::kNone;
  TransferMethod transfer_method = TransferMethod::kNone;

  // The device whose identity was presented; nullptr when none was (unregistered device). Not
  // owned: it lives in the directory snapshot or in the request that built this context.
  const directory::Device* device = nullptr;

  SessionFacts session;
  absl::Time time = absl::UnixEpoch();

  // What If semantics: a configured location condition that the request gives no IP or country
  // for is reported as notEnoughInformation (the policy does not apply). Enforcement
  // (what_if = false) fails closed instead: an unknown origin is outside every named location.
  bool what_if = false;
};

}  // namespace gatehouse::ca
