// Bytes -> JSON document -> conditionalAccessPolicy codec -> compile -> evaluate. Whatever the
// input, nothing crashes, a policy that parsed compiles, and a rejected policy has an error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ca/compiled_policy_set.h"
#include "ca/policy_codec.h"
#include "core/json_document.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gatehouse;
  auto doc = core::ParseJsonDocument(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!doc.ok()) return 0;
  core::ProblemList problems;
  auto policy = ca::ParsePolicy(*doc, "fuzz", problems);
  if (!policy) {
    if (!problems.has_errors()) __builtin_trap();  // rejected without saying why
    return 0;
  }
  static const auto directory = [] {
    directory::DirectoryBuilder builder;
    builder.AddUser({.id = "u1"});
    builder.AddGroup("g1", "g", {"u1"});
    core::ProblemList p;
    return std::move(builder).Build(p);
  }();
  auto set = ca::CompiledPolicySet::Compile({*policy}, {}, {}, directory);
  if (!set.ok()) __builtin_trap();
  ca::SignInContext sign_in;
  sign_in.user = directory->FindUser("u1");
  sign_in.user_id = "u1";
  sign_in.applications = {"app"};
  ca::Decision decision = (*set)->Evaluate(sign_in);
  if (decision.policy_count != 1) __builtin_trap();
  return 0;
}
