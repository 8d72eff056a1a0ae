#include "store/store.h"

namespace gatehouse::store {

const char* ObjectKindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kPolicy:
      return "policy";
    case ObjectKind::kNamedLocation:
      return "namedLocation";
    case ObjectKind::kAuthenticationStrength:
      return "authenticationStrength";
    case ObjectKind::kUser:
      return "user";
    case ObjectKind::kGroup:
      return "group";
    case ObjectKind::kApplication:
      return "application";
    case ObjectKind::kDevice:
      return "device";
    case ObjectKind::kRoleAssignment:
      return "roleAssignment";
    case ObjectKind::kAdminClient:
      return "adminClient";
    case ObjectKind::kSigningKey:
      return "signingKey";
    case ObjectKind::kSetting:
      return "setting";
    case ObjectKind::kCredential:
      return "credential";
    case ObjectKind::kRefreshTokenFamily:
      return "refreshTokenFamily";
  }
  return "unknown";
}

bool BumpsTenantVersion(ObjectKind kind) {
  return kind != ObjectKind::kCredential && kind != ObjectKind::kRefreshTokenFamily;
}

}  // namespace gatehouse::store
