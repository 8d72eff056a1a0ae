#include "directory/directory_codec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/json_document.h"

namespace gatehouse::directory {
namespace {

using nlohmann::json;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(std::string(a), std::string(b));
}

bool BoolMember(const json& object, std::string_view key, bool fallback, const std::string& pointer,
                core::ProblemList& problems) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (it->is_boolean()) return it->get<bool>();
  problems.AddError(pointer + "/" + core::JsonPointerToken(key),
                    "expected true or false, found " + std::string(it->type_name()));
  return fallback;
}

std::vector<std::string> StringList(const json& object, std::string_view key,
                                    const std::string& pointer, core::ProblemList& problems) {
  std::vector<std::string> out;
  auto it = object.find(key);
  if (it == object.end()) return out;
  if (!core::ReadTokenList(*it, out)) {
    problems.AddError(pointer + "/" + core::JsonPointerToken(key),
                      "expected a list of strings");
  }
  return out;
}

}  // namespace

std::string NormalizeTrustType(std::string_view value) {
  std::string v = absl::AsciiStrToLower(std::string(value));
  if (v == "azuread" || v == "entraid" || v == "entrajoined" || v == "azureadjoined") {
    return "AzureAD";
  }
  if (v == "serverad" || v == "entrahybrid" || v == "entrahybridjoined" ||
      v == "hybridazureadjoined") {
    return "ServerAD";
  }
  if (v == "workplace" || v == "registered" || v == "entraregistered" ||
      v == "azureadregistered") {
    return "Workplace";
  }
  return std::string(value);
}

std::string NormalizeProfileType(std::string_view value) {
  // Microsoft's samples say "Standard" where device filters document "RegisteredDevice".
  if (EqualsIgnoreCase(value, "standard") || EqualsIgnoreCase(value, "registereddevice")) {
    return "RegisteredDevice";
  }
  return std::string(value);
}

std::string NormalizeOwnership(std::string_view value) {
  if (EqualsIgnoreCase(value, "company") || EqualsIgnoreCase(value, "corporate")) return "Company";
  if (EqualsIgnoreCase(value, "personal")) return "Personal";
  return std::string(value);
}

void ReadUsers(const json& doc, DirectoryBuilder& builder, core::ProblemList& problems) {
  for (const auto& [pointer, object] : core::DocumentObjects(doc, problems)) {
    User user;
    user.id = core::StringMember(*object, "id", pointer, problems);
    if (user.id.empty()) {
      problems.AddError(pointer + "/id", "required");
      continue;
    }
    user.user_principal_name = core::StringMember(*object, "userPrincipalName", pointer, problems);
    user.display_name = core::StringMember(*object, "displayName", pointer, problems);
    user.account_enabled = BoolMember(*object, "accountEnabled", true, pointer, problems);
    user.external_tenant_id =
        absl::AsciiStrToLower(core::StringMember(*object, "externalTenantId", pointer, problems));
    std::string user_type = core::StringMember(*object, "userType", pointer, problems);
    std::string external_type = core::StringMember(*object, "externalUserType", pointer, problems);
    bool ext_upn = absl::StrContains(absl::AsciiStrToLower(user.user_principal_name), "#ext#");
    if (!external_type.empty()) {
      auto bit = GuestTypeFromName(external_type);
      if (!bit) {
        problems.AddError(pointer + "/externalUserType",
                          "unknown guest or external user type '" + external_type + "'");
      } else {
        user.guest_type = *bit;
      }
    } else if (EqualsIgnoreCase(user_type, "guest")) {
      // A guest from another tenant is a B2B collaboration guest; a home-tenant account with
      // userType Guest is a local ("internal") guest.
      user.guest_type = (ext_upn || !user.external_tenant_id.empty()) ? kB2bCollaborationGuest
                                                                       : kInternalGuest;
    } else if (!user_type.empty() && !EqualsIgnoreCase(user_type, "member")) {
      problems.AddError(pointer + "/userType", "expected Member or Guest, found '" + user_type + "'");
    } else if (ext_upn || !user.external_tenant_id.empty()) {
      user.guest_type = kB2bCollaborationMember;
    }
    builder.AddUser(std::move(user));
  }
}

void ReadGroups(const json& doc, DirectoryBuilder& builder, core::ProblemList& problems) {
  for (const auto& [pointer, object] : core::DocumentObjects(doc, problems)) {
    std::string id = core::StringMember(*object, "id", pointer, problems);
    if (id.empty()) {
      problems.AddError(pointer + "/id", "required");
      continue;
    }
    std::vector<std::string> members;
    auto it = object->find("members");
    if (it != object->end() && !it->is_null()) {
      if (!it->is_array()) {
        problems.AddError(pointer + "/members", "expected an array of ids or directory objects");
      } else {
        for (std::size_t i = 0; i < it->size(); ++i) {
          const json& member = (*it)[i];
          std::string member_pointer = pointer + "/members/" + std::to_string(i);
          if (member.is_string()) {
            members.push_back(member.get<std::string>());
          } else if (member.is_object() && member.contains("id") && member["id"].is_string()) {
            members.push_back(member["id"].get<std::string>());
          } else {
            problems.AddError(member_pointer, "expected an id or an object with an \"id\"");
          }
        }
      }
    }
    builder.AddGroup(std::move(id), core::StringMember(*object, "displayName", pointer, problems),
                     std::move(members));
  }
}

void ReadRoles(const json& doc, DirectoryBuilder& builder, core::ProblemList& problems) {
  auto add_members = [&](const std::string& role, const json& members, const std::string& pointer) {
    if (!members.is_array()) {
      problems.AddError(pointer, "expected an array of user ids");
      return;
    }
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (members[i].is_string()) {
        builder.AddRoleAssignment(role, members[i].get<std::string>());
      } else if (members[i].is_object() && members[i].contains("id") &&
                 members[i]["id"].is_string()) {
        builder.AddRoleAssignment(role, members[i]["id"].get<std::string>());
      } else {
        problems.AddError(pointer + "/" + std::to_string(i), "expected a user id");
      }
    }
  };
  if (doc.is_object() && !doc.contains("roleTemplateId") && !doc.contains("value")) {
    for (const auto& [role, members] : doc.items()) {
      if (core::IsODataAnnotation(role)) continue;
      add_members(role, members, "/" + core::JsonPointerToken(role));
    }
    return;
  }
  for (const auto& [pointer, object] : core::DocumentObjects(doc, problems)) {
    std::string role = core::StringMember(*object, "roleTemplateId", pointer, problems);
    if (role.empty()) {
      problems.AddError(pointer + "/roleTemplateId", "required");
      continue;
    }
    auto members = object->find("members");
    if (members == object->end()) {
      problems.AddError(pointer + "/members", "required");
      continue;
    }
    add_members(role, *members, pointer + "/members");
  }
}

void ReadApplications(const json& doc, DirectoryBuilder& builder, core::ProblemList& problems) {
  for (const auto& [pointer, object] : core::DocumentObjects(doc, problems)) {
    Application app;
    app.app_id = core::StringMember(*object, "appId", pointer, problems);
    if (app.app_id.empty()) {
      problems.AddError(pointer + "/appId", "required");
      continue;
    }
    app.display_name = core::StringMember(*object, "displayName", pointer, problems);
    app.id = core::StringMember(*object, "id", pointer, problems);
    builder.AddApplication(std::move(app));
  }
}

Device ReadDevice(const json& object, const std::string& pointer, core::ProblemList& problems) {
  Device d;
  d.id = core::StringMember(object, "id", pointer, problems);
  d.device_id = core::StringMember(object, "deviceId", pointer, problems);
  d.display_name = core::StringMember(object, "displayName", pointer, problems);
  d.operating_system = core::StringMember(object, "operatingSystem", pointer, problems);
  d.operating_system_version =
      core::StringMember(object, "operatingSystemVersion", pointer, problems);
  d.trust_type = NormalizeTrustType(core::StringMember(object, "trustType", pointer, problems));
  std::string ownership = core::StringMember(object, "deviceOwnership", pointer, problems);
  if (ownership.empty()) ownership = core::StringMember(object, "ownership", pointer, problems);
  d.device_ownership = NormalizeOwnership(ownership);
  d.enrollment_profile_name =
      core::StringMember(object, "enrollmentProfileName", pointer, problems);
  d.manufacturer = core::StringMember(object, "manufacturer", pointer, problems);
  d.model = core::StringMember(object, "model", pointer, problems);
  d.mdm_app_id = core::StringMember(object, "mdmAppId", pointer, problems);
  d.profile_type = NormalizeProfileType(core::StringMember(object, "profileType", pointer, problems));
  d.physical_ids = StringList(object, "physicalIds", pointer, problems);
  d.system_labels = StringList(object, "systemLabels", pointer, problems);
  if (auto it = object.find("isCompliant"); it != object.end() && !it->is_null()) {
    d.is_compliant = BoolMember(object, "isCompliant", false, pointer, problems);
  }
  d.is_managed = BoolMember(object, "isManaged", false, pointer, problems);
  d.account_enabled = BoolMember(object, "accountEnabled", true, pointer, problems);
  d.registered_owner_id = core::StringMember(object, "registeredOwnerId", pointer, problems);
  auto read_attribute = [&](const json& holder, const std::string& holder_pointer, int i) {
    std::string key = "extensionAttribute" + std::to_string(i + 1);
    std::string value = core::StringMember(holder, key, holder_pointer, problems);
    if (!value.empty()) d.extension_attributes[i] = value;
  };
  auto ext = object.find("extensionAttributes");
  for (int i = 0; i < 15; ++i) {
    read_attribute(object, pointer, i);  // What If deviceInfo puts them at the top level
    if (ext != object.end() && ext->is_object()) {
      read_attribute(*ext, pointer + "/extensionAttributes", i);
    }
  }
  return d;
}

void ReadDevices(const json& doc, DirectoryBuilder& builder, core::ProblemList& problems) {
  for (const auto& [pointer, object] : core::DocumentObjects(doc, problems)) {
    Device device = ReadDevice(*object, pointer, problems);
    if (device.device_id.empty()) {
      problems.AddError(pointer + "/deviceId", "required");
      continue;
    }
    builder.AddDevice(std::move(device));
  }
}

}  // namespace gatehouse::directory
