// The risk hook of the sign-in pipeline (shared brief, "Risk hook"): before
// Conditional Access is evaluated the pipeline asks a SignInRiskSource how
// risky this sign-in and this user look, and after the outcome it reports the
// attempt back so the source can learn (impossible travel, unfamiliar features,
// password spray ...). The risk engine (helper "risk") implements it; until
// then NoSignInRisk answers "none" for everything.
//
// Implementations must be thread-safe: the server calls them from every io
// thread.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace gatehouse::idp {

// What the pipeline knows about one sign-in attempt when it asks for risk.
struct SignInRiskInput {
  std::string request_id; // the sign-in log record id
  absl::Time time;
  std::string user_id; // directory id; empty when the name is unknown
  std::string
      user_principal_name; // as typed (unknown users) or from the directory
  std::string app_id;
  std::string ip_address;
  std::string user_agent;
  std::string platform; // CA platform token derived from the user agent
                        // ("windows", ...)
  std::string
      device_id; // proven directory device id, empty when none was presented
  std::string country; // two letters when known (GeoIP), else empty
  int error_code =
      0; // for Record: the attempt's sign-in log error code (0 = success)
  // Lower-case hex SHA-256 of the password on a password sign-in (the risk
  // engine's leaked-credential check, docs/risk.md §1), else empty. Never
  // stored or logged; sources must drop it after Assess.
  std::string password_sha256;
};

struct SignInRiskResult {
  std::string level = "none";                // none | low | medium | high
  std::vector<std::string> risk_event_types; // Graph riskEventTypes_v2 tokens
  std::string detail;                        // Graph riskDetail
  std::string user_risk_level = "none";      // none | low | medium | high
};

class SignInRiskSource {
public:
  virtual ~SignInRiskSource() = default;
  // Called before CA evaluation; the levels feed signInRiskLevel /
  // userRiskLevel.
  virtual SignInRiskResult Assess(const SignInRiskInput &input) = 0;
  // Called once the attempt's outcome is known (also for failed passwords).
  virtual void Record(const SignInRiskInput &input, bool succeeded) = 0;
};

// The default: no detections, every level "none".
class NoSignInRisk final : public SignInRiskSource {
public:
  SignInRiskResult Assess(const SignInRiskInput &) override { return {}; }
  void Record(const SignInRiskInput &, bool) override {}
};

} // namespace gatehouse::idp
