#include "directory/directory_snapshot.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace gatehouse::directory {
namespace {

// Ids are GUIDs that different tools print in different cases; compare them case-insensitively.
std::string Key(std::string_view id) {
  std::string key(id);
  absl::AsciiStrToLower(&key);
  return key;
}

struct GuestTypeName {
  std::uint32_t bit;
  std::string_view name;
};
constexpr GuestTypeName kGuestTypeNames[] = {
    {kInternalGuest, "internalGuest"},
    {kB2bCollaborationGuest, "b2bCollaborationGuest"},
    {kB2bCollaborationMember, "b2bCollaborationMember"},
    {kB2bDirectConnectUser, "b2bDirectConnectUser"},
    {kOtherExternalUser, "otherExternalUser"},
    {kServiceProvider, "serviceProvider"},
};

template <typename T>
void SortUnique(std::vector<T>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

}  // namespace

std::optional<std::uint32_t> GuestTypeFromName(std::string_view name) {
  for (const auto& entry : kGuestTypeNames) {
    if (absl::EqualsIgnoreCase(std::string(entry.name), std::string(name))) return entry.bit;
  }
  if (absl::EqualsIgnoreCase(std::string(name), "none")) return kGuestNone;
  return std::nullopt;
}

std::string GuestTypesToString(std::uint32_t types) {
  std::string out;
  for (const auto& entry : kGuestTypeNames) {
    if (types & entry.bit) {
      if (!out.empty()) out += ',';
      out += entry.name;
    }
  }
  return out.empty() ? "none" : out;
}

void DirectoryBuilder::AddUser(User user) { users_.push_back(std::move(user)); }

void DirectoryBuilder::AddGroup(std::string id, std::string display_name,
                                std::vector<std::string> member_ids) {
  groups_.push_back({std::move(id), std::move(display_name), std::move(member_ids)});
}

void DirectoryBuilder::AddRoleAssignment(std::string role_template_id, std::string user_id) {
  role_assignments_.emplace_back(std::move(role_template_id), std::move(user_id));
}

void DirectoryBuilder::AddApplication(Application application) {
  applications_.push_back(std::move(application));
}

void DirectoryBuilder::AddDevice(Device device) { devices_.push_back(std::move(device)); }

std::shared_ptr<const DirectorySnapshot> DirectoryBuilder::Build(core::ProblemList& problems) && {
  auto snapshot = std::shared_ptr<DirectorySnapshot>(new DirectorySnapshot());
  DirectorySnapshot& s = *snapshot;

  for (User& user : users_) {
    std::string key = Key(user.id);
    if (key.empty()) {
      problems.AddError("/users", "a user has no id");
      continue;
    }
    if (s.user_by_id_.contains(key)) {
      problems.AddError("/users/" + core::JsonPointerToken(user.id), "duplicate user id");
      continue;
    }
    auto index = static_cast<DirectorySnapshot::UserIndex>(s.users_.size());
    s.user_by_id_.emplace(key, index);
    if (!user.user_principal_name.empty()) {
      s.user_by_upn_.emplace(Key(user.user_principal_name), index);
    }
    s.users_.push_back(std::move(user));
  }

  for (const PendingGroup& group : groups_) {
    std::string key = Key(group.id);
    if (key.empty()) {
      problems.AddError("/groups", "a group has no id");
      continue;
    }
    if (s.group_by_id_.contains(key)) {
      problems.AddError("/groups/" + core::JsonPointerToken(group.id), "duplicate group id");
      continue;
    }
    s.group_by_id_.emplace(key, static_cast<DirectorySnapshot::GroupIndex>(s.group_ids_.size()));
    s.group_ids_.push_back(group.id);
    s.group_names_.push_back(group.display_name);
  }

  // Direct memberships: users and groups that are direct members of each group.
  const std::size_t group_count = s.group_ids_.size();
  std::vector<std::vector<DirectorySnapshot::GroupIndex>> parents_of_group(group_count);
  std::vector<std::vector<DirectorySnapshot::GroupIndex>> direct_groups_of_user(s.users_.size());
  for (const PendingGroup& group : groups_) {
    auto parent = s.FindGroup(group.id);
    if (!parent) continue;
    for (const std::string& member : group.member_ids) {
      if (auto u = s.FindUser(member)) {
        direct_groups_of_user[*u].push_back(*parent);
      } else if (auto g = s.FindGroup(member)) {
        if (*g != *parent) parents_of_group[*g].push_back(*parent);
      } else {
        problems.AddWarning("/groups/" + core::JsonPointerToken(group.id) + "/members",
                            "member '" + member + "' is neither a known user nor a group");
      }
    }
  }

  // Transitive ancestors of each group by iterative DFS; cycles are harmless with a visited set.
  std::vector<std::vector<DirectorySnapshot::GroupIndex>> ancestors(group_count);
  std::vector<std::uint32_t> visited_stamp(group_count, 0);
  std::uint32_t stamp = 0;
  std::vector<DirectorySnapshot::GroupIndex> stack;
  for (DirectorySnapshot::GroupIndex g = 0; g < group_count; ++g) {
    ++stamp;
    stack.assign(parents_of_group[g].begin(), parents_of_group[g].end());
    visited_stamp[g] = stamp;
    while (!stack.empty()) {
      auto next = stack.back();
      stack.pop_back();
      if (visited_stamp[next] == stamp) continue;
      visited_stamp[next] = stamp;
      ancestors[g].push_back(next);
      for (auto p : parents_of_group[next]) stack.push_back(p);
    }
  }

  s.user_group_offsets_.reserve(s.users_.size() + 1);
  s.user_group_offsets_.push_back(0);
  std::vector<DirectorySnapshot::GroupIndex> groups;
  for (std::size_t u = 0; u < s.users_.size(); ++u) {
    groups.clear();
    for (auto g : direct_groups_of_user[u]) {
      groups.push_back(g);
      groups.insert(groups.end(), ancestors[g].begin(), ancestors[g].end());
    }
    SortUnique(groups);
    s.user_groups_.insert(s.user_groups_.end(), groups.begin(), groups.end());
    s.user_group_offsets_.push_back(static_cast<std::uint32_t>(s.user_groups_.size()));
  }

  std::vector<std::vector<DirectorySnapshot::RoleIndex>> roles_of_user(s.users_.size());
  for (const auto& [role_template_id, user_id] : role_assignments_) {
    std::string key = Key(role_template_id);
    auto [it, inserted] = s.role_by_template_id_.emplace(
        key, static_cast<DirectorySnapshot::RoleIndex>(s.role_template_ids_.size()));
    if (inserted) {
      s.role_template_ids_.push_back(key);
      s.role_holders_.emplace_back();
    }
    auto user = s.FindUser(user_id);
    if (!user) {
      problems.AddWarning("/roles/" + core::JsonPointerToken(role_template_id),
                          "role holder '" + user_id + "' is not a known user");
      continue;
    }
    roles_of_user[*user].push_back(it->second);
    s.role_holders_[it->second].push_back(*user);
  }
  for (auto& holders : s.role_holders_) SortUnique(holders);
  s.user_role_offsets_.push_back(0);
  for (auto& roles : roles_of_user) {
    SortUnique(roles);
    s.user_roles_.insert(s.user_roles_.end(), roles.begin(), roles.end());
    s.user_role_offsets_.push_back(static_cast<std::uint32_t>(s.user_roles_.size()));
  }

  for (Application& app : applications_) {
    std::string key = Key(app.app_id);
    if (key.empty()) {
      problems.AddError("/applications", "an application has no appId");
      continue;
    }
    if (!s.application_by_id_.emplace(key, s.applications_.size()).second) {
      problems.AddError("/applications/" + core::JsonPointerToken(app.app_id),
                        "duplicate appId");
      continue;
    }
    if (!app.id.empty()) s.application_by_id_.emplace(Key(app.id), s.applications_.size());
    s.applications_.push_back(std::move(app));
  }

  for (Device& device : devices_) {
    std::string key = Key(device.device_id);
    if (key.empty()) {
      problems.AddError("/devices", "a device has no deviceId");
      continue;
    }
    if (!s.device_by_id_.emplace(key, s.devices_.size()).second) {
      problems.AddError("/devices/" + core::JsonPointerToken(device.device_id),
                        "duplicate deviceId");
      continue;
    }
    s.devices_.push_back(std::move(device));
  }
  return snapshot;
}

std::optional<DirectorySnapshot::UserIndex> DirectorySnapshot::FindUser(std::string_view id) const {
  auto it = user_by_id_.find(Key(id));
  if (it == user_by_id_.end()) return std::nullopt;
  return it->second;
}

std::optional<DirectorySnapshot::UserIndex> DirectorySnapshot::FindUserByIdOrName(
    std::string_view id_or_upn) const {
  if (auto u = FindUser(id_or_upn)) return u;
  auto it = user_by_upn_.find(Key(id_or_upn));
  if (it == user_by_upn_.end()) return std::nullopt;
  return it->second;
}

std::optional<DirectorySnapshot::GroupIndex> DirectorySnapshot::FindGroup(
    std::string_view id) const {
  auto it = group_by_id_.find(Key(id));
  if (it == group_by_id_.end()) return std::nullopt;
  return it->second;
}

std::span<const DirectorySnapshot::GroupIndex> DirectorySnapshot::GroupsOfUser(
    UserIndex user) const {
  return {user_groups_.data() + user_group_offsets_[user],
          user_groups_.data() + user_group_offsets_[user + 1]};
}

std::optional<DirectorySnapshot::RoleIndex> DirectorySnapshot::FindRole(
    std::string_view role_template_id) const {
  auto it = role_by_template_id_.find(Key(role_template_id));
  if (it == role_by_template_id_.end()) return std::nullopt;
  return it->second;
}

std::span<const DirectorySnapshot::RoleIndex> DirectorySnapshot::RolesOfUser(
    UserIndex user) const {
  return {user_roles_.data() + user_role_offsets_[user],
          user_roles_.data() + user_role_offsets_[user + 1]};
}

std::span<const DirectorySnapshot::UserIndex> DirectorySnapshot::HoldersOfRole(
    RoleIndex role) const {
  return role_holders_[role];
}

std::vector<DirectorySnapshot::UserIndex> DirectorySnapshot::MembersOfGroup(
    GroupIndex group) const {
  std::vector<UserIndex> members;
  for (UserIndex u = 0; u < users_.size(); ++u) {
    auto groups = GroupsOfUser(u);
    if (std::binary_search(groups.begin(), groups.end(), group)) members.push_back(u);
  }
  return members;
}

const Application* DirectorySnapshot::FindApplication(std::string_view app_id_or_object_id) const {
  auto it = application_by_id_.find(Key(app_id_or_object_id));
  return it == application_by_id_.end() ? nullptr : &applications_[it->second];
}

const Device* DirectorySnapshot::FindDevice(std::string_view device_id) const {
  auto it = device_by_id_.find(Key(device_id));
  return it == device_by_id_.end() ? nullptr : &devices_[it->second];
}

std::size_t DirectorySnapshot::ApproximateMemoryBytes() const {
  std::size_t bytes = sizeof(*this);
  for (const User& u : users_) {
    bytes += sizeof(User) + u.id.capacity() + u.user_principal_name.capacity() +
             u.display_name.capacity() + u.external_tenant_id.capacity();
  }
  // Hash maps: key string + index + control byte, roughly.
  bytes += (user_by_id_.size() + user_by_upn_.size()) * (sizeof(std::string) + 48);
  bytes += group_by_id_.size() * (sizeof(std::string) + 48) * 2;
  bytes += (user_group_offsets_.capacity() + user_groups_.capacity() +
            user_role_offsets_.capacity() + user_roles_.capacity()) *
           sizeof(std::uint32_t);
  bytes += devices_.size() * (sizeof(Device) + 160) + device_by_id_.size() * 80;
  bytes += applications_.size() * (sizeof(Application) + 64);
  return bytes;
}

}  // namespace gatehouse::directory
