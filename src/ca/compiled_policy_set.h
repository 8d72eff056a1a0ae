// A tenant's Conditional Access policies compiled against a directory snapshot into an immutable,
// indexed structure. Evaluation computes, for every condition, the set of policies it lets
// through as a bit mask (per-user masks are precomputed for every directory user), so one sign-in
// costs a few table look-ups plus work proportional to the policies that use device filters or
// locations, whatever the number of users and groups.
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
#include "ca/sign_in.h"
#include "directory/directory_snapshot.h"
#include "location/named_location.h"

namespace gatehouse::ca {

inline constexpr std::size_t kMaxCompiledPolicies = 256;

// A set of policies by index.
struct PolicyMask {
  std::array<std::uint64_t, kMaxCompiledPolicies / 64> words{};

  void Set(std::size_t i) { words[i / 64] |= std::uint64_t{1} << (i % 64); }
  bool Test(std::size_t i) const { return (words[i / 64] >> (i % 64)) & 1; }
  PolicyMask& operator|=(const PolicyMask& o) {
    for (std::size_t w = 0; w < words.size(); ++w) words[w] |= o.words[w];
    return *this;
  }
  PolicyMask& operator&=(const PolicyMask& o) {
    for (std::size_t w = 0; w < words.size(); ++w) words[w] &= o.words[w];
    return *this;
  }
  PolicyMask AndNot(const PolicyMask& o) const {
    PolicyMask r;
    for (std::size_t w = 0; w < words.size(); ++w) r.words[w] = words[w] & ~o.words[w];
    return r;
  }
};

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

  struct CompiledLocationCondition {
    std::uint16_t policy;
    bool include_all, include_all_trusted, exclude_all_trusted, exclude_everything;
    std::vector<std::uint16_t> include, exclude;  // named-location indices
  };
  struct CompiledDeviceCondition {
    std::uint16_t policy;
    bool include_mode;
    const devicefilter::DeviceFilter* filter;
  };
  struct CompiledGrant {
    std::uint32_t controls = 0;
    bool require_all = true;
    int strength = -1;  // index into strengths_, -1 none, -2 unknown id (never satisfied)
  };

  // Users: include/exclude masks keyed by principal.
  PolicyMask UserMask(std::string_view user_id, std::uint32_t guest_type,
                      std::string_view external_tenant,
                      const directory::DirectorySnapshot::UserIndex* user) const;
  PolicyMask ApplicationMask(const SignInContext& sign_in) const;
  PolicyMask LocationMask(const SignInContext& sign_in, PolicyMask& not_enough_information) const;
  PolicyMask DeviceMask(const SignInContext& sign_in) const;
  std::uint32_t UnmetControls(std::size_t policy, std::uint32_t satisfied_static,
                              const SignInContext& sign_in) const;

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

  PolicyMask location_unconfigured_;
  std::vector<CompiledLocationCondition> location_conditions_;
  std::vector<std::uint16_t> referenced_locations_;
  PolicyMask device_unconfigured_;
  std::vector<CompiledDeviceCondition> device_conditions_;

  std::vector<CompiledGrant> grants_;
  PolicyMask has_block_;
};

}  // namespace gatehouse::ca
