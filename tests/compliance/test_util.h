// Helpers shared by the compliance tests.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "compliance/evaluator.h"
#include "compliance/native_policy.h"
#include "core/iso_time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::compliance::testing {

inline CompliancePolicy PolicyFromJson(const std::string& text,
                                       core::ProblemList* warnings = nullptr) {
  core::ProblemList sink;
  auto policy = ParseCompliancePolicy(nlohmann::json::parse(text), "", warnings ? warnings : &sink);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : CompliancePolicy{};
}

inline DeviceInput DeviceFromJson(const std::string& text) {
  auto device = ParseDeviceInput(nlohmann::json::parse(text));
  EXPECT_TRUE(device.ok()) << device.status();
  return device.ok() ? *device : DeviceInput{};
}

inline absl::Time At(const std::string& iso) { return *core::ParseIsoDateTime(iso); }

inline std::shared_ptr<const CompiledPolicySet> Compile(std::vector<CompliancePolicy> policies) {
  auto set = CompiledPolicySet::Compile(std::move(policies));
  EXPECT_TRUE(set.ok()) << set.status();
  return *set;
}

// Evaluates one device against the given policies with default settings at `now`.
inline DeviceVerdict Judge(const std::vector<CompliancePolicy>& policies,
                           const std::string& device_json,
                           const std::string& now = "2025-03-01T12:00:00Z",
                           TenantSettings settings = {}) {
  auto set = Compile(policies);
  auto verdict = EvaluateDevice(*set, DeviceFromJson(device_json), settings, At(now));
  EXPECT_TRUE(verdict.ok()) << verdict.status();
  return verdict.ok() ? *verdict : DeviceVerdict{};
}

inline const SettingResult* FindSetting(const DeviceVerdict& verdict, const std::string& policy,
                                        const std::string& setting) {
  for (const PolicyVerdict& p : verdict.policies) {
    if (p.policy_id != policy) continue;
    for (const SettingResult& s : p.settings) {
      if (s.setting == setting) return &s;
    }
  }
  return nullptr;
}

}  // namespace gatehouse::compliance::testing
