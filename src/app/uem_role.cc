#include "app/uem_role.h"

#include <cstdio>
#include <cstdlib>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "app/admin_auth.h"
#include "app/partner_api.h"
#include "app/tenant_state.h"
#include "core/iso_time.h"
#include "http/http_types.h"
#include "http/metrics.h"
#include "nlohmann/json.hpp"
#include "uem/partner_connector.h"
#include "uem/uem_api.h"
#include "uem/uem_service.h"

namespace gatehouse::app {
namespace {

using nlohmann::json;

constexpr const char* kLocalConnectorClient = "gatehouse-uem-connector";

void Log(const std::string& level, const std::string& message, json fields = json::object()) {
  fields["time"] = core::FormatIsoDateTime(absl::Now());
  fields["level"] = level;
  fields["msg"] = message;
  std::string line = fields.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

struct Setting {
  const char* key;
  const char* env;
  const char* flag;
};
constexpr Setting kUrl{"partnerIdpUrl", "GATEHOUSE_PARTNER_IDP_URL", "--partner-idp-url"};
constexpr Setting kClientId{"partnerClientId", "GATEHOUSE_PARTNER_CLIENT_ID", "--partner-client-id"};
constexpr Setting kClientSecret{"partnerClientSecret", "GATEHOUSE_PARTNER_CLIENT_SECRET",
                                "--partner-client-secret"};
constexpr Setting kValidity{"complianceValidityHours", "GATEHOUSE_COMPLIANCE_VALIDITY_HOURS",
                            "--compliance-validity-hours"};
constexpr Setting kHeartbeat{"partnerHeartbeatSeconds", "GATEHOUSE_PARTNER_HEARTBEAT_SECONDS",
                             "--partner-heartbeat-seconds"};
constexpr Setting kSweep{"uemSweepSeconds", "GATEHOUSE_UEM_SWEEP_SECONDS", "--uem-sweep-seconds"};
constexpr Setting kWipeLimit{"wipeLimit", "GATEHOUSE_WIPE_LIMIT", "--wipe-limit"};
constexpr Setting kWipeWindow{"wipeWindowMinutes", "GATEHOUSE_WIPE_WINDOW_MINUTES",
                              "--wipe-window-minutes"};
constexpr Setting kAll[] = {kUrl,   kClientId,  kClientSecret, kValidity,
                            kHeartbeat, kSweep, kWipeLimit,    kWipeWindow};

class DeviceRolesImpl final : public DeviceRoles {
 public:
  DeviceRolesImpl(UemRoleOptions options, DeviceRolesContext context)
      : options_(std::move(options)), ctx_(std::move(context)) {}

  ~DeviceRolesImpl() override {
    if (connector_) connector_->Stop();
    if (service_) service_->SetOutboxListener({});
    if (ctx_.tenant && RoleIncludes(ctx_.role, "idp")) ctx_.tenant->StopRefresher();
  }

  std::optional<http::HttpResponse> AuthorizeAdmin(const http::HttpRequest& request,
                                                   const std::string& scope) const {
    auto who = ctx_.auth->Authenticate(request.Header("authorization"), absl::Now());
    if (!who.ok()) {
      http::HttpResponse error =
          http::Problem(401, "Authentication required", std::string(who.status().message()));
      error.SetHeader("WWW-Authenticate", "Bearer realm=\"gatehouse\"");
      return error;
    }
    if (!ScopeAllows(who->scopes, scope)) {
      http::HttpResponse error =
          http::Problem(403, "Insufficient scope", "this operation needs the " + scope + " scope");
      error.SetHeader("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"" + scope + "\"");
      return error;
    }
    return std::nullopt;
  }

  absl::Status Start(http::Router& router) {
    const bool idp = RoleIncludes(ctx_.role, "idp");
    const bool uem = RoleIncludes(ctx_.role, "uem");
    if (idp) {
      ctx_.tenant->SetComplianceValidity(absl::Seconds(options_.compliance_validity_hours * 3600));
      // The first snapshot was built before the validity was known: rebuild with it.
      if (absl::Status s = ctx_.tenant->Refresh(/*force=*/true); !s.ok()) return s;
      http::MetricsRegistry* metrics = ctx_.metrics;
      ctx_.tenant->StartRefresher(
          [](const absl::Status& s) { Log("warning", "tenant refresh failed", {{"error", s.message()}}); },
          [metrics](double seconds) {
            if (metrics) metrics->Observe("gatehouse_snapshot_build_seconds", {}, seconds);
          });
      DeclarePartnerApiMetrics(*ctx_.metrics);
      partner_context_.store = ctx_.store;
      partner_context_.tenant = ctx_.tenant;
      partner_context_.auth = ctx_.auth;
      partner_context_.metrics = ctx_.metrics;
      partner_api_ = RegisterPartnerApi(router, partner_context_);
    }
    if (uem) {
      uem::UemOptions options;
      options.data_dir = ctx_.data_dir;
      options.metrics = ctx_.metrics;
      options.heartbeat = absl::Seconds(options_.partner_heartbeat_seconds);
      options.sweep_interval = absl::Seconds(std::max(1.0, options_.uem_sweep_seconds));
      options.wipe_limit = options_.wipe_limit;
      options.wipe_window = absl::Seconds(options_.wipe_window_minutes * 60);
      auto service = uem::UemService::Open(options);
      if (!service.ok()) return service.status();
      service_ = std::move(*service);
      uem_context_.service = service_.get();
      uem_context_.authorize_admin = [this](const http::HttpRequest& r, const std::string& scope) {
        return AuthorizeAdmin(r, scope);
      };
      uem_api_ = uem::RegisterUemApi(router, uem_context_);
    }
    if (!ctx_.admin_api_registered) RegisterOperationalRoutes(router);
    return absl::OkStatus();
  }

  absl::Status OnServing(std::uint16_t port) override {
    if (!service_) return absl::OkStatus();
    const bool idp = RoleIncludes(ctx_.role, "idp");
    uem::ConnectorOptions options;
    options.metrics = ctx_.metrics;
    options.idp_url = options_.partner_idp_url;
    options.client_id = options_.partner_client_id;
    options.client_secret = options_.partner_client_secret;
    if (options.idp_url.empty() && idp) options.idp_url = "http://127.0.0.1:" + std::to_string(port);
    if (options.client_id.empty() && idp) {
      // One process: a partner client of its own, rotated at every start (its secret lives only
      // in this process's memory; the record is written without an audit entry).
      auto secret = RotateLocalPartnerClient(*ctx_.store, kLocalConnectorClient);
      if (!secret.ok()) return secret.status();
      options.client_id = kLocalConnectorClient;
      options.client_secret = *secret;
    }
    if (options.idp_url.empty() || options.client_id.empty() || options.client_secret.empty()) {
      Log("warning",
          "the partner connector is not configured (partnerIdpUrl, partnerClientId, "
          "partnerClientSecret): compliance stays in the UEM until it is");
      return absl::OkStatus();
    }
    auto connector = uem::PartnerConnector::Create(*service_, options);
    if (!connector.ok()) return connector.status();
    connector_ = std::move(*connector);
    uem::PartnerConnector* raw = connector_.get();
    service_->SetOutboxListener([raw] { raw->Wake(); });
    connector_->Start();
    Log("info", "partner connector started", {{"idpUrl", options.idp_url}, {"clientId", options.client_id}});
    return absl::OkStatus();
  }

 private:
  void RegisterOperationalRoutes(http::Router& router) {
    router.Add("POST", "/oauth2/v2.0/token", [this](http::HttpRequest& r) {
      auto result = ctx_.auth->IssueToken(r.body, r.Header("authorization"), absl::Now());
      http::HttpResponse response =
          result.error ? http::HttpResponse::Json(
                             result.error->http_status,
                             json{{"error", result.error->error},
                                  {"error_description", result.error->description}}.dump())
                       : http::HttpResponse::Json(200, result.json);
      response.SetHeader("Cache-Control", "no-store");
      return response;
    });
    router.Add("GET", "/healthz",
               [](http::HttpRequest&) { return http::HttpResponse::Json(200, R"({"status":"ok"})"); });
    router.Add("GET", "/readyz",
               [](http::HttpRequest&) { return http::HttpResponse::Json(200, R"({"status":"ready"})"); });
    router.Add("GET", "/metrics", [this](http::HttpRequest& r) {
      if (!ctx_.metrics_anonymous) {
        if (auto refused = AuthorizeAdmin(r, "Metrics.Read.All")) return *refused;
      }
      return http::HttpResponse::Text(200, ctx_.metrics->Render(),
                                      "text/plain; version=0.0.4; charset=utf-8");
    });
  }

  UemRoleOptions options_;
  DeviceRolesContext ctx_;
  PartnerApiContext partner_context_;
  std::shared_ptr<void> partner_api_;
  std::unique_ptr<uem::UemService> service_;
  uem::UemApiContext uem_context_;
  std::shared_ptr<void> uem_api_;
  std::unique_ptr<uem::PartnerConnector> connector_;
};

}  // namespace

bool RoleIncludes(const std::string& role, const std::string& name) {
  for (absl::string_view part : absl::StrSplit(role, ',', absl::SkipWhitespace())) {
    std::string p(part);
    p.erase(0, p.find_first_not_of(' '));
    p.erase(p.find_last_not_of(' ') + 1);
    if (p == name) return true;
  }
  return false;
}

std::string CheckRoles(const std::string& role) {
  bool any = false;
  for (absl::string_view part : absl::StrSplit(role, ',', absl::SkipWhitespace())) {
    std::string p(part);
    p.erase(0, p.find_first_not_of(' '));
    p.erase(p.find_last_not_of(' ') + 1);
    if (p != "idp" && p != "uem") return "--role " + role + ": unknown role '" + p + "' (idp, uem)";
    any = true;
  }
  return any ? "" : "--role: name idp, uem or both";
}

bool IsUemConfigKey(const std::string& key) {
  for (const Setting& s : kAll) {
    if (key == s.key) return true;
  }
  return false;
}

std::string ApplyUemConfiguration(UemRoleOptions& o, const json& config,
                                  const std::vector<std::string>& explicit_flags,
                                  const std::string& config_file) {
  auto given = [&](const char* flag) {
    return std::find(explicit_flags.begin(), explicit_flags.end(), flag) != explicit_flags.end();
  };
  std::string error;
  auto text = [&](const Setting& s, std::string& target) {
    if (given(s.flag)) return;
    if (const char* value = std::getenv(s.env)) {
      target = value;
    } else if (config.is_object() && config.contains(s.key)) {
      if (!config[s.key].is_string()) {
        error = config_file + ": /" + s.key + ": expected a string";
        return;
      }
      target = config[s.key].get<std::string>();
    }
  };
  auto number = [&](const Setting& s, auto& target, double minimum) {
    if (given(s.flag)) return;
    double value = 0;
    if (const char* t = std::getenv(s.env)) {
      if (!absl::SimpleAtod(t, &value) || value < minimum) {
        error = std::string(s.env) + ": expected a number >= " + std::to_string(minimum);
        return;
      }
    } else if (config.is_object() && config.contains(s.key)) {
      if (!config[s.key].is_number() || config[s.key].get<double>() < minimum) {
        error = config_file + ": /" + s.key + ": expected a number >= " + std::to_string(minimum);
        return;
      }
      value = config[s.key].get<double>();
    } else {
      return;
    }
    target = static_cast<std::remove_reference_t<decltype(target)>>(value);
  };
  text(kUrl, o.partner_idp_url);
  text(kClientId, o.partner_client_id);
  text(kClientSecret, o.partner_client_secret);
  number(kValidity, o.compliance_validity_hours, 0.0003);
  number(kHeartbeat, o.partner_heartbeat_seconds, 1);
  number(kSweep, o.uem_sweep_seconds, 1);
  number(kWipeLimit, o.wipe_limit, 0);
  number(kWipeWindow, o.wipe_window_minutes, 1);
  return error;
}

void AddUemServeFlags(CLI::App* serve, UemRoleOptions& o) {
  serve->add_option(kUrl.flag, o.partner_idp_url, "uem: IdP base URL for the partner connector");
  serve->add_option(kClientId.flag, o.partner_client_id, "uem: partner client id");
  serve->add_option(kClientSecret.flag, o.partner_client_secret, "uem: partner client secret");
  serve->add_option(kValidity.flag, o.compliance_validity_hours,
                    "idp: reported compliance older than this counts as not compliant (default 24)");
  serve->add_option(kHeartbeat.flag, o.partner_heartbeat_seconds,
                    "uem: re-send every device's state this often (default 3600)");
  serve->add_option(kSweep.flag, o.uem_sweep_seconds, "uem: re-evaluation sweep period (default 30)");
  serve->add_option(kWipeLimit.flag, o.wipe_limit, "uem: wipes per window before the breaker holds them");
  serve->add_option(kWipeWindow.flag, o.wipe_window_minutes, "uem: wipe breaker window (minutes)");
}

absl::StatusOr<std::unique_ptr<DeviceRoles>> StartDeviceRoles(http::Router& router,
                                                              const UemRoleOptions& options,
                                                              const DeviceRolesContext& context) {
  auto roles = std::make_unique<DeviceRolesImpl>(options, context);
  if (absl::Status s = roles->Start(router); !s.ok()) return s;
  return std::unique_ptr<DeviceRoles>(std::move(roles));
}

}  // namespace gatehouse::app
