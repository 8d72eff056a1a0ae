#include "uem/partner_update.h"

#include "core/iso_time.h"

namespace gatehouse::uem {
namespace {

using nlohmann::json;

absl::Status Invalid(const std::string& pointer, const std::string& message) {
  return absl::InvalidArgumentError(pointer + ": " + message);
}

}  // namespace

json PartnerUpdateToJson(const PartnerUpdate& update) {
  json failing = json::array();
  for (const auto& f : update.failing_settings) {
    failing.push_back({{"setting", f.setting}, {"state", f.state}, {"reason", f.reason},
                       {"remediation", f.remediation}});
  }
  return {{"deviceId", update.device_id},
          {"compliant", update.compliant},
          {"managed", update.managed},
          {"complianceState", update.compliance_state},
          {"observedAt", core::FormatIsoDateTime(update.observed_at)},
          {"sequence", update.sequence},
          {"failingSettings", failing}};
}

absl::StatusOr<PartnerUpdate> ParsePartnerUpdate(const json& in, const std::string& pointer) {
  if (!in.is_object()) return Invalid(pointer.empty() ? "/" : pointer, "expected an object");
  PartnerUpdate update;
  auto string_member = [&](const char* key, std::string& out, bool required) -> absl::Status {
    auto it = in.find(key);
    if (it == in.end() || it->is_null()) {
      return required ? Invalid(pointer + "/" + key, "required") : absl::OkStatus();
    }
    if (!it->is_string()) return Invalid(pointer + "/" + key, "expected a string");
    out = it->get<std::string>();
    if (required && out.empty()) return Invalid(pointer + "/" + key, "must not be empty");
    return absl::OkStatus();
  };
  if (auto s = string_member("deviceId", update.device_id, true); !s.ok()) return s;
  if (update.device_id.size() > 256) return Invalid(pointer + "/deviceId", "longer than 256 characters");
  auto compliant = in.find("compliant");
  if (compliant == in.end() || !compliant->is_boolean()) {
    return Invalid(pointer + "/compliant", "required: true or false");
  }
  update.compliant = compliant->get<bool>();
  if (auto managed = in.find("managed"); managed != in.end() && !managed->is_null()) {
    if (!managed->is_boolean()) return Invalid(pointer + "/managed", "expected true or false");
    update.managed = managed->get<bool>();
  }
  if (auto s = string_member("complianceState", update.compliance_state, false); !s.ok()) return s;
  if (update.compliance_state.empty()) {
    update.compliance_state = update.compliant ? "compliant" : "nonCompliant";
  }
  static const char* kStates[] = {"unknown",       "notApplicable", "compliant",
                                  "inGracePeriod", "nonCompliant",  "error"};
  if (std::find(std::begin(kStates), std::end(kStates), update.compliance_state) ==
      std::end(kStates)) {
    return Invalid(pointer + "/complianceState",
                   "expected unknown, notApplicable, compliant, inGracePeriod, nonCompliant or "
                   "error, got \"" + update.compliance_state.substr(0, 64) + "\"");
  }
  std::string observed;
  if (auto s = string_member("observedAt", observed, true); !s.ok()) return s;
  auto observed_at = core::ParseIsoDateTime(observed);
  if (!observed_at.ok()) {
    return Invalid(pointer + "/observedAt", std::string(observed_at.status().message()));
  }
  update.observed_at = *observed_at;
  auto sequence = in.find("sequence");
  if (sequence == in.end() || !sequence->is_number_integer() ||
      sequence->get<std::int64_t>() < 1) {
    return Invalid(pointer + "/sequence", "required: an integer >= 1");
  }
  update.sequence = sequence->get<std::int64_t>();
  if (auto failing = in.find("failingSettings"); failing != in.end() && !failing->is_null()) {
    if (!failing->is_array()) return Invalid(pointer + "/failingSettings", "expected an array");
    if (failing->size() > 256) return Invalid(pointer + "/failingSettings", "more than 256 entries");
    for (std::size_t i = 0; i < failing->size(); ++i) {
      const json& item = (*failing)[i];
      const std::string where = pointer + "/failingSettings/" + std::to_string(i);
      if (!item.is_object()) return Invalid(where, "expected an object");
      FailingSetting setting;
      for (auto [key, target] : {std::pair<const char*, std::string*>{"setting", &setting.setting},
                                 {"state", &setting.state},
                                 {"reason", &setting.reason},
                                 {"remediation", &setting.remediation}}) {
        auto it = item.find(key);
        if (it == item.end() || it->is_null()) continue;
        if (!it->is_string()) return Invalid(where + "/" + key, "expected a string");
        *target = it->get<std::string>().substr(0, 2000);
      }
      if (setting.setting.empty()) return Invalid(where + "/setting", "required");
      update.failing_settings.push_back(std::move(setting));
    }
  }
  return update;
}

const char* ApplyDecisionName(ApplyDecision decision) {
  switch (decision) {
    case ApplyDecision::kApply:
      return "applied";
    case ApplyDecision::kDuplicate:
      return "duplicate";
    case ApplyDecision::kOutOfOrder:
      return "outOfOrder";
  }
  return "applied";
}

std::int64_t StoredComplianceSequence(const json& device) {
  if (!device.is_object()) return 0;
  auto ext = device.find("gatehouseCompliance");
  if (ext == device.end() || !ext->is_object()) return 0;
  auto seq = ext->find("sequence");
  if (seq == ext->end() || !seq->is_number_integer()) return 0;
  return seq->get<std::int64_t>();
}

ApplyDecision DecideApply(std::int64_t stored_sequence, std::int64_t sequence) {
  if (sequence == stored_sequence) return ApplyDecision::kDuplicate;
  if (sequence < stored_sequence) return ApplyDecision::kOutOfOrder;
  return ApplyDecision::kApply;
}

void ApplyToDeviceRecord(json& device, const PartnerUpdate& update, absl::Time received) {
  if (!device.is_object()) device = json::object();
  device["isCompliant"] = update.compliant;
  device["isManaged"] = update.managed;
  json failing = PartnerUpdateToJson(update)["failingSettings"];
  device["gatehouseCompliance"] = {{"complianceState", update.compliance_state},
                                   {"compliant", update.compliant},
                                   {"observedAt", core::FormatIsoDateTime(update.observed_at)},
                                   {"sequence", update.sequence},
                                   {"failingSettings", failing},
                                   {"receivedDateTime", core::FormatIsoDateTime(received)}};
}

std::optional<absl::Time> ApplyComplianceValidity(json& device, absl::Duration validity,
                                                  absl::Time now) {
  if (!device.is_object()) return std::nullopt;
  auto ext = device.find("gatehouseCompliance");
  if (ext == device.end() || !ext->is_object()) return std::nullopt;
  auto compliant = device.find("isCompliant");
  if (compliant == device.end() || !compliant->is_boolean() || !compliant->get<bool>()) {
    return std::nullopt;
  }
  absl::Time observed = absl::InfinitePast();
  if (auto at = ext->find("observedAt"); at != ext->end() && at->is_string()) {
    if (auto t = core::ParseIsoDateTime(at->get<std::string>()); t.ok()) observed = *t;
  }
  const absl::Time expires = observed + validity;
  if (expires <= now) {
    device["isCompliant"] = false;
    (*ext)["stale"] = true;
    return std::nullopt;
  }
  return expires;
}

}  // namespace gatehouse::uem
