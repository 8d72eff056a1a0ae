// A tenant's Conditional Access policies compiled against a directory snapshot into an immutable,
// indexed structure. Evaluation computes, for every condition, the set of policies it lets
// through as a bit mask. Everything that depends only on the tenant is precomputed: a mask per
// directory user (groups, roles, guest typing folded in), per directory device (device filters),
// per application (Office 365 / admin portal groupings folded in), and a table from IP segments
// and countries to named locations. One sign-in then costs a handful of look-ups and mask
// operations plus work proportional to the policies that apply, whatever the number of users,
// groups, devices or policies.
//
// Thread-safety: immutable after Compile(); Evaluate() is const and may run concurrently.
// Purity: no I/O, no clock (the sign-in carries its time), no globals.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "ca/authentication_strength.h"
#include "ca/decision.h"
#include "ca/policy.h"
#include "ca/policy_mask.h"
#include "ca/sign_in.h"
#include "directory/directory_snapshot.h"
#include "location/named_location.h"

namespace gatehouse::ca {

class CompiledPolicySet {
 public:
  // Compiles `policies` (at most kMaxCompiledPolicies) against the directory, named locations and
  // custom authentication strengths (built-in strengths are always known). References to objects
  // that do not exist simply match nothing; validation reports them.
  static absl::StatusOr<std::shared_ptr<const CompiledPolicySet>> Compile(
      std::vector<Policy> policies, std::vector<location::NamedLocation> named_locations,
      std::vector<AuthenticationStrength> custom_strengths,
      std::shared_ptr<const directory::DirectorySnapshot> directory);

  Decision Evaluate(const SignInContext& sign_in) const;
  // Same, reusing `decision`'s storage (the hot path allocates nothing once warmed up).
  void Evaluate(const SignInContext& sign_in, Decision& decision) const;

  std::size_t size() const { return policies_.size(); }
  const Policy& policy(std::size_t index) const { return policies_[index]; }
  const std::vector<Policy>& policies() const { return policies_; }
  const directory::DirectorySnapshot& directory() const { return *directory_; }
  const std::vector<location::NamedLocation>& named_locations() const { return locations_; }
  const AuthenticationStrength* FindStrength(std::string_view id) const;

  // Approximate heap bytes of the compiled structure (not counting the directory).
  std::size_t ApproximateMemoryBytes() const;

 private:
  CompiledPolicySet() = default;

  // Named locations are numbered 0..n-1 (n <= 256) and sets of them are PolicyMask-shaped.
  using LocationSet = PolicyMask;
  struct CompiledGrant {
    std::uint32_t controls = 0;
    bool require_all = true;
    int strength = -1;  // index into strengths_, -1 none, -2 unknown id (never satisfied)
  };

  PolicyMask UserMask(std::string_view user_id, std::uint32_t guest_type,
                      std::string_view external_tenant,
                      const directory::DirectorySnapshot::UserIndex* user) const;
  PolicyMask AppMask(std::string_view app_id) const;  // from the include/exclude maps
  PolicyMask ApplicationMask(const SignInContext& sign_in) const;
  LocationSet MatchedLocations(const location::SignInOrigin& origin) const;
  PolicyMask LocationMask(const SignInContext& sign_in, PolicyMask& not_enough_information) const;
  PolicyMask DeviceFilterMask(const directory::Device* device) const;
  PolicyMask DeviceMask(const SignInContext& sign_in) const;
  std::uint32_t UnmetControls(std::size_t policy, std::uint32_t satisfied_static,
                              const SignInContext& sign_in) const;
  void BuildLocationTables();

  std::vector<Policy> policies_;
  std::vector<location::NamedLocation> locations_;
  std::vector<AuthenticationStrength> strengths_;
  std::shared_ptr<const directory::DirectorySnapshot> directory_;

  PolicyMask valid_, evaluated_ /* enabled or report-only */, enabled_, report_only_;

  // Users.
  PolicyMask include_all_users_, workload_policies_;
  absl::flat_hash_map<std::string, PolicyMask> include_by_user_id_, exclude_by_user_id_;
  std::vector<PolicyMask> include_by_group_, exclude_by_group_;  // by directory group index
  std::vector<PolicyMask> include_by_role_, exclude_by_role_;    // by directory role index
  std::array<PolicyMask, 6> include_by_guest_type_, exclude_by_guest_type_;
  struct TenantRestriction {
    std::uint16_t policy;
    bool include;
    std::vector<std::string> tenants;
  };
  std::vector<TenantRestriction> guest_tenant_restrictions_;
  std::vector<PolicyMask> user_masks_;  // precomputed UserMask per directory user
  // Workload identities.
  PolicyMask include_all_service_principals_;
  absl::flat_hash_map<std::string, PolicyMask> include_by_sp_, exclude_by_sp_;

  // Applications.
  PolicyMask include_all_apps_, include_office365_, exclude_office365_, include_admin_portals_,
      exclude_admin_portals_;
  absl::flat_hash_map<std::string, PolicyMask> include_by_app_, exclude_by_app_;
  std::array<PolicyMask, 2> include_by_user_action_;
  absl::flat_hash_map<std::string, PolicyMask> include_by_auth_context_;

  std::array<PolicyMask, kClientAppTypeCount> client_app_ok_;
  std::array<PolicyMask, kDevicePlatformCount> platform_ok_;
  std::array<PolicyMask, kRiskLevelCount> sign_in_risk_ok_, user_risk_ok_, sp_risk_ok_;
  std::array<PolicyMask, kInsiderRiskLevelCount> insider_risk_ok_;
  std::array<PolicyMask, kTransferMethodCount> transfer_ok_;

  // Locations.
  PolicyMask location_unconfigured_, location_needs_origin_;
  PolicyMask location_include_all_, location_include_trusted_, location_exclude_trusted_,
      location_exclude_everything_;
  std::vector<PolicyMask> include_by_location_, exclude_by_location_;  // by location index
  LocationSet trusted_locations_, unknown_country_locations_;
  std::vector<std::array<std::uint8_t, 16>> ip_segment_starts_;  // sorted
  std::vector<LocationSet> ip_segment_locations_;                // locations containing segment
  absl::flat_hash_map<std::string, LocationSet> country_locations_;

  // Devices and applications, precomputed.
  PolicyMask device_unconfigured_;
  std::vector<std::pair<std::uint16_t, const devicefilter::DeviceFilter*>> device_filters_;
  std::vector<bool> device_filter_include_mode_;
  std::vector<PolicyMask> device_masks_;  // per directory device
  PolicyMask no_device_mask_;
  absl::flat_hash_map<std::string, PolicyMask> app_masks_;

  std::vector<CompiledGrant> grants_;
  PolicyMask has_block_;
  // Policies requiring a compliant or hybrid-joined device: "All resources" does not cover device
  // registration for them (a device cannot be compliant before it is registered).
  PolicyMask device_grant_policies_;
};

}  // namespace gatehouse::ca
