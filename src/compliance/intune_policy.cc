#include "compliance/intune_policy.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "compliance/internal/text.h"
#include "compliance/posture.h"
#include "core/json_document.h"
#include "fmt/format.h"

namespace gatehouse::compliance {
namespace {

using nlohmann::json;
using internal::Child;
using internal::Invalid;


struct PolicyType {
  std::string_view odata_type;
  std::optional<OperatingSystem> platform;  // nullopt: settings catalog, read from "platforms"
};

constexpr std::array<PolicyType, 8> kPolicyTypes = {{
    {"#microsoft.graph.iosCompliancePolicy", OperatingSystem::kIos},
    {"#microsoft.graph.androidDeviceOwnerCompliancePolicy", OperatingSystem::kAndroid},
    {"#microsoft.graph.androidWorkProfileCompliancePolicy", OperatingSystem::kAndroid},
    {"#microsoft.graph.androidCompliancePolicy", OperatingSystem::kAndroid},
    {"#microsoft.graph.aospDeviceOwnerCompliancePolicy", OperatingSystem::kAndroid},
    {"#microsoft.graph.windows10CompliancePolicy", OperatingSystem::kWindows},
    {"#microsoft.graph.macOSCompliancePolicy", OperatingSystem::kMacOs},
    {"#microsoft.graph.deviceManagementCompliancePolicy", std::nullopt},
}};

// Properties that describe the policy rather than require anything of the device.
constexpr std::array<std::string_view, 22> kMetadata = {"id",
                                                        "displayName",
                                                        "description",
                                                        "roleScopeTagIds",
                                                        "version",
                                                        "createdDateTime",
                                                        "lastModifiedDateTime",
                                                        "assignments",
                                                        "scheduledActionsForRule",
                                                        "deviceStatuses",
                                                        "userStatuses",
                                                        "deviceStatusOverview",
                                                        "userStatusOverview",
                                                        "deviceSettingStateSummaries",
                                                        "gatehouseRemediation",
                                                        "name",
                                                        "platforms",
                                                        "technologies",
                                                        "settingCount",
                                                        "creationSource",
                                                        "templateReference",
                                                        "isAssigned"};

// A setting that becomes a boolean check on one posture key.
struct BoolSetting {
  std::string_view property;
  PostureKey key;
  bool device_value;  // the value the device must report when the setting is on
};

constexpr std::array<BoolSetting, 17> kBoolSettings = {{
    {"securityBlockJailbrokenDevices", PostureKey::kJailBroken, false},
    // Approximation: SafetyNet / Play Integrity "basic integrity" and "certified device" verdicts
    // are read as "not rooted" (the posture has no attestation key); docs/posture.md says so.
    {"securityRequireSafetyNetAttestationBasicIntegrity", PostureKey::kJailBroken, false},
    {"securityRequireSafetyNetAttestationCertifiedDevice", PostureKey::kJailBroken, false},
    {"passcodeRequired", PostureKey::kPasscodeSet, true},
    {"passwordRequired", PostureKey::kPasscodeSet, true},
    {"workProfileRequirePassword", PostureKey::kPasscodeSet, true},
    {"storageRequireEncryption", PostureKey::kStorageEncrypted, true},
    {"bitLockerEnabled", PostureKey::kBitLockerEnabled, true},
    {"secureBootEnabled", PostureKey::kSecureBootEnabled, true},
    {"codeIntegrityEnabled", PostureKey::kCodeIntegrityEnabled, true},
    {"activeFirewallRequired", PostureKey::kFirewallEnabled, true},
    {"firewallEnabled", PostureKey::kFirewallEnabled, true},
    {"antivirusRequired", PostureKey::kAntivirusEnabled, true},
    {"antiSpywareRequired", PostureKey::kAntiSpywareEnabled, true},
    {"defenderEnabled", PostureKey::kRealTimeProtectionEnabled, true},
    {"rtpEnabled", PostureKey::kRealTimeProtectionEnabled, true},
    {"systemIntegrityProtectionEnabled", PostureKey::kSystemIntegrityProtectionEnabled, true},
}};

struct VersionSetting {
  std::string_view property;
  PostureKey key;
  CompareOp op;
};

constexpr std::array<VersionSetting, 4> kVersionSettings = {{
    {"osMinimumVersion", PostureKey::kOsVersion, CompareOp::kGreaterOrEqual},
    {"osMaximumVersion", PostureKey::kOsVersion, CompareOp::kLessOrEqual},
    {"osMinimumBuildVersion", PostureKey::kOsBuildVersion, CompareOp::kGreaterOrEqual},
    {"osMaximumBuildVersion", PostureKey::kOsBuildVersion, CompareOp::kLessOrEqual},
}};

// Minimum-length settings: always evaluated when configured (DESIGN §3.4's not-configured list
// is closed; a length does not depend on the password switch being on in the export).
constexpr std::array<std::string_view, 3> kMinimumLengthSettings = {
    "passcodeMinimumLength", "passwordMinimumLength", "workProfilePasswordMinimumLength"};

// Enum-valued password details. The portal hides them while the password requirement is off,
// and exports then keep the type's default (Android Enterprise exports carry
// passwordRequiredType "numeric" on every policy, password or not). Only these are skipped when
// their requirement is off — with a warning, never silently. Every other detail is evaluated.
struct PasswordTypeSetting {
  std::string_view property;
  std::string_view requirement;  // the switch that makes it meaningful
};
constexpr std::array<PasswordTypeSetting, 5> kPasswordTypeSettings = {{
    {"passwordRequiredType", "passwordRequired"},
    {"passcodeRequiredType", "passcodeRequired"},
    {"requiredPasswordComplexity", "passwordRequired"},
    {"workProfilePasswordRequiredType", "workProfileRequirePassword"},
    {"workProfileRequiredPasswordComplexity", "workProfileRequirePassword"},
}};

// Modifiers of another setting rather than requirements of their own: ignored (documented in
// docs/compliance-policies.md). The SafetyNet evaluation type (basic / hardware-backed) says how
// the attestation is made; the attestation requirement itself is the setting that is evaluated.
constexpr std::array<std::string_view, 1> kModifiers = {
    "securityRequiredAndroidSafetyNetEvaluationType"};

constexpr size_t kMaxVersionRanges = 10000;  // Graph's limit for validOperatingSystemBuildRanges

bool IsTrue(const json& object, std::string_view key) {
  auto it = object.find(std::string(key));
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

absl::StatusOr<CompliancePolicy> ParseHeader(const json& in, const std::string& pointer) {
  CompliancePolicy policy;
  policy.format = PolicyFormat::kIntune;
  auto id = in.find("id");
  if (id == in.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return Invalid(Child(pointer, "id"), "required: a non-empty string (the policy id)");
  }
  policy.id = id->get<std::string>();
  for (const char* name_key : {"displayName", "name"}) {
    auto name = in.find(name_key);
    if (name != in.end() && name->is_string()) {
      policy.display_name = name->get<std::string>();
      break;
    }
  }
  auto remediation = in.find("gatehouseRemediation");
  if (remediation != in.end() && !remediation->is_null()) {
    if (!remediation->is_object()) {
      return Invalid(Child(pointer, "gatehouseRemediation"),
                     "expected an object mapping setting name to remediation text");
    }
    for (const auto& [setting, text] : remediation->items()) {
      if (!text.is_string()) {
        return Invalid(Child(Child(pointer, "gatehouseRemediation"), setting), "expected a string");
      }
      policy.remediation[setting] = text.get<std::string>();
    }
  }
  return policy;
}

absl::Status ParseScheduledActions(const json& in, const std::string& pointer,
                                   CompliancePolicy& policy, core::ProblemList* warnings) {
  auto rules = in.find("scheduledActionsForRule");
  if (rules == in.end() || rules->is_null()) return absl::OkStatus();
  const std::string rules_pointer = Child(pointer, "scheduledActionsForRule");
  if (!rules->is_array()) return Invalid(rules_pointer, "expected an array");
  for (size_t r = 0; r < rules->size(); ++r) {
    const json& rule = (*rules)[r];
    const std::string rule_pointer = rules_pointer + "/" + std::to_string(r);
    if (!rule.is_object()) return Invalid(rule_pointer, "expected an object");
    auto items = rule.find("scheduledActionConfigurations");
    if (items == rule.end() || items->is_null()) continue;
    const std::string items_pointer = Child(rule_pointer, "scheduledActionConfigurations");
    if (!items->is_array()) return Invalid(items_pointer, "expected an array");
    for (size_t i = 0; i < items->size(); ++i) {
      const json& item = (*items)[i];
      const std::string item_pointer = items_pointer + "/" + std::to_string(i);
      if (!item.is_object()) return Invalid(item_pointer, "expected an object");
      auto type = item.find("actionType");
      if (type == item.end() || !type->is_string()) {
        return Invalid(Child(item_pointer, "actionType"), "required: a string");
      }
      const std::string& type_name = type->get_ref<const std::string&>();
      ActionStep step;
      if (internal::EqualsIgnoreCase(type_name, "block")) {
        step.type = ActionType::kMarkNonCompliant;
        step.marks_noncompliant = true;
      } else if (internal::EqualsIgnoreCase(type_name, "notification") ||
                 internal::EqualsIgnoreCase(type_name, "pushNotification")) {
        step.type = ActionType::kNotifyUser;
      } else if (internal::EqualsIgnoreCase(type_name, "retire")) {
        step.type = ActionType::kRetire;
      } else if (internal::EqualsIgnoreCase(type_name, "wipe")) {
        step.type = ActionType::kEnterpriseWipe;
      } else if (internal::EqualsIgnoreCase(type_name, "remoteLock")) {
        step.type = ActionType::kRemoteLock;
      } else if (internal::EqualsIgnoreCase(type_name, "removeResourceAccessProfiles")) {
        step.type = ActionType::kRemoveManagedApps;
      } else if (internal::EqualsIgnoreCase(type_name, "noAction")) {
        step.type = ActionType::kNoAction;
      } else {
        warnings->AddWarning(Child(item_pointer, "actionType"),
                             fmt::format("unknown action type \"{}\"; ignored", type_name));
        continue;
      }
      auto hours = item.find("gracePeriodHours");
      if (hours != item.end() && !hours->is_null()) {
        if (!hours->is_number() || hours->get<double>() < 0 || hours->get<double>() > 8760) {
          return Invalid(Child(item_pointer, "gracePeriodHours"),
                         "expected a number of hours between 0 and 8760");
        }
        step.after = absl::Seconds(static_cast<int64_t>(hours->get<double>() * 3600));
      }
      auto template_id = item.find("notificationTemplateId");
      if (template_id != item.end() && template_id->is_string()) {
        step.notification_template_id = template_id->get<std::string>();
      }
      auto cc = item.find("notificationMessageCCList");
      if (cc != item.end() && cc->is_array()) {
        for (const json& group : *cc) {
          if (group.is_string()) step.notify_cc.push_back(group.get<std::string>());
        }
      }
      policy.actions.push_back(std::move(step));
    }
  }
  return absl::OkStatus();
}

SettingCheck Unsupported(std::string setting, std::string reason) {
  SettingCheck check;
  check.setting = std::move(setting);
  check.kind = CheckKind::kUnsupported;
  check.unsupported_reason = std::move(reason);
  return check;
}

// Settings catalog (Linux): settings[].settingInstance.{settingDefinitionId, choiceSettingValue}.
absl::Status ParseSettingsCatalog(const json& in, const std::string& pointer,
                                  CompliancePolicy& policy, core::ProblemList* warnings) {
  auto settings = in.find("settings");
  if (settings == in.end() || settings->is_null()) return absl::OkStatus();
  const std::string settings_pointer = Child(pointer, "settings");
  if (!settings->is_array()) return Invalid(settings_pointer, "expected an array");
  for (size_t i = 0; i < settings->size(); ++i) {
    const std::string where = settings_pointer + "/" + std::to_string(i);
    const json& setting = (*settings)[i];
    if (!setting.is_object()) return Invalid(where, "expected an object");
    auto instance = setting.find("settingInstance");
    if (instance == setting.end() || !instance->is_object()) {
      return Invalid(Child(where, "settingInstance"), "required: an object");
    }
    auto definition = instance->find("settingDefinitionId");
    if (definition == instance->end() || !definition->is_string()) {
      return Invalid(Child(Child(where, "settingInstance"), "settingDefinitionId"),
                     "required: a string");
    }
    const std::string& id = definition->get_ref<const std::string&>();
    std::string choice;
    auto choice_value = instance->find("choiceSettingValue");
    if (choice_value != instance->end() && choice_value->is_object()) {
      auto value = choice_value->find("value");
      if (value != choice_value->end() && value->is_string()) choice = value->get<std::string>();
    }
    if (id == "linux_deviceencryption_required") {
      if (absl::EndsWith(choice, "_false")) continue;  // not required: not configured
      if (absl::EndsWith(choice, "_true")) {
        SettingCheck check;
        check.setting = id;
        check.kind = CheckKind::kBoolEquals;
        check.key = PostureKey::kStorageEncrypted;
        check.expect_bool = true;
        check.operand_text = "true";
        policy.checks.push_back(std::move(check));
        continue;
      }
    }
    warnings->AddWarning(where, fmt::format("settings-catalog compliance setting \"{}\" is not "
                                            "supported; it evaluates to error",
                                            id));
    policy.checks.push_back(
        Unsupported(id, fmt::format("the settings-catalog setting {} is not supported", id)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ThreatLevel> ReadThreatLevel(const json& value, const std::string& where) {
  if (!value.is_string()) return Invalid(where, "expected a threat level string");
  auto level = ParseThreatLevel(value.get_ref<const std::string&>());
  if (!level) {
    return Invalid(where, fmt::format("unknown threat level \"{}\" (expected secured, low, "
                                      "medium, high, unavailable or notSet)",
                                      value.get<std::string>()));
  }
  return *level;
}

}  // namespace

bool IsIntunePolicyJson(const json& json) {
  return json.is_object() && json.contains("@odata.type");
}

bool IsNotConfiguredValue(const json& value) {
  if (value.is_null()) return true;
  if (value.is_boolean()) return !value.get<bool>();
  if (value.is_array() || value.is_object()) return value.empty();
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    for (std::string_view token :
         {"notConfigured", "deviceDefault", "unavailable", "notSet", "none"}) {
      if (internal::EqualsIgnoreCase(text, token)) return true;
    }
  }
  return false;
}

absl::StatusOr<CompliancePolicy> ParseIntunePolicy(const json& in, const std::string& pointer,
                                                   core::ProblemList* warnings) {
  if (!in.is_object()) {
    return Invalid(pointer, "expected a policy object, got " + std::string(in.type_name()));
  }
  auto type = in.find("@odata.type");
  if (type == in.end() || !type->is_string()) {
    return Invalid(Child(pointer, "@odata.type"), "required: a string");
  }
  const std::string& odata_type = type->get_ref<const std::string&>();
  const PolicyType* policy_type = nullptr;
  for (const PolicyType& candidate : kPolicyTypes) {
    if (internal::EqualsIgnoreCase(candidate.odata_type, odata_type)) policy_type = &candidate;
  }
  if (policy_type == nullptr) {
    return Invalid(Child(pointer, "@odata.type"),
                   fmt::format("unsupported compliance policy type \"{}\"", odata_type));
  }
  absl::StatusOr<CompliancePolicy> header = ParseHeader(in, pointer);
  if (!header.ok()) return header.status();
  CompliancePolicy policy = std::move(*header);
  policy.odata_type = std::string(policy_type->odata_type);

  if (policy_type->platform) {
    policy.platforms.push_back(*policy_type->platform);
  } else {
    auto platforms = in.find("platforms");
    std::vector<std::string> tokens;
    if (platforms == in.end() || !core::ReadTokenList(*platforms, tokens) || tokens.empty()) {
      return Invalid(Child(pointer, "platforms"), "required: the policy's platform (e.g. linux)");
    }
    for (const std::string& token : tokens) {
      std::optional<OperatingSystem> os = ParseOperatingSystem(token);
      if (!os && internal::EqualsIgnoreCase(token, "windows10")) os = OperatingSystem::kWindows;
      if (!os) {
        return Invalid(Child(pointer, "platforms"), fmt::format("unknown platform \"{}\"", token));
      }
      policy.platforms.push_back(*os);
    }
  }

  auto status = ParseScheduledActions(in, pointer, policy, warnings);
  if (!status.ok()) return status;
  if (!policy_type->platform) {
    status = ParseSettingsCatalog(in, pointer, policy, warnings);
    if (!status.ok()) return status;
  }

  const bool threat_protection_on = IsTrue(in, "deviceThreatProtectionEnabled");

  for (const auto& [property, value] : in.items()) {
    if (property.empty() || property[0] == '@' || property[0] == '#' ||
        absl::StrContains(property, "@odata.")) {
      continue;
    }
    if (std::find(kMetadata.begin(), kMetadata.end(), property) != kMetadata.end()) continue;
    if (property == "settings" && !policy_type->platform) continue;
    if (property == "deviceThreatProtectionEnabled") continue;  // a switch, read below
    if (std::find(kModifiers.begin(), kModifiers.end(), property) != kModifiers.end()) continue;
    if (IsNotConfiguredValue(value)) continue;
    const std::string where = Child(pointer, property);
    if (property == "deviceThreatProtectionRequiredSecurityLevel" && !threat_protection_on) {
      continue;
    }
    // (clang 14 cannot capture a structured binding in a lambda; name it first.)
    const std::string& property_name = property;
    auto password_type = std::find_if(
        kPasswordTypeSettings.begin(), kPasswordTypeSettings.end(),
        [&](const PasswordTypeSetting& type) { return type.property == property_name; });
    if (password_type != kPasswordTypeSettings.end() && !IsTrue(in, password_type->requirement)) {
      warnings->AddWarning(where, fmt::format("{} = {} is ignored: {} is not true in this policy, "
                                              "so the portal does not apply it",
                                              property, value.dump().substr(0, 60),
                                              password_type->requirement));
      continue;
    }

    SettingCheck check;
    check.setting = property;
    bool handled = false;
    for (const BoolSetting& setting : kBoolSettings) {
      if (setting.property != property) continue;
      if (!value.is_boolean()) return Invalid(where, "expected true, false or null");
      check.kind = CheckKind::kBoolEquals;
      check.key = setting.key;
      check.expect_bool = setting.device_value;
      check.operand_text = "true";
      handled = true;
    }
    for (const VersionSetting& setting : kVersionSettings) {
      if (setting.property != property) continue;
      if (!value.is_string()) return Invalid(where, "expected a version string or null");
      auto version = Version::Parse(value.get_ref<const std::string&>());
      if (!version.ok()) return Invalid(where, std::string(version.status().message()));
      check.kind = CheckKind::kCompare;
      check.key = setting.key;
      check.op = setting.op;
      check.version = *version;
      check.operand_text = value.get<std::string>();
      // Windows versions are major.minor.build.revision; exports sometimes hold only
      // build.revision ("22631.4249"). Compare those with the device's build.revision.
      if (policy.AppliesTo(OperatingSystem::kWindows) && policy.platforms.size() == 1 &&
          version->size == 2 && version->parts[0] >= 1000) {
        check.version.parts = {10, 0, version->parts[0], version->parts[1]};
        check.version.size = 4;
        warnings->AddWarning(
            where, fmt::format("\"{}\" is not major.minor.build.revision; read as 10.0.{}",
                               check.operand_text, check.operand_text));
        check.operand_text = check.version.ToString();
      }
      handled = true;
    }
    if (property == "minAndroidSecurityPatchLevel") {
      if (!value.is_string()) return Invalid(where, "expected a date string or null");
      auto day = ParsePatchLevel(value.get_ref<const std::string&>());
      if (!day.ok()) return Invalid(where, std::string(day.status().message()));
      check.kind = CheckKind::kCompare;
      check.key = PostureKey::kSecurityPatchLevel;
      check.op = CompareOp::kGreaterOrEqual;
      check.number = (*day - absl::CivilDay(1970, 1, 1));
      check.operand_text = absl::FormatCivilTime(*day);
      handled = true;
    }
    if (std::find(kMinimumLengthSettings.begin(), kMinimumLengthSettings.end(), property) !=
        kMinimumLengthSettings.end()) {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 1024) {
        return Invalid(where, "expected an integer length or null");
      }
      check.kind = CheckKind::kCompare;
      check.key = PostureKey::kPasscodeMinimumLength;
      check.op = CompareOp::kGreaterOrEqual;
      check.number = value.get<int64_t>();
      check.operand_text = std::to_string(check.number);
      handled = true;
    }
    if (property == "deviceThreatProtectionRequiredSecurityLevel" ||
        property == "advancedThreatProtectionRequiredSecurityLevel") {
      auto level = ReadThreatLevel(value, where);
      if (!level.ok()) return level.status();
      check.kind = CheckKind::kCompare;
      check.key = PostureKey::kThreatLevel;
      check.op = CompareOp::kLessOrEqual;
      check.number = static_cast<int64_t>(*level);
      check.operand_text = std::string(ThreatLevelName(*level));
      handled = true;
    }
    if (property == "validOperatingSystemBuildRanges") {
      if (!value.is_array()) {
        return Invalid(where, "expected an array of operatingSystemVersionRange");
      }
      if (value.size() > kMaxVersionRanges) {
        return Invalid(where, fmt::format("more than {} ranges", kMaxVersionRanges));
      }
      check.kind = CheckKind::kVersionInRanges;
      check.key = PostureKey::kOsVersion;
      for (size_t i = 0; i < value.size(); ++i) {
        const json& range = value[i];
        const std::string range_pointer = where + "/" + std::to_string(i);
        if (!range.is_object()) {
          return Invalid(range_pointer, "expected {lowestVersion, highestVersion, description}");
        }
        std::array<Version, 2> bounds;
        std::array<const char*, 2> fields = {"lowestVersion", "highestVersion"};
        for (size_t b = 0; b < 2; ++b) {
          auto it = range.find(fields[b]);
          if (it == range.end() || !it->is_string()) {
            return Invalid(Child(range_pointer, fields[b]), "required: a version string");
          }
          auto version = Version::Parse(it->get_ref<const std::string&>());
          if (!version.ok()) {
            return Invalid(Child(range_pointer, fields[b]),
                           std::string(version.status().message()));
          }
          bounds[b] = *version;
        }
        if (CompareVersions(bounds[0], bounds[1]) > 0) {
          return Invalid(range_pointer, "lowestVersion is higher than highestVersion");
        }
        check.version_ranges.emplace_back(bounds[0], bounds[1]);
        std::string text = bounds[0].ToString() + " to " + bounds[1].ToString();
        auto description = range.find("description");
        if (description != range.end() && description->is_string() &&
            !description->get_ref<const std::string&>().empty()) {
          text += " \"" + description->get<std::string>() + "\"";
        }
        check.operand_text += (check.operand_text.empty() ? "" : ", ") + text;
      }
      handled = true;
    }
    if (property == "restrictedApps") {
      if (!value.is_array()) return Invalid(where, "expected an array of appListItem");
      check.kind = CheckKind::kAppsContain;
      check.key = PostureKey::kInstalledApps;
      check.negate = true;  // compliant when none of them is installed
      for (size_t i = 0; i < value.size(); ++i) {
        const json& item = value[i];
        std::string app_id;
        for (const char* field : {"appId", "name"}) {
          auto it = item.is_object() ? item.find(field) : item.end();
          if (item.is_object() && it != item.end() && it->is_string() && app_id.empty()) {
            app_id = it->get<std::string>();
          }
        }
        if (app_id.empty()) {
          return Invalid(where + "/" + std::to_string(i),
                         "expected an appListItem with an appId or name");
        }
        check.strings.push_back(app_id);
      }
      check.operand_text = std::to_string(check.strings.size()) + " restricted apps";
      handled = true;
    }
    if (!handled) {
      warnings->AddWarning(where, fmt::format("setting {} = {} is not supported by the "
                                              "compliance engine; it evaluates to error",
                                              property, value.dump().substr(0, 60)));
      check = Unsupported(property, fmt::format("the setting {} is not supported", property));
    }
    policy.checks.push_back(std::move(check));
  }
  return policy;
}

}  // namespace gatehouse::compliance
