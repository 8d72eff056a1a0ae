// Batch compliance evaluation: 1,000,000 devices × 4 assigned (and applicable) policies on one
// core. Reports device-policy evaluations per second (items_per_second) and the resident bytes
// held per device by the DeviceBatch (records, assignment indices, device ids).
//
//   build-x/bench/compliance/compliance_bench --benchmark_min_time=3
#include <random>
#include <string>

#include "benchmark/benchmark.h"
#include "compliance/evaluator.h"
#include "compliance/native_policy.h"

namespace gatehouse::compliance {
namespace {

constexpr int kDevices = 1'000'000;
constexpr int kPoliciesPerDevice = 4;

CompliancePolicy Parse(const char* text) {
  core::ProblemList warnings;
  return *ParseCompliancePolicy(nlohmann::json::parse(text), "", &warnings);
}

std::vector<CompliancePolicy> Policies() {
  return {
      Parse(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy","id":"ios-props",
        "osMinimumVersion":"17.4","osMaximumVersion":"18.9","passcodeRequired":true,
        "passcodeMinimumLength":6,"scheduledActionsForRule":[{"scheduledActionConfigurations":[
        {"actionType":"block","gracePeriodHours":72}]}]})"),
      Parse(R"({"@odata.type":"#microsoft.graph.iosCompliancePolicy","id":"ios-health",
        "securityBlockJailbrokenDevices":true,"deviceThreatProtectionEnabled":true,
        "deviceThreatProtectionRequiredSecurityLevel":"medium",
        "restrictedApps":[{"appId":"com.example.app7"},{"appId":"com.example.app13"}]})"),
      Parse(R"({"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"win-health",
        "bitLockerEnabled":true,"secureBootEnabled":true,"codeIntegrityEnabled":true,
        "osMinimumVersion":"10.0.22631.2861"})"),
      Parse(R"({"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"win-security",
        "activeFirewallRequired":true,"antivirusRequired":true,"antiSpywareRequired":true,
        "rtpEnabled":true,"storageRequireEncryption":true})"),
      Parse(
          R"({"@odata.type":"#microsoft.graph.androidWorkProfileCompliancePolicy","id":"android-props",
        "osMinimumVersion":"12.0","minAndroidSecurityPatchLevel":"2024-06-01",
        "securityBlockJailbrokenDevices":true,"storageRequireEncryption":true})"),
      Parse(R"({"id":"android-rules","platform":"Android","match":"all","rules":[
        {"name":"owned","key":"ownership","operator":"in","value":["company","personal"]},
        {"name":"passcode","key":"passcodeSet","operator":"equals","value":true}]})"),
      Parse(R"({"id":"any-apps","platform":"any","rules":[
        {"name":"noBad","key":"installedApps","operator":"contains","value":"com.example.app3","not":true},
        {"name":"vendor","key":"manufacturer","operator":"in","value":["Apple","Microsoft","Google","Samsung"]}],
        "actions":[{"action":"notifyUser","markNonCompliant":false},{"action":"blockAccess","delayHours":24}]})"),
      Parse(R"({"id":"any-threat","platform":"any","match":"any","rules":[
        {"name":"threat","key":"threatLevel","operator":"versionLessThan","value":"high"},
        {"name":"upn","key":"userPrincipalName","operator":"contains","value":"@example.com"}]})"),
  };
}

struct Fleet {
  std::shared_ptr<const CompiledPolicySet> policies;
  std::unique_ptr<DeviceBatch> batch;
};

Fleet& BuildFleet() {
  static Fleet fleet = [] {
    Fleet f;
    f.policies = *CompiledPolicySet::Compile(Policies());
    f.batch = std::make_unique<DeviceBatch>(f.policies);
    f.batch->Reserve(kDevices, static_cast<size_t>(kDevices) * kPoliciesPerDevice);
    std::mt19937_64 rng(42);
    auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
    const char* manufacturers[] = {"Apple", "Microsoft", "Google", "Samsung", "Lenovo"};
    const absl::Time now = absl::FromUnixSeconds(1740830400);
    for (int i = 0; i < kDevices; ++i) {
      DeviceInput device;
      Posture& p = device.posture;
      char id[40];
      std::snprintf(id, sizeof(id), "%08x-%04x-4%03x-8%03x-%012llx", i,
                    static_cast<int>(rng() & 0xffff), static_cast<int>(rng() & 0xfff),
                    static_cast<int>(rng() & 0xfff),
                    static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
      p.device_id = id;
      const int platform = i % 3;
      auto version = [&](const std::string& text) {
        return VersionValue{*Version::Parse(text), text};
      };
      if (platform == 0) {
        p.operating_system = OperatingSystem::kIos;
        p.os_version = version("17." + std::to_string(rng() % 8));
        device.assigned_policy_ids = {"ios-props", "ios-health", "any-apps", "any-threat"};
      } else if (platform == 1) {
        p.operating_system = OperatingSystem::kWindows;
        p.os_version = version("10.0.22631." + std::to_string(2000 + rng() % 3000));
        device.assigned_policy_ids = {"win-health", "win-security", "any-apps", "any-threat"};
      } else {
        p.operating_system = OperatingSystem::kAndroid;
        p.os_version = version(std::to_string(11 + rng() % 4));
        p.security_patch_level = absl::CivilDay(2024, 1 + static_cast<int>(rng() % 12), 5);
        device.assigned_policy_ids = {"android-props", "android-rules", "any-apps", "any-threat"};
      }
      p.manufacturer = manufacturers[rng() % 5];
      p.ownership = chance(70) ? Ownership::kCompany : Ownership::kPersonal;
      for (auto& value : p.bools) value = chance(95);
      p.SetBool(PostureKey::kJailBroken, chance(2));
      p.passcode_minimum_length = static_cast<int>(4 + rng() % 6);
      p.threat_level = static_cast<ThreatLevel>(rng() % 4);
      std::vector<InstalledApp> apps;
      for (int a = 0; a < 5; ++a)
        apps.push_back({"com.example.app" + std::to_string(rng() % 50), "1.0"});
      p.installed_apps = std::move(apps);
      p.user_principal_name = "user" + std::to_string(i) + "@example.com";
      p.observed = now - absl::Hours(static_cast<int64_t>(rng() % (24 * 40)));
      if (chance(10))
        device.first_noncompliant = now - absl::Hours(static_cast<int64_t>(rng() % 96));
      (void)f.batch->Add(device);
    }
    return f;
  }();
  return fleet;
}

void BM_EvaluateFleet(benchmark::State& state) {
  Fleet& fleet = BuildFleet();
  const absl::Time now = absl::FromUnixSeconds(1740830400);
  for (auto _ : state) {
    fleet.batch->Evaluate(TenantSettings{}, now);
    benchmark::DoNotOptimize(fleet.batch->record(kDevices - 1).state);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kDevices) * kPoliciesPerDevice);
  state.counters["devices"] = kDevices;
  state.counters["resident_bytes_per_device"] =
      static_cast<double>(fleet.batch->ResidentBytes()) / kDevices;
  state.counters["record_bytes"] = sizeof(DeviceRecord);
  int compliant = 0;
  for (size_t i = 0; i < fleet.batch->size(); ++i) {
    compliant += fleet.batch->record(i).state == ComplianceState::kCompliant;
  }
  state.counters["compliant_share"] = static_cast<double>(compliant) / kDevices;
}
BENCHMARK(BM_EvaluateFleet)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace gatehouse::compliance

BENCHMARK_MAIN();
