#include "app/serve_command.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "app/admin_api.h"
#include "app/demo_tenant.h"
#include "app/sign_in_risk_source.h"
#include "app/sign_in_server.h"
#include "app/tenant_io.h"
#include "core/iso_time.h"
#include "core/json_document.h"
#include "http/http_server.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

using nlohmann::json;

// One JSON object per line on stderr; values are escaped by the JSON library. Each line is one
// write(2) on the unbuffered stream, so lines from different threads never interleave.
void Log(const std::string& level, const std::string& message, json fields = json::object()) {
  fields["time"] = core::FormatIsoDateTime(absl::Now());
  fields["level"] = level;
  fields["msg"] = message;
  std::string line = fields.dump();
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

bool SplitListen(const std::string& listen, std::string& host, std::uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int value = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &value) || value < 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return !host.empty();
}

}  // namespace

std::string ApplyConfiguration(ServeOptions& o, const std::vector<std::string>& explicit_flags) {
  auto given = [&](const char* flag) {
    return std::find(explicit_flags.begin(), explicit_flags.end(), flag) != explicit_flags.end();
  };
  json config = json::object();
  if (!o.config_file.empty()) {
    auto bytes = core::ReadFileToString(o.config_file);
    if (!bytes.ok()) return std::string(bytes.status().message());
    auto doc = core::ParseJsonDocument(*bytes);
    if (!doc.ok()) return o.config_file + ": " + std::string(doc.status().message());
    if (!doc->is_object()) return o.config_file + ": expected a JSON object";
    config = *doc;
  }
  std::string error;
  // Each setting: config key, environment variable, flag name, and how to apply a text value.
  auto text = [&](const char* key, const char* env, const char* flag, std::string& target) {
    if (given(flag)) return;
    if (const char* value = std::getenv(env)) {
      target = value;
    } else if (config.contains(key)) {
      if (!config[key].is_string()) {
        error = o.config_file + ": /" + key + ": expected a string";
        return;
      }
      target = config[key].get<std::string>();
    }
  };
  auto number = [&](const char* key, const char* env, const char* flag, auto& target) {
    if (given(flag)) return;
    double value = 0;
    if (const char* text_value = std::getenv(env)) {
      if (!absl::SimpleAtod(text_value, &value) || value < 0) {
        error = std::string(env) + ": expected a non-negative number";
        return;
      }
    } else if (config.contains(key)) {
      if (!config[key].is_number() || config[key].get<double>() < 0) {
        error = o.config_file + ": /" + key + ": expected a non-negative number";
        return;
      }
      value = config[key].get<double>();
    } else {
      return;
    }
    target = static_cast<std::remove_reference_t<decltype(target)>>(value);
  };
  auto boolean = [&](const char* key, const char* env, const char* flag, bool& target) {
    if (given(flag)) return;
    if (const char* value = std::getenv(env)) {
      target = std::string(value) == "1" || std::string(value) == "true";
    } else if (config.contains(key)) {
      if (!config[key].is_boolean()) {
        error = o.config_file + ": /" + key + ": expected true or false";
        return;
      }
      target = config[key].get<bool>();
    }
  };
  text("listen", "GATEHOUSE_LISTEN", "--listen", o.listen);
  text("dataDir", "GATEHOUSE_DATA_DIR", "--data-dir", o.data_dir);
  text("store", "GATEHOUSE_STORE", "--store", o.store_url);
  text("role", "GATEHOUSE_ROLE", "--role", o.role);
  text("tlsCertificateFile", "GATEHOUSE_TLS_CERTIFICATE", "--tls-certificate", o.tls_certificate_file);
  text("tlsPrivateKeyFile", "GATEHOUSE_TLS_PRIVATE_KEY", "--tls-private-key", o.tls_private_key_file);
  text("geoipDatabase", "GATEHOUSE_GEOIP_DB", "--geoip", o.geoip_database);
  text("emergencyAccessGroupId", "GATEHOUSE_EMERGENCY_ACCESS_GROUP", "--emergency-access-group",
       o.emergency_access_group_id);
  text("issuer", "GATEHOUSE_ISSUER", "--issuer", o.issuer);
  number("ioThreads", "GATEHOUSE_IO_THREADS", "--io-threads", o.io_threads);
  number("maxBodyBytes", "GATEHOUSE_MAX_BODY_BYTES", "--max-body-bytes", o.max_body_bytes);
  number("rateLimitPerSecond", "GATEHOUSE_RATE_LIMIT_PER_SECOND", "--rate-limit",
         o.rate_limit_per_second);
  number("rateLimitBurst", "GATEHOUSE_RATE_LIMIT_BURST", "--rate-limit-burst", o.rate_limit_burst);
  boolean("demo", "GATEHOUSE_DEMO", "--demo", o.demo);
  boolean("metricsAnonymous", "GATEHOUSE_METRICS_ANONYMOUS", "--metrics-anonymous",
          o.metrics_anonymous);
  number("agentProofPort", "GATEHOUSE_AGENT_PROOF_PORT", "--agent-proof-port", o.agent_proof_port);
  text("riskConfigFile", "GATEHOUSE_RISK_CONFIG", "--risk-config", o.risk_config_file);
  // trustedProxies: a JSON array of CIDRs, or a comma-separated list in the environment / flag.
  if (!given("--trusted-proxies")) {
    if (const char* value = std::getenv("GATEHOUSE_TRUSTED_PROXIES")) {
      o.trusted_proxies.clear();
      for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        o.trusted_proxies.push_back(std::string(absl::StripAsciiWhitespace(part)));
      }
    } else if (config.contains("trustedProxies")) {
      const json& list = config["trustedProxies"];
      o.trusted_proxies.clear();
      if (!list.is_array()) error = o.config_file + ": /trustedProxies: expected an array of CIDRs";
      for (std::size_t i = 0; list.is_array() && i < list.size(); ++i) {
        if (!list[i].is_string()) {
          error = o.config_file + ": /trustedProxies/" + std::to_string(i) + ": expected a CIDR";
          break;
        }
        o.trusted_proxies.push_back(list[i].get<std::string>());
      }
    }
  }
  if (error.empty()) error = ApplyUemConfiguration(o.uem, config, explicit_flags, o.config_file);
  for (const auto& [key, value] : config.items()) {
    if (IsUemConfigKey(key)) continue;
    static const char* kKnown[] = {"listen", "dataDir", "store", "role", "tlsCertificateFile",
                                   "tlsPrivateKeyFile", "geoipDatabase", "emergencyAccessGroupId",
                                   "issuer", "ioThreads", "maxBodyBytes", "rateLimitPerSecond",
                                   "rateLimitBurst", "demo", "metricsAnonymous",
                                   "agentProofPort", "riskConfigFile", "trustedProxies"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      error = o.config_file + ": /" + key + ": unknown setting (see docs/operations.md)";
    }
  }
  return error;
}

int RunServe(const ServeOptions& options) {
  std::string host;
  std::uint16_t port = 0;
  if (!SplitListen(options.listen, host, port)) {
    std::cerr << "gatehouse serve: --listen must be HOST:PORT, got '" << options.listen << "'\n";
    return 2;
  }
  if (!options.store_url.empty()) {
    std::cerr << "gatehouse serve: --store " << options.store_url
              << ": only the embedded SQLite store is available in this version\n";
    return 2;
  }
  if (std::string error = CheckRoles(options.role); !error.empty()) {
    std::cerr << "gatehouse serve: " << error << "\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  auto store = store::OpenSqliteStore(options.data_dir);
  if (!store.ok()) {
    Log("error", "cannot open the store", {{"dataDir", options.data_dir}, {"error", store.status().message()}});
    return 1;
  }
  const bool tls = !options.tls_certificate_file.empty() && !options.tls_private_key_file.empty();
  const std::string base_url = std::string(tls ? "https://" : "http://") + options.listen;
  AdminAuthority auth(**store, options.issuer.empty() ? base_url : options.issuer);
  if (absl::Status s = auth.Initialize(); !s.ok()) {
    Log("error", "cannot load signing keys", {{"error", s.message()}});
    return 1;
  }

  if (options.demo) {
    auto policies = (*store)->List(store::ObjectKind::kPolicy);
    if (policies.ok() && policies->empty()) {
      auto seeded = SeedDemoTenant(**store);
      if (!seeded.ok()) {
        Log("error", "cannot seed the demo tenant", {{"error", seeded.message()}});
        return 1;
      }
      Log("info", "seeded the demo tenant", {{"dataDir", options.data_dir}});
    }
  }
  std::string bootstrap_secret;
  auto has_clients = auth.HasClients();
  if (has_clients.ok() && !*has_clients) {
    auto secret = auth.CreateClient("gatehouse-bootstrap", "Bootstrap administrator",
                                    KnownAdminScopes(), "system");
    if (!secret.ok()) {
      Log("error", "cannot create the bootstrap admin client", {{"error", secret.status().message()}});
      return 1;
    }
    bootstrap_secret = *secret;
  }

  TenantState tenant(**store);
  if (absl::Status s = tenant.Refresh(/*force=*/true); !s.ok()) {
    Log("error", "the stored tenant does not compile", {{"error", s.message()}});
    return 1;
  }
  std::unique_ptr<location::MaxMindCountryDatabase> geoip;
  if (!options.geoip_database.empty()) {
    auto db = location::MaxMindCountryDatabase::Open(options.geoip_database);
    if (!db.ok()) {
      Log("error", "cannot open the GeoIP database", {{"error", db.status().message()}});
      return 1;
    }
    geoip = std::move(*db);
  }

  std::vector<location::CidrRange> proxy_ranges;
  for (const std::string& cidr : options.trusted_proxies) {
    auto range = location::CidrRange::Parse(cidr);
    if (!range.ok()) {
      Log("error", "bad trustedProxies entry", {{"value", cidr}, {"error", range.status().message()}});
      return 2;
    }
    proxy_ranges.push_back(*range);
  }
  // The risk engine behind the sign-in pipeline (docs/risk.md §8): learned state in the store.
  std::unique_ptr<RiskEngineSignInRiskSource> risk_source;
  if (RoleIncludes(options.role, "idp")) {
    auto risk_config = LoadRiskConfigFile(options.risk_config_file);
    if (!risk_config.ok()) {
      Log("error", "cannot load the risk configuration", {{"error", risk_config.status().message()}});
      return 2;
    }
    risk_source = std::make_unique<RiskEngineSignInRiskSource>(*risk_config, store->get());
    if (absl::Status s = risk_source->Load(); !s.ok()) {
      Log("warning", "risk state partly loaded", {{"error", s.message()}});
    }
  }

  http::MetricsRegistry metrics;
  DeclareAdminApiMetrics(metrics);
  AdminApiContext context;
  context.store = store->get();
  context.tenant = &tenant;
  context.auth = &auth;
  context.metrics = &metrics;
  context.geoip = geoip.get();
  context.emergency_access_group_id = options.emergency_access_group_id;
  context.metrics_anonymous = options.metrics_anonymous;
  http::Router router;
  const bool idp_role = RoleIncludes(options.role, "idp");
  auto api = idp_role ? RegisterAdminApi(router, context) : nullptr;
  // The sign-in server (OIDC provider, sign-in pages, device registration; docs/sign-in.md).
  std::unique_ptr<SignInServer> sign_in;
  if (idp_role) {
    SignInServerContext sign_in_context;
    sign_in_context.store = store->get();
    sign_in_context.tenant = &tenant;
    sign_in_context.auth = &auth;
    sign_in_context.metrics = &metrics;
    sign_in_context.geoip = geoip.get();
    sign_in_context.risk = risk_source.get();
    sign_in_context.trusted_proxies = location::CidrSet(proxy_ranges);
    sign_in_context.tls = tls;
    sign_in_context.agent_proof_port = options.agent_proof_port;
    sign_in_context.demo_app = options.demo;
    auto created = SignInServer::Create(sign_in_context);
    if (!created.ok()) {
      Log("error", "cannot start the sign-in server", {{"error", created.status().message()}});
      return 1;
    }
    sign_in = std::move(*created);
    sign_in->SetIssuer(options.issuer.empty() ? base_url : options.issuer);
    sign_in->Register(router);
    RegisterRiskyUsersApi(router, {&auth, &tenant, risk_source.get()});
  }

  // Signals are taken by a dedicated thread; every other thread keeps them blocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // After the mask: the device roles' threads inherit it.
  auto device_roles = StartDeviceRoles(
      router, options.uem,
      {options.role, options.data_dir, store->get(), &tenant, &auth, &metrics, options.demo,
       idp_role, options.metrics_anonymous});
  if (!device_roles.ok()) {
    Log("error", "cannot start the device roles", {{"error", device_roles.status().message()}});
    return 1;
  }

  http::HttpServerOptions server_options;
  server_options.host = host;
  server_options.port = port;
  server_options.io_threads = options.io_threads;
  server_options.max_body_bytes = options.max_body_bytes;
  server_options.rate_limit_per_second = options.rate_limit_per_second;
  server_options.rate_limit_burst = options.rate_limit_burst;
  server_options.tls_certificate_file = options.tls_certificate_file;
  server_options.tls_private_key_file = options.tls_private_key_file;
  server_options.metrics = &metrics;
  auto server = http::HttpServer::Start(server_options, [&router](http::HttpRequest& request) {
    auto started = std::chrono::steady_clock::now();
    http::HttpResponse response = router.Dispatch(request);
    Log("info", "request",
        {{"requestId", request.request_id}, {"method", request.method}, {"path", request.path},
         {"status", response.status}, {"client", request.remote_address},
         {"durationMs", std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - started).count()}});
    return response;
  });
  if (!server.ok()) {
    Log("error", "cannot start the server", {{"listen", options.listen}, {"error", server.status().message()}});
    return 1;
  }
  const std::string url = std::string(tls ? "https://" : "http://") + host + ":" +
                          std::to_string((*server)->port());
  std::string demo_password;
  if (sign_in) {
    sign_in->SetIssuer(options.issuer.empty() ? url : options.issuer);
    if (options.demo) {
      auto prepared = PrepareDemoSignIn(**store, sign_in->Issuer());
      if (!prepared.ok()) {
        Log("error", "cannot prepare the demo sign-in", {{"error", prepared.status().message()}});
      } else {
        demo_password = *prepared;
      }
      (void)tenant.Refresh();
    }
  }
  if (absl::Status s = (*device_roles)->OnServing((*server)->port()); !s.ok()) {
    Log("error", "cannot start the partner connector", {{"error", s.message()}});
  }
  std::cout << "Gatehouse is serving on " << url << "\n"
            << "  store: SQLite in " << options.data_dir << (options.demo ? " (demo tenant)" : "")
            << "\n";
  if (!bootstrap_secret.empty()) {
    std::cout << "  bootstrap admin client: gatehouse-bootstrap\n"
              << "  its secret, shown once (stored only as a hash):\n    " << bootstrap_secret << "\n"
              << "  get a token:\n"
              << "    curl -s " << url << "/oauth2/v2.0/token -d grant_type=client_credentials "
              << "-d client_id=gatehouse-bootstrap -d client_secret=" << bootstrap_secret << "\n";
  }
  std::cout << "  then: curl -H \"Authorization: Bearer $TOKEN\" " << url
            << "/v1.0/identity/conditionalAccess/policies\n"
            << (options.demo && sign_in
                    ? "  demo app: " + sign_in->Issuer() + "/demo/app   user: " +
                          std::string(kDemoUserPrincipalName) +
                          (demo_password.empty() ? std::string("\n")
                                                 : "   password: " + demo_password + " (printed at first start only)" + "\n")
                    : std::string())
            << "  health: " << url << "/healthz   stop: Ctrl-C or SIGTERM\n"
            << std::flush;
  Log("info", "serving", {{"url", url}, {"dataDir", options.data_dir}});

  // Another node or an offline import may change the store: follow its version.
  std::atomic<bool> stopping{false};
  std::thread follower([&] {
    while (!stopping.load()) {
      for (int i = 0; i < 10 && !stopping.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (sign_in) {
        if (absl::Status s = sign_in->ReloadKeys(); !s.ok()) {
          Log("warning", "signing key reload failed", {{"error", s.message()}});
        }
      }
      if (absl::Status s = tenant.Refresh(); !s.ok()) {
        Log("warning", "tenant refresh failed", {{"error", s.message()}});
      }
    }
  });
  std::thread signal_waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    Log("info", "shutting down", {{"signal", signal}});
    (*server)->Shutdown(std::chrono::seconds(10));
  });
  (*server)->Wait();
  stopping = true;
  follower.join();
  if (risk_source) {
    if (absl::Status s = risk_source->Flush(); !s.ok()) {
      Log("warning", "cannot save the risk population model", {{"error", s.message()}});
    }
  }
  // If the server stopped for another reason, release the signal thread.
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  Log("info", "stopped");
  return 0;
}

void AddServeCommands(CLI::App& root, int& exit_code) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* serve = root.add_subcommand("serve", "run the Gatehouse server");
  serve->add_option("--config", options->config_file, "JSON configuration file");
  serve->add_option("--listen", options->listen, "HOST:PORT (default 127.0.0.1:8080)");
  serve->add_option("--data-dir", options->data_dir, "embedded SQLite data folder");
  serve->add_option("--store", options->store_url, "shared store URL (postgres://...)");
  serve->add_option("--role", options->role, "roles of this node: idp,uem");
  serve->add_flag("--demo", options->demo, "seed the demo tenant on first start");
  serve->add_option("--io-threads", options->io_threads, "io threads (0 = one per core)");
  serve->add_option("--max-body-bytes", options->max_body_bytes, "largest request body");
  serve->add_option("--rate-limit", options->rate_limit_per_second, "requests per second per client IP");
  serve->add_option("--rate-limit-burst", options->rate_limit_burst, "burst size of the rate limit");
  serve->add_option("--tls-certificate", options->tls_certificate_file, "PEM certificate (enables TLS)");
  serve->add_option("--tls-private-key", options->tls_private_key_file, "PEM private key");
  serve->add_option("--geoip", options->geoip_database, "MaxMind country database (.mmdb)");
  serve->add_option("--emergency-access-group", options->emergency_access_group_id,
                    "group whose members no policy may lock out");
  serve->add_option("--issuer", options->issuer, "token issuer URL (default: the listen URL)");
  serve->add_flag("--metrics-anonymous", options->metrics_anonymous, "serve /metrics without a token");
  serve->add_option("--agent-proof-port", options->agent_proof_port,
                    "loopback port where sign-in pages ask the local agent for a device proof");
  serve->add_option("--risk-config", options->risk_config_file,
                    "risk engine configuration JSON (docs/risk.md)");
  serve->add_option("--trusted-proxies", options->trusted_proxies,
                    "CIDRs of reverse proxies whose X-Forwarded-For is believed (comma-separated)")
      ->delimiter(',');
  AddUemServeFlags(serve, options->uem);
  serve->callback([serve, options, &exit_code] {
    std::vector<std::string> given;
    for (const CLI::Option* opt : serve->get_options()) {
      if (opt->count() > 0) given.push_back(opt->get_name());
    }
    if (std::string error = ApplyConfiguration(*options, given); !error.empty()) {
      std::cerr << "gatehouse serve: " << error << "\n";
      exit_code = 2;
      return;
    }
    exit_code = RunServe(*options);
  });

  auto data_dir = std::make_shared<std::string>("./gatehouse-data");
  auto tenant_dir = std::make_shared<std::string>();
  CLI::App* import = root.add_subcommand("import", "replace the store's tenant with a bundle");
  import->add_option("--tenant", *tenant_dir, "tenant bundle folder")->required();
  import->add_option("--data-dir", *data_dir, "embedded SQLite data folder");
  import->callback([data_dir, tenant_dir, &exit_code] {
    std::error_code ec;
    std::filesystem::create_directories(*data_dir, ec);
    auto store = store::OpenSqliteStore(*data_dir);
    if (!store.ok()) {
      std::cerr << "gatehouse import: " << store.status().message() << "\n";
      exit_code = 1;
      return;
    }
    auto summary = ImportTenant(**store, *tenant_dir, "gatehouse import");
    if (!summary.ok()) {
      std::cerr << "gatehouse import: " << summary.status().message() << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "imported " << summary->policies << " policies, " << summary->named_locations
              << " named locations, " << summary->authentication_strengths
              << " authentication strengths, " << summary->users << " users, " << summary->groups
              << " groups, " << summary->applications << " applications, " << summary->devices
              << " devices, " << summary->role_assignments << " role assignments\n";
    exit_code = 0;
  });
  auto out_dir = std::make_shared<std::string>();
  CLI::App* export_command = root.add_subcommand("export", "write the store's tenant as a bundle");
  export_command->add_option("--out", *out_dir, "output folder")->required();
  export_command->add_option("--data-dir", *data_dir, "embedded SQLite data folder");
  export_command->callback([data_dir, out_dir, &exit_code] {
    auto store = store::OpenSqliteStore(*data_dir);
    if (!store.ok()) {
      std::cerr << "gatehouse export: " << store.status().message() << "\n";
      exit_code = 1;
      return;
    }
    absl::Status s = ExportTenant(**store, *out_dir);
    if (!s.ok()) std::cerr << "gatehouse export: " << s.message() << "\n";
    exit_code = s.ok() ? 0 : 1;
  });
  CLI::App* audit = root.add_subcommand("audit", "directory audit log tools");
  CLI::App* verify = audit->add_subcommand("verify", "recompute the audit log's hash chain");
  verify->add_option("--data-dir", *data_dir, "embedded SQLite data folder");
  audit->require_subcommand(1);
  verify->callback([data_dir, &exit_code] {
    auto store = store::OpenSqliteStore(*data_dir);
    if (!store.ok()) {
      std::cerr << "gatehouse audit verify: " << store.status().message() << "\n";
      exit_code = 1;
      return;
    }
    auto verified = (*store)->VerifyAuditChain();
    if (!verified.ok()) {
      std::cerr << "gatehouse audit verify: " << verified.status().message() << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "audit chain intact: " << *verified << " records verified\n";
    exit_code = 0;
  });
}

}  // namespace gatehouse::app
