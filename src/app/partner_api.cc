#include "app/partner_api.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <numeric>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_map.h"
#include "core/json_document.h"
#include "core/text.h"
#include "crypto/crypto.h"
#include "nlohmann/json.hpp"
#include "uem/partner_update.h"

namespace gatehouse::app {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;

class PartnerApi {
 public:
  explicit PartnerApi(PartnerApiContext& context) : ctx_(context) {}

  void Register(http::Router& router) {
    router.Add("POST", "/partner/v1/deviceCompliance",
               [this](HttpRequest& r) { return Upsert(r); });
    router.Add("POST", "/v1.0/gatehouse/partnerClients",
               [this](HttpRequest& r) { return CreateClient(r); });
  }

 private:
  // Authenticates and checks `scope`; fills `error` and returns false otherwise.
  bool Authorize(const HttpRequest& request, const std::string& scope, AdminPrincipal& who,
                 HttpResponse& error) const {
    auto principal = ctx_.auth->Authenticate(request.Header("authorization"), ctx_.clock());
    if (!principal.ok()) {
      error = http::Problem(401, "Authentication required", std::string(principal.status().message()));
      error.SetHeader("WWW-Authenticate", "Bearer realm=\"gatehouse\"");
      return false;
    }
    if (!ScopeAllows(principal->scopes, scope)) {
      error = http::Problem(403, "Insufficient scope", "this operation needs the " + scope + " scope");
      error.SetHeader("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"" + scope + "\"");
      return false;
    }
    who = std::move(*principal);
    return true;
  }

  // The store id of the directory device whose Graph deviceId is `device_id`, or "".
  std::string FindDeviceObjectId(const std::string& device_id,
                                 std::optional<absl::flat_hash_map<std::string, std::string>>& scan) {
    if (auto snapshot = ctx_.tenant->Current()) {
      if (const auto* device = snapshot->bundle.directory->FindDevice(device_id)) {
        if (!device->id.empty()) return device->id;
      }
    }
    // Not in the snapshot (registered a moment ago, or no object id): read the store once.
    if (!scan) {
      scan.emplace();
      auto devices = ctx_.store->List(store::ObjectKind::kDevice);
      if (devices.ok()) {
        for (const auto& object : *devices) {
          json body = json::parse(object.body, nullptr, false);
          if (body.is_object() && body.contains("deviceId") && body["deviceId"].is_string()) {
            (*scan)[core::AsciiLower(body["deviceId"].get<std::string>())] = object.id;
          }
        }
      }
    }
    auto it = scan->find(core::AsciiLower(device_id));
    return it == scan->end() ? "" : it->second;
  }

  // Applies one update; returns the status name (and fills `error` for failures).
  std::string ApplyOne(const uem::PartnerUpdate& update, const AdminPrincipal& who,
                       const HttpRequest& request,
                       std::optional<absl::flat_hash_map<std::string, std::string>>& scan,
                       std::string& error) {
    const std::string object_id = FindDeviceObjectId(update.device_id, scan);
    if (object_id.empty()) {
      error = "no directory device with deviceId '" + update.device_id + "'";
      return "unknownDevice";
    }
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto stored = ctx_.store->Get(store::ObjectKind::kDevice, object_id);
      if (!stored.ok()) {
        error = std::string(stored.status().message());
        return "error";
      }
      if (!stored->has_value()) {
        error = "no directory device with deviceId '" + update.device_id + "'";
        return "unknownDevice";
      }
      json device = json::parse((*stored)->body, nullptr, false);
      if (!device.is_object()) {
        error = "the stored device record is not a JSON object";
        return "error";
      }
      const std::int64_t previous = uem::StoredComplianceSequence(device);
      const auto decision = uem::DecideApply(previous, update.sequence);
      if (decision != uem::ApplyDecision::kApply) return uem::ApplyDecisionName(decision);
      std::string previous_state;
      if (auto ext = device.find("gatehouseCompliance"); ext != device.end() && ext->is_object()) {
        previous_state = ext->value("complianceState", "");
      }
      uem::ApplyToDeviceRecord(device, update, ctx_.clock());
      json details = {{"requestId", request.request_id},
                      {"deviceId", update.device_id},
                      {"complianceState", update.compliance_state},
                      {"compliant", update.compliant},
                      {"managed", update.managed},
                      {"sequence", update.sequence},
                      {"observedAt", device["gatehouseCompliance"]["observedAt"]},
                      {"previousComplianceState", previous_state},
                      {"previousSequence", previous}};
      store::AuditEntry audit{who.client_id, "Update device compliance", "Device", "success",
                              details.dump()};
      auto put = ctx_.store->Put(store::ObjectKind::kDevice, object_id, device.dump(), audit,
                                 (*stored)->version);
      if (put.ok()) return "applied";
      if (put.status().code() != absl::StatusCode::kFailedPrecondition) {
        error = std::string(put.status().message());
        return "error";
      }
      // Another writer changed the record meanwhile: read it again.
    }
    error = "the device record kept changing; retry";
    return "error";
  }

  HttpResponse Upsert(HttpRequest& request) {
    HttpResponse error;
    AdminPrincipal who;
    if (!Authorize(request, uem::kPartnerScope, who, error)) return error;
    auto doc = core::ParseJsonDocument(request.body);
    if (!doc.ok()) return http::Problem(400, "The request body is not JSON", std::string(doc.status().message()));
    if (!doc->is_object() || !doc->contains("value") || !(*doc)["value"].is_array()) {
      return http::Problem(400, "The request body is not valid", "expected {\"value\": [updates]}");
    }
    const json& items = (*doc)["value"];
    if (items.size() > uem::kMaxPartnerBatch) {
      return http::Problem(413, "Too many updates",
                           "at most " + std::to_string(uem::kMaxPartnerBatch) + " updates per request");
    }
    std::vector<absl::StatusOr<uem::PartnerUpdate>> updates;
    updates.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      updates.push_back(uem::ParsePartnerUpdate(items[i], "/value/" + std::to_string(i)));
    }
    // Apply in sequence order per device, whatever order the batch lists them in.
    std::vector<std::size_t> order(updates.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      auto key = [&](std::size_t i) { return updates[i].ok() ? updates[i]->sequence : 0; };
      return key(a) < key(b);
    });
    std::vector<json> results(updates.size());
    std::optional<absl::flat_hash_map<std::string, std::string>> scan;
    bool any_applied = false;
    for (std::size_t index : order) {
      json result = json::object();
      if (!updates[index].ok()) {
        result["deviceId"] = items[index].is_object() ? items[index].value("deviceId", json(nullptr)) : json(nullptr);
        if (!result["deviceId"].is_string()) result["deviceId"] = nullptr;
        result["status"] = "invalid";
        result["error"] = std::string(updates[index].status().message());
      } else {
        std::string failure;
        std::string status = ApplyOne(*updates[index], who, request, scan, failure);
        result["deviceId"] = updates[index]->device_id;
        result["status"] = status;
        if (!failure.empty()) result["error"] = failure;
        any_applied = any_applied || status == "applied";
      }
      if (ctx_.metrics) {
        ctx_.metrics->Increment("gatehouse_partner_updates_total", {{"status", result["status"]}});
      }
      results[index] = std::move(result);
    }
    if (any_applied) ctx_.tenant->RequestRefresh();
    // A store failure is retryable as a whole: the connector resends and applied ones come back
    // as duplicates.
    for (const auto& r : results) {
      if (r["status"] == "error") {
        return http::Problem(503, "Compliance updates could not be stored",
                             r.value("error", std::string()), json{{"value", results}}.dump());
      }
    }
    return HttpResponse::Json(200, json{{"value", results}}.dump());
  }

  HttpResponse CreateClient(HttpRequest& request) {
    HttpResponse error;
    AdminPrincipal who;
    if (!Authorize(request, "Directory.ReadWrite.All", who, error)) return error;
    json body = json::parse(request.body, nullptr, false);
    if (!body.is_object()) return http::Problem(400, "The request body is not valid", "expected a JSON object");
    std::string client_id = body.value("clientId", std::string());
    if (client_id.empty() || client_id.size() > 128) {
      return http::Problem(400, "The request body is not valid", "/clientId: required (1..128 characters)");
    }
    auto secret = CreatePartnerClient(*ctx_.auth, *ctx_.store, client_id,
                                      body.value("displayName", client_id), who.client_id);
    if (!secret.ok()) {
      if (secret.status().code() == absl::StatusCode::kFailedPrecondition) {
        return http::Problem(409, "The client exists", "a client with id '" + client_id + "' exists");
      }
      return http::ProblemFor(secret.status());
    }
    return HttpResponse::Json(201, json{{"clientId", client_id},
                                        {"scopes", json::array({uem::kPartnerScope})},
                                        {"secretText", *secret}}.dump());
  }

  PartnerApiContext& ctx_;
};

}  // namespace

void DeclarePartnerApiMetrics(http::MetricsRegistry& metrics) {
  metrics.DeclareCounter("gatehouse_partner_updates_total",
                         "Partner compliance updates received, by result status");
}

std::shared_ptr<void> RegisterPartnerApi(http::Router& router, PartnerApiContext& context) {
  auto api = std::make_shared<PartnerApi>(context);
  api->Register(router);
  return api;
}

absl::StatusOr<std::string> CreatePartnerClient(AdminAuthority& auth, store::Store& store,
                                                const std::string& client_id,
                                                const std::string& display_name,
                                                const std::string& actor, bool replace) {
  if (replace) {
    auto existing = store.Get(store::ObjectKind::kAdminClient, client_id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      store::AuditEntry audit{actor, "Rotate partner client", "ApplicationManagement", "success",
                              json{{"clientId", client_id}}.dump()};
      if (auto s = store.Delete(store::ObjectKind::kAdminClient, client_id, audit); !s.ok()) return s;
    }
  }
  return auth.CreateClient(client_id, display_name, {uem::kPartnerScope}, actor);
}

absl::StatusOr<std::string> RotateLocalPartnerClient(store::Store& store,
                                                     const std::string& client_id) {
  std::string secret = crypto::RandomToken(32);
  auto hash = crypto::HashSecret(secret);
  if (!hash.ok()) return hash.status();
  // The admin client record's fields (admin_auth.cc).
  json doc = {{"clientId", client_id},
              {"displayName", "UEM partner connector (this node)"},
              {"secretHash", *hash},
              {"scopes", json::array({uem::kPartnerScope})}};
  auto put = store.Put(store::ObjectKind::kAdminClient, client_id, doc.dump(), store::AuditEntry{});
  if (!put.ok()) return put.status();
  return secret;
}

void AddPartnerCommands(CLI::App& root, int& exit_code) {
  struct Options {
    std::string data_dir = "./gatehouse-data";
    std::string client_id = "gatehouse-uem-connector";
    std::string display_name = "UEM partner connector";
  };
  auto options = std::make_shared<Options>();
  CLI::App* partner = root.add_subcommand("partner", "partner compliance link tools");
  CLI::App* create = partner->add_subcommand(
      "create-client", "create a client holding only DeviceCompliance.ReadWrite.Partner");
  create->add_option("--data-dir", options->data_dir, "embedded SQLite data folder of the IdP");
  create->add_option("--client-id", options->client_id, "client id (default gatehouse-uem-connector)");
  create->add_option("--display-name", options->display_name, "display name");
  partner->require_subcommand(1);
  create->callback([options, &exit_code] {
    std::error_code ec;
    std::filesystem::create_directories(options->data_dir, ec);
    auto store = store::OpenSqliteStore(options->data_dir);
    if (!store.ok()) {
      std::cerr << "gatehouse partner create-client: " << store.status().message() << "\n";
      exit_code = 1;
      return;
    }
    AdminAuthority auth(**store, "");
    auto secret = CreatePartnerClient(auth, **store, options->client_id, options->display_name,
                                      "gatehouse partner create-client");
    if (!secret.ok()) {
      std::cerr << "gatehouse partner create-client: "
                << (secret.status().code() == absl::StatusCode::kFailedPrecondition
                        ? "a client with id '" + options->client_id + "' exists"
                        : std::string(secret.status().message()))
                << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "client id: " << options->client_id << "\n"
              << "scope: " << uem::kPartnerScope << "\n"
              << "secret (shown once, stored only as a hash): " << *secret << "\n";
    exit_code = 0;
  });
}

}  // namespace gatehouse::app
