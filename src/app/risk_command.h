// `gatehouse risk score --signins FILE.jsonl|- [--config FILE]` (shared DESIGN §3.6): replays a
// time-ordered stream of Graph signIn objects (one per line) through the risk engine — the same
// RiskState the sign-in pipeline uses — scoring each line, then learning from it, and prints one
// line per input: {"id", "riskLevelDuringSignIn", "riskEventTypes_v2", "riskDetail"}.
// A bad line (not JSON, a missing or mistyped field, time going backwards) is reported on stderr
// as "line N: /field: why", skipped, and makes the exit code 1; the other lines are still scored.
// Exit codes: 0 done, 1 bad input. docs/risk.md describes the config file.
//
// The adapter that plugs the same engine into the sign-in pipeline lives in
// app/sign_in_risk_source.h (included here for the callers that still reach it through this header).
#pragma once

#include <string>

#include "app/ca_commands.h"
#include "app/sign_in_risk_source.h"

namespace CLI {
class App;
}

namespace gatehouse::app {

struct RiskScoreOptions {
  std::string signins_path;  // "-" = standard input
  std::string config_path;   // empty: the defaults of docs/risk.md
};

int RunRiskScore(const RiskScoreOptions& options, CommandStreams io);

// Registers `risk score` on `root`; the exit code is stored in `exit_code`.
void AddRiskCommands(CLI::App& root, int& exit_code);

}  // namespace gatehouse::app
