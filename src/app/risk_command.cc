#include "app/risk_command.h"

#include <fstream>
#include <iostream>
#include <memory>

#include "CLI/CLI.hpp"
#include "core/iso_time.h"
#include "core/json_document.h"
#include "nlohmann/json.hpp"
#include "risk/config.h"
#include "risk/risk_state.h"
#include "risk/sign_in_line.h"

namespace gatehouse::app {

namespace {

// The configuration from `path` (empty: defaults); problems are printed. Null when unusable.
std::shared_ptr<const risk::RiskConfig> LoadConfig(const std::string& path, std::ostream& err) {
  if (path.empty()) return std::make_shared<const risk::RiskConfig>();
  auto text = core::ReadFileToString(path);
  if (!text.ok()) {
    err << "gatehouse risk score: " << text.status().message() << '\n';
    return nullptr;
  }
  auto doc = core::ParseJsonDocument(*text);
  if (!doc.ok()) {
    err << "gatehouse risk score: " << path << ": " << doc.status().message() << '\n';
    return nullptr;
  }
  core::ProblemList problems;
  auto config = risk::ParseRiskConfig(*doc, problems);
  for (core::Problem problem : problems.problems()) {
    problem.file = path;
    err << "gatehouse risk score: " << problem.ToString() << '\n';
  }
  if (!config.ok()) return nullptr;
  return std::make_shared<const risk::RiskConfig>(std::move(*config));
}

bool IsBlank(const std::string& line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

int RunRiskScore(const RiskScoreOptions& options, CommandStreams io) {
  std::shared_ptr<const risk::RiskConfig> config = LoadConfig(options.config_path, io.err);
  if (config == nullptr) return 1;
  std::ifstream file;
  std::istream* in = &io.in;
  if (options.signins_path != "-") {
    file.open(options.signins_path, std::ios::binary);
    if (!file) {
      io.err << "gatehouse risk score: " << options.signins_path << ": cannot open\n";
      return 1;
    }
    in = &file;
  }
  risk::RiskState state(config);
  bool failed = false;
  std::string line;
  std::size_t number = 0;
  std::size_t last_number = 0;
  absl::Time last_time = absl::InfinitePast();
  while (std::getline(*in, line)) {
    ++number;
    if (IsBlank(line)) continue;
    auto parsed = risk::ParseSignInLine(line);
    if (!parsed.ok()) {
      io.err << "gatehouse risk score: line " << number << ": " << parsed.status().message()
             << '\n';
      failed = true;
      continue;
    }
    const risk::SignInObservation& observation = parsed->observation;
    if (observation.time < last_time) {
      io.err << "gatehouse risk score: line " << number << ": /createdDateTime: "
             << core::FormatIsoDateTime(observation.time) << " is earlier than line "
             << last_number << " (" << core::FormatIsoDateTime(last_time)
             << "); the stream must be sorted by createdDateTime, oldest first (Graph lists "
                "newest first)\n";
      failed = true;
      continue;
    }
    last_time = observation.time;
    last_number = number;
    const risk::SignInRiskAssessment assessment = state.Assess(observation);
    nlohmann::ordered_json out;
    out["id"] = parsed->id.empty() ? nlohmann::ordered_json(nullptr)
                                   : nlohmann::ordered_json(parsed->id);
    out["riskLevelDuringSignIn"] = std::string(risk::RiskLevelName(assessment.level));
    out["riskEventTypes_v2"] = assessment.RiskEventTypes();
    out["riskDetail"] = assessment.Detail();
    io.out << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    state.Record(observation, &assessment);
  }
  return failed ? 1 : 0;
}

void AddRiskCommands(CLI::App& root, int& exit_code) {
  CLI::App* risk = root.add_subcommand("risk", "Sign-in and user risk engine");
  risk->require_subcommand(1);
  auto options = std::make_shared<RiskScoreOptions>();
  CLI::App* score = risk->add_subcommand(
      "score", "Replay Graph signIn lines through the risk engine; one risk line per input");
  score->add_option("--signins", options->signins_path,
                    "JSON Lines of Graph signIn objects, oldest first; - for stdin")
      ->required();
  score->add_option("--config", options->config_path, "risk configuration JSON (docs/risk.md)");
  score->callback([options, &exit_code] {
    exit_code = RunRiskScore(*options, CommandStreams{std::cin, std::cout, std::cerr});
  });
}

}  // namespace gatehouse::app
