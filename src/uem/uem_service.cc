#include "uem/uem_service.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "compliance/action_planner.h"
#include "compliance/native_policy.h"
#include "core/iso_time.h"
#include "core/problem.h"
#include "core/status_macros.h"
#include "crypto/crypto.h"
#include "http/metrics.h"
#include "uem/partner_update.h"
#include "uem/uem_database.h"

namespace gatehouse::uem {

using nlohmann::json;
using store::internal::Statement;

namespace {

constexpr std::size_t kSweepChunk = 256;

std::int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(std::int64_t m) { return absl::FromUnixMicros(m); }


bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

json TimeOrNull(const std::optional<absl::Time>& t) {
  return t ? json(core::FormatIsoDateTime(*t)) : json(nullptr);
}

void BindOptionalTime(Statement& s, int index, const std::optional<absl::Time>& t) {
  if (t) {
    s.BindInt64(index, Micros(*t));
  } else {
    s.BindNull(index);
  }
}

std::optional<absl::Time> OptionalTime(const Statement& s, int index, const std::string& text) {
  if (text.empty()) return std::nullopt;
  return FromMicros(s.ColumnInt64(index));
}

absl::StatusOr<std::vector<std::string>> ReadGroupIds(const json& body, const char* key) {
  std::vector<std::string> groups;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return groups;
  if (!it->is_array()) return absl::InvalidArgumentError(std::string("/") + key + ": expected an array of group ids");
  for (const auto& g : *it) {
    if (!g.is_string() || g.get<std::string>().empty()) {
      return absl::InvalidArgumentError(std::string("/") + key + ": expected an array of group ids");
    }
    groups.push_back(g.get<std::string>());
  }
  if (groups.size() > 1000) return absl::InvalidArgumentError(std::string("/") + key + ": more than 1000 groups");
  return groups;
}

struct Command {
  std::int64_t seq = 0;
  std::string type;
  std::string policy_id;
  std::string state;  // pending | held | sent
  absl::Time created;
};

json CommandJson(const Command& c) {
  return {{"id", c.seq}, {"type", c.type}, {"policyId", c.policy_id},
          {"createdDateTime", core::FormatIsoDateTime(c.created)}};
}

struct DeviceEntry {
  std::mutex mu;
  // Set at enrolment, never changed.
  std::string id, secret_hash, public_key, hostname, operating_system, os_version, token_id;
  absl::Time enrolled;
  // Guarded by mu.
  std::vector<std::string> group_ids;
  std::string directory_device_id;
  std::int64_t last_sequence = 0;
  std::optional<absl::Time> last_checkin;
  std::string posture = "{}";
  std::string state = "unknown";
  std::string verdict = "{}";
  std::optional<absl::Time> first_noncompliant;
  std::optional<absl::Time> evaluated;
  json actions_taken = json::array();
  bool blocked = false;
  std::int64_t partner_sequence = 0;
  std::string partner_key;
  std::optional<absl::Time> partner_pushed;
  std::vector<Command> pending;
};

struct AssignmentRule {
  bool all = false;
  std::vector<std::string> include, exclude;
};

struct PolicySnapshot {
  std::shared_ptr<const compliance::CompiledPolicySet> set;
  std::map<std::string, json> bodies;       // id → stored body
  std::map<std::string, json> assignments;  // id → assignments array
  std::vector<std::pair<std::string, AssignmentRule>> rules;
};

absl::StatusOr<AssignmentRule> ParseAssignments(const json& assignments) {
  AssignmentRule rule;
  if (!assignments.is_array()) return absl::InvalidArgumentError("/assignments: expected an array");
  for (std::size_t i = 0; i < assignments.size(); ++i) {
    const json& a = assignments[i];
    const std::string where = "/assignments/" + std::to_string(i);
    if (!a.is_object() || !a.contains("target") || !a["target"].is_object()) {
      return absl::InvalidArgumentError(where + "/target: required object");
    }
    const json& target = a["target"];
    std::string type = target.value("@odata.type", "");
    if (type.rfind('#', 0) == 0) type = type.substr(1);
    if (type == "microsoft.graph.allDevicesAssignmentTarget" ||
        type == "microsoft.graph.allLicensedUsersAssignmentTarget") {
      rule.all = true;
      continue;
    }
    const bool exclusion = type == "microsoft.graph.exclusionGroupAssignmentTarget";
    if (!exclusion && type != "microsoft.graph.groupAssignmentTarget") {
      return absl::InvalidArgumentError(
          where + "/target/@odata.type: expected #microsoft.graph.allDevicesAssignmentTarget, "
                  "groupAssignmentTarget or exclusionGroupAssignmentTarget");
    }
    if (!target.contains("groupId") || !target["groupId"].is_string() ||
        target["groupId"].get<std::string>().empty()) {
      return absl::InvalidArgumentError(where + "/target/groupId: required");
    }
    (exclusion ? rule.exclude : rule.include).push_back(target["groupId"].get<std::string>());
  }
  return rule;
}

bool Intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) return true;
  }
  return false;
}

// What an evaluation decided: the device's next state and the rows to write with it.
struct Outcome {
  std::string state;
  std::string verdict;
  std::optional<absl::Time> first_noncompliant;
  json actions_taken;
  bool blocked = false;
  std::optional<absl::Time> evaluated;
  std::string partner_key;
  std::int64_t partner_sequence = 0;
  std::optional<absl::Time> partner_pushed;
  std::optional<std::string> outbox_body;
  std::vector<Command> new_commands;  // seq filled when written
  std::vector<std::pair<std::string, std::string>> notifications;  // policy id, type|message
  std::vector<std::string> notification_messages;
  bool compliant = false;
  json failing = json::array();
};

bool IsFailing(const std::string& state) {
  return state == "inGracePeriod" || state == "nonCompliant";
}

}  // namespace

std::pair<std::string, std::string> SplitReason(const std::string& text) {
  auto dot = text.find(". ");
  if (dot == std::string::npos) return {text, text};
  return {text.substr(0, dot + 1), text.substr(dot + 2)};
}

struct UemService::Impl {
  UemOptions options;
  std::unique_ptr<Db> write_db;
  std::unique_ptr<Db> read_db;
  std::mutex read_mu;
  std::unique_ptr<WriteBatcher> batcher;

  mutable std::shared_mutex devices_mu;
  absl::flat_hash_map<std::string, std::shared_ptr<DeviceEntry>> devices;

  std::mutex policy_mu;  // one policy change at a time
  std::atomic<std::shared_ptr<const PolicySnapshot>> policies;

  std::mutex breaker_mu;
  std::deque<absl::Time> wipes;

  std::mutex listener_mu;
  std::function<void()> outbox_listener;

  std::mutex sweep_mu;
  std::condition_variable sweep_wake;
  bool sweep_requested = false;
  bool stopping = false;
  std::thread sweeper;
  std::mutex sweep_run_mu;  // one sweep at a time
  UemService* owner = nullptr;

  absl::Time Now() const { return options.clock ? options.clock() : absl::Now(); }

  void Count(const char* name, const http::Labels& labels = {}) {
    if (options.metrics) options.metrics->Increment(name, labels);
  }

  void NotifyOutbox() {
    std::function<void()> listener;
    {
      std::lock_guard<std::mutex> lock(listener_mu);
      listener = outbox_listener;
    }
    if (listener) listener();
  }

  std::shared_ptr<DeviceEntry> Find(const std::string& id) const {
    std::shared_lock<std::shared_mutex> lock(devices_mu);
    auto it = devices.find(id);
    return it == devices.end() ? nullptr : it->second;
  }

  absl::Status Load();
  absl::Status RebuildPolicies(std::map<std::string, json> bodies,
                               std::map<std::string, json> assignments);
  std::vector<std::string> AssignedPolicies(const PolicySnapshot& snapshot,
                                            const std::vector<std::string>& groups) const;
  // `parsed` (optional) is posture_text already parsed, to save the second parse on check-in.
  Outcome Evaluate(const DeviceEntry& e, const std::string& posture_text,
                   std::optional<absl::Time> last_checkin, absl::Time now, bool force_push,
                   absl::StatusOr<compliance::Posture>* parsed = nullptr);
  static absl::Status WriteDevice(Db& db, const DeviceEntry& e, Outcome& out,
                                  std::int64_t last_sequence, std::optional<absl::Time> last_checkin,
                                  const std::string& posture, const std::vector<Command>* sent,
                                  absl::Time now);
  void Apply(DeviceEntry& e, Outcome& out);
  static bool Differs(const DeviceEntry& e, const Outcome& out);
  json DeviceView(const DeviceEntry& e, bool detailed) const;
  void SweepLoop();
  absl::StatusOr<json> ReevaluateLocked(DeviceEntry& e, bool force_push);
};

UemService::UemService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UemService::~UemService() {
  {
    std::lock_guard<std::mutex> lock(impl_->sweep_mu);
    impl_->stopping = true;
  }
  impl_->sweep_wake.notify_all();
  if (impl_->sweeper.joinable()) impl_->sweeper.join();
  impl_->batcher.reset();
}

absl::Time UemService::Now() const { return impl_->Now(); }

void UemService::SetOutboxListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(impl_->listener_mu);
  impl_->outbox_listener = std::move(listener);
}

absl::StatusOr<std::unique_ptr<UemService>> UemService::Open(UemOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  GH_ASSIGN_OR_RETURN(impl->write_db, OpenUemDatabase(impl->options.data_dir));
  GH_ASSIGN_OR_RETURN(impl->read_db, Db::Open(impl->options.data_dir + "/uem.db"));
  GH_RETURN_IF_ERROR(impl->read_db->Exec("PRAGMA busy_timeout = 5000"));
  if (auto* m = impl->options.metrics) {
    m->DeclareCounter("gatehouse_uem_checkins_total", "UEM check-ins by result");
    m->DeclareHistogram("gatehouse_uem_commit_group_size", "Writes per UEM group commit",
                        {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
    m->DeclareHistogram("gatehouse_uem_commit_seconds", "UEM group commit latency",
                        {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1});
    m->DeclareCounter("gatehouse_uem_wipes_held_total",
                      "Wipe commands held by the circuit breaker for an admin's confirmation");
    m->DeclareGauge("gatehouse_uem_devices", "Enrolled devices by compliance state");
    m->DeclareCounter("gatehouse_uem_outbox_rows_total", "Partner outbox rows written");
  }
  GH_RETURN_IF_ERROR(impl->Load());
  impl->batcher = std::make_unique<WriteBatcher>(*impl->write_db);
  if (auto* m = impl->options.metrics) {
    impl->batcher->set_on_commit([m](std::size_t n, double seconds) {
      m->Observe("gatehouse_uem_commit_group_size", {}, static_cast<double>(n));
      m->Observe("gatehouse_uem_commit_seconds", {}, seconds);
    });
  }
  Impl* raw = impl.get();
  std::unique_ptr<UemService> service(new UemService(std::move(impl)));
  raw->owner = service.get();
  if (raw->options.start_sweeper) raw->sweeper = std::thread([raw] { raw->SweepLoop(); });
  return service;
}

absl::Status UemService::Impl::Load() {
  Db& db = *write_db;
  {
    GH_ASSIGN_OR_RETURN(Statement s, db.Prepare(
        "SELECT id, secret_hash, public_key, hostname, operating_system, os_version, group_ids, "
        "enrollment_token_id, directory_device_id, enrolled, last_sequence, "
        "COALESCE(CAST(last_checkin AS TEXT), ''), last_checkin, posture, compliance_state, verdict, "
        "COALESCE(CAST(first_noncompliant AS TEXT), ''), first_noncompliant, "
        "COALESCE(CAST(evaluated AS TEXT), ''), evaluated, actions_taken, blocked, "
        "partner_sequence, partner_key, COALESCE(CAST(partner_pushed AS TEXT), ''), partner_pushed "
        "FROM devices"));
    while (true) {
      GH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      auto e = std::make_shared<DeviceEntry>();
      e->id = s.ColumnText(0);
      e->secret_hash = s.ColumnText(1);
      e->public_key = s.ColumnText(2);
      e->hostname = s.ColumnText(3);
      e->operating_system = s.ColumnText(4);
      e->os_version = s.ColumnText(5);
      e->group_ids = json::parse(s.ColumnText(6), nullptr, false).get<std::vector<std::string>>();
      e->token_id = s.ColumnText(7);
      e->directory_device_id = s.ColumnText(8);
      e->enrolled = FromMicros(s.ColumnInt64(9));
      e->last_sequence = s.ColumnInt64(10);
      e->last_checkin = OptionalTime(s, 12, s.ColumnText(11));
      e->posture = s.ColumnText(13);
      e->state = s.ColumnText(14);
      e->verdict = s.ColumnText(15);
      e->first_noncompliant = OptionalTime(s, 17, s.ColumnText(16));
      e->evaluated = OptionalTime(s, 19, s.ColumnText(18));
      e->actions_taken = json::parse(s.ColumnText(20), nullptr, false);
      if (!e->actions_taken.is_array()) e->actions_taken = json::array();
      e->blocked = s.ColumnInt64(21) != 0;
      e->partner_sequence = s.ColumnInt64(22);
      e->partner_key = s.ColumnText(23);
      e->partner_pushed = OptionalTime(s, 25, s.ColumnText(24));
      devices[e->id] = e;
    }
  }
  {
    GH_ASSIGN_OR_RETURN(Statement s, db.Prepare(
        "SELECT seq, device_id, type, policy_id, state, created FROM commands "
        "WHERE state IN ('pending') ORDER BY seq"));
    while (true) {
      GH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      auto it = devices.find(s.ColumnText(1));
      if (it == devices.end()) continue;
      it->second->pending.push_back(Command{s.ColumnInt64(0), s.ColumnText(2), s.ColumnText(3),
                                            s.ColumnText(4), FromMicros(s.ColumnInt64(5))});
    }
  }
  {
    GH_ASSIGN_OR_RETURN(Statement s, db.Prepare(
        "SELECT created FROM commands WHERE type = 'wipe' AND state IN ('pending', 'sent') "
        "AND created >= ? ORDER BY created"));
    s.BindInt64(1, Micros(Now() - options.wipe_window));
    while (true) {
      GH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      wipes.push_back(FromMicros(s.ColumnInt64(0)));
    }
  }
  std::map<std::string, json> bodies, assignments;
  {
    GH_ASSIGN_OR_RETURN(Statement s, db.Prepare("SELECT id, body, assignments FROM policies"));
    while (true) {
      GH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      bodies[s.ColumnText(0)] = json::parse(s.ColumnText(1), nullptr, false);
      assignments[s.ColumnText(0)] = json::parse(s.ColumnText(2), nullptr, false);
    }
  }
  return RebuildPolicies(std::move(bodies), std::move(assignments));
}

absl::Status UemService::Impl::RebuildPolicies(std::map<std::string, json> bodies,
                                               std::map<std::string, json> assignments) {
  auto snapshot = std::make_shared<PolicySnapshot>();
  std::vector<compliance::CompliancePolicy> parsed;
  for (const auto& [id, body] : bodies) {
    auto policy = compliance::ParseCompliancePolicy(body, "/" + id, nullptr);
    if (!policy.ok()) return policy.status();
    policy->id = id;
    parsed.push_back(std::move(*policy));
    json a = assignments.count(id) ? assignments[id] : json::array();
    if (!a.is_array()) a = json::array();
    auto rule = ParseAssignments(a);
    if (!rule.ok()) return rule.status();
    snapshot->rules.emplace_back(id, std::move(*rule));
    snapshot->assignments[id] = a;
  }
  GH_ASSIGN_OR_RETURN(snapshot->set, compliance::CompiledPolicySet::Compile(std::move(parsed)));
  snapshot->bodies = std::move(bodies);
  policies.store(std::move(snapshot));
  return absl::OkStatus();
}

std::vector<std::string> UemService::Impl::AssignedPolicies(
    const PolicySnapshot& snapshot, const std::vector<std::string>& groups) const {
  std::vector<std::string> ids;
  for (const auto& [id, rule] : snapshot.rules) {
    if (Intersects(rule.exclude, groups)) continue;
    if (rule.all || Intersects(rule.include, groups)) ids.push_back(id);
  }
  return ids;
}

Outcome UemService::Impl::Evaluate(const DeviceEntry& e, const std::string& posture_text,
                                   std::optional<absl::Time> last_checkin, absl::Time now,
                                   bool force_push,
                                   absl::StatusOr<compliance::Posture>* preparsed) {
  Outcome out;
  out.actions_taken = e.actions_taken;
  out.blocked = e.blocked;
  out.partner_sequence = e.partner_sequence;
  out.partner_key = e.partner_key;
  out.partner_pushed = e.partner_pushed;
  out.evaluated = now;
  auto snapshot = policies.load();
  compliance::DeviceVerdict verdict;
  verdict.device_id = e.id;
  absl::StatusOr<compliance::Posture> parsed = absl::UnknownError("not parsed");
  if (preparsed != nullptr) {
    parsed = std::move(*preparsed);
  } else {
    json posture = json::parse(posture_text, nullptr, false);
    if (!posture.is_object()) posture = json::object();
    posture["deviceId"] = e.id;
    parsed = compliance::ParsePosture(posture);
  }
  absl::StatusOr<compliance::DeviceVerdict> evaluated = absl::UnknownError("not evaluated");
  if (!parsed.ok()) {
    evaluated = parsed.status();
  } else {
    compliance::DeviceInput input;
    input.posture = std::move(*parsed);
    input.assigned_policy_ids = AssignedPolicies(*snapshot, e.group_ids);
    input.first_noncompliant = e.first_noncompliant;
    input.last_check_in = last_checkin;
    evaluated = compliance::EvaluateDevice(*snapshot->set, input, options.settings, now);
  }
  if (evaluated.ok()) {
    verdict = std::move(*evaluated);
  } else {
    verdict.state = compliance::ComplianceState::kError;
  }
  out.state = std::string(compliance::ComplianceStateName(verdict.state));
  json verdict_json = compliance::DeviceVerdictToJson(verdict);
  if (!evaluated.ok()) verdict_json["error"] = std::string(evaluated.status().message());
  out.verdict = verdict_json.dump();

  if (IsFailing(out.state)) {
    out.first_noncompliant = e.first_noncompliant ? e.first_noncompliant : std::optional(now);
  } else {
    out.first_noncompliant.reset();
    out.actions_taken = json::array();
    out.blocked = false;
  }

  // Actions now due.
  if (IsFailing(out.state)) {
    compliance::ActionHistory history;
    history.first_noncompliant = out.first_noncompliant;
    for (const auto& t : out.actions_taken) {
      history.taken.push_back({t.value("policyId", ""), t.value("step", 0)});
    }
    for (const auto& due : compliance::PlanDueActions(verdict, *snapshot->set, history, now)) {
      out.actions_taken.push_back({{"policyId", due.policy_id},
                                   {"step", due.step},
                                   {"type", std::string(compliance::ActionTypeName(due.type))},
                                   {"takenDateTime", core::FormatIsoDateTime(now)}});
      using compliance::ActionType;
      std::string command;
      switch (due.type) {
        case ActionType::kNotifyUser:
        case ActionType::kNotifyAdmin: {
          std::string message = "Device " + (e.hostname.empty() ? e.id : e.hostname) +
                                " does not meet compliance policy " + due.policy_id + ".";
          out.notifications.emplace_back(due.policy_id,
                                         std::string(compliance::ActionTypeName(due.type)));
          out.notification_messages.push_back(message);
          if (due.type == ActionType::kNotifyUser) command = "notifyUser";
          break;
        }
        case ActionType::kBlockAccess:
          out.blocked = true;
          break;
        case ActionType::kRemoteLock:
          command = "remoteLock";
          break;
        case ActionType::kRemoveManagedApps:
          command = "removeManagedApps";
          break;
        case ActionType::kRetire:
          command = "retire";
          break;
        case ActionType::kEnterpriseWipe:
          command = "wipe";
          break;
        default:
          break;
      }
      if (command.empty()) continue;
      Command c{0, command, due.policy_id, "pending", now};
      if (command == "wipe") {
        std::lock_guard<std::mutex> lock(breaker_mu);
        while (!wipes.empty() && wipes.front() < now - options.wipe_window) wipes.pop_front();
        if (static_cast<int>(wipes.size()) >= options.wipe_limit) {
          c.state = "held";
          Count("gatehouse_uem_wipes_held_total");
        } else {
          wipes.push_back(now);
        }
      }
      out.new_commands.push_back(std::move(c));
    }
  }

  // What the IdP should know.
  out.compliant = (out.state == "compliant" || out.state == "inGracePeriod") && !out.blocked;
  for (const auto& policy : verdict.policies) {
    const std::string pstate(compliance::ComplianceStateName(policy.state));
    if (!IsFailing(pstate) && pstate != "error") continue;
    for (const auto& setting : policy.settings) {
      if (setting.state == compliance::ComplianceState::kCompliant) continue;
      auto [reason, remediation] = SplitReason(setting.reason);
      std::string sstate(compliance::ComplianceStateName(setting.state));
      if (sstate == "nonCompliant" && pstate == "inGracePeriod") sstate = "inGracePeriod";
      out.failing.push_back({{"setting", setting.setting},
                             {"state", sstate},
                             {"reason", reason},
                             {"remediation", remediation}});
    }
  }
  const std::string key = out.state + "|" + (out.compliant ? "1" : "0") + "|" + out.failing.dump();
  const bool changed = key != e.partner_key;
  if (!e.directory_device_id.empty() && (changed || force_push)) {
    PartnerUpdate update;
    update.device_id = e.directory_device_id;
    update.compliant = out.compliant;
    update.managed = true;
    update.compliance_state = out.state;
    update.observed_at = now;
    update.sequence = e.partner_sequence + 1;
    for (const auto& f : out.failing) {
      update.failing_settings.push_back({f["setting"], f["state"], f["reason"], f["remediation"]});
    }
    out.outbox_body = PartnerUpdateToJson(update).dump();
    out.partner_sequence = update.sequence;
    out.partner_pushed = now;
    out.partner_key = key;
  } else if (e.directory_device_id.empty()) {
    out.partner_key = "";  // nothing delivered yet: the link pushes the state then
  }
  return out;
}

bool UemService::Impl::Differs(const DeviceEntry& e, const Outcome& out) {
  return out.state != e.state || out.verdict != e.verdict ||
         out.first_noncompliant != e.first_noncompliant || out.actions_taken != e.actions_taken ||
         out.blocked != e.blocked || out.outbox_body.has_value() || !out.new_commands.empty() ||
         !out.notifications.empty();
}

absl::Status UemService::Impl::WriteDevice(Db& db, const DeviceEntry& e, Outcome& out,
                                           std::int64_t last_sequence,
                                           std::optional<absl::Time> last_checkin,
                                           const std::string& posture,
                                           const std::vector<Command>* sent, absl::Time now) {
  {
    GH_ASSIGN_OR_RETURN(Db::Lease u, db.Cached(
        "UPDATE devices SET last_sequence = ?, last_checkin = ?, posture = ?, "
        "compliance_state = ?, verdict = ?, first_noncompliant = ?, evaluated = ?, "
        "actions_taken = ?, blocked = ?, partner_sequence = ?, partner_key = ?, "
        "partner_pushed = ?, directory_device_id = ?, group_ids = ? WHERE id = ?"));
    u->BindInt64(1, last_sequence);
    BindOptionalTime(*u, 2, last_checkin);
    u->BindText(3, posture);
    u->BindText(4, out.state);
    u->BindText(5, out.verdict);
    BindOptionalTime(*u, 6, out.first_noncompliant);
    BindOptionalTime(*u, 7, out.evaluated);
    u->BindText(8, out.actions_taken.dump());
    u->BindInt64(9, out.blocked ? 1 : 0);
    u->BindInt64(10, out.partner_sequence);
    u->BindText(11, out.partner_key);
    BindOptionalTime(*u, 12, out.partner_pushed);
    u->BindText(13, e.directory_device_id);
    u->BindText(14, json(e.group_ids).dump());
    u->BindText(15, e.id);
    GH_RETURN_IF_ERROR(u->Run());
    if (sqlite3_changes(db.handle()) != 1) return absl::NotFoundError("device '" + e.id + "' is gone");
  }
  for (Command& c : out.new_commands) {
    GH_ASSIGN_OR_RETURN(Db::Lease i, db.Cached(
        "INSERT INTO commands (device_id, type, policy_id, state, created, updated) "
        "VALUES (?, ?, ?, ?, ?, ?)"));
    i->BindText(1, e.id);
    i->BindText(2, c.type);
    i->BindText(3, c.policy_id);
    i->BindText(4, c.state);
    i->BindInt64(5, Micros(c.created));
    i->BindInt64(6, Micros(c.created));
    GH_RETURN_IF_ERROR(i->Run());
    c.seq = sqlite3_last_insert_rowid(db.handle());
  }
  for (std::size_t n = 0; n < out.notifications.size(); ++n) {
    GH_ASSIGN_OR_RETURN(Db::Lease i, db.Cached(
        "INSERT INTO notifications (device_id, policy_id, type, message, created) "
        "VALUES (?, ?, ?, ?, ?)"));
    i->BindText(1, e.id);
    i->BindText(2, out.notifications[n].first);
    i->BindText(3, out.notifications[n].second);
    i->BindText(4, out.notification_messages[n]);
    i->BindInt64(5, Micros(now));
    GH_RETURN_IF_ERROR(i->Run());
  }
  if (out.outbox_body) {
    GH_ASSIGN_OR_RETURN(Db::Lease i, db.Cached(
        "INSERT INTO outbox (device_id, body, created) VALUES (?, ?, ?)"));
    i->BindText(1, e.id);
    i->BindText(2, *out.outbox_body);
    i->BindInt64(3, Micros(now));
    GH_RETURN_IF_ERROR(i->Run());
  }
  if (sent) {
    for (const Command& c : *sent) {
      GH_ASSIGN_OR_RETURN(Db::Lease u, db.Cached(
          "UPDATE commands SET state = 'sent', updated = ? WHERE seq = ? AND state = 'pending'"));
      u->BindInt64(1, Micros(now));
      u->BindInt64(2, c.seq);
      GH_RETURN_IF_ERROR(u->Run());
    }
  }
  return absl::OkStatus();
}

void UemService::Impl::Apply(DeviceEntry& e, Outcome& out) {
  e.state = out.state;
  e.verdict = std::move(out.verdict);
  e.first_noncompliant = out.first_noncompliant;
  e.evaluated = out.evaluated;
  e.actions_taken = std::move(out.actions_taken);
  e.blocked = out.blocked;
  e.partner_sequence = out.partner_sequence;
  e.partner_key = out.partner_key;
  e.partner_pushed = out.partner_pushed;
  for (Command& c : out.new_commands) {
    if (c.state == "pending") e.pending.push_back(c);
  }
  if (out.outbox_body && options.metrics) options.metrics->Increment("gatehouse_uem_outbox_rows_total");
}

// ---------------------------------------------------------------- enrolment tokens

absl::StatusOr<json> UemService::CreateEnrollmentToken(const json& body_in) {
  const json body = body_in.is_null() ? json::object() : body_in;
  if (!body.is_object()) return absl::InvalidArgumentError("expected a JSON object");
  std::string name = body.value("displayName", std::string("Enrollment token"));
  GH_ASSIGN_OR_RETURN(std::vector<std::string> groups, ReadGroupIds(body, "groupIds"));
  double hours = 168;
  if (auto it = body.find("expiresInHours"); it != body.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() <= 0 || it->get<double>() > 24 * 366) {
      return absl::InvalidArgumentError("/expiresInHours: expected a number in (0, 8784]");
    }
    hours = it->get<double>();
  }
  std::int64_t max_uses = 0;
  if (auto it = body.find("maxUses"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
      return absl::InvalidArgumentError("/maxUses: expected an integer >= 0 (0 = unlimited)");
    }
    max_uses = it->get<std::int64_t>();
  }
  const std::string id = crypto::RandomGuid();
  const std::string token = "ghe_" + crypto::RandomToken(32);
  const absl::Time now = impl_->Now();
  const absl::Time expires = now + absl::Seconds(hours * 3600);
  GH_RETURN_IF_ERROR(impl_->batcher->Run([&](Db& db) -> absl::Status {
    GH_ASSIGN_OR_RETURN(Db::Lease i, db.Cached(
        "INSERT INTO enrollment_tokens (id, token_hash, display_name, group_ids, created, expires, "
        "max_uses, uses, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)"));
    i->BindText(1, id);
    i->BindText(2, crypto::Sha256Hex(token));
    i->BindText(3, name);
    i->BindText(4, json(groups).dump());
    i->BindInt64(5, Micros(now));
    i->BindInt64(6, Micros(expires));
    i->BindInt64(7, max_uses);
    return i->Run();
  }));
  return json{{"id", id},
              {"displayName", name},
              {"groupIds", groups},
              {"createdDateTime", core::FormatIsoDateTime(now)},
              {"expiresDateTime", core::FormatIsoDateTime(expires)},
              {"maxUses", max_uses},
              {"uses", 0},
              {"revoked", false},
              {"token", token}};
}

absl::StatusOr<json> UemService::ListEnrollmentTokens() {
  std::lock_guard<std::mutex> lock(impl_->read_mu);
  GH_ASSIGN_OR_RETURN(Statement s, impl_->read_db->Prepare(
      "SELECT id, display_name, group_ids, created, expires, max_uses, uses, revoked "
      "FROM enrollment_tokens ORDER BY created"));
  json value = json::array();
  while (true) {
    GH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    value.push_back({{"id", s.ColumnText(0)},
                     {"displayName", s.ColumnText(1)},
                     {"groupIds", json::parse(s.ColumnText(2), nullptr, false)},
                     {"createdDateTime", core::FormatIsoDateTime(FromMicros(s.ColumnInt64(3)))},
                     {"expiresDateTime", core::FormatIsoDateTime(FromMicros(s.ColumnInt64(4)))},
                     {"maxUses", s.ColumnInt64(5)},
                     {"uses", s.ColumnInt64(6)},
                     {"revoked", s.ColumnInt64(7) != 0}});
  }
  return json{{"value", value}};
}

absl::Status UemService::RevokeEnrollmentToken(const std::string& id) {
  return impl_->batcher->Run([&](Db& db) -> absl::Status {
    GH_ASSIGN_OR_RETURN(Db::Lease u, db.Cached("UPDATE enrollment_tokens SET revoked = 1 WHERE id = ?"));
    u->BindText(1, id);
    GH_RETURN_IF_ERROR(u->Run());
    if (sqlite3_changes(db.handle()) == 0) {
      return absl::NotFoundError("no enrollment token with id '" + id + "'");
    }
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------- device side

absl::StatusOr<json> UemService::Enroll(const json& body) {
  if (!body.is_object()) return absl::InvalidArgumentError("expected a JSON object");
  auto text = [&](const char* key, bool required, std::size_t max) -> absl::StatusOr<std::string> {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) {
      if (required) return absl::InvalidArgumentError(std::string("/") + key + ": required");
      return std::string();
    }
    if (!it->is_string()) return absl::InvalidArgumentError(std::string("/") + key + ": expected a string");
    if (it->get<std::string>().size() > max) {
      return absl::InvalidArgumentError(std::string("/") + key + ": longer than " + std::to_string(max));
    }
    return it->get<std::string>();
  };
  GH_ASSIGN_OR_RETURN(std::string token, text("enrollmentToken", true, 256));
  GH_ASSIGN_OR_RETURN(std::string hostname, text("hostname", false, 255));
  GH_ASSIGN_OR_RETURN(std::string os, text("operatingSystem", false, 64));
  GH_ASSIGN_OR_RETURN(std::string os_version, text("osVersion", false, 64));
  auto key = body.find("publicKey");
  if (key == body.end() || key->is_null()) return absl::InvalidArgumentError("/publicKey: required (EC P-256 JWK)");
  std::string jwk = key->is_string() ? key->get<std::string>() : key->dump();
  auto public_key = crypto::P256PublicKey::FromJwk(jwk);
  if (!public_key.ok()) {
    return absl::InvalidArgumentError("/publicKey: " + std::string(public_key.status().message()));
  }
  auto entry = std::make_shared<DeviceEntry>();
  entry->id = crypto::RandomGuid();
  const std::string secret = "ghd_" + crypto::RandomToken(32);
  entry->secret_hash = crypto::Sha256Hex(secret);
  entry->public_key = public_key->Jwk();
  entry->hostname = hostname;
  entry->operating_system = os;
  entry->os_version = os_version;
  const absl::Time now = impl_->Now();
  entry->enrolled = now;
  GH_RETURN_IF_ERROR(impl_->batcher->Run([&](Db& db) -> absl::Status {
    GH_ASSIGN_OR_RETURN(Db::Lease q, db.Cached(
        "SELECT id, group_ids, expires, max_uses, uses, revoked FROM enrollment_tokens "
        "WHERE token_hash = ?"));
    q->BindText(1, crypto::Sha256Hex(token));
    GH_ASSIGN_OR_RETURN(bool row, q->Step());
    const absl::Status refused =
        absl::UnauthenticatedError("the enrollment token is not valid (unknown, expired, revoked or used up)");
    if (!row) return refused;
    entry->token_id = q->ColumnText(0);
    json groups = json::parse(q->ColumnText(1), nullptr, false);
    if (groups.is_array()) entry->group_ids = groups.get<std::vector<std::string>>();
    const std::int64_t max_uses = q->ColumnInt64(3), uses = q->ColumnInt64(4);
    if (FromMicros(q->ColumnInt64(2)) <= now || q->ColumnInt64(5) != 0 ||
        (max_uses > 0 && uses >= max_uses)) {
      return refused;
    }
    GH_ASSIGN_OR_RETURN(Db::Lease u, db.Cached("UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = ?"));
    u->BindText(1, entry->token_id);
    GH_RETURN_IF_ERROR(u->Run());
    GH_ASSIGN_OR_RETURN(Db::Lease i, db.Cached(
        "INSERT INTO devices (id, secret_hash, public_key, hostname, operating_system, os_version, "
        "group_ids, enrollment_token_id, directory_device_id, enrolled, last_sequence, posture, "
        "compliance_state, verdict, actions_taken, blocked, partner_sequence, partner_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, 0, '{}', 'unknown', '{}', '[]', 0, 0, '')"));
    i->BindText(1, entry->id);
    i->BindText(2, entry->secret_hash);
    i->BindText(3, entry->public_key);
    i->BindText(4, hostname);
    i->BindText(5, os);
    i->BindText(6, os_version);
    i->BindText(7, json(entry->group_ids).dump());
    i->BindText(8, entry->token_id);
    i->BindInt64(9, Micros(now));
    return i->Run();
  }));
  {
    std::unique_lock<std::shared_mutex> lock(impl_->devices_mu);
    impl_->devices[entry->id] = entry;
  }
  return json{{"deviceId", entry->id}, {"deviceSecret", secret}};
}

absl::Status UemService::AuthenticateDevice(const std::string& device_id,
                                            const std::string& secret) const {
  auto entry = impl_->Find(device_id);
  // Hash either way, so unknown devices and wrong secrets cost the same.
  const std::string hash = crypto::Sha256Hex(secret);
  if (!entry || secret.empty() || !ConstantTimeEquals(hash, entry->secret_hash)) {
    return absl::UnauthenticatedError("the device credential is not valid");
  }
  return absl::OkStatus();
}

absl::StatusOr<json> UemService::CheckIn(const std::string& device_id, const json& body) {
  auto entry = impl_->Find(device_id);
  if (!entry) return absl::NotFoundError("no device with id '" + device_id + "'");
  if (!body.is_object()) return absl::InvalidArgumentError("expected a JSON object");
  auto seq = body.find("sequence");
  if (seq == body.end() || !seq->is_number_integer() || seq->get<std::int64_t>() < 1) {
    impl_->Count("gatehouse_uem_checkins_total", {{"result", "invalid"}});
    return absl::InvalidArgumentError("/sequence: required: an integer >= 1, increasing per check-in");
  }
  const std::int64_t sequence = seq->get<std::int64_t>();
  auto posture_it = body.find("posture");
  if (posture_it == body.end() || !posture_it->is_object()) {
    impl_->Count("gatehouse_uem_checkins_total", {{"result", "invalid"}});
    return absl::InvalidArgumentError("/posture: required: an object with the posture keys (docs/posture.md)");
  }
  json posture = *posture_it;
  posture["deviceId"] = device_id;
  absl::StatusOr<compliance::Posture> parsed = compliance::ParsePosture(posture, "/posture");
  if (!parsed.ok()) {
    impl_->Count("gatehouse_uem_checkins_total", {{"result", "invalid"}});
    return parsed.status();
  }
  const std::string posture_text = posture.dump();

  std::lock_guard<std::mutex> lock(entry->mu);
  if (sequence <= entry->last_sequence) {
    const bool repeat = sequence == entry->last_sequence;
    impl_->Count("gatehouse_uem_checkins_total", {{"result", repeat ? "duplicate" : "outOfOrder"}});
    json answer = {{"accepted", repeat},
                   {"duplicate", repeat},
                   {"lastSequence", entry->last_sequence},
                   {"complianceState", entry->state},
                   {"commands", json::array()}};
    if (!repeat) answer["reason"] = "outOfOrder: a newer check-in (sequence " +
                                    std::to_string(entry->last_sequence) + ") was already accepted";
    return answer;
  }
  const absl::Time now = impl_->Now();
  Outcome out = impl_->Evaluate(*entry, posture_text, now, now, /*force_push=*/false, &parsed);
  std::vector<Command> sent = entry->pending;
  DeviceEntry& e = *entry;
  absl::Status written = impl_->batcher->Run([&](Db& db) {
    return Impl::WriteDevice(db, e, out, sequence, now, posture_text, &sent, now);
  });
  if (!written.ok()) {
    impl_->Count("gatehouse_uem_checkins_total", {{"result", "error"}});
    return written;
  }
  const bool pushed = out.outbox_body.has_value();
  json commands = json::array();
  for (const Command& c : sent) commands.push_back(CommandJson(c));
  for (const Command& c : out.new_commands) {
    if (c.state == "pending") commands.push_back(CommandJson(c));
  }
  const bool compliant = out.compliant;
  json failing = out.failing;
  e.last_sequence = sequence;
  e.last_checkin = now;
  e.posture = posture_text;
  impl_->Apply(e, out);
  e.pending.clear();  // everything pending went out with this answer
  impl_->Count("gatehouse_uem_checkins_total", {{"result", "accepted"}});
  if (pushed) impl_->NotifyOutbox();
  return json{{"accepted", true},
              {"sequence", sequence},
              {"complianceState", e.state},
              {"compliant", compliant},
              {"failingSettings", failing},
              {"commands", commands}};
}

absl::StatusOr<json> UemService::Impl::ReevaluateLocked(DeviceEntry& e, bool force_push) {
  const absl::Time now = Now();
  Outcome out = Evaluate(e, e.posture, e.last_checkin, now, force_push);
  if (Differs(e, out)) {
    GH_RETURN_IF_ERROR(batcher->Run([&](Db& db) {
      return WriteDevice(db, e, out, e.last_sequence, e.last_checkin, e.posture, nullptr, now);
    }));
    const bool pushed = out.outbox_body.has_value();
    Apply(e, out);
    if (pushed) NotifyOutbox();
  }
  return DeviceView(e, true);
}

absl::StatusOr<json> UemService::LinkDirectoryDevice(const std::string& device_id,
                                                     const std::string& directory_device_id) {
  if (directory_device_id.empty() || directory_device_id.size() > 256) {
    return absl::InvalidArgumentError("/directoryDeviceId: required (1..256 characters)");
  }
  auto entry = impl_->Find(device_id);
  if (!entry) return absl::NotFoundError("no device with id '" + device_id + "'");
  std::lock_guard<std::mutex> lock(entry->mu);
  if (!entry->directory_device_id.empty()) {
    if (entry->directory_device_id == directory_device_id) {
      return json{{"deviceId", device_id}, {"directoryDeviceId", directory_device_id}};
    }
    return absl::FailedPreconditionError("the device is already linked to directory device '" +
                                         entry->directory_device_id + "'");
  }
  entry->directory_device_id = directory_device_id;
  entry->partner_key.clear();
  if (entry->last_sequence > 0) {
    // Evaluate now so the IdP learns the current state.
    auto view = impl_->ReevaluateLocked(*entry, /*force_push=*/true);
    if (!view.ok()) {
      entry->directory_device_id.clear();
      return view.status();
    }
  } else {
    // Never checked in: store the link; the first check-in pushes the state.
    DeviceEntry& e = *entry;
    Outcome keep;
    keep.state = e.state;
    keep.verdict = e.verdict;
    keep.actions_taken = e.actions_taken;
    keep.evaluated = e.evaluated;
    absl::Status s = impl_->batcher->Run([&](Db& db) {
      return Impl::WriteDevice(db, e, keep, e.last_sequence, e.last_checkin, e.posture, nullptr,
                               impl_->Now());
    });
    if (!s.ok()) {
      entry->directory_device_id.clear();
      return s;
    }
  }
  return json{{"deviceId", device_id}, {"directoryDeviceId", directory_device_id}};
}

// ---------------------------------------------------------------- policies

absl::StatusOr<json> UemService::PutPolicy(const json& body, std::optional<std::string> id,
                                           bool must_not_exist) {
  if (!body.is_object()) return absl::InvalidArgumentError("expected a JSON object");
  json stored = body;
  std::string policy_id = id ? *id : body.value("id", std::string());
  if (policy_id.empty()) policy_id = crypto::RandomGuid();
  if (policy_id.size() > 128) return absl::InvalidArgumentError("/id: longer than 128 characters");
  stored["id"] = policy_id;
  core::ProblemList warnings;
  auto parsed = compliance::ParseCompliancePolicy(stored, "", &warnings);
  if (!parsed.ok()) return parsed.status();
  std::lock_guard<std::mutex> lock(impl_->policy_mu);
  auto current = impl_->policies.load();
  if (must_not_exist && current->bodies.count(policy_id)) {
    return absl::AlreadyExistsError("a compliance policy with id '" + policy_id + "' exists");
  }
  if (!must_not_exist && !current->bodies.count(policy_id)) {
    return absl::NotFoundError("no compliance policy with id '" + policy_id + "'");
  }
  auto bodies = current->bodies;
  auto assignments = current->assignments;
  bodies[policy_id] = stored;
  if (!assignments.count(policy_id)) assignments[policy_id] = json::array();
  // Compile the whole set first: a policy that breaks the set is refused before it is stored.
  GH_RETURN_IF_ERROR(impl_->RebuildPolicies(bodies, assignments));
  const absl::Time now = impl_->Now();
  absl::Status s = impl_->batcher->Run([&](Db& db) -> absl::Status {
    GH_ASSIGN_OR_RETURN(Db::Lease u, db.Cached(
        "INSERT INTO policies (id, body, assignments, modified) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET body = excluded.body, modified = excluded.modified"));
    u->BindText(1, policy_id);
    u->BindText(2, stored.dump());
    u->BindText(3, assignments[policy_id].dump());
    u->BindInt64(4, Micros(now));
    return u->Run();
  });
  if (!s.ok()) {
    (void)impl_->RebuildPolicies(current->bodies, current->assignments);
    return s;
  }
  RequestSweep();
  json view = {{"id", policy_id}, {"policy", stored}, {"assignments", assignments[policy_id]}};
  json w = json::array();
  for (const auto& p : warnings.problems()) w.push_back({{"pointer", p.pointer}, {"detail", p.message}});
  view["warnings"] = w;
  return view;
}

absl::StatusOr<json> UemService::GetPolicy(const std::string& id) {
  auto snapshot = impl_->policies.load();
  auto it = snapshot->bodies.find(id);
  if (it == snapshot->bodies.end()) return absl::NotFoundError("no compliance policy with id '" + id + "'");
  return json{{"id", id}, {"policy", it->second}, {"assignments", snapshot->assignments.at(id)}};
}

absl::StatusOr<json> UemService::ListPolicies() {
  auto snapshot = impl_->policies.load();
  json value = json::array();
  for (const auto& [id, body] : snapshot->bodies) {
    value.push_back({{"id", id}, {"policy", body}, {"assignments", snapshot->assignments.at(id)}});
  }
  return json{{"value", value}};
}

absl::Status UemService::DeletePolicy(const std::string& id) {
  std::lock_guard<std::mutex> lock(impl_->policy_mu);
  auto current = impl_->policies.load();
  if (!current->bodies.count(id)) return absl::NotFoundError("no compliance policy with id '" + id + "'");
  auto bodies = current->bodies;
  auto assignments = current->assignments;
  bodies.erase(id);
  assignments.erase(id);
  GH_RETURN_IF_ERROR(impl_->batcher->Run([&](Db& db) -> absl::Status {
    GH_ASSIGN_OR_RETURN(Db::Lease d, db.Cached("DELETE FROM policies WHERE id = ?"));
    d->BindText(1, id);
    return d->Run();
  }));
  GH_RETURN_IF_ERROR(impl_->RebuildPolicies(bodies, assignments));
  RequestSweep();
  return absl::OkStatus();
}

absl::StatusOr<json> UemService::AssignPolicy(const std::string& id, const json& body) {
  if (!body.is_object() || !body.contains("assignments")) {
    return absl::InvalidArgumentError("/assignments: required array");
  }
  const json& assignments_in = body["assignments"];
  GH_RETURN_IF_ERROR(ParseAssignments(assignments_in).status());
  std::lock_guard<std::mutex> lock(impl_->policy_mu);
  auto current = impl_->policies.load();
  if (!current->bodies.count(id)) return absl::NotFoundError("no compliance policy with id '" + id + "'");
  auto assignments = current->assignments;
  assignments[id] = assignments_in;
  GH_RETURN_IF_ERROR(impl_->batcher->Run([&](Db& db) -> absl::Status {
    GH_ASSIGN_OR_RETURN(Db::Lease u, db.Cached("UPDATE policies SET assignments = ?, modified = ? WHERE id = ?"));
    u->BindText(1, assignments_in.dump());
    u->BindInt64(2, Micros(impl_->Now()));
    u->BindText(3, id);
    return u->Run();
  }));
  GH_RETURN_IF_ERROR(impl_->RebuildPolicies(current->bodies, assignments));
  RequestSweep();
  return json{{"value", assignments_in}};
}

// ---------------------------------------------------------------- devices (admin)

json UemService::Impl::DeviceView(const DeviceEntry& e, bool detailed) const {
  json verdict = json::parse(e.verdict, nullptr, false);
  json view = {{"id", e.id},
               {"hostname", e.hostname},
               {"operatingSystem", e.operating_system},
               {"osVersion", e.os_version},
               {"groupIds", e.group_ids},
               {"enrolledDateTime", core::FormatIsoDateTime(e.enrolled)},
               {"directoryDeviceId", e.directory_device_id.empty() ? json(nullptr) : json(e.directory_device_id)},
               {"lastSequence", e.last_sequence},
               {"lastCheckInDateTime", TimeOrNull(e.last_checkin)},
               {"complianceState", e.state},
               {"blocked", e.blocked},
               {"firstNoncompliantDateTime", TimeOrNull(e.first_noncompliant)},
               {"graceExpiresDateTime", verdict.is_object() ? verdict.value("graceExpiresDateTime", json(nullptr)) : json(nullptr)},
               {"lastEvaluatedDateTime", TimeOrNull(e.evaluated)},
               {"partnerSequence", e.partner_sequence}};
  if (detailed) {
    view["policies"] = verdict.is_object() ? verdict.value("policies", json::array()) : json::array();
    view["actionsTaken"] = e.actions_taken;
    json pending = json::array();
    for (const auto& c : e.pending) pending.push_back(CommandJson(c));
    view["pendingCommands"] = pending;
    view["posture"] = json::parse(e.posture, nullptr, false);
  }
  return view;
}

absl::StatusOr<json> UemService::ListDevices() {
  std::vector<std::shared_ptr<DeviceEntry>> entries;
  {
    std::shared_lock<std::shared_mutex> lock(impl_->devices_mu);
    for (const auto& [id, e] : impl_->devices) entries.push_back(e);
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a->enrolled < b->enrolled || (a->enrolled == b->enrolled && a->id < b->id); });
  json value = json::array();
  for (const auto& e : entries) {
    std::lock_guard<std::mutex> lock(e->mu);
    value.push_back(impl_->DeviceView(*e, false));
  }
  return json{{"value", value}};
}

absl::StatusOr<json> UemService::GetDevice(const std::string& id) {
  auto entry = impl_->Find(id);
  if (!entry) return absl::NotFoundError("no device with id '" + id + "'");
  json view;
  {
    std::lock_guard<std::mutex> lock(entry->mu);
    view = impl_->DeviceView(*entry, true);
  }
  std::lock_guard<std::mutex> lock(impl_->read_mu);
  GH_ASSIGN_OR_RETURN(Statement s, impl_->read_db->Prepare(
      "SELECT policy_id, type, message, created FROM notifications WHERE device_id = ? "
      "ORDER BY seq DESC LIMIT 50"));
  s.BindText(1, id);
  json notifications = json::array();
  while (true) {
    GH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    notifications.push_back({{"policyId", s.ColumnText(0)}, {"type", s.ColumnText(1)},
                             {"message", s.ColumnText(2)},
                             {"createdDateTime", core::FormatIsoDateTime(FromMicros(s.ColumnInt64(3)))}});
  }
  view["notifications"] = notifications;
  return view;
}

absl::StatusOr<json> UemService::PatchDevice(const std::string& id, const json& body) {
  if (!body.is_object()) return absl::InvalidArgumentError("expected a JSON object");
  auto entry = impl_->Find(id);
  if (!entry) return absl::NotFoundError("no device with id '" + id + "'");
  if (!body.contains("groupIds")) return absl::InvalidArgumentError("/groupIds: required");
  GH_ASSIGN_OR_RETURN(std::vector<std::string> groups, ReadGroupIds(body, "groupIds"));
  std::lock_guard<std::mutex> lock(entry->mu);
  auto previous = entry->group_ids;
  entry->group_ids = groups;
  DeviceEntry& e = *entry;
  const absl::Time now = impl_->Now();
  Outcome out = impl_->Evaluate(e, e.posture, e.last_checkin, now, false);
  if (e.last_sequence == 0) {  // never checked in: keep the state, store the groups
    out.state = e.state;
    out.verdict = e.verdict;
    out.outbox_body.reset();
    out.new_commands.clear();
    out.notifications.clear();
    out.notification_messages.clear();
    out.partner_key = e.partner_key;
    out.partner_sequence = e.partner_sequence;
    out.partner_pushed = e.partner_pushed;
    out.evaluated = e.evaluated;
  }
  absl::Status s = impl_->batcher->Run([&](Db& db) {
    return Impl::WriteDevice(db, e, out, e.last_sequence, e.last_checkin, e.posture, nullptr, now);
  });
  if (!s.ok()) {
    e.group_ids = previous;
    return s;
  }
  const bool pushed = out.outbox_body.has_value();
  impl_->Apply(e, out);
  if (pushed) impl_->NotifyOutbox();
  return impl_->DeviceView(e, true);
}

absl::StatusOr<json> UemService::Reevaluate(const std::string& id) {
  auto entry = impl_->Find(id);
  if (!entry) return absl::NotFoundError("no device with id '" + id + "'");
  std::lock_guard<std::mutex> lock(entry->mu);
  if (entry->last_sequence == 0) {
    return absl::FailedPreconditionError("the device has not checked in yet: there is no posture to evaluate");
  }
  return impl_->ReevaluateLocked(*entry, false);
}

// ---------------------------------------------------------------- commands

absl::StatusOr<json> UemService::ListCommands(const std::string& state_filter) {
  std::lock_guard<std::mutex> lock(impl_->read_mu);
  std::string sql = "SELECT seq, device_id, type, policy_id, state, created, updated FROM commands";
  if (!state_filter.empty()) sql += " WHERE state = ?";
  sql += " ORDER BY seq DESC LIMIT 1000";
  GH_ASSIGN_OR_RETURN(Statement s, impl_->read_db->Prepare(sql));
  if (!state_filter.empty()) s.BindText(1, state_filter);
  json value = json::array();
  while (true) {
    GH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    value.push_back({{"id", s.ColumnInt64(0)}, {"deviceId", s.ColumnText(1)}, {"type", s.ColumnText(2)},
                     {"policyId", s.ColumnText(3)}, {"state", s.ColumnText(4)},
                     {"createdDateTime", core::FormatIsoDateTime(FromMicros(s.ColumnInt64(5)))},
                     {"updatedDateTime", core::FormatIsoDateTime(FromMicros(s.ColumnInt64(6)))}});
  }
  return json{{"value", value}};
}

absl::StatusOr<json> UemService::ConfirmCommand(std::int64_t command_id) {
  std::string device_id;
  Command command;
  const absl::Time now = impl_->Now();
  GH_RETURN_IF_ERROR(impl_->batcher->Run([&](Db& db) -> absl::Status {
    GH_ASSIGN_OR_RETURN(Db::Lease q, db.Cached(
        "SELECT device_id, type, policy_id, state, created FROM commands WHERE seq = ?"));
    q->BindInt64(1, command_id);
    GH_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) return absl::NotFoundError("no command with id " + std::to_string(command_id));
    if (q->ColumnText(3) != "held") {
      return absl::FailedPreconditionError("command " + std::to_string(command_id) + " is " +
                                           q->ColumnText(3) + ", not held");
    }
    device_id = q->ColumnText(0);
    command = Command{command_id, q->ColumnText(1), q->ColumnText(2), "pending",
                      FromMicros(q->ColumnInt64(4))};
    GH_ASSIGN_OR_RETURN(Db::Lease u, db.Cached(
        "UPDATE commands SET state = 'pending', updated = ? WHERE seq = ?"));
    u->BindInt64(1, Micros(now));
    u->BindInt64(2, command_id);
    return u->Run();
  }));
  if (auto entry = impl_->Find(device_id)) {
    std::lock_guard<std::mutex> lock(entry->mu);
    entry->pending.push_back(command);
  }
  json view = CommandJson(command);
  view["deviceId"] = device_id;
  view["state"] = "pending";
  return view;
}

// ---------------------------------------------------------------- sweep

absl::StatusOr<int> UemService::Sweep() {
  std::lock_guard<std::mutex> sweep_lock(impl_->sweep_run_mu);
  std::vector<std::shared_ptr<DeviceEntry>> entries;
  {
    std::shared_lock<std::shared_mutex> lock(impl_->devices_mu);
    for (const auto& [id, e] : impl_->devices) entries.push_back(e);
  }
  int changed = 0;
  bool pushed = false;
  std::map<std::string, double> by_state;
  absl::Status first_error;
  for (std::size_t start = 0; start < entries.size(); start += kSweepChunk) {
    const std::size_t end = std::min(entries.size(), start + kSweepChunk);
    std::vector<std::unique_lock<std::mutex>> locks;
    std::vector<std::pair<DeviceEntry*, std::unique_ptr<Outcome>>> work;
    std::vector<std::future<absl::Status>> futures;
    const absl::Time now = impl_->Now();
    for (std::size_t i = start; i < end; ++i) {
      DeviceEntry& e = *entries[i];
      locks.emplace_back(e.mu);
      if (e.last_sequence == 0) {
        by_state[e.state] += 1;
        continue;
      }
      const bool heartbeat = !e.directory_device_id.empty() &&
                             (!e.partner_pushed || now - *e.partner_pushed >= impl_->options.heartbeat);
      auto out = std::make_unique<Outcome>(impl_->Evaluate(e, e.posture, e.last_checkin, now, heartbeat));
      if (!Impl::Differs(e, *out)) {
        by_state[e.state] += 1;
        continue;
      }
      Outcome* raw = out.get();
      DeviceEntry* device = &e;
      futures.push_back(impl_->batcher->Submit([device, raw, now](Db& db) {
        return Impl::WriteDevice(db, *device, *raw, device->last_sequence, device->last_checkin,
                                 device->posture, nullptr, now);
      }));
      work.emplace_back(&e, std::move(out));
    }
    for (std::size_t i = 0; i < work.size(); ++i) {
      absl::Status s = futures[i].get();
      DeviceEntry& e = *work[i].first;
      if (!s.ok()) {
        if (first_error.ok()) first_error = s;
        by_state[e.state] += 1;
        continue;
      }
      pushed = pushed || work[i].second->outbox_body.has_value();
      impl_->Apply(e, *work[i].second);
      by_state[e.state] += 1;
      ++changed;
    }
  }
  if (pushed) impl_->NotifyOutbox();
  if (auto* m = impl_->options.metrics) {
    for (const char* state : {"unknown", "notApplicable", "compliant", "inGracePeriod", "nonCompliant", "error"}) {
      m->Set("gatehouse_uem_devices", {{"state", state}}, by_state[state]);
    }
  }
  if (!first_error.ok()) return first_error;
  return changed;
}

void UemService::RequestSweep() {
  {
    std::lock_guard<std::mutex> lock(impl_->sweep_mu);
    impl_->sweep_requested = true;
  }
  impl_->sweep_wake.notify_all();
}

void UemService::Impl::SweepLoop() {
  std::unique_lock<std::mutex> lock(sweep_mu);
  while (!stopping) {
    sweep_wake.wait_for(lock, absl::ToChronoSeconds(options.sweep_interval),
                        [this] { return stopping || sweep_requested; });
    if (stopping) break;
    sweep_requested = false;
    lock.unlock();
    (void)owner->Sweep();  // a failed write is retried by the next sweep
    lock.lock();
  }
}

// ---------------------------------------------------------------- outbox

absl::StatusOr<std::vector<OutboxRow>> UemService::PeekOutbox(int limit) {
  std::lock_guard<std::mutex> lock(impl_->read_mu);
  GH_ASSIGN_OR_RETURN(Db::Lease s, impl_->read_db->Cached(
      "SELECT seq, device_id, body, created FROM outbox ORDER BY seq LIMIT ?"));
  s->BindInt64(1, std::clamp(limit, 1, 1000));
  std::vector<OutboxRow> rows;
  while (true) {
    GH_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    rows.push_back(OutboxRow{s->ColumnInt64(0), s->ColumnText(1), s->ColumnText(2),
                             FromMicros(s->ColumnInt64(3))});
  }
  return rows;
}

absl::Status UemService::AckOutbox(const std::vector<std::int64_t>& sequences) {
  if (sequences.empty()) return absl::OkStatus();
  return impl_->batcher->Run([&](Db& db) -> absl::Status {
    for (std::int64_t seq : sequences) {
      GH_ASSIGN_OR_RETURN(Db::Lease d, db.Cached("DELETE FROM outbox WHERE seq = ?"));
      d->BindInt64(1, seq);
      GH_RETURN_IF_ERROR(d->Run());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::int64_t> UemService::OutboxBacklog() {
  std::lock_guard<std::mutex> lock(impl_->read_mu);
  GH_ASSIGN_OR_RETURN(Db::Lease s, impl_->read_db->Cached("SELECT COUNT(*) FROM outbox"));
  GH_ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? s->ColumnInt64(0) : 0;
}

absl::StatusOr<std::optional<absl::Time>> UemService::OldestOutboxRow() {
  std::lock_guard<std::mutex> lock(impl_->read_mu);
  GH_ASSIGN_OR_RETURN(Db::Lease s, impl_->read_db->Cached("SELECT MIN(created), COUNT(*) FROM outbox"));
  GH_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row || s->ColumnInt64(1) == 0) return std::optional<absl::Time>();
  return std::optional<absl::Time>(FromMicros(s->ColumnInt64(0)));
}

}  // namespace gatehouse::uem
