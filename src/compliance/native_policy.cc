#include "compliance/native_policy.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "compliance/internal/text.h"
#include "compliance/intune_policy.h"
#include "fmt/format.h"

namespace gatehouse::compliance {
namespace {

using nlohmann::json;
using internal::Child;
using internal::Invalid;


// Reads one enum literal of `key` into its ordinal.
absl::StatusOr<uint8_t> EnumOrdinal(PostureKey key, const json& value, const std::string& where) {
  if (!value.is_string()) return Invalid(where, "expected a string");
  const std::string& text = value.get_ref<const std::string&>();
  if (key == PostureKey::kOperatingSystem) {
    if (auto os = ParseOperatingSystem(text)) return static_cast<uint8_t>(*os);
    return Invalid(where, fmt::format("unknown operatingSystem \"{}\"", text));
  }
  if (key == PostureKey::kOwnership) {
    if (auto ownership = ParseOwnership(text)) return static_cast<uint8_t>(*ownership);
    return Invalid(where, fmt::format("unknown ownership \"{}\"", text));
  }
  if (auto level = ParseThreatLevel(text)) return static_cast<uint8_t>(*level);
  return Invalid(where, fmt::format("unknown threatLevel \"{}\"", text));
}

// Fills the ordered operand of a kCompare check from `value`.
absl::Status ReadOrderedOperand(PostureKey key, const json& value, const std::string& where,
                                SettingCheck& check) {
  switch (PostureKeyTypeOf(key)) {
    case PostureKeyType::kVersion: {
      if (!value.is_string()) return Invalid(where, "expected a version string");
      auto version = Version::Parse(value.get_ref<const std::string&>());
      if (!version.ok()) return Invalid(where, std::string(version.status().message()));
      check.version = *version;
      check.operand_text = value.get<std::string>();
      return absl::OkStatus();
    }
    case PostureKeyType::kDate: {
      if (!value.is_string()) return Invalid(where, "expected a date string YYYY-MM-DD");
      auto day = ParsePatchLevel(value.get_ref<const std::string&>());
      if (!day.ok()) return Invalid(where, std::string(day.status().message()));
      check.number = *day - absl::CivilDay(1970, 1, 1);
      check.operand_text = absl::FormatCivilTime(*day);
      return absl::OkStatus();
    }
    case PostureKeyType::kInt:
      if (!value.is_number_integer()) return Invalid(where, "expected an integer");
      check.number = value.get<int64_t>();
      check.operand_text = std::to_string(check.number);
      return absl::OkStatus();
    default:
      if (key == PostureKey::kThreatLevel) {
        auto ordinal = EnumOrdinal(key, value, where);
        if (!ordinal.ok()) return ordinal.status();
        check.number = *ordinal;
        check.operand_text = value.get<std::string>();
        return absl::OkStatus();
      }
      return Invalid(where, fmt::format("{} is not ordered; use equals or in",
                                        std::string(PostureKeyName(key))));
  }
}

absl::StatusOr<SettingCheck> ParseRule(const json& rule, const std::string& where) {
  if (!rule.is_object()) return Invalid(where, "expected a rule object");
  SettingCheck check;
  auto key_it = rule.find("key");
  if (key_it == rule.end() || !key_it->is_string()) {
    return Invalid(Child(where, "key"), "required: a posture key such as osVersion");
  }
  auto key = PostureKeyFromName(key_it->get_ref<const std::string&>());
  if (!key) {
    return Invalid(Child(where, "key"),
                   fmt::format("unknown posture key \"{}\" (see docs/posture.md)",
                               key_it->get<std::string>()));
  }
  check.key = *key;
  auto op_it = rule.find("operator");
  if (op_it == rule.end() || !op_it->is_string()) {
    return Invalid(
        Child(where, "operator"),
        "required: equals, versionLessThan, versionGreaterThan, contains, in or present");
  }
  const std::string op = op_it->get<std::string>();
  auto name = rule.find("name");
  if (name != rule.end() && !name->is_null()) {
    if (!name->is_string() || name->get_ref<const std::string&>().empty()) {
      return Invalid(Child(where, "name"), "expected a non-empty string");
    }
    check.setting = name->get<std::string>();
  } else {
    check.setting = std::string(PostureKeyName(*key));
  }
  auto negate = rule.find("not");
  if (negate != rule.end() && !negate->is_null()) {
    if (!negate->is_boolean()) return Invalid(Child(where, "not"), "expected true or false");
    check.negate = negate->get<bool>();
  }
  const std::string value_where = Child(where, "value");
  auto value_it = rule.find("value");
  if (op != "present" && (value_it == rule.end() || value_it->is_null())) {
    return Invalid(value_where, fmt::format("required for operator {}", op));
  }
  const PostureKeyType type = PostureKeyTypeOf(*key);
  if (type == PostureKeyType::kTime) {
    return Invalid(Child(where, "key"), "observedDateTime is checked by the staleness setting");
  }
  if (op == "present") {
    check.kind = CheckKind::kPresent;
    return check;
  }
  const json& value = *value_it;
  if (op == "equals") {
    switch (type) {
      case PostureKeyType::kBool:
        if (!value.is_boolean()) return Invalid(value_where, "expected true or false");
        check.kind = CheckKind::kBoolEquals;
        check.expect_bool = value.get<bool>();
        check.operand_text = check.expect_bool ? "true" : "false";
        return check;
      case PostureKeyType::kEnum: {
        auto ordinal = EnumOrdinal(*key, value, value_where);
        if (!ordinal.ok()) return ordinal.status();
        check.kind = CheckKind::kEnumIn;
        check.enum_mask = uint32_t{1} << *ordinal;
        check.operand_text = value.get<std::string>();
        return check;
      }
      case PostureKeyType::kString:
        if (!value.is_string()) return Invalid(value_where, "expected a string");
        check.kind = CheckKind::kStringEquals;
        check.strings.push_back(value.get<std::string>());
        check.operand_text = value.get<std::string>();
        return check;
      case PostureKeyType::kAppList:
        return Invalid(Child(where, "operator"), "installedApps takes contains or in");
      default: {
        check.kind = CheckKind::kCompare;
        check.op = CompareOp::kEqual;
        auto status = ReadOrderedOperand(*key, value, value_where, check);
        if (!status.ok()) return status;
        return check;
      }
    }
  }
  if (op == "versionLessThan" || op == "versionGreaterThan") {
    check.kind = CheckKind::kCompare;
    check.op = op == "versionLessThan" ? CompareOp::kLess : CompareOp::kGreater;
    auto status = ReadOrderedOperand(*key, value, value_where, check);
    if (!status.ok()) return status;
    return check;
  }
  if (op == "contains") {
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
      return Invalid(value_where, "expected a non-empty string");
    }
    check.strings.push_back(value.get<std::string>());
    check.operand_text = value.get<std::string>();
    if (type == PostureKeyType::kAppList) {
      check.kind = CheckKind::kAppsContain;
      return check;
    }
    if (type == PostureKeyType::kString) {
      check.kind = CheckKind::kStringContains;
      return check;
    }
    return Invalid(Child(where, "operator"), "contains applies to string keys and installedApps");
  }
  if (op == "in") {
    if (!value.is_array() || value.empty())
      return Invalid(value_where, "expected a non-empty array");
    if (value.size() > kMaxNativeListValues) {
      return Invalid(value_where, fmt::format("more than {} values", kMaxNativeListValues));
    }
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string item_where = value_where + "/" + std::to_string(i);
      if (type == PostureKeyType::kEnum) {
        auto ordinal = EnumOrdinal(*key, value[i], item_where);
        if (!ordinal.ok()) return ordinal.status();
        check.enum_mask |= uint32_t{1} << *ordinal;
      } else if (type == PostureKeyType::kString || type == PostureKeyType::kAppList) {
        if (!value[i].is_string()) return Invalid(item_where, "expected a string");
        check.strings.push_back(value[i].get<std::string>());
      } else {
        return Invalid(Child(where, "operator"),
                       "in applies to string keys, enum keys and installedApps");
      }
    }
    check.kind = type == PostureKeyType::kEnum      ? CheckKind::kEnumIn
                 : type == PostureKeyType::kAppList ? CheckKind::kAppsContain
                                                    : CheckKind::kStringEquals;
    check.operand_text = value.dump();
    return check;
  }
  return Invalid(Child(where, "operator"),
                 fmt::format("unknown operator \"{}\" (expected equals, versionLessThan, "
                             "versionGreaterThan, contains, in or present)",
                             op));
}

}  // namespace

bool IsNativePolicyJson(const json& json) {
  return json.is_object() && !json.contains("@odata.type") && json.contains("rules");
}

absl::StatusOr<CompliancePolicy> ParseNativePolicy(const json& in, const std::string& pointer,
                                                   core::ProblemList* warnings) {
  (void)warnings;
  if (!in.is_object()) {
    return Invalid(pointer, "expected a policy object, got " + std::string(in.type_name()));
  }
  CompliancePolicy policy;
  policy.format = PolicyFormat::kNative;
  auto id = in.find("id");
  if (id == in.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return Invalid(Child(pointer, "id"), "required: a non-empty string (the policy id)");
  }
  policy.id = id->get<std::string>();
  auto name = in.find("displayName");
  if (name != in.end() && name->is_string()) policy.display_name = name->get<std::string>();

  auto platform = in.find("platform");
  if (platform == in.end() || !platform->is_string()) {
    return Invalid(Child(pointer, "platform"),
                   "required: iOS, Android, Windows, macOS, Linux or any");
  }
  if (!internal::EqualsIgnoreCase(platform->get_ref<const std::string&>(), "any")) {
    auto os = ParseOperatingSystem(platform->get_ref<const std::string&>());
    if (!os) {
      return Invalid(Child(pointer, "platform"),
                     fmt::format("unknown platform \"{}\" (expected iOS, Android, Windows, macOS, "
                                 "Linux or any)",
                                 platform->get<std::string>()));
    }
    policy.platforms.push_back(*os);
  }

  auto match = in.find("match");
  if (match != in.end() && !match->is_null()) {
    if (!match->is_string()) return Invalid(Child(pointer, "match"), "expected \"all\" or \"any\"");
    const std::string& text = match->get_ref<const std::string&>();
    if (internal::EqualsIgnoreCase(text, "any")) {
      policy.match_any = true;
    } else if (!internal::EqualsIgnoreCase(text, "all")) {
      return Invalid(Child(pointer, "match"), "expected \"all\" or \"any\"");
    }
  }

  const std::string rules_pointer = Child(pointer, "rules");
  auto rules = in.find("rules");
  if (rules == in.end() || !rules->is_array() || rules->empty()) {
    return Invalid(rules_pointer, "required: a non-empty array of rules");
  }
  if (rules->size() > kMaxNativeRules) {
    return Invalid(rules_pointer, fmt::format("more than {} rules", kMaxNativeRules));
  }
  for (size_t i = 0; i < rules->size(); ++i) {
    auto check = ParseRule((*rules)[i], rules_pointer + "/" + std::to_string(i));
    if (!check.ok()) return check.status();
    for (const SettingCheck& existing : policy.checks) {
      if (existing.setting == check->setting) {
        return Invalid(
            rules_pointer + "/" + std::to_string(i),
            fmt::format("two rules are named \"{}\"; give them distinct names", check->setting));
      }
    }
    policy.checks.push_back(std::move(*check));
  }

  auto actions = in.find("actions");
  if (actions != in.end() && !actions->is_null()) {
    const std::string actions_pointer = Child(pointer, "actions");
    if (!actions->is_array()) return Invalid(actions_pointer, "expected an array");
    if (actions->size() > kMaxNativeActions) {
      return Invalid(actions_pointer, fmt::format("more than {} actions", kMaxNativeActions));
    }
    absl::Duration at = absl::ZeroDuration();
    bool marking = false;
    for (size_t i = 0; i < actions->size(); ++i) {
      const json& item = (*actions)[i];
      const std::string where = actions_pointer + "/" + std::to_string(i);
      if (!item.is_object()) return Invalid(where, "expected an action object");
      auto type = item.find("action");
      if (type == item.end() || !type->is_string()) {
        return Invalid(Child(where, "action"), "required: an action name");
      }
      auto action_type = ParseActionType(type->get_ref<const std::string&>());
      if (!action_type || *action_type == ActionType::kNoAction) {
        return Invalid(Child(where, "action"),
                       fmt::format("unknown action \"{}\" (expected notifyUser, notifyAdmin, "
                                   "markNonCompliant, blockAccess, removeManagedApps or "
                                   "enterpriseWipe)",
                                   type->get<std::string>()));
      }
      ActionStep step;
      step.type = *action_type;
      auto delay = item.find("delayHours");
      if (delay != item.end() && !delay->is_null()) {
        if (!delay->is_number() || delay->get<double>() < 0 || delay->get<double>() > 8760) {
          return Invalid(Child(where, "delayHours"),
                         "expected a number of hours between 0 and 8760");
        }
        at += absl::Seconds(static_cast<int64_t>(delay->get<double>() * 3600));
      }
      step.after = at;
      bool mark = true;  // WS1: checked by default
      auto mark_it = item.find("markNonCompliant");
      if (mark_it != item.end() && !mark_it->is_null()) {
        if (!mark_it->is_boolean()) {
          return Invalid(Child(where, "markNonCompliant"), "expected true or false");
        }
        mark = mark_it->get<bool>();
        if (!mark && marking) {
          return Invalid(Child(where, "markNonCompliant"),
                         "an earlier step already marks the device non-compliant; every later "
                         "step does too (Workspace ONE chaining)");
        }
      }
      if (step.type == ActionType::kMarkNonCompliant || step.type == ActionType::kBlockAccess) {
        if (!mark) {
          return Invalid(Child(where, "markNonCompliant"),
                         fmt::format("{} always marks the device non-compliant",
                                     std::string(ActionTypeName(step.type))));
        }
      }
      marking = marking || mark;
      step.marks_noncompliant = marking;
      policy.actions.push_back(std::move(step));
    }
  }

  auto remediation = in.find("remediation");
  if (remediation != in.end() && !remediation->is_null()) {
    if (!remediation->is_object()) {
      return Invalid(Child(pointer, "remediation"),
                     "expected an object mapping rule name to remediation text");
    }
    for (const auto& [setting, text] : remediation->items()) {
      const std::string where = Child(Child(pointer, "remediation"), setting);
      if (!text.is_string()) return Invalid(where, "expected a string");
      bool known = false;
      for (const SettingCheck& check : policy.checks) known = known || check.setting == setting;
      if (!known) return Invalid(where, fmt::format("no rule is named \"{}\"", setting));
      policy.remediation[setting] = text.get<std::string>();
    }
  }
  return policy;
}

absl::StatusOr<CompliancePolicy> ParseCompliancePolicy(const json& in, const std::string& pointer,
                                                       core::ProblemList* warnings) {
  if (IsIntunePolicyJson(in)) return ParseIntunePolicy(in, pointer, warnings);
  if (IsNativePolicyJson(in)) return ParseNativePolicy(in, pointer, warnings);
  return Invalid(pointer,
                 "not a compliance policy: expected an Intune export (with \"@odata.type\") "
                 "or a native rule policy (with \"rules\")");
}

core::ProblemList ValidateCompliancePolicy(const json& in, const std::string& pointer) {
  core::ProblemList problems;
  auto policy = ParseCompliancePolicy(in, pointer, &problems);
  if (!policy.ok()) {
    // The message is "pointer: why"; split it back so the problem carries the pointer.
    std::string message(policy.status().message());
    std::string where;
    if (!message.empty() && message[0] == '/') {
      size_t colon = message.find(": ");
      if (colon != std::string::npos) {
        where = message.substr(0, colon);
        message = message.substr(colon + 2);
      }
    }
    problems.AddError(where, message);
  }
  return problems;
}

}  // namespace gatehouse::compliance
