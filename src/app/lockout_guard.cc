#include "app/lockout_guard.h"

#include "absl/strings/ascii.h"
#include "ca/compiled_policy_set.h"

namespace gatehouse::app {
namespace {

// Representative sign-ins for one user; true when every one of them is blocked.
bool BlockedEverywhere(const ca::CompiledPolicySet& set, directory::DirectorySnapshot::UserIndex user,
                       const directory::Device& device) {
  const directory::DirectorySnapshot& dir = set.directory();
  std::vector<location::SignInOrigin> origins(1);  // unknown origin
  for (const location::NamedLocation& l : set.named_locations()) {
    if (!l.is_trusted || l.ranges.empty()) continue;
    location::SignInOrigin origin;
    origin.ip = location::IpAddress::FromBytes(l.ranges.intervals().front().first);
    origins.push_back(origin);
  }
  const ca::DevicePlatform platforms[] = {ca::DevicePlatform::kWindows, ca::DevicePlatform::kMacOs,
                                          ca::DevicePlatform::kIos, ca::DevicePlatform::kAndroid,
                                          ca::DevicePlatform::kLinux};
  const ca::ClientAppType clients[] = {ca::ClientAppType::kBrowser,
                                       ca::ClientAppType::kMobileAppsAndDesktopClients};
  const char* apps[] = {"c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "gatehouse-any-application"};
  ca::Decision decision;
  for (const auto& origin : origins) {
    for (auto platform : platforms) {
      for (auto client : clients) {
        for (const char* app : apps) {
          ca::SignInContext s;
          s.user = user;
          s.user_id = absl::AsciiStrToLower(dir.user(user).id);
          s.external_guest_type = dir.user(user).guest_type;
          s.external_tenant_id = dir.user(user).external_tenant_id;
          s.applications = {app};
          s.platform = platform;
          s.client_app_type = client;
          s.origin = origin;
          s.device = &device;
          s.session.authentication_methods = ca::kMethodFido2 | ca::kMethodPassword;
          set.Evaluate(s, decision);
          if (decision.outcome != ca::Outcome::kBlock) return false;
        }
      }
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> CheckLockout(const TenantBundle& tenant,
                                        const std::vector<ca::Policy>& policies,
                                        const std::string& emergency_access_group_id) {
  auto set = ca::CompiledPolicySet::Compile(policies, tenant.named_locations,
                                            tenant.authentication_strengths, tenant.directory);
  if (!set.ok()) return std::nullopt;  // validation reports compile problems separately
  const directory::DirectorySnapshot& dir = *tenant.directory;
  directory::Device device;
  device.device_id = "gatehouse-lockout-check";
  device.is_compliant = true;
  device.is_managed = true;
  device.trust_type = "ServerAD";
  device.device_ownership = "Company";

  auto all_blocked = [&](const std::vector<directory::DirectorySnapshot::UserIndex>& users) {
    if (users.empty()) return false;
    for (auto u : users) {
      if (!BlockedEverywhere(**set, u, device)) return false;
    }
    return true;
  };
  if (auto role = dir.FindRole(kGlobalAdministratorRoleTemplateId)) {
    auto holders = dir.HoldersOfRole(*role);
    std::vector<directory::DirectorySnapshot::UserIndex> users(holders.begin(), holders.end());
    if (all_blocked(users)) {
      return "this change would block every holder of the Global Administrator role (" +
             std::to_string(users.size()) +
             " users) from every platform, client and trusted location, even with "
             "phishing-resistant MFA on a compliant device";
    }
  }
  if (!emergency_access_group_id.empty()) {
    if (auto group = dir.FindGroup(emergency_access_group_id)) {
      auto members = dir.MembersOfGroup(*group);
      if (all_blocked(members)) {
        return "this change would block every member of the emergency-access group '" +
               emergency_access_group_id + "' (" + std::to_string(members.size()) +
               " users); exclude the group from the policy";
      }
    }
  }
  return std::nullopt;
}

}  // namespace gatehouse::app
