// libFuzzer target for the compliance policy codecs: bytes → ParseJsonDocument → Intune or native
// policy parse → compile → evaluate against a fixed posture on every platform → plan actions.
// Any crash, sanitizer report or hang is a bug; parse errors are expected and ignored.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "compliance/action_planner.h"
#include "compliance/evaluator.h"
#include "compliance/native_policy.h"
#include "core/json_document.h"

namespace {

using namespace gatehouse::compliance;  // NOLINT(build/namespaces): fuzz harness

const DeviceInput& FixedDevice() {
  static const DeviceInput device = [] {
    auto parsed = ParseDeviceInput(nlohmann::json::parse(R"({
      "deviceId": "fuzz-device", "operatingSystem": "iOS", "osVersion": "17.4.1",
      "osBuildVersion": "21E236", "securityPatchLevel": "2024-06-05", "manufacturer": "Apple",
      "model": "iPhone15,2", "ownership": "company", "jailBroken": false, "passcodeSet": true,
      "passcodeMinimumLength": 6, "storageEncrypted": true, "firewallEnabled": true,
      "secureBootEnabled": true, "bitLockerEnabled": false, "codeIntegrityEnabled": true,
      "antivirusEnabled": true, "antiSpywareEnabled": true, "realTimeProtectionEnabled": true,
      "threatLevel": "low", "installedApps": [{"id": "com.example.app", "version": "1.0"}],
      "userPrincipalName": "fuzz@example.com", "observedDateTime": "2025-03-01T00:00:00Z",
      "firstNoncompliantDateTime": "2025-02-27T00:00:00Z", "assignedPolicyIds": []})"));
    return *parsed;
  }();
  return device;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto document = gatehouse::core::ParseJsonDocument(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (!document.ok()) return 0;
  gatehouse::core::ProblemList warnings;
  auto policy = ParseCompliancePolicy(*document, "", &warnings);
  (void)ValidateCompliancePolicy(*document);
  if (!policy.ok()) return 0;
  const std::string id = policy->id;
  auto set = CompiledPolicySet::Compile({std::move(*policy)});
  if (!set.ok()) return 0;
  DeviceInput device = FixedDevice();
  device.assigned_policy_ids = {id};
  const absl::Time now = absl::FromUnixSeconds(1740830400);  // 2025-03-01T12:00:00Z
  for (OperatingSystem os :
       {OperatingSystem::kIos, OperatingSystem::kAndroid, OperatingSystem::kWindows,
        OperatingSystem::kMacOs, OperatingSystem::kLinux}) {
    device.posture.operating_system = os;
    auto verdict = EvaluateDevice(**set, device, TenantSettings{}, now);
    if (!verdict.ok()) continue;
    (void)DeviceVerdictToJson(*verdict).dump();
    ActionHistory history{device.first_noncompliant, {}};
    (void)PlanDueActions(*verdict, **set, history, now);
  }
  device.posture = Posture{};
  device.posture.device_id = "empty";
  (void)EvaluateDevice(**set, device, TenantSettings{}, now);
  return 0;
}
