// Small builders for CA tests: a directory and policies from inline JSON.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ca/compiled_policy_set.h"
#include "ca/policy_codec.h"
#include "core/json_document.h"
#include "directory/directory_codec.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::ca::testing {

inline std::shared_ptr<const directory::DirectorySnapshot> MakeDirectory(
    const std::string& users, const std::string& groups = "[]", const std::string& roles = "{}",
    const std::string& devices = "[]") {
  directory::DirectoryBuilder builder;
  core::ProblemList problems;
  directory::ReadUsers(nlohmann::json::parse(users), builder, problems);
  directory::ReadGroups(nlohmann::json::parse(groups), builder, problems);
  directory::ReadRoles(nlohmann::json::parse(roles), builder, problems);
  directory::ReadDevices(nlohmann::json::parse(devices), builder, problems);
  auto snapshot = std::move(builder).Build(problems);
  EXPECT_FALSE(problems.has_errors()) << problems.ToString();
  return snapshot;
}

inline Policy MakePolicy(const std::string& json_text) {
  core::ProblemList problems;
  auto policy = ParsePolicy(nlohmann::json::parse(json_text), "test", problems);
  EXPECT_TRUE(policy.has_value()) << problems.ToString();
  return policy.value_or(Policy{});
}

inline std::shared_ptr<const CompiledPolicySet> Compile(
    std::vector<Policy> policies, std::shared_ptr<const directory::DirectorySnapshot> directory,
    std::vector<location::NamedLocation> locations = {}) {
  auto set = CompiledPolicySet::Compile(std::move(policies), std::move(locations), {}, directory);
  EXPECT_TRUE(set.ok()) << set.status();
  return *set;
}

}  // namespace gatehouse::ca::testing
