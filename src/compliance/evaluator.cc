#include "compliance/evaluator.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/iso_time.h"
#include "fmt/format.h"

namespace gatehouse::compliance {
namespace {

using nlohmann::json;

absl::Status Invalid(const std::string& pointer, const std::string& message) {
  return absl::InvalidArgumentError(pointer.empty() ? message : pointer + ": " + message);
}

constexpr std::array<std::string_view, 6> kStateNames = {
    "unknown", "notApplicable", "compliant", "inGracePeriod", "nonCompliant", "error"};

int64_t DaysSinceEpoch(absl::CivilDay day) { return day - absl::CivilDay(1970, 1, 1); }

bool Compare(int cmp, CompareOp op) {
  switch (op) {
    case CompareOp::kLess:
      return cmp < 0;
    case CompareOp::kLessOrEqual:
      return cmp <= 0;
    case CompareOp::kEqual:
      return cmp == 0;
    case CompareOp::kGreaterOrEqual:
      return cmp >= 0;
    case CompareOp::kGreater:
      return cmp > 0;
  }
  return false;
}

int Sign(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

std::string_view OpText(CompareOp op) {
  switch (op) {
    case CompareOp::kLess:
      return "lower than";
    case CompareOp::kLessOrEqual:
      return "at most";
    case CompareOp::kEqual:
      return "equal to";
    case CompareOp::kGreaterOrEqual:
      return "at least";
    case CompareOp::kGreater:
      return "higher than";
  }
  return "";
}

std::optional<absl::Time> ReadTime(const json& object, std::string_view key,
                                   const std::string& pointer, absl::Status* status) {
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return std::nullopt;
  const std::string where = pointer + "/" + std::string(key);
  if (!it->is_string()) {
    *status = Invalid(where, "expected an ISO 8601 date-time string");
    return std::nullopt;
  }
  auto time = core::ParseIsoDateTime(it->get_ref<const std::string&>());
  if (!time.ok()) {
    *status = Invalid(where, std::string(time.status().message()));
    return std::nullopt;
  }
  return *time;
}

// The remediation text for a failing boolean requirement, by posture key.
std::string BoolRemediation(PostureKey key, bool expected) {
  switch (key) {
    case PostureKey::kJailBroken:
      return expected ? "The device must report as jailbroken."
                      : "The device is jailbroken or rooted. Restore the operating system to an "
                        "unmodified, supported version, then check in again.";
    case PostureKey::kPasscodeSet:
      return "No passcode (screen lock) is set. Set a device passcode in the device settings.";
    case PostureKey::kStorageEncrypted:
      return "Storage is not encrypted. Turn on device encryption (FileVault on macOS, BitLocker "
             "on Windows, encryption in Android or Linux settings).";
    case PostureKey::kFirewallEnabled:
      return "The firewall is off. Turn on the firewall in the system security settings.";
    case PostureKey::kSecureBootEnabled:
      return "Secure Boot is off. Enable Secure Boot in the device firmware (UEFI) settings.";
    case PostureKey::kBitLockerEnabled:
      return "BitLocker is off. Turn on BitLocker drive encryption for the system drive.";
    case PostureKey::kCodeIntegrityEnabled:
      return "Code integrity is off. Enable Windows code integrity (Memory integrity / HVCI).";
    case PostureKey::kAntivirusEnabled:
      return "No active antivirus was found. Turn on antivirus protection.";
    case PostureKey::kAntiSpywareEnabled:
      return "No active antispyware was found. Turn on antispyware protection.";
    case PostureKey::kRealTimeProtectionEnabled:
      return "Real-time protection is off. Turn on Microsoft Defender real-time protection.";
    case PostureKey::kSystemIntegrityProtectionEnabled:
      return "System Integrity Protection is off. Re-enable it from macOS Recovery (csrutil "
             "enable).";
    default:
      return "";
  }
}

std::string FailureReason(const CompliancePolicy& policy, const SettingCheck& check,
                          const Posture& posture) {
  const std::string key(PostureKeyName(check.key));
  const std::string actual = posture.Describe(check.key);
  switch (check.kind) {
    case CheckKind::kBoolEquals: {
      std::string text = check.negate ? "" : BoolRemediation(check.key, check.expect_bool);
      if (!text.empty()) return text;
      return fmt::format("{} is {}; it must {}be {}.", key, actual, check.negate ? "not " : "",
                         check.expect_bool ? "true" : "false");
    }
    case CheckKind::kCompare: {
      const std::string want =
          fmt::format("{}{} {}", check.negate ? "not " : "", OpText(check.op), check.operand_text);
      if (check.key == PostureKey::kOsVersion || check.key == PostureKey::kOsBuildVersion) {
        const bool too_old = (check.op == CompareOp::kGreaterOrEqual ||
                              check.op == CompareOp::kGreater) != check.negate;
        return fmt::format("The {} {} does not meet the requirement ({}). {}",
                           check.key == PostureKey::kOsVersion ? "OS version" : "OS build", actual,
                           want,
                           too_old ? "Install the latest operating system update."
                                   : "This version is not allowed; install a supported version.");
      }
      if (check.key == PostureKey::kSecurityPatchLevel) {
        return fmt::format(
            "The security patch level {} does not meet the requirement ({}). "
            "Install the latest security update.",
            actual, want);
      }
      if (check.key == PostureKey::kPasscodeMinimumLength) {
        return fmt::format(
            "The passcode minimum length is {}; required: {}. Set a longer "
            "passcode.",
            actual, want);
      }
      if (check.key == PostureKey::kThreatLevel) {
        return fmt::format(
            "The device threat level is {}; required: {}. Open the threat "
            "defense app and resolve the threats it reports.",
            actual, want);
      }
      return fmt::format("{} is {}; required: {}.", key, actual, want);
    }
    case CheckKind::kEnumIn:
      return fmt::format("{} is {}; required: {}{}.", key, actual, check.negate ? "not " : "",
                         check.operand_text);
    case CheckKind::kStringEquals:
      return fmt::format(
          "{} is \"{}\"; required: {}{}.", key, actual, check.negate ? "none of " : "one of ",
          check.strings.size() == 1 ? "\"" + check.strings[0] + "\"" : check.operand_text);
    case CheckKind::kStringContains:
      return fmt::format("{} is \"{}\"; it must {}contain \"{}\".", key, actual,
                         check.negate ? "not " : "", check.strings[0]);
    case CheckKind::kAppsContain: {
      if (!check.negate) {
        return fmt::format("A required app is missing: install {}.",
                           check.strings.size() == 1 ? check.strings[0] : check.operand_text);
      }
      std::vector<std::string> found;
      for (const InstalledApp& app : *posture.installed_apps) {
        if (std::find(check.strings.begin(), check.strings.end(), app.id) != check.strings.end() &&
            std::find(found.begin(), found.end(), app.id) == found.end()) {
          found.push_back(app.id);
        }
      }
      std::string list;
      for (const std::string& id : found) list += (list.empty() ? "" : ", ") + id;
      return fmt::format("Restricted apps are installed: {}. Uninstall them.", list);
    }
    case CheckKind::kPresent:
      return check.negate ? fmt::format("{} must not be reported.", key)
                          : fmt::format(
                                "{} was not reported by the device. Make sure the "
                                "Gatehouse agent is running and can check in.",
                                key);
    case CheckKind::kVersionInRanges:
      return fmt::format(
          "The {} {} is {}in an allowed range ({}). {}",
          check.key == PostureKey::kOsBuildVersion ? "OS build" : "OS version", actual,
          check.negate ? "" : "not ", check.operand_text,
          check.negate ? "This version is not allowed; install a supported version."
                       : "Install a supported operating system version.");
    case CheckKind::kUnsupported:
      break;
  }
  (void)policy;
  return "";
}

std::string Reason(const CompliancePolicy& policy, const SettingCheck& check, CheckOutcome outcome,
                   const Posture& posture) {
  if (outcome == CheckOutcome::kPass) return "";
  if (auto it = policy.remediation.find(check.setting); it != policy.remediation.end()) {
    return it->second;
  }
  if (outcome == CheckOutcome::kError) {
    return fmt::format(
        "Gatehouse cannot evaluate {} ({}). Ask your administrator to remove or "
        "replace this setting in policy \"{}\".",
        check.setting, check.unsupported_reason,
        policy.display_name.empty() ? policy.id : policy.display_name);
  }
  if (outcome == CheckOutcome::kNotReported) {
    const std::string key(PostureKeyName(check.key));
    return fmt::format(
        "{} was not reported by the device{}. Make sure the Gatehouse agent is "
        "running and can check in.",
        key, key == check.setting ? "" : ", so " + check.setting + " cannot pass");
  }
  return FailureReason(policy, check, posture);
}

ComplianceState SettingState(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::kPass:
      return ComplianceState::kCompliant;
    case CheckOutcome::kError:
      return ComplianceState::kError;
    default:
      return ComplianceState::kNonCompliant;
  }
}

// Per-policy state on one device, shared by both entry points.
ComplianceState PolicyStateOnDevice(const CompiledPolicy& policy, const CompactPosture& posture,
                                    std::optional<absl::Time> first_noncompliant, absl::Time now,
                                    CheckOutcome* outcomes, absl::Time* expires) {
  *expires = absl::InfiniteFuture();
  if (!posture.Has(PostureKey::kOperatingSystem)) return ComplianceState::kUnknown;
  const auto os = static_cast<OperatingSystem>(posture.operating_system);
  if (!policy.platforms.empty() &&
      std::find(policy.platforms.begin(), policy.platforms.end(), os) == policy.platforms.end()) {
    return ComplianceState::kNotApplicable;
  }
  ComplianceState raw = CombineChecks(policy, posture, outcomes);
  return ApplyGrace(raw, policy.grace, first_noncompliant, now, expires);
}

// Combines policy states into the device state (worst wins, secureByDefault, staleness).
struct DeviceAccumulator {
  ComplianceState worst = ComplianceState::kUnknown;
  bool any_applicable = false;
  absl::Time earliest_grace = absl::InfiniteFuture();

  void Add(ComplianceState state, absl::Time expires) {
    if (state == ComplianceState::kNotApplicable) return;
    any_applicable = true;
    worst = Worst(worst, state);
    if (state == ComplianceState::kInGracePeriod && expires < earliest_grace) {
      earliest_grace = expires;
    }
  }
  // Returns the device state; `no_policy_fails` / grace are outputs.
  ComplianceState Finish(bool stale, const TenantSettings& settings, bool* no_policy_fails,
                         std::optional<absl::Time>* grace) const {
    ComplianceState state = worst;
    *no_policy_fails = false;
    if (!any_applicable) {
      state =
          settings.secure_by_default ? ComplianceState::kNonCompliant : ComplianceState::kCompliant;
      *no_policy_fails = settings.secure_by_default;
    }
    if (stale) state = Worst(state, ComplianceState::kNonCompliant);
    grace->reset();
    if (state == ComplianceState::kInGracePeriod && earliest_grace != absl::InfiniteFuture()) {
      *grace = earliest_grace;
    }
    return state;
  }
};

}  // namespace

std::string_view ComplianceStateName(ComplianceState state) {
  return kStateNames[static_cast<int>(state)];
}

absl::StatusOr<TenantSettings> ParseTenantSettings(const json& in, const std::string& pointer) {
  if (!in.is_object()) return Invalid(pointer, "expected a settings object");
  TenantSettings settings;
  auto secure = in.find("secureByDefault");
  if (secure != in.end() && !secure->is_null()) {
    if (!secure->is_boolean()) {
      return Invalid(pointer + "/secureByDefault", "expected true or false");
    }
    settings.secure_by_default = secure->get<bool>();
  }
  auto days = in.find("deviceComplianceCheckinThresholdDays");
  if (days != in.end() && !days->is_null()) {
    if (!days->is_number_integer() || days->get<int64_t>() < 1 || days->get<int64_t>() > 120) {
      return Invalid(pointer + "/deviceComplianceCheckinThresholdDays",
                     "expected an integer number of days between 1 and 120");
    }
    settings.checkin_threshold_days = days->get<int>();
  }
  return settings;
}

absl::StatusOr<DeviceInput> ParseDeviceInput(const json& in, const std::string& pointer) {
  DeviceInput device;
  auto posture = ParsePosture(in, pointer);
  if (!posture.ok()) return posture.status();
  device.posture = std::move(*posture);
  auto assigned = in.find("assignedPolicyIds");
  if (assigned != in.end() && !assigned->is_null()) {
    const std::string where = pointer + "/assignedPolicyIds";
    if (!assigned->is_array()) return Invalid(where, "expected an array of policy ids");
    for (size_t i = 0; i < assigned->size(); ++i) {
      if (!(*assigned)[i].is_string()) {
        return Invalid(where + "/" + std::to_string(i), "expected a policy id string");
      }
      device.assigned_policy_ids.push_back((*assigned)[i].get<std::string>());
    }
  }
  absl::Status status;
  device.first_noncompliant = ReadTime(in, "firstNoncompliantDateTime", pointer, &status);
  if (!status.ok()) return status;
  device.last_check_in = ReadTime(in, "lastCheckInDateTime", pointer, &status);
  if (!status.ok()) return status;
  return device;
}

nlohmann::ordered_json DeviceVerdictToJson(const DeviceVerdict& verdict) {
  using ordered = nlohmann::ordered_json;
  ordered policies = ordered::array();
  for (const PolicyVerdict& policy : verdict.policies) {
    ordered settings = ordered::array();
    for (const SettingResult& setting : policy.settings) {
      ordered item = ordered::object();
      item["setting"] = setting.setting;
      item["state"] = ComplianceStateName(setting.state);
      item["reason"] = setting.reason.empty() ? ordered(nullptr) : ordered(setting.reason);
      settings.push_back(std::move(item));
    }
    ordered item = ordered::object();
    item["id"] = policy.policy_id;
    item["state"] = ComplianceStateName(policy.state);
    item["settings"] = std::move(settings);
    policies.push_back(std::move(item));
  }
  ordered out = ordered::object();
  out["deviceId"] = verdict.device_id;
  out["complianceState"] = ComplianceStateName(verdict.state);
  out["graceExpiresDateTime"] = verdict.grace_expires
                                    ? ordered(core::FormatIsoDateTime(*verdict.grace_expires))
                                    : ordered(nullptr);
  out["policies"] = std::move(policies);
  return out;
}

// ---- compile ----

absl::StatusOr<std::shared_ptr<const CompiledPolicySet>> CompiledPolicySet::Compile(
    std::vector<CompliancePolicy> policies) {
  if (policies.size() > 65535) return absl::InvalidArgumentError("more than 65535 policies");
  auto set = std::shared_ptr<CompiledPolicySet>(new CompiledPolicySet());
  for (size_t i = 0; i < policies.size(); ++i) {
    const CompliancePolicy& policy = policies[i];
    if (!set->index_.emplace(policy.id, static_cast<uint16_t>(i)).second) {
      return absl::InvalidArgumentError(fmt::format("duplicate policy id \"{}\"", policy.id));
    }
    CompiledPolicy compiled;
    compiled.match_any = policy.match_any;
    compiled.platforms = policy.platforms;
    compiled.grace = policy.GracePeriod();
    for (const SettingCheck& check : policy.checks) {
      CompiledCheck out;
      out.kind = check.kind;
      out.key = check.key;
      out.op = check.op;
      out.negate = check.negate;
      out.expect_bool = check.expect_bool;
      out.enum_mask = check.enum_mask;
      out.number = check.number;
      out.version = check.version;
      if (check.kind == CheckKind::kStringEquals || check.kind == CheckKind::kStringContains ||
          check.kind == CheckKind::kAppsContain || check.kind == CheckKind::kVersionInRanges) {
        if (set->predicates_.size() >= kMaxPredicates) {
          return absl::InvalidArgumentError(
              fmt::format("policy \"{}\": more than {} string and app checks across all policies",
                          policy.id, kMaxPredicates));
        }
        Predicate predicate{check.kind, check.key, {}, "", {}};
        if (check.kind == CheckKind::kVersionInRanges) {
          predicate.ranges = check.version_ranges;
        } else if (check.kind == CheckKind::kStringContains) {
          predicate.needle = absl::AsciiStrToLower(check.strings.at(0));
        } else {
          predicate.values.insert(check.strings.begin(), check.strings.end());
        }
        out.predicate = static_cast<uint8_t>(set->predicates_.size());
        set->predicates_.push_back(std::move(predicate));
      }
      compiled.checks.push_back(out);
    }
    set->compiled_.push_back(std::move(compiled));
  }
  set->policies_ = std::move(policies);
  return std::shared_ptr<const CompiledPolicySet>(std::move(set));
}

std::optional<uint16_t> CompiledPolicySet::IndexOf(std::string_view id) const {
  auto it = index_.find(std::string(id));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

CompactPosture CompiledPolicySet::Compact(const Posture& posture) const {
  CompactPosture out;
  for (int k = 0; k < kPostureKeyCount; ++k) {
    if (posture.Has(static_cast<PostureKey>(k))) out.present |= uint32_t{1} << k;
  }
  if (posture.operating_system)
    out.operating_system = static_cast<uint8_t>(*posture.operating_system);
  if (posture.os_version) out.os_version = posture.os_version->version;
  if (posture.os_build_version) out.os_build_version = posture.os_build_version->version;
  if (posture.security_patch_level) {
    out.patch_level_days = static_cast<int32_t>(DaysSinceEpoch(*posture.security_patch_level));
  }
  if (posture.ownership) out.ownership = static_cast<uint8_t>(*posture.ownership);
  for (size_t i = 0; i < posture.bools.size(); ++i) {
    if (posture.bools[i].value_or(false)) out.bools |= static_cast<uint16_t>(1u << i);
  }
  if (posture.passcode_minimum_length) {
    out.passcode_minimum_length =
        static_cast<uint16_t>(std::clamp(*posture.passcode_minimum_length, 0, 65535));
  }
  if (posture.threat_level) out.threat_level = static_cast<uint8_t>(*posture.threat_level);
  if (posture.observed) out.observed_unix = absl::ToUnixSeconds(*posture.observed);
  for (size_t p = 0; p < predicates_.size(); ++p) {
    const Predicate& predicate = predicates_[p];
    bool holds = false;
    if (predicate.kind == CheckKind::kVersionInRanges) {
      const std::optional<VersionValue>& version =
          predicate.key == PostureKey::kOsBuildVersion ? posture.os_build_version
                                                       : posture.os_version;
      if (version) {
        for (const auto& [low, high] : predicate.ranges) {
          if (CompareVersions(version->version, low) >= 0 &&
              CompareVersions(version->version, high) <= 0) {
            holds = true;
            break;
          }
        }
      }
    } else if (predicate.kind == CheckKind::kAppsContain) {
      if (posture.installed_apps) {
        for (const InstalledApp& app : *posture.installed_apps) {
          if (predicate.values.contains(app.id)) {
            holds = true;
            break;
          }
        }
      }
    } else {
      const std::optional<std::string>* text = nullptr;
      std::optional<std::string> device_id;
      switch (predicate.key) {
        case PostureKey::kManufacturer:
          text = &posture.manufacturer;
          break;
        case PostureKey::kModel:
          text = &posture.model;
          break;
        case PostureKey::kUserPrincipalName:
          text = &posture.user_principal_name;
          break;
        default:
          device_id = posture.device_id;
          text = &device_id;
          break;
      }
      if (text->has_value()) {
        holds = predicate.kind == CheckKind::kStringEquals
                    ? predicate.values.contains(**text)
                    : absl::StrContains(absl::AsciiStrToLower(**text), predicate.needle);
      }
    }
    if (holds) out.predicates[p / 64] |= uint64_t{1} << (p % 64);
  }
  return out;
}

// ---- evaluate ----

CheckOutcome RunCheck(const CompiledCheck& check, const CompactPosture& posture) {
  if (check.kind == CheckKind::kUnsupported) return CheckOutcome::kError;
  bool pass = false;
  if (check.kind == CheckKind::kPresent) {
    pass = posture.Has(check.key) != check.negate;
    return pass ? CheckOutcome::kPass : CheckOutcome::kFail;
  }
  if (!posture.Has(check.key)) return CheckOutcome::kNotReported;
  switch (check.kind) {
    case CheckKind::kBoolEquals: {
      const int index = BoolKeyIndex(check.key);
      const bool value = index >= 0 && (posture.bools >> index) & 1u;
      pass = value == check.expect_bool;
      break;
    }
    case CheckKind::kCompare: {
      int cmp = 0;
      switch (check.key) {
        case PostureKey::kOsVersion:
          cmp = CompareVersions(posture.os_version, check.version);
          break;
        case PostureKey::kOsBuildVersion:
          cmp = CompareVersions(posture.os_build_version, check.version);
          break;
        case PostureKey::kSecurityPatchLevel:
          cmp = Sign(posture.patch_level_days, check.number);
          break;
        case PostureKey::kPasscodeMinimumLength:
          cmp = Sign(posture.passcode_minimum_length, check.number);
          break;
        case PostureKey::kThreatLevel:
          cmp = Sign(posture.threat_level, check.number);
          break;
        default:
          return CheckOutcome::kError;
      }
      pass = Compare(cmp, check.op);
      break;
    }
    case CheckKind::kEnumIn: {
      uint8_t value = 0;
      if (check.key == PostureKey::kOperatingSystem)
        value = posture.operating_system;
      else if (check.key == PostureKey::kOwnership)
        value = posture.ownership;
      else
        value = posture.threat_level;
      pass = (check.enum_mask >> value) & 1u;
      break;
    }
    case CheckKind::kStringEquals:
    case CheckKind::kStringContains:
    case CheckKind::kAppsContain:
    case CheckKind::kVersionInRanges:
      pass = (posture.predicates[check.predicate / 64] >> (check.predicate % 64)) & 1u;
      break;
    default:
      return CheckOutcome::kError;
  }
  return pass != check.negate ? CheckOutcome::kPass : CheckOutcome::kFail;
}

ComplianceState CombineChecks(const CompiledPolicy& policy, const CompactPosture& posture,
                              CheckOutcome* outcomes) {
  bool any_pass = false, any_fail = false, any_error = false;
  for (size_t i = 0; i < policy.checks.size(); ++i) {
    CheckOutcome outcome = RunCheck(policy.checks[i], posture);
    if (outcomes != nullptr) outcomes[i] = outcome;
    any_pass |= outcome == CheckOutcome::kPass;
    any_error |= outcome == CheckOutcome::kError;
    any_fail |= outcome == CheckOutcome::kFail || outcome == CheckOutcome::kNotReported;
  }
  if (policy.checks.empty()) return ComplianceState::kCompliant;
  if (policy.match_any) {
    if (any_pass) return ComplianceState::kCompliant;
    return any_error ? ComplianceState::kError : ComplianceState::kNonCompliant;
  }
  if (any_error) return ComplianceState::kError;
  return any_fail ? ComplianceState::kNonCompliant : ComplianceState::kCompliant;
}

ComplianceState ApplyGrace(ComplianceState raw, const std::optional<absl::Duration>& grace,
                           std::optional<absl::Time> first_noncompliant, absl::Time now,
                           absl::Time* expires) {
  *expires = absl::InfiniteFuture();
  if (raw != ComplianceState::kNonCompliant) return raw;
  if (!grace) return ComplianceState::kInGracePeriod;  // the chain never marks the device
  if (*grace <= absl::ZeroDuration()) return ComplianceState::kNonCompliant;
  const absl::Time end = first_noncompliant.value_or(now) + *grace;
  if (now < end) {
    *expires = end;
    return ComplianceState::kInGracePeriod;
  }
  return ComplianceState::kNonCompliant;
}

bool IsStale(std::optional<absl::Time> last_check_in, const TenantSettings& settings,
             absl::Time now) {
  // No lastCheckInDateTime and no observedDateTime: the posture being evaluated is itself the
  // check-in (DESIGN makes both optional), so there is nothing older than the threshold.
  if (!last_check_in) return false;
  return now - *last_check_in > absl::Hours(24) * settings.checkin_threshold_days;
}

absl::StatusOr<DeviceVerdict> EvaluateDevice(const CompiledPolicySet& policies,
                                             const DeviceInput& device,
                                             const TenantSettings& settings, absl::Time now) {
  DeviceVerdict verdict;
  verdict.device_id = device.posture.device_id;
  const CompactPosture compact = policies.Compact(device.posture);
  DeviceAccumulator accumulator;
  std::vector<CheckOutcome> outcomes;
  for (const std::string& id : device.assigned_policy_ids) {
    std::optional<uint16_t> index = policies.IndexOf(id);
    if (!index) {
      return absl::NotFoundError(fmt::format("device \"{}\" is assigned unknown policy \"{}\"",
                                             device.posture.device_id, id));
    }
    const CompiledPolicy& compiled = policies.compiled(*index);
    const CompliancePolicy& policy = policies.policy(*index);
    outcomes.assign(compiled.checks.size(), CheckOutcome::kPass);
    absl::Time expires;
    PolicyVerdict result;
    result.policy_id = policy.id;
    result.state = PolicyStateOnDevice(compiled, compact, device.first_noncompliant, now,
                                       outcomes.data(), &expires);
    if (result.state == ComplianceState::kInGracePeriod && expires != absl::InfiniteFuture()) {
      result.grace_expires = expires;
    }
    if (result.state != ComplianceState::kNotApplicable &&
        result.state != ComplianceState::kUnknown) {
      for (size_t i = 0; i < policy.checks.size(); ++i) {
        result.settings.push_back({policy.checks[i].setting, SettingState(outcomes[i]),
                                   Reason(policy, policy.checks[i], outcomes[i], device.posture)});
      }
    }
    accumulator.Add(result.state, expires);
    verdict.policies.push_back(std::move(result));
  }
  const std::optional<absl::Time> last_check_in =
      device.last_check_in ? device.last_check_in : device.posture.observed;
  const bool stale = IsStale(last_check_in, settings, now);
  bool no_policy_fails = false;
  verdict.state = accumulator.Finish(stale, settings, &no_policy_fails, &verdict.grace_expires);
  if (stale || no_policy_fails) {
    PolicyVerdict built_in;
    built_in.policy_id = std::string(kBuiltInPolicyId);
    built_in.state = ComplianceState::kNonCompliant;
    if (no_policy_fails) {
      built_in.settings.push_back(
          {"hasCompliancePolicyAssigned", ComplianceState::kNonCompliant,
           fmt::format("No compliance policy applies to this {} device, and devices without one "
                       "are not compliant in this organization. Ask your administrator to assign "
                       "a compliance policy.",
                       device.posture.operating_system
                           ? std::string(OperatingSystemName(*device.posture.operating_system))
                           : std::string("unidentified"))});
    }
    if (stale) {
      built_in.settings.push_back(
          {"isActive", ComplianceState::kNonCompliant,
           fmt::format("The device last checked in at {}, more than {} days ago. Open the "
                       "Gatehouse agent and let it check in.",
                       core::FormatIsoDateTime(*last_check_in), settings.checkin_threshold_days)});
    }
    verdict.policies.push_back(std::move(built_in));
  }
  return verdict;
}

// ---- batch ----

void DeviceBatch::Reserve(size_t devices, size_t assignments) {
  records_.reserve(devices);
  policy_indices_.reserve(assignments);
  id_offsets_.reserve(devices + 1);
  ids_.reserve(devices * 36);
}

absl::Status DeviceBatch::Add(const DeviceInput& device) {
  DeviceRecord record;
  record.policies_offset = static_cast<uint32_t>(policy_indices_.size());
  for (const std::string& id : device.assigned_policy_ids) {
    std::optional<uint16_t> index = policies_->IndexOf(id);
    if (!index) {
      policy_indices_.resize(record.policies_offset);
      return absl::NotFoundError(fmt::format("device \"{}\" is assigned unknown policy \"{}\"",
                                             device.posture.device_id, id));
    }
    policy_indices_.push_back(*index);
  }
  record.policies_count = static_cast<uint16_t>(device.assigned_policy_ids.size());
  record.posture = policies_->Compact(device.posture);
  if (device.first_noncompliant) {
    record.first_noncompliant_unix = absl::ToUnixSeconds(*device.first_noncompliant);
  }
  if (device.last_check_in) {
    record.last_check_in_unix = absl::ToUnixSeconds(*device.last_check_in);
  } else if (device.posture.observed) {
    record.last_check_in_unix = absl::ToUnixSeconds(*device.posture.observed);
  }
  records_.push_back(record);
  ids_ += device.posture.device_id;
  id_offsets_.push_back(static_cast<uint32_t>(ids_.size()));
  return absl::OkStatus();
}

std::string_view DeviceBatch::device_id(size_t i) const {
  return std::string_view(ids_).substr(id_offsets_[i], id_offsets_[i + 1] - id_offsets_[i]);
}

size_t DeviceBatch::ResidentBytes() const {
  return records_.capacity() * sizeof(DeviceRecord) +
         policy_indices_.capacity() * sizeof(uint16_t) + ids_.capacity() +
         id_offsets_.capacity() * sizeof(uint32_t);
}

void DeviceBatch::Evaluate(const TenantSettings& settings, absl::Time now) {
  const CompiledPolicySet& set = *policies_;
  for (DeviceRecord& record : records_) {
    DeviceAccumulator accumulator;
    const std::optional<absl::Time> first_noncompliant =
        record.first_noncompliant_unix == kNoTime
            ? std::nullopt
            : std::optional<absl::Time>(absl::FromUnixSeconds(record.first_noncompliant_unix));
    for (uint32_t i = 0; i < record.policies_count; ++i) {
      const CompiledPolicy& policy = set.compiled(policy_indices_[record.policies_offset + i]);
      absl::Time expires;
      ComplianceState state =
          PolicyStateOnDevice(policy, record.posture, first_noncompliant, now, nullptr, &expires);
      accumulator.Add(state, expires);
    }
    const std::optional<absl::Time> last_check_in =
        record.last_check_in_unix == kNoTime
            ? std::nullopt
            : std::optional<absl::Time>(absl::FromUnixSeconds(record.last_check_in_unix));
    bool no_policy_fails = false;
    std::optional<absl::Time> grace;
    record.state = accumulator.Finish(IsStale(last_check_in, settings, now), settings,
                                      &no_policy_fails, &grace);
    record.grace_expires_unix = grace ? absl::ToUnixSeconds(*grace) : kNoTime;
  }
}

}  // namespace gatehouse::compliance
