#include "app/ca_commands.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "app/tenant_bundle.h"
#include "ca/decision_json.h"
#include "ca/sign_in_log.h"
#include "ca/sign_in_request.h"
#include "core/json_document.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

using nlohmann::json;

// Reads `path` ("-" = standard input).
absl::StatusOr<std::string> ReadInput(const std::string& path, std::istream& in) {
  if (path == "-") {
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  return core::ReadFileToString(path);
}

// Reads and parses the JSON document at `path` ("-" = standard input); errors go to io.err.
std::optional<json> ReadJsonInput(const std::string& path, CommandStreams& io) {
  auto text = ReadInput(path, io.in);
  if (!text.ok()) {
    io.err << "gatehouse: " << text.status().message() << '\n';
    return std::nullopt;
  }
  auto body = core::ParseJsonDocument(*text);
  if (!body.ok()) {
    io.err << path << ": " << body.status().message() << '\n';
    return std::nullopt;
  }
  return std::move(*body);
}

void PrintProblems(const core::ProblemList& problems, const std::string& file, std::ostream& err) {
  for (core::Problem p : problems.problems()) {
    if (p.file.empty()) p.file = file;
    err << p.ToString() << '\n';
  }
}

// Loads the bundle and the GeoIP database; prints problems. Null when unusable.
struct LoadedTenant {
  TenantBundle bundle;
  std::unique_ptr<location::MaxMindCountryDatabase> geoip;
};

std::optional<LoadedTenant> LoadTenant(const CaCommandOptions& options, std::ostream& err) {
  auto bundle = LoadTenantBundle(options.tenant_dir);
  if (!bundle.ok()) {
    err << "gatehouse: " << bundle.status().message() << '\n';
    return std::nullopt;
  }
  if (bundle->problems.has_errors()) {
    err << "gatehouse: the tenant bundle has errors:\n";
    PrintProblems(bundle->problems, "", err);
    return std::nullopt;
  }
  std::size_t warnings = bundle->problems.problems().size();
  if (warnings > 0) {
    err << "gatehouse: " << warnings << " warning(s) in the tenant bundle; `gatehouse validate --tenant "
        << options.tenant_dir << "` lists them\n";
  }
  LoadedTenant loaded{std::move(*bundle), nullptr};
  std::string geoip = options.geoip_database;
  if (geoip.empty()) {
    if (const char* env = std::getenv("GATEHOUSE_GEOIP_DB")) geoip = env;
  }
  if (!geoip.empty()) {
    auto db = location::MaxMindCountryDatabase::Open(geoip);
    if (!db.ok()) {
      err << "gatehouse: " << db.status().message() << '\n';
      return std::nullopt;
    }
    loaded.geoip = std::move(*db);
  }
  return loaded;
}

// A request's own ids when it carries them ("requestId", "correlationId"), else ones derived
// from its position in the input, so replays are reproducible.
ca::SignInLogIds LogIds(const json& body, std::size_t line_number) {
  auto text = [&](const char* key, std::string fallback) {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : fallback;
  };
  ca::SignInLogIds ids;
  ids.id = text("requestId", "signin-" + std::to_string(line_number));
  ids.correlation_id = text("correlationId", ids.id);
  return ids;
}

}  // namespace

int RunWhatIf(const CaCommandOptions& options, CommandStreams io) {
  auto tenant = LoadTenant(options, io.err);
  if (!tenant) return 1;
  auto body = ReadJsonInput(options.input, io);
  if (!body) return 1;
  core::ProblemList problems;
  const ca::CompiledPolicySet& set = *tenant->bundle.compiled;
  auto request = ca::ReadWhatIfRequest(*body, set.directory(), tenant->geoip.get(), problems);
  PrintProblems(problems, options.input, io.err);
  if (!request.ok()) return 1;
  ca::Decision decision = set.Evaluate(request->context);
  io.out << ca::WhatIfToJson(set, decision, request->applied_policies_only).dump(2) << '\n';
  return 0;
}

int RunEvaluate(const CaCommandOptions& options, CommandStreams io) {
  auto tenant = LoadTenant(options, io.err);
  if (!tenant) return 1;
  const ca::CompiledPolicySet& set = *tenant->bundle.compiled;
  if (!options.batch) {
    auto body = ReadJsonInput(options.input, io);
    if (!body) return 1;
    core::ProblemList problems;
    auto request = ca::ReadSignInRequest(*body, set.directory(), tenant->geoip.get(), problems);
    PrintProblems(problems, options.input, io.err);
    if (!request.ok()) return 1;
    ca::Decision decision = set.Evaluate(request->context);
    if (options.sign_in_log) {
      io.out << ca::SignInLogRecord(set, request->context, decision, LogIds(*body, 1)).dump(2)
             << '\n';
    } else {
      io.out << ca::DecisionToJson(set, decision, ca::TraceDetail::kFull).dump(2) << '\n';
    }
    return 0;
  }

  // Batch: one decision per input line, in order; a bad line gets an error object in its place
  // so the output stays aligned with the input, and the exit code says something was wrong.
  std::ifstream file;
  std::istream* in = &io.in;
  if (options.input != "-") {
    file.open(options.input, std::ios::binary);
    if (!file) {
      io.err << "gatehouse: cannot open " << options.input << '\n';
      return 1;
    }
    in = &file;
  }
  const auto detail = options.full_trace ? ca::TraceDetail::kFull : ca::TraceDetail::kCompact;
  int exit_code = 0;
  std::string line;
  std::size_t line_number = 0;
  ca::Decision decision;
  while (std::getline(*in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    core::ProblemList problems;
    auto body = core::ParseJsonDocument(line);
    std::optional<ca::SignInRequest> request;
    if (!body.ok()) {
      problems.AddError("", std::string(body.status().message()));
    } else {
      auto parsed = ca::ReadSignInRequest(*body, set.directory(), tenant->geoip.get(), problems);
      if (parsed.ok()) request = std::move(*parsed);
    }
    if (!request) {
      exit_code = 1;
      json messages = json::array();
      for (const auto& p : problems.problems()) messages.push_back(p.ToString());
      io.out << json{{"line", line_number}, {"error", {{"code", "invalidRequest"},
                                                        {"problems", messages}}}}
                    .dump()
             << '\n';
      io.err << options.input << ":" << line_number << ": invalid sign-in\n";
      continue;
    }
    set.Evaluate(request->context, decision);
    if (options.sign_in_log) {
      io.out << ca::SignInLogRecord(set, request->context, decision, LogIds(*body, line_number)).dump()
             << '\n';
    } else {
      io.out << ca::DecisionToJson(set, decision, detail).dump() << '\n';
    }
  }
  return exit_code;
}

int RunValidate(const CaCommandOptions& options, CommandStreams io) {
  auto bundle = LoadTenantBundle(options.tenant_dir);
  if (!bundle.ok()) {
    io.err << "gatehouse: " << bundle.status().message() << '\n';
    return 1;
  }
  PrintProblems(bundle->problems, "", io.out);
  std::size_t errors = 0, warnings = 0;
  for (const auto& p : bundle->problems.problems()) {
    (p.severity == core::Severity::kError ? errors : warnings)++;
  }
  io.out << bundle->policies.size() << " policies, " << bundle->named_locations.size()
         << " named locations, " << bundle->directory->user_count() << " users, "
         << bundle->directory->group_count() << " groups: " << errors << " error(s), " << warnings
         << " warning(s)\n";
  return errors > 0 ? 1 : 0;
}

void AddCaCommands(CLI::App& root, int& exit_code) {
  auto options = std::make_shared<CaCommandOptions>();
  CommandStreams io{std::cin, std::cout, std::cerr};

  CLI::App* whatif = root.add_subcommand(
      "whatif", "What If: which policies apply to a described sign-in (Graph evaluate shape)");
  whatif->add_option("--tenant", options->tenant_dir, "tenant bundle folder")->required();
  whatif->add_option("--request", options->input, "What If request JSON file, - for stdin")
      ->required();
  whatif->add_option("--geoip", options->geoip_database, "MaxMind country database (.mmdb)");
  whatif->callback([options, io, &exit_code] { exit_code = RunWhatIf(*options, io); });

  CLI::App* evaluate =
      root.add_subcommand("evaluate", "the full Conditional Access decision for sign-ins");
  evaluate->add_option("--tenant", options->tenant_dir, "tenant bundle folder")->required();
  auto* single = evaluate->add_option("--signin", options->input, "one sign-in JSON, - for stdin");
  auto* batch = evaluate->add_option("--signins", options->input,
                                     "JSON Lines file of sign-ins, - for stdin (one decision per line)");
  single->excludes(batch);
  evaluate->add_flag("--full-trace", options->full_trace, "batch mode: list every policy");
  evaluate->add_flag("--sign-in-log", options->sign_in_log,
                     "print Graph signIn log records (with the full trace) instead of decisions");
  evaluate->add_option("--geoip", options->geoip_database, "MaxMind country database (.mmdb)");
  evaluate->callback([options, io, batch, &exit_code] {
    if (options->input.empty()) throw CLI::RequiredError("--signin or --signins");
    options->batch = batch->count() > 0;
    exit_code = RunEvaluate(*options, io);
  });

  CLI::App* validate =
      root.add_subcommand("validate", "check a tenant bundle; every problem with file and pointer");
  validate->add_option("--tenant", options->tenant_dir, "tenant bundle folder")->required();
  validate->callback([options, io, &exit_code] { exit_code = RunValidate(*options, io); });
}

}  // namespace gatehouse::app
