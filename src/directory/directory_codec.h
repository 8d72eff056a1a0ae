// Reads the directory files of a tenant bundle (shared DESIGN §3.1): users.json, groups.json,
// roles.json, applications.json, devices.json. Each reader takes one parsed document, adds what it
// finds to a DirectoryBuilder and reports problems with JSON pointers; it never stops early.
#pragma once

#include "core/problem.h"
#include "directory/directory_snapshot.h"
#include "nlohmann/json_fwd.hpp"

namespace gatehouse::directory {

// Graph users: id, userPrincipalName, displayName, accountEnabled, userType (Member|Guest), and
// optionally externalUserType (one guest type token) and externalTenantId.
void ReadUsers(const nlohmann::json& doc, DirectoryBuilder& builder, core::ProblemList& problems);
// Groups: id, displayName, members (ids, or Graph objects {"@odata.type", "id"}).
void ReadGroups(const nlohmann::json& doc, DirectoryBuilder& builder, core::ProblemList& problems);
// Role assignments: {"<roleTemplateId>": ["userId", ...]} or [{"roleTemplateId", "members"}].
void ReadRoles(const nlohmann::json& doc, DirectoryBuilder& builder, core::ProblemList& problems);
// Applications: appId, displayName.
void ReadApplications(const nlohmann::json& doc, DirectoryBuilder& builder,
                      core::ProblemList& problems);
// Graph devices.
void ReadDevices(const nlohmann::json& doc, DirectoryBuilder& builder, core::ProblemList& problems);

// Reads one Graph device object (also used for What If `deviceInfo`, which has the same fields
// except `ownership` for `deviceOwnership`).
Device ReadDevice(const nlohmann::json& object, const std::string& pointer,
                  core::ProblemList& problems);

// Canonical spellings: trustType AzureAD | ServerAD | Workplace (accepting Graph's newer
// EntraID / EntraHybrid / Registered forms), ownership Company | Personal.
std::string NormalizeTrustType(std::string_view value);
std::string NormalizeOwnership(std::string_view value);
// profileType: Microsoft samples' "Standard" reads as "RegisteredDevice".
std::string NormalizeProfileType(std::string_view value);

}  // namespace gatehouse::directory
