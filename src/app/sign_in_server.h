// The sign-in server of `gatehouse serve` (issue 5): the OpenID Connect
// provider endpoints (discovery, JWKS, /authorize, /token, /userinfo), the
// server-rendered sign-in pages (password, TOTP enrolment and verification,
// continue, remediation, blocked, error), device registration
// (/idp/v1/deviceRegistrations*, POST /v1.0/gatehouse/deviceRegistrationCodes)
// and the demo relying party (/demo/app). The page and field contract is
// docs/sign-in.md; the protocol choices are docs/oidc.md.
//
// Every sign-in attempt goes through one pipeline: the CA evaluate input
// (DESIGN §3.3) is built from the user, the app (client id), the client app
// type, the platform from the User-Agent, the peer address, the device proven
// by a device proof, the session's authentication methods and the risk source's
// levels, and handed to EvaluateSignIn (the same function the admin API's
// signIns/evaluate uses). Every attempt, failed passwords included, is appended
// to the sign-in log.
//
// State: credentials, refresh token families, registration codes and the key
// ring live in the store; browser sessions, pending authorization requests,
// authorization codes, device-proof nonces and throttle counters live in memory
// (they last minutes; a restart only fails sign-ins in flight). Thread-safe:
// handlers run on every io thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "app/admin_auth.h"
#include "app/tenant_state.h"
#include "http/http_types.h"
#include "http/metrics.h"
#include "idp/sign_in_risk.h"
#include "location/named_location.h"
#include "store/store.h"

namespace gatehouse::app {

// The demo relying party's client id (an application of the demo tenant).
inline constexpr const char *kDemoAppId =
    "55555555-0000-4000-8000-000000000001";

struct SignInServerContext {
  store::Store *store = nullptr;
  TenantState *tenant = nullptr;
  AdminAuthority *auth =
      nullptr; // bearer checks of the admin-facing registration-code endpoint
  http::MetricsRegistry *metrics = nullptr;
  const location::CountryResolver *geoip = nullptr;
  idp::SignInRiskSource *risk = nullptr; // null: NoSignInRisk
  // Reverse proxies whose X-Forwarded-For is believed for the sign-in's client
  // address (server setting trustedProxies; empty: the peer address is used).
  location::CidrSet trusted_proxies;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  bool tls = false;             // Secure cookies
  int agent_proof_port = 47823; // where pages look for the local agent
  bool demo_app = false;        // serve /demo/app as client kDemoAppId
};

class SignInServer {
public:
  // Loads (or creates) the ID-token key ring.
  static absl::StatusOr<std::unique_ptr<SignInServer>>
  Create(SignInServerContext context);
  ~SignInServer();

  // Adds the routes. The server must outlive the router's use.
  void Register(http::Router &router);
  // The issuer URL (tokens' iss, discovery); set before serving and whenever it
  // changes.
  void SetIssuer(const std::string &issuer);
  std::string Issuer() const;
  // Re-reads the key ring from the store when it changed (a `gatehouse keys
  // rotate`).
  absl::Status ReloadKeys();

  struct Impl;

private:
  explicit SignInServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace gatehouse::app
