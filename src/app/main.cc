// The `gatehouse` executable: argument parsing and wiring only.
#include "CLI/CLI.hpp"
#include "app/ca_commands.h"
#include "app/compliance_command.h"
#include "app/keys_command.h"
#include "app/partner_api.h"
#include "app/risk_command.h"
#include "app/serve_command.h"

int main(int argc, char** argv) {
  CLI::App app{"Gatehouse: Conditional Access and device compliance"};
  app.require_subcommand(1);
  int exit_code = 0;
  gatehouse::app::AddCaCommands(app, exit_code);
  gatehouse::app::AddComplianceCommands(app);
  gatehouse::app::AddRiskCommands(app, exit_code);
  gatehouse::app::AddServeCommands(app, exit_code);
  gatehouse::app::AddKeysCommands(app, exit_code);
  gatehouse::app::AddPartnerCommands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : (e.get_exit_code() == 1 ? 1 : 2);
  }
  return exit_code;
}
