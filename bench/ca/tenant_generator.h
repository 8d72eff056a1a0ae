// A deterministic generator of a large Conditional Access tenant for benchmarks (issue 2 item 9):
// 195 policies in the mix of real baselines (j0eyv's ConditionalAccessBaseline scaled up), 100k
// users (some guests), 5k nested groups, directory role holders, 50k devices, ~20 named
// locations, and a realistic stream of sign-ins against it.
//
// Everything is produced as Graph JSON first (the files of a tenant bundle, shared DESIGN §3.1)
// and then read through the project's own codecs (ParsePolicy, ParseNamedLocation, ReadUsers...),
// so the in-memory tenant a benchmark measures is exactly the one `gatehouse_tenant_gen` writes
// to disk for the CLI and the Cedar peer. The same seed always yields the same tenant.
//
// Not thread-safe (plain functions over values); benchmarks only, never linked into the product.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ca/policy.h"
#include "core/problem.h"
#include "directory/directory_snapshot.h"
#include "location/named_location.h"
#include "nlohmann/json.hpp"

namespace gatehouse::bench {

struct TenantShape {
  std::uint64_t seed = 20240601;
  int policies = 195;  // the documented Entra maximum
  int users = 100000;
  int groups = 5000;
  int devices = 50000;
  int custom_applications = 40;  // line-of-business apps besides Microsoft's well-known ones
  double guest_share = 0.05;
  double report_only_share = 0.30;
  double disabled_share = 0.03;
};

// What the sign-in generator needs to know about the tenant besides its documents.
struct SignInUniverse {
  std::vector<std::string> user_ids;
  std::vector<bool> user_is_guest;
  std::vector<std::vector<std::uint32_t>> devices_of_user;  // indices into device_ids
  std::vector<std::string> device_ids;
  std::vector<std::string> device_os;  // operatingSystem, to keep the platform consistent
  std::vector<std::string> office_apps, admin_portal_apps, custom_apps;
  std::vector<std::string> trusted_ips;    // addresses inside trusted IP locations
  std::vector<std::string> untrusted_ips;  // inside untrusted (partner, blocklisted) locations
};

// The tenant as the Graph documents of a bundle.
struct TenantDocuments {
  std::vector<nlohmann::json> policies;         // conditionalAccessPolicy, one per document
  std::vector<nlohmann::json> named_locations;  // ipNamedLocation / countryNamedLocation
  nlohmann::json users;         // {"value": [...]}
  nlohmann::json groups;        // {"value": [{"id","displayName","members":[...]}]}
  nlohmann::json roles;         // [{"roleTemplateId","members"}]
  nlohmann::json applications;  // {"value": [{"appId","displayName"}]}
  nlohmann::json devices;       // {"value": [Graph device]}
  SignInUniverse universe;
};

TenantDocuments GenerateTenantDocuments(const TenantShape& shape);

// The tenant read through the codecs, ready for CompiledPolicySet::Compile.
struct GeneratedTenant {
  std::shared_ptr<const directory::DirectorySnapshot> directory;
  std::vector<ca::Policy> policies;
  std::vector<location::NamedLocation> named_locations;
  core::ProblemList problems;  // warnings only (errors make BuildTenant fail)
};

absl::StatusOr<GeneratedTenant> BuildTenant(const TenantDocuments& documents);

// `count` sign-ins in the evaluate input shape (shared DESIGN §3.3): a mix of members and guests,
// Office 365 / admin portal / line-of-business apps, client app types, platforms consistent with
// the presented device, corporate and public IPs with their country, MFA and phishing-resistant
// sessions, risk levels and the occasional device code flow.
std::vector<nlohmann::json> GenerateSignIns(const TenantDocuments& documents, std::size_t count,
                                            std::uint64_t seed);

// Writes the bundle folder (conditionalAccess/policies/*.json, conditionalAccess/namedLocations/
// *.json, users.json, groups.json, roles.json, applications.json, devices.json).
absl::Status WriteBundle(const TenantDocuments& documents, const std::string& dir);

// One compact JSON object per line.
absl::Status WriteSignIns(const std::vector<nlohmann::json>& sign_ins, const std::string& path);

}  // namespace gatehouse::bench
