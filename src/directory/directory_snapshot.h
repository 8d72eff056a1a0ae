// The directory as Conditional Access sees it: users (with guest typing), groups with transitive
// membership, directory role holders by role template id, applications and devices.
//
// A DirectorySnapshot is immutable once built and safe to share between threads; it is rebuilt
// (not edited) when the directory changes. Users and groups get dense indices so that compiled
// policy sets can keep per-user tables instead of hashing on every sign-in.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/problem.h"

namespace gatehouse::directory {

// Graph's conditionalAccessGuestOrExternalUserTypes, as bits so a set of types is one integer.
enum GuestTypeBits : std::uint32_t {
  kGuestNone = 0,
  kInternalGuest = 1u << 0,
  kB2bCollaborationGuest = 1u << 1,
  kB2bCollaborationMember = 1u << 2,
  kB2bDirectConnectUser = 1u << 3,
  kOtherExternalUser = 1u << 4,
  kServiceProvider = 1u << 5,
};
inline constexpr std::uint32_t kAllGuestTypes = 0x3F;
// Parses one Graph token ("b2bCollaborationGuest", case-insensitive); nullopt when unknown.
std::optional<std::uint32_t> GuestTypeFromName(std::string_view name);
// Graph's comma-joined spelling of a set of types, in Graph's member order.
std::string GuestTypesToString(std::uint32_t types);

struct User {
  std::string id;
  std::string user_principal_name;
  std::string display_name;
  bool account_enabled = true;
  // kGuestNone for members of the home tenant; otherwise exactly one type bit.
  std::uint32_t guest_type = kGuestNone;
  std::string external_tenant_id;  // home tenant of an external user (lower-cased), when known
};

struct Device {
  std::string id;         // directory object id (optional in bundles)
  std::string device_id;  // Graph deviceId: what sign-ins and filters name
  std::string display_name;
  std::string operating_system;
  std::string operating_system_version;
  std::string trust_type;       // AzureAD | ServerAD | Workplace (normalised)
  std::string device_ownership; // Company | Personal | ""
  std::string enrollment_profile_name;
  std::string manufacturer;
  std::string model;
  std::string mdm_app_id;
  std::string profile_type;
  std::vector<std::string> physical_ids;
  std::vector<std::string> system_labels;
  std::string extension_attributes[15];
  // Compliance as the partner reported it; nullopt when never reported (a device filter then
  // reads null, and the compliantDevice control is not met).
  std::optional<bool> is_compliant;
  // Set for a device described by a What If request rather than read from the directory: the
  // attributes it gives (extensionAttributes included) are taken as visible.
  bool described_by_request = false;
  bool is_managed = false;
  bool account_enabled = true;
  std::string registered_owner_id;
};

struct Application {
  std::string id;  // service principal object id (optional)
  std::string app_id;
  std::string display_name;
};

class DirectorySnapshot;

// Collects directory objects, then builds an immutable snapshot. Not thread-safe.
class DirectoryBuilder {
 public:
  void AddUser(User user);
  // Members are user or group ids; a member id that is neither is reported as a warning by
  // Build() (membership of deleted objects is common in exports).
  void AddGroup(std::string id, std::string display_name, std::vector<std::string> member_ids);
  void AddRoleAssignment(std::string role_template_id, std::string user_id);
  void AddApplication(Application application);
  void AddDevice(Device device);

  // Resolves ids, computes transitive group membership (cycles tolerated), and reports
  // duplicates and dangling references in `problems` (pointers name the object kind and id).
  std::shared_ptr<const DirectorySnapshot> Build(core::ProblemList& problems) &&;

 private:
  struct PendingGroup {
    std::string id;
    std::string display_name;
    std::vector<std::string> member_ids;
  };
  std::vector<User> users_;
  std::vector<PendingGroup> groups_;
  std::vector<std::pair<std::string, std::string>> role_assignments_;
  std::vector<Application> applications_;
  std::vector<Device> devices_;
};

class DirectorySnapshot {
 public:
  using UserIndex = std::uint32_t;
  using GroupIndex = std::uint32_t;
  using RoleIndex = std::uint32_t;

  std::size_t user_count() const { return users_.size(); }
  std::size_t group_count() const { return group_ids_.size(); }
  std::size_t role_count() const { return role_template_ids_.size(); }

  std::optional<UserIndex> FindUser(std::string_view id) const;
  // Also accepts a userPrincipalName (case-insensitive), as admins type those in What If.
  std::optional<UserIndex> FindUserByIdOrName(std::string_view id_or_upn) const;
  const User& user(UserIndex index) const { return users_[index]; }

  std::optional<GroupIndex> FindGroup(std::string_view id) const;
  const std::string& group_id(GroupIndex index) const { return group_ids_[index]; }
  const std::string& group_name(GroupIndex index) const { return group_names_[index]; }
  // Every group the user is in, directly or through nested groups; sorted, unique.
  std::span<const GroupIndex> GroupsOfUser(UserIndex user) const;

  std::optional<RoleIndex> FindRole(std::string_view role_template_id) const;
  const std::string& role_template_id(RoleIndex index) const { return role_template_ids_[index]; }
  // Roles actively assigned to the user; sorted, unique.
  std::span<const RoleIndex> RolesOfUser(UserIndex user) const;
  // Users holding the role.
  std::span<const UserIndex> HoldersOfRole(RoleIndex role) const;
  // Direct and nested member users of a group.
  std::vector<UserIndex> MembersOfGroup(GroupIndex group) const;

  // By appId or by object id.
  const Application* FindApplication(std::string_view app_id_or_object_id) const;
  const std::vector<Application>& applications() const { return applications_; }

  const Device* FindDevice(std::string_view device_id) const;
  const std::vector<Device>& devices() const { return devices_; }

  // Approximate heap bytes held by the snapshot (for capacity planning).
  std::size_t ApproximateMemoryBytes() const;

 private:
  friend class DirectoryBuilder;

  std::vector<User> users_;
  absl::flat_hash_map<std::string, UserIndex> user_by_id_;
  absl::flat_hash_map<std::string, UserIndex> user_by_upn_;  // lower-cased
  std::vector<std::string> group_ids_;
  std::vector<std::string> group_names_;
  absl::flat_hash_map<std::string, GroupIndex> group_by_id_;
  // CSR layout: groups of user u are user_groups_[user_group_offsets_[u] .. [u + 1]).
  std::vector<std::uint32_t> user_group_offsets_;
  std::vector<GroupIndex> user_groups_;
  std::vector<std::uint32_t> user_role_offsets_;
  std::vector<RoleIndex> user_roles_;
  std::vector<std::string> role_template_ids_;
  absl::flat_hash_map<std::string, RoleIndex> role_by_template_id_;
  std::vector<std::vector<UserIndex>> role_holders_;
  std::vector<Application> applications_;
  absl::flat_hash_map<std::string, std::size_t> application_by_id_;
  std::vector<Device> devices_;
  absl::flat_hash_map<std::string, std::size_t> device_by_id_;  // lower-cased deviceId
};

}  // namespace gatehouse::directory
