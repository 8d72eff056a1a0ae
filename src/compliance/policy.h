// The engine's own model of a compliance policy, produced by both codecs (Intune Graph JSON in
// intune_policy.h, native rule policies in native_policy.h) and compiled by the evaluator.
//
// A policy is a platform, a list of configured settings (each one check over one posture key) and
// an action chain. Settings that are not configured never appear here. A setting the engine
// cannot evaluate is kept as a check of kind kUnsupported so it evaluates to `error` — it is never
// dropped, because dropping it would be a silent pass.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "compliance/posture.h"

namespace gatehouse::compliance {

enum class PolicyFormat : uint8_t { kIntune, kNative };

enum class CheckKind : uint8_t {
  kBoolEquals,       // bool key == expect_bool
  kCompare,          // ordered key (version, date, int, threat level) <op> operand
  kEnumIn,           // enum key (operatingSystem, ownership, threatLevel) in enum_mask
  kStringEquals,     // string key == one of strings (exact)
  kStringContains,   // string key contains strings[0] (substring, case-insensitive)
  kAppsContain,      // installedApps holds any app whose id is in strings
  kPresent,          // key reported
  kVersionInRanges,  // version key within one [low, high] of version_ranges (bounds included)
  kUnsupported,      // the engine cannot evaluate this setting: always `error`
};

enum class CompareOp : uint8_t { kLess, kLessOrEqual, kEqual, kGreaterOrEqual, kGreater };

// One configured setting.
struct SettingCheck {
  std::string setting;  // Graph property name (Intune) or rule name (native): the output name
  CheckKind kind = CheckKind::kUnsupported;
  PostureKey key = PostureKey::kDeviceId;
  CompareOp op = CompareOp::kEqual;
  bool negate = false;  // native rules: "not" — pass/fail swap, not-reported stays failing
  bool expect_bool = true;
  Version version;                   // kCompare on version keys
  int64_t number = 0;                // kCompare on date (days since 1970-01-01), int, threat level
  uint32_t enum_mask = 0;            // kEnumIn: bit (1 << enum value)
  std::vector<std::string> strings;  // string / app checks
  std::vector<std::pair<Version, Version>> version_ranges;  // kVersionInRanges: [low, high]
  std::string operand_text;          // the policy's value as written, for explanations
  std::string unsupported_reason;    // kUnsupported: why
};

// Intune deviceComplianceActionType and the native action chain share one vocabulary.
enum class ActionType : uint8_t {
  kNotifyUser,  // Intune notification / pushNotification
  kNotifyAdmin,
  kMarkNonCompliant,  // Intune block ("Mark device noncompliant")
  kBlockAccess,
  kRemoteLock,
  kRemoveManagedApps,  // Intune removeResourceAccessProfiles / WS1 remove apps and profiles
  kRetire,
  kEnterpriseWipe,  // Intune wipe
  kNoAction,
};
std::string_view ActionTypeName(ActionType type);  // "notifyUser", "markNonCompliant", ...
std::optional<ActionType> ParseActionType(std::string_view name);

struct ActionStep {
  ActionType type = ActionType::kMarkNonCompliant;
  absl::Duration after = absl::ZeroDuration();  // from first noncompliance
  bool marks_noncompliant = false;
  std::vector<std::string> notify_cc;  // Intune notificationMessageCCList (group ids)
  std::string notification_template_id;
};

struct CompliancePolicy {
  std::string id;
  std::string display_name;
  PolicyFormat format = PolicyFormat::kIntune;
  std::string odata_type;  // Intune subtype, e.g. "#microsoft.graph.iosCompliancePolicy"
  // Platforms the policy applies to; empty = every platform (native "any").
  std::vector<OperatingSystem> platforms;
  bool match_any = false;  // native "match": "any"; Intune policies are always all
  std::vector<SettingCheck> checks;
  std::vector<ActionStep> actions;
  // Setting name → remediation text written by the admin; replaces the built-in text.
  absl::flat_hash_map<std::string, std::string> remediation;

  // The grace period: the delay of the first step that marks the device noncompliant
  // (Intune: the `block` action's gracePeriodHours). Without any action the device is marked at
  // once. An Intune policy whose actions hold no `block` is also marked at once (every Intune
  // policy has the default "Mark device noncompliant" at 0 days). nullopt only for a native chain
  // that never marks the device (WS1 lets an admin uncheck every "Mark as Not Compliant"): a
  // failing device then stays inGracePeriod with no expiry.
  std::optional<absl::Duration> GracePeriod() const;
  bool AppliesTo(OperatingSystem os) const;
};

}  // namespace gatehouse::compliance
