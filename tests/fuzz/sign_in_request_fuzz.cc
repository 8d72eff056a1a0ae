// Bytes -> What If request and evaluate input readers -> evaluation against a small tenant.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ca/compiled_policy_set.h"
#include "ca/policy_codec.h"
#include "ca/sign_in_request.h"
#include "core/json_document.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gatehouse;
  static const auto set = [] {
    directory::DirectoryBuilder builder;
    builder.AddUser({.id = "u1", .user_principal_name = "a@b.example"});
    directory::Device device;
    device.device_id = "d1";
    device.is_compliant = true;
    builder.AddDevice(device);
    core::ProblemList p;
    auto dir = std::move(builder).Build(p);
    auto policy = ca::ParsePolicy(nlohmann::json::parse(R"({"id":"p","state":"enabled",
        "conditions":{"users":{"includeUsers":["All"]},"applications":{"includeApplications":["All"]},
        "locations":{"includeLocations":["All"],"excludeLocations":["AllTrusted"]},
        "devices":{"deviceFilter":{"mode":"exclude","rule":"device.isCompliant -eq True"}}},
        "grantControls":{"operator":"OR","builtInControls":["mfa","compliantDevice"]}})"),
                                  "", p);
    return *ca::CompiledPolicySet::Compile({*policy}, {}, {}, dir);
  }();
  auto doc = core::ParseJsonDocument(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!doc.ok()) return 0;
  for (bool what_if : {true, false}) {
    core::ProblemList problems;
    auto request = what_if ? ca::ReadWhatIfRequest(*doc, set->directory(), nullptr, problems)
                           : ca::ReadSignInRequest(*doc, set->directory(), nullptr, problems);
    if (!request.ok()) {
      if (!problems.has_errors()) __builtin_trap();
      continue;
    }
    ca::Decision decision = set->Evaluate(request->context);
    if (decision.policy_count != 1) __builtin_trap();
  }
  return 0;
}
