// `gatehouse serve` and the offline store commands (`import`, `export`, `audit verify`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/uem_role.h"

namespace CLI {
class App;
}

namespace gatehouse::app {

struct ServeOptions {
  std::string config_file;
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./gatehouse-data";
  std::string store_url;  // postgres://... (not available yet)
  std::string role = "idp,uem";
  bool demo = false;
  int io_threads = 0;
  std::size_t max_body_bytes = 1024 * 1024;
  double rate_limit_per_second = 100;
  double rate_limit_burst = 200;
  std::string tls_certificate_file, tls_private_key_file;
  std::string geoip_database;
  std::string emergency_access_group_id;
  std::string issuer;  // default http(s)://<listen>
  bool metrics_anonymous = false;
  int agent_proof_port = 47823;  // sign-in pages ask the local agent here (docs/sign-in.md)
  std::string risk_config_file;  // risk engine configuration (docs/risk.md §7); empty: defaults
  std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-For is believed
  UemRoleOptions uem;  // device roles: UEM, partner link (docs/uem.md)
};

// Loads `config_file` (JSON, keys as in docs/operations.md) then GATEHOUSE_* environment
// variables over `options`; command-line flags were applied by the caller and win over both
// (`explicit_flags` lists the option names given on the command line).
std::string ApplyConfiguration(ServeOptions& options, const std::vector<std::string>& explicit_flags);

// Runs the server until SIGTERM/SIGINT; returns the process exit code.
int RunServe(const ServeOptions& options);

void AddServeCommands(CLI::App& root, int& exit_code);

}  // namespace gatehouse::app
