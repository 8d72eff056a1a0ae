// `gatehouse whatif`, `gatehouse evaluate` and `gatehouse validate` (shared DESIGN §3.2, §3.3).
// The Run* functions are the commands without the argument parsing, so tests call them directly.
// Exit codes: 0 done, 1 bad input (every problem printed with file and JSON pointer).
#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace gatehouse::app {

struct CommandStreams {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

struct CaCommandOptions {
  std::string tenant_dir;
  std::string input;          // request / sign-in file, "-" for standard input
  bool batch = false;         // evaluate --signins: one JSON object per line
  bool full_trace = false;    // batch mode: list every policy
  bool sign_in_log = false;   // print Graph signIn log records instead of decisions
  std::string geoip_database; // optional MaxMind country DB
};

int RunWhatIf(const CaCommandOptions& options, CommandStreams io);
int RunEvaluate(const CaCommandOptions& options, CommandStreams io);
int RunValidate(const CaCommandOptions& options, CommandStreams io);

// Registers whatif, evaluate and validate on `root`; the exit code of the command that ran is
// stored in `exit_code`.
void AddCaCommands(CLI::App& root, int& exit_code);

}  // namespace gatehouse::app
