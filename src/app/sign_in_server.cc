#include "app/sign_in_server.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "app/html_pages.h"
#include "app/keys_command.h"
#include "app/sign_in_evaluation.h"
#include "ca/sign_in_log.h"
#include "core/iso_time.h"
#include "core/text.h"
#include "crypto/crypto.h"
#include "idp/authorization_codes.h"
#include "idp/credentials.h"
#include "idp/device_proof.h"
#include "idp/discovery.h"
#include "idp/id_token.h"
#include "idp/login_throttle.h"
#include "idp/pkce.h"
#include "idp/stored_refresh_tokens.h"
#include "idp/totp.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;
using nlohmann::ordered_json;

constexpr absl::Duration kPendingIdle = absl::Minutes(20);
constexpr absl::Duration kPendingMax = absl::Hours(1);
constexpr absl::Duration kSessionIdle = absl::Hours(12);
constexpr absl::Duration kPersistentSession = absl::Hours(24 * 90);
constexpr absl::Duration kRegistrationCodeLifetime = absl::Minutes(10);
constexpr std::size_t kMaxPending = 100000;
constexpr std::size_t kMaxSessions = 200000;
constexpr const char *kSessionCookie = "gh_session";

// ---- small helpers
// -----------------------------------------------------------------------------

std::string PercentDecode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%' && i + 2 < in.size() &&
               absl::ascii_isxdigit(in[i + 1]) &&
               absl::ascii_isxdigit(in[i + 2])) {
      out += static_cast<char>(
          std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}


std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> fields;
  for (absl::string_view pair :
       absl::StrSplit(absl::string_view(body.data(), body.size()), '&')) {
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    std::string key = PercentDecode(std::string(pair.substr(0, eq)));
    std::string value = eq == absl::string_view::npos
                            ? ""
                            : PercentDecode(std::string(pair.substr(eq + 1)));
    fields.emplace(
        std::move(key),
        std::move(value)); // first wins (duplicates are refused below)
  }
  return fields;
}

std::string Field(const std::map<std::string, std::string> &form,
                  const std::string &name) {
  auto it = form.find(name);
  return it == form.end() ? "" : it->second;
}

std::map<std::string, std::string> Cookies(const HttpRequest &request) {
  std::map<std::string, std::string> cookies;
  std::string header = request.Header("cookie");
  for (absl::string_view part :
       absl::StrSplit(header, absl::ByAnyChar(";,"), absl::SkipEmpty())) {
    std::string item(absl::StripAsciiWhitespace(part));
    auto eq = item.find('=');
    if (eq == std::string::npos)
      continue;
    cookies.emplace(item.substr(0, eq), item.substr(eq + 1));
  }
  return cookies;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// CA platform token from a User-Agent ("" when unknown).
std::string PlatformFromUserAgent(std::string_view ua) {
  auto has = [&](std::string_view needle) {
    return absl::StrContains(absl::string_view(ua.data(), ua.size()),
                             absl::string_view(needle.data(), needle.size()));
  };
  if (has("Windows Phone"))
    return "windowsPhone";
  if (has("Android"))
    return "android";
  if (has("iPhone") || has("iPad") || has("iPod"))
    return "iOS";
  if (has("Windows"))
    return "windows";
  if (has("Macintosh") || has("Mac OS X"))
    return "macOS";
  if (has("Linux") || has("X11") || has("CrOS"))
    return "linux";
  return "";
}

bool HasScope(const std::string &scope, std::string_view wanted) {
  for (absl::string_view s : absl::StrSplit(scope, ' ', absl::SkipEmpty())) {
    if (s == absl::string_view(wanted.data(), wanted.size()))
      return true;
  }
  return false;
}

std::string
AppendQuery(const std::string &url,
            const std::vector<std::pair<std::string, std::string>> &params) {
  std::string out = url;
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto &[k, v] : params) {
    out += sep;
    out += core::PercentEncode(k) + "=" + core::PercentEncode(v);
    sep = '&';
  }
  return out;
}

std::string NormalizeRegistrationCode(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ')
      continue;
    out += absl::ascii_toupper(static_cast<unsigned char>(c));
  }
  return out;
}

std::string NewRegistrationCode() {
  static const char *kAlphabet =
      "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // 32 symbols, no 0/O/1/I
  std::string raw = crypto::Sha256Hex(crypto::RandomToken(16));
  std::string code;
  for (int i = 0; i < 12; ++i) {
    int v =
        std::stoi(raw.substr(static_cast<std::size_t>(i) * 2, 2), nullptr, 16);
    code += kAlphabet[v % 32];
    if (i == 3 || i == 7)
      code += '-';
  }
  return code;
}

std::string AuthMethodName(const std::string &amr) {
  if (amr == "pwd")
    return "password";
  if (amr == "otp")
    return "softwareOath";
  return "";
}

// ---- in-memory flow state
// ----------------------------------------------------------------------

struct PendingAuthorization {
  std::string
      id; // also the correlation id of the flow and the device-proof binding
  std::string client_id, redirect_uri, state, scope, code_challenge;
  std::optional<std::string> nonce;
  std::string client_app_type; // browser | mobileAppsAndDesktopClients
  std::string session_id;
  bool prompt_login = false;
  bool prompt_none =
      false; // no page may be shown: anything but allow is interaction_required
  absl::Time created, touched;
  std::optional<std::string> device_id; // verified device proof
  std::string device_proof_status;      // "" | "verified" | "refused: ..."
};

struct BrowserSession {
  std::string id, csrf;
  std::string user_id, upn, display_name; // empty until the password was proven
  std::vector<std::string> amr;           // pwd, otp
  absl::Time auth_time = absl::InfinitePast();
  std::string pending_totp_secret; // enrolment in progress (raw bytes)
  bool persistent = false;
  absl::Time created, touched;
};

struct KeyState {
  idp::KeyRing ring;
  std::string serialized;
  crypto::JwtVerifier verifier;
};

} // namespace

// ---- the server
// --------------------------------------------------------------------------------

struct SignInServer::Impl {
  explicit Impl(SignInServerContext c)
      : ctx(std::move(c)), credentials(*ctx.store), refresh(*ctx.store),
        risk(ctx.risk ? ctx.risk : &no_risk) {}

  SignInServerContext ctx;
  idp::CredentialStore credentials;
  idp::StoredRefreshTokenStore refresh;
  idp::AuthorizationCodeStore codes;
  idp::DeviceProofVerifier proofs;
  idp::LoginThrottle throttle;
  idp::NoSignInRisk no_risk;
  idp::SignInRiskSource *risk;

  mutable std::mutex issuer_mu;
  std::string issuer;
  std::atomic<std::shared_ptr<const KeyState>> keys;

  std::mutex mu; // pending, sessions, demo_flows
  absl::flat_hash_map<std::string, PendingAuthorization> pending;
  absl::flat_hash_map<std::string, BrowserSession> sessions;
  struct DemoFlow {
    std::string verifier, nonce;
    absl::Time created;
  };
  absl::flat_hash_map<std::string, DemoFlow> demo_flows; // by state

  std::string Issuer() const {
    std::lock_guard lock(issuer_mu);
    return issuer;
  }
  absl::Time Now() const { return ctx.clock(); }

  absl::Status InstallKeys(idp::KeyRing ring, std::string serialized);
  absl::Status ReloadKeys();

  // State.
  std::optional<PendingAuthorization> GetPending(const std::string &id);
  void PutPending(const PendingAuthorization &p);
  void DropPending(const std::string &id);
  std::optional<BrowserSession> GetSession(const HttpRequest &request);
  BrowserSession NewSession();
  void PutSession(const BrowserSession &s);
  void DropSession(const std::string &id);
  std::string SessionCookie(const BrowserSession &s, bool persistent) const;

  // Responses.
  HttpResponse Html(int status, const std::string &document,
                    const std::string &script_nonce = "");
  HttpResponse ErrorPage(const HttpRequest &request, int status,
                         const std::string &code, const std::string &title,
                         const std::string &description);
  HttpResponse OAuthRedirectError(const PendingAuthorization &p,
                                  const std::string &error,
                                  const std::string &description);
  HttpResponse TokenError(const HttpRequest &request, int status,
                          const std::string &error,
                          const std::string &description, int entra_code);

  // Pages.
  HttpResponse SignInPage(const HttpRequest &request,
                          const PendingAuthorization &p,
                          const BrowserSession &s, int status,
                          const std::string &message,
                          const std::string &username);
  HttpResponse ContinuePage(const PendingAuthorization &p,
                            const BrowserSession &s);
  HttpResponse MfaPage(const HttpRequest &request,
                       const PendingAuthorization &p, BrowserSession s,
                       int status, const std::string &message);
  HttpResponse RemediationPage(const HttpRequest &request,
                               const PendingAuthorization &p,
                               const BrowserSession &s,
                               const EvaluatedSignIn &evaluated,
                               const std::string &error_code);
  std::string DecisionTroubleshooting(const HttpRequest &request,
                                      const PendingAuthorization &p,
                                      const EvaluatedSignIn &evaluated,
                                      const std::string &error_code);
  HttpResponse BlockedPage(const HttpRequest &request,
                           const PendingAuthorization &p,
                           const EvaluatedSignIn &evaluated,
                           const std::string &error_code);

  // Flow.
  HttpResponse Authorize(HttpRequest &request);
  HttpResponse SignInGet(HttpRequest &request);
  HttpResponse SignInPost(HttpRequest &request);
  HttpResponse ContinuePost(HttpRequest &request);
  HttpResponse MfaPost(HttpRequest &request);
  // Checks session cookie + CSRF token + the pending request's session; fills p
  // and s.
  std::optional<HttpResponse>
  CheckForm(const HttpRequest &request,
            const std::map<std::string, std::string> &form,
            PendingAuthorization &p, BrowserSession &s);
  void VerifyDeviceProof(const std::string &proof_text,
                         PendingAuthorization &p);
  // `password_sha256`: the digest of the password on a password sign-in
  // (leaked-credential check), else empty.
  HttpResponse RunPipeline(const HttpRequest &request, PendingAuthorization p,
                           BrowserSession s,
                           const std::string &password_sha256 = "");
  // The client address: the peer, or — when the peer is a trusted proxy — the
  // nearest untrusted address of X-Forwarded-For (rewrites remote_address).
  void UseForwardedFor(HttpRequest &request) const;
  // Two-letter country of `ip` from the GeoIP database, "" when unknown.
  std::string CountryOf(const std::string &ip) const;
  json EvaluateInput(const std::string &user_id, const std::string &app_id,
                     const std::string &client_app_type,
                     const std::string &platform, const std::string &ip,
                     const std::vector<std::string> &amr,
                     const std::optional<std::string> &device_id,
                     absl::Time auth_time,
                     const idp::SignInRiskResult &risk_result,
                     absl::Time now) const;
  void AddRecordExtras(ordered_json &record, const HttpRequest &request,
                       const std::string &proof_status,
                       const idp::SignInRiskResult &risk_result,
                       const std::vector<std::string> &amr,
                       const std::string &step) const;
  ordered_json FailureRecord(const HttpRequest &request,
                             const PendingAuthorization &p,
                             const std::string &user_id, const std::string &upn,
                             int error_code, const std::string &reason) const;
  void Log(const ordered_json &record, absl::Time created);

  // OIDC.
  struct TokenResult {
    int status = 200;
    json body;
    bool basic_challenge = false;
  };
  TokenResult Token(const std::map<std::string, std::string> &form,
                    const std::string &authorization,
                    const HttpRequest &request);
  TokenResult IssueTokens(const HttpRequest &request,
                          const std::string &client_id,
                          const std::string &scope, const std::string &user_id,
                          const std::optional<std::string> &nonce,
                          const std::vector<std::string> &amr,
                          const std::optional<std::string> &device_id,
                          absl::Time auth_time, const std::string &session_id,
                          const std::string &refresh_token);
  HttpResponse UserInfo(HttpRequest &request);
  std::optional<json> VerifyJwt(const std::string &token) const;

  // Clients.
  struct Client {
    std::string app_id, display_name;
    std::vector<std::string> web, spa, native;
  };
  std::optional<Client> FindClient(const std::string &client_id);

  // Devices.
  std::optional<json> DeviceRecord(const std::string &device_id,
                                   std::string *store_id = nullptr);
  absl::StatusOr<std::string> IssueRegistrationCode(const std::string &user_id);
  HttpResponse RegistrationCodes(HttpRequest &request);
  HttpResponse RegistrationNonce(HttpRequest &request);
  HttpResponse Register(HttpRequest &request);

  // Demo relying party.
  HttpResponse DemoHome(HttpRequest &request);
  HttpResponse DemoLogin(HttpRequest &request);
  HttpResponse DemoCallback(HttpRequest &request);
};

absl::Status SignInServer::Impl::InstallKeys(idp::KeyRing ring,
                                             std::string serialized) {
  auto state = std::make_shared<KeyState>(
      KeyState{std::move(ring), std::move(serialized), {}});
  json jwks = json::parse(state->ring.PublishedJwks(Now()), nullptr, false);
  for (const auto &key : jwks.value("keys", json::array())) {
    if (absl::Status s = state->verifier.AddJwk(key.dump()); !s.ok())
      return s;
  }
  keys.store(std::move(state));
  return absl::OkStatus();
}

absl::Status SignInServer::Impl::ReloadKeys() {
  auto stored =
      ctx.store->Get(store::ObjectKind::kSigningKey, kIdTokenKeyRingId);
  if (!stored.ok())
    return stored.status();
  if (!stored->has_value())
    return absl::OkStatus();
  auto current = keys.load();
  if (current && current->serialized == (*stored)->body)
    return absl::OkStatus();
  auto ring = idp::KeyRing::Restore((*stored)->body);
  if (!ring.ok())
    return ring.status();
  return InstallKeys(std::move(*ring), (*stored)->body);
}

// ---- state
// -------------------------------------------------------------------------------------

std::optional<PendingAuthorization>
SignInServer::Impl::GetPending(const std::string &id) {
  std::lock_guard lock(mu);
  auto it = pending.find(id);
  if (it == pending.end())
    return std::nullopt;
  const absl::Time now = Now();
  if (now >= it->second.touched + kPendingIdle ||
      now >= it->second.created + kPendingMax) {
    pending.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void SignInServer::Impl::PutPending(const PendingAuthorization &p) {
  std::lock_guard lock(mu);
  const absl::Time now = Now();
  if (pending.size() >= kMaxPending) {
    for (auto it = pending.begin(); it != pending.end();) {
      if (now >= it->second.touched + kPendingIdle) {
        pending.erase(it++);
      } else {
        ++it;
      }
    }
  }
  if (pending.size() >= kMaxPending && !pending.contains(p.id))
    return; // full: dropped
  PendingAuthorization copy = p;
  copy.touched = now;
  pending[p.id] = std::move(copy);
}

void SignInServer::Impl::DropPending(const std::string &id) {
  std::lock_guard lock(mu);
  pending.erase(id);
}

std::optional<BrowserSession>
SignInServer::Impl::GetSession(const HttpRequest &request) {
  auto cookies = Cookies(request);
  auto it = cookies.find(kSessionCookie);
  if (it == cookies.end())
    return std::nullopt;
  std::lock_guard lock(mu);
  auto found = sessions.find(it->second);
  if (found == sessions.end())
    return std::nullopt;
  const absl::Time now = Now();
  if (now >=
      found->second.touched +
          (found->second.persistent ? kPersistentSession : kSessionIdle)) {
    sessions.erase(found);
    return std::nullopt;
  }
  return found->second;
}

BrowserSession SignInServer::Impl::NewSession() {
  BrowserSession s;
  s.id = crypto::RandomToken(32);
  s.csrf = crypto::RandomToken(32);
  s.created = s.touched = Now();
  return s;
}

void SignInServer::Impl::PutSession(const BrowserSession &s) {
  std::lock_guard lock(mu);
  const absl::Time now = Now();
  if (sessions.size() >= kMaxSessions) {
    for (auto it = sessions.begin(); it != sessions.end();) {
      if (now >= it->second.touched + kSessionIdle && !it->second.persistent) {
        sessions.erase(it++);
      } else {
        ++it;
      }
    }
  }
  BrowserSession copy = s;
  copy.touched = now;
  sessions[s.id] = std::move(copy);
}

void SignInServer::Impl::DropSession(const std::string &id) {
  std::lock_guard lock(mu);
  sessions.erase(id);
}

std::string SignInServer::Impl::SessionCookie(const BrowserSession &s,
                                              bool persistent) const {
  std::string cookie = std::string(kSessionCookie) + "=" + s.id +
                       "; Path=/; HttpOnly; SameSite=Lax";
  if (ctx.tls)
    cookie += "; Secure";
  if (persistent)
    cookie +=
        "; Max-Age=" + std::to_string(absl::ToInt64Seconds(kPersistentSession));
  return cookie;
}

// ---- responses
// ---------------------------------------------------------------------------------

HttpResponse SignInServer::Impl::Html(int status, const std::string &document,
                                      const std::string &script_nonce) {
  HttpResponse response =
      HttpResponse::Text(status, document, "text/html; charset=utf-8");
  response.SetHeader("Cache-Control", "no-store");
  response.SetHeader("Pragma", "no-cache");
  response.SetHeader("X-Frame-Options", "DENY");
  response.SetHeader("X-Content-Type-Options", "nosniff");
  response.SetHeader("Referrer-Policy", "no-referrer");
  std::string port = std::to_string(ctx.agent_proof_port);
  std::string csp =
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
      "frame-ancestors 'none'; base-uri 'none'; connect-src http://127.0.0.1:" +
      port + " http://localhost:" + port;
  if (!script_nonce.empty())
    csp += "; script-src 'nonce-" + script_nonce + "'";
  response.SetHeader("Content-Security-Policy", csp);
  return response;
}

HttpResponse SignInServer::Impl::ErrorPage(const HttpRequest &request,
                                           int status, const std::string &code,
                                           const std::string &title,
                                           const std::string &description) {
  std::string body = "<h1 id=\"headline\">" + html::Escape(title) + "</h1>";
  body += "<p id=\"error-description\">" + html::Escape(description) + "</p>";
  body += html::Troubleshooting(
      {{"error-code", "Error code", code},
       {"request-id", "Request id", request.request_id},
       {"timestamp", "Time (UTC)", core::FormatIsoDateTime(Now())}});
  return Html(status, html::Layout(title, "error", body));
}

HttpResponse
SignInServer::Impl::OAuthRedirectError(const PendingAuthorization &p,
                                       const std::string &error,
                                       const std::string &description) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"error", error}, {"error_description", description}};
  if (!p.state.empty())
    params.emplace_back("state", p.state);
  params.emplace_back("iss", Issuer());
  HttpResponse response{302, {}, ""};
  response.SetHeader("Location", AppendQuery(p.redirect_uri, params));
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

HttpResponse SignInServer::Impl::TokenError(const HttpRequest &request,
                                            int status,
                                            const std::string &error,
                                            const std::string &description,
                                            int entra_code) {
  std::string correlation = request.Header("client-request-id");
  if (correlation.empty() || correlation.size() > 64)
    correlation = request.request_id;
  json body = {{"error", error},
               {"error_description", description},
               {"error_codes", json::array({entra_code})},
               {"timestamp", core::FormatIsoDateTime(Now())},
               {"trace_id", request.request_id},
               {"correlation_id", correlation}};
  HttpResponse response = HttpResponse::Json(status, body.dump());
  response.SetHeader("Cache-Control", "no-store");
  response.SetHeader("Pragma", "no-cache");
  if (status == 401)
    response.SetHeader("WWW-Authenticate", "Basic realm=\"gatehouse\"");
  return response;
}

// ---- clients and devices
// -----------------------------------------------------------------------

std::optional<SignInServer::Impl::Client>
SignInServer::Impl::FindClient(const std::string &client_id) {
  if (client_id.empty() || client_id.size() > 200)
    return std::nullopt;
  auto stored = ctx.store->Get(store::ObjectKind::kApplication, client_id);
  if (!stored.ok() || !stored->has_value())
    return std::nullopt;
  json doc = json::parse((*stored)->body, nullptr, false);
  if (!doc.is_object())
    return std::nullopt;
  Client client;
  client.app_id = client_id;
  client.display_name = doc.value("displayName", client_id);
  auto uris = [&](const char *key, std::vector<std::string> &out) {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_object())
      return;
    auto list = it->find("redirectUris");
    if (list == it->end() || !list->is_array())
      return;
    for (const auto &u : *list) {
      if (u.is_string())
        out.push_back(u.get<std::string>());
    }
  };
  uris("web", client.web);
  uris("spa", client.spa);
  uris("publicClient", client.native);
  return client;
}

std::optional<json>
SignInServer::Impl::DeviceRecord(const std::string &device_id,
                                 std::string *store_id) {
  if (device_id.empty() || device_id.size() > 200)
    return std::nullopt;
  auto direct = ctx.store->Get(store::ObjectKind::kDevice, device_id);
  if (direct.ok() && direct->has_value()) {
    json doc = json::parse((*direct)->body, nullptr, false);
    if (doc.is_object() && doc.value("deviceId", device_id) == device_id) {
      if (store_id)
        *store_id = device_id;
      return doc;
    }
  }
  auto all = ctx.store->List(store::ObjectKind::kDevice);
  if (!all.ok())
    return std::nullopt;
  for (const auto &object : *all) {
    json doc = json::parse(object.body, nullptr, false);
    if (doc.is_object() && doc.value("deviceId", "") == device_id) {
      if (store_id)
        *store_id = object.id;
      return doc;
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::string>
SignInServer::Impl::IssueRegistrationCode(const std::string &user_id) {
  std::string code = NewRegistrationCode();
  json body = {{"userId", user_id},
               {"expiresDateTime",
                core::FormatIsoDateTime(Now() + kRegistrationCodeLifetime)}};
  auto put = ctx.store->Put(
      store::ObjectKind::kCredential,
      "regcode:" + crypto::Sha256Hex(NormalizeRegistrationCode(code)),
      body.dump(), store::AuditEntry{}, 0);
  if (!put.ok())
    return put.status();
  return code;
}

// ---- pages
// -------------------------------------------------------------------------------------

namespace {

std::string AppName(const TenantSnapshot *snapshot,
                    const std::string &client_id) {
  if (snapshot) {
    if (const auto *app =
            snapshot->bundle.directory->FindApplication(client_id)) {
      if (!app->display_name.empty())
        return app->display_name;
    }
  }
  return client_id;
}

} // namespace

HttpResponse SignInServer::Impl::SignInPage(const HttpRequest &,
                                            const PendingAuthorization &p,
                                            const BrowserSession &s, int status,
                                            const std::string &message,
                                            const std::string &username) {
  auto snapshot = ctx.tenant->Current();
  auto nonce = proofs.IssueNonce(idp::DeviceProofPurpose::kSignIn, p.id, Now());
  std::string body = "<h1 id=\"headline\">Sign in</h1>";
  body += "<p>to continue to <strong id=\"app-name\">" +
          html::Escape(AppName(snapshot.get(), p.client_id)) + "</strong></p>";
  if (!message.empty()) {
    body += "<p id=\"error-message\" class=\"error\" role=\"alert\">" +
            html::Escape(message) + "</p>";
  }
  body += "<form id=\"sign-in-form\" method=\"post\" action=\"/idp/signin\" "
          "data-device-nonce=\"" +
          html::Escape(nonce.ok() ? *nonce : "") + "\" data-device-binding=\"" +
          html::Escape(p.id) + "\">";
  body += html::Hidden("csrf_token", s.csrf) + html::Hidden("request", p.id) +
          html::Hidden("device_proof", "");
  body += "<label for=\"username\">Username</label><input type=\"text\" "
          "id=\"username\" "
          "name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" "
          "required value=\"" +
          html::Escape(username) + "\">";
  body += "<label for=\"password\">Password</label><input type=\"password\" "
          "id=\"password\" "
          "name=\"password\" autocomplete=\"current-password\" required>";
  body +=
      "<button type=\"submit\" id=\"sign-in-submit\">Sign in</button></form>";
  body += "<p id=\"device-status\" class=\"note\">Without JavaScript no device "
          "identity is "
          "presented; apps that require a registered device will then explain "
          "what to do.</p>";
  std::string script_nonce = crypto::RandomToken(16);
  std::string script =
      nonce.ok() ? html::DeviceProofScript("sign-in-form", *nonce, p.id,
                                           ctx.agent_proof_port, false)
                 : "";
  return Html(status,
              html::Layout("Sign in", "sign-in", body, script, script_nonce),
              script.empty() ? "" : script_nonce);
}

HttpResponse SignInServer::Impl::ContinuePage(const PendingAuthorization &p,
                                              const BrowserSession &s) {
  auto snapshot = ctx.tenant->Current();
  auto nonce = proofs.IssueNonce(idp::DeviceProofPurpose::kSignIn, p.id, Now());
  std::string body = "<h1 id=\"headline\">Signing you in</h1>";
  body += "<p>to <strong id=\"app-name\">" +
          html::Escape(AppName(snapshot.get(), p.client_id)) +
          "</strong> as <strong id=\"signed-in-user\">" + html::Escape(s.upn) +
          "</strong></p>";
  body += "<form id=\"continue-form\" method=\"post\" "
          "action=\"/idp/signin/continue\" "
          "data-device-nonce=\"" +
          html::Escape(nonce.ok() ? *nonce : "") + "\" data-device-binding=\"" +
          html::Escape(p.id) + "\">";
  body += html::Hidden("csrf_token", s.csrf) + html::Hidden("request", p.id) +
          html::Hidden("device_proof", "");
  body +=
      "<button type=\"submit\" id=\"continue-submit\">Continue</button></form>";
  body += "<p id=\"device-status\" class=\"note\">Press Continue.</p>";
  std::string script_nonce = crypto::RandomToken(16);
  std::string script =
      nonce.ok() ? html::DeviceProofScript("continue-form", *nonce, p.id,
                                           ctx.agent_proof_port, true)
                 : "";
  return Html(200,
              html::Layout("Continue", "continue", body, script, script_nonce),
              script.empty() ? "" : script_nonce);
}

HttpResponse SignInServer::Impl::MfaPage(const HttpRequest &,
                                         const PendingAuthorization &p,
                                         BrowserSession s, int status,
                                         const std::string &message) {
  auto enrolled = credentials.GetTotp(s.user_id);
  std::string body;
  std::string page;
  if (enrolled) {
    page = "mfa";
    body = "<h1 id=\"headline\">Verify your identity</h1><p>Enter the 6-digit "
           "code from your "
           "authenticator app for <strong id=\"signed-in-user\">" +
           html::Escape(s.upn) + "</strong>.</p>";
  } else {
    page = "mfa-enroll";
    if (s.pending_totp_secret.empty()) {
      s.pending_totp_secret = idp::GenerateTotpSecret();
      PutSession(s);
    }
    std::string secret = idp::Base32Encode(s.pending_totp_secret);
    std::string uri =
        idp::TotpProvisioningUri("Gatehouse", s.upn, s.pending_totp_secret);
    body = "<h1 id=\"headline\">Set up your authenticator app</h1>"
           "<p>Your organization requires a second factor. Add this account to "
           "an authenticator "
           "app (any TOTP app: Google Authenticator, Microsoft Authenticator, "
           "1Password, ...), "
           "then enter the code it shows.</p>"
           "<p>Secret key: <code id=\"totp-secret\">" +
           html::Escape(secret) +
           "</code></p>"
           "<p class=\"note\">Setup link: <code id=\"totp-uri\">" +
           html::Escape(uri) + "</code></p>";
  }
  if (!message.empty()) {
    body += "<p id=\"error-message\" class=\"error\" role=\"alert\">" +
            html::Escape(message) + "</p>";
  }
  body += "<form id=\"totp-form\" method=\"post\" action=\"/idp/mfa\">" +
          html::Hidden("csrf_token", s.csrf) + html::Hidden("request", p.id) +
          "<label for=\"code\">Code</label><input type=\"text\" id=\"code\" "
          "name=\"code\" "
          "inputmode=\"numeric\" autocomplete=\"one-time-code\" "
          "pattern=\"[0-9]{6}\" required>"
          "<button type=\"submit\" id=\"totp-submit\">Verify</button></form>";
  return Html(status, html::Layout("Verify your identity", page, body));
}

namespace {

// Failed enforced policies of a record, as ids.
std::string FailedPolicyIds(const ordered_json &record) {
  std::string ids;
  for (const auto &policy : record.value("appliedConditionalAccessPolicies",
                                         ordered_json::array())) {
    if (policy.value("result", "") != "failure")
      continue;
    if (!ids.empty())
      ids += ", ";
    ids += policy.value("id", "");
  }
  return ids;
}

std::string PlainRequirement(const std::string &code) {
  if (code == "530003") {
    return "This app requires a registered device, and no device identity was "
           "presented by this "
           "browser.";
  }
  if (code == "53000") {
    return "This app requires a device that your organization marks as "
           "compliant. This device is "
           "registered, but it is not (yet) reported compliant.";
  }
  if (code == "53001") {
    return "This app requires a device joined to your organization's domain "
           "(hybrid joined).";
  }
  return ca::FailureReason(code);
}

} // namespace

HttpResponse SignInServer::Impl::RemediationPage(
    const HttpRequest &request, const PendingAuthorization &p,
    const BrowserSession &s, const EvaluatedSignIn &evaluated,
    const std::string &error_code) {
  auto snapshot = ctx.tenant->Current();
  const std::string app = AppName(snapshot.get(), p.client_id);
  const bool no_device = !p.device_id.has_value();
  std::string body =
      "<h1 id=\"headline\">Access to " + html::Escape(app) +
      " is blocked because " +
      (no_device ? std::string("we couldn't identify this device")
                 : std::string("this device doesn't meet your organization's "
                               "requirements")) +
      "</h1>";
  body +=
      "<p>App: <strong id=\"app-name\">" + html::Escape(app) + "</strong></p>";
  body += "<h2>What is missing</h2><ul id=\"requirements\"><li "
          "id=\"requirement\">" +
          html::Escape(PlainRequirement(error_code)) + "</li></ul>";

  body += "<section id=\"device\"><h2>This device</h2>";
  if (no_device) {
    body += "<p id=\"no-device\">No device identity was presented.</p>";
    body +=
        "<p>Likely causes:</p><ul id=\"likely-causes\">"
        "<li>The Gatehouse agent is not installed on this device, or it is not "
        "running.</li>"
        "<li>This device has not been registered with your organization "
        "yet.</li>"
        "<li>The browser could not reach the agent: a private window, strict "
        "privacy "
        "settings, JavaScript turned off, or an unsupported browser.</li></ul>";
    if (absl::StartsWith(p.device_proof_status, "refused")) {
      body += "<p id=\"device-proof-refused\" class=\"error\">A device "
              "identity was presented but "
              "refused: " +
              html::Escape(p.device_proof_status.substr(
                  std::min<std::size_t>(p.device_proof_status.size(), 9))) +
              "</p>";
    }
  } else {
    json device = DeviceRecord(*p.device_id).value_or(json::object());
    std::string os = device.value("operatingSystem", "") + " " +
                     device.value("operatingSystemVersion", "");
    body += "<dl><dt>Name</dt><dd id=\"device-name\">" +
            html::Escape(device.value("displayName", "")) + "</dd>";
    body += "<dt>Platform</dt><dd id=\"device-platform\">" +
            html::Escape(std::string(absl::StripAsciiWhitespace(os))) + "</dd>";
    body += "<dt>Device id</dt><dd id=\"device-short-id\">" +
            html::Escape(p.device_id->substr(0, 8)) + "</dd>";
    std::string compliance = "not reported yet";
    if (device.contains("isCompliant") && device["isCompliant"].is_boolean()) {
      compliance =
          device["isCompliant"].get<bool>() ? "compliant" : "not compliant";
    }
    json gc = device.value("gatehouseCompliance", json::object());
    if (gc.is_object() && gc.contains("complianceState") &&
        gc["complianceState"].is_string()) {
      compliance = gc["complianceState"].get<std::string>();
    }
    body += "<dt>Compliance</dt><dd id=\"device-compliance\">" +
            html::Escape(compliance) + "</dd>";
    if (gc.is_object() && gc.contains("observedAt") &&
        gc["observedAt"].is_string()) {
      body += "<dt>Last checked</dt><dd id=\"device-last-checked\">" +
              html::Escape(gc["observedAt"].get<std::string>()) + "</dd>";
    }
    body += "</dl>";
    json failing = gc.is_object() ? gc.value("failingSettings", json::array())
                                  : json::array();
    if (failing.is_array() && !failing.empty()) {
      body += "<h2>Settings to fix</h2><ul id=\"failing-settings\">";
      for (const auto &f : failing) {
        if (!f.is_object())
          continue;
        body += "<li data-setting=\"" + html::Escape(f.value("setting", "")) +
                "\"><strong>" + html::Escape(f.value("setting", "")) +
                "</strong>: " + html::Escape(f.value("reason", ""));
        std::string fix = f.value("remediation", "");
        if (!fix.empty())
          body += "<br><span class=\"remediation\">" + html::Escape(fix) +
                  "</span>";
        body += "</li>";
      }
      body += "</ul>";
    }
  }
  body += "</section>";

  body += "<section id=\"steps\"><h2>How to fix it</h2>";
  if (no_device) {
    auto code = IssueRegistrationCode(s.user_id);
    body += "<ol><li>Install the Gatehouse agent on this device (ask your IT "
            "department for the "
            "package, or build <code>gatehouse-agent</code> from the Gatehouse "
            "sources).</li>"
            "<li>Register this device once with this one-time code (valid 10 "
            "minutes):<br>"
            "<code id=\"registration-code\">" +
            html::Escape(code.ok() ? *code : "unavailable") +
            "</code><br><code id=\"register-command\">gatehouse-agent register "
            "--server " +
            html::Escape(Issuer()) + " --code " +
            html::Escape(code.ok() ? *code : "CODE") +
            "</code></li><li>Keep the agent running, then press "
            "Re-check.</li></ol>";
  } else {
    body +=
        "<ol><li>Fix the settings listed above (or follow your IT department's "
        "instructions).</li><li>Let the Gatehouse agent check in again; your "
        "device "
        "management reports the new state within a minute.</li><li>Press "
        "Re-check.</li></ol>";
  }
  body += "</section>";
  auto nonce = proofs.IssueNonce(idp::DeviceProofPurpose::kSignIn, p.id, Now());
  body += "<form id=\"recheck-form\" method=\"post\" "
          "action=\"/idp/signin/continue\" "
          "data-device-nonce=\"" +
          html::Escape(nonce.ok() ? *nonce : "") + "\" data-device-binding=\"" +
          html::Escape(p.id) + "\">" + html::Hidden("csrf_token", s.csrf) +
          html::Hidden("request", p.id) + html::Hidden("device_proof", "") +
          "<button type=\"submit\" id=\"recheck\">Re-check</button></form>";
  body += "<p id=\"device-status\" class=\"note\"></p>";
  body += DecisionTroubleshooting(request, p, evaluated, error_code);
  std::string script_nonce = crypto::RandomToken(16);
  std::string script =
      nonce.ok() ? html::DeviceProofScript("recheck-form", *nonce, p.id,
                                           ctx.agent_proof_port, false)
                 : "";
  return Html(
      403,
      html::Layout("Access blocked", "remediation", body, script, script_nonce),
      script.empty() ? "" : script_nonce);
}

// The copyable block of the remediation and blocked pages: the ids an admin needs to find this
// sign-in in the log.
std::string SignInServer::Impl::DecisionTroubleshooting(const HttpRequest &request,
                                                        const PendingAuthorization &p,
                                                        const EvaluatedSignIn &evaluated,
                                                        const std::string &error_code) {
  return html::Troubleshooting(
      {{"request-id", "Request id",
        evaluated.record.value("id", request.request_id)},
       {"correlation-id", "Correlation id", p.id},
       {"timestamp", "Time (UTC)", core::FormatIsoDateTime(Now())},
       {"app-id", "App id", p.client_id},
       {"error-code", "Error code", error_code},
       {"policy-ids", "Policies", FailedPolicyIds(evaluated.record)},
       {"device-id", "Device id", p.device_id.value_or("none presented")}});
}

HttpResponse SignInServer::Impl::BlockedPage(const HttpRequest &request,
                                             const PendingAuthorization &p,
                                             const EvaluatedSignIn &evaluated,
                                             const std::string &error_code) {
  auto snapshot = ctx.tenant->Current();
  const std::string app = AppName(snapshot.get(), p.client_id);
  std::string body = "<h1 id=\"headline\">Access to " + html::Escape(app) +
                     " is blocked by your organization's policy</h1>";
  body +=
      "<p>App: <strong id=\"app-name\">" + html::Escape(app) + "</strong></p>";
  body += "<ul id=\"requirements\"><li id=\"requirement\">" +
          html::Escape(ca::FailureReason(error_code)) + "</li></ul>";
  body += "<p>If you think you should have access, contact your IT help desk "
          "with the details "
          "below.</p>";
  body += DecisionTroubleshooting(request, p, evaluated, error_code);
  return Html(403, html::Layout("Access blocked", "blocked", body));
}

// ---- authorization flow
// ------------------------------------------------------------------------

HttpResponse SignInServer::Impl::Authorize(HttpRequest &request) {
  auto q = [&](const char *name) -> std::string {
    auto it = request.query.find(name);
    return it == request.query.end() ? "" : it->second;
  };
  const std::string client_id = q("client_id");
  const std::string redirect_uri = q("redirect_uri");
  auto client = FindClient(client_id);
  if (!client) {
    return ErrorPage(request, 400, "700016", "We couldn't sign you in",
                     "The application '" + client_id +
                         "' is not registered with this identity provider "
                         "(unknown client_id).");
  }
  std::string client_app_type;
  auto listed = [&](const std::vector<std::string> &uris) {
    return std::find(uris.begin(), uris.end(), redirect_uri) != uris.end();
  };
  if (listed(client->web) || listed(client->spa)) {
    client_app_type = "browser";
  } else if (listed(client->native)) {
    client_app_type = "mobileAppsAndDesktopClients";
  } else {
    return ErrorPage(request, 400, "50011", "We couldn't sign you in",
                     "The redirect URI '" + redirect_uri +
                         "' does not match the redirect URIs registered for "
                         "the application '" +
                         client_id + "' (they must match exactly).");
  }
  PendingAuthorization p;
  p.id = "ar_" + crypto::RandomToken(24);
  p.client_id = client_id;
  p.redirect_uri = redirect_uri;
  p.state = q("state");
  p.scope = q("scope");
  p.code_challenge = q("code_challenge");
  if (request.query.count("nonce"))
    p.nonce = q("nonce");
  p.client_app_type = client_app_type;
  p.created = p.touched = Now();
  // From here on errors go back to the client (RFC 6749 §4.1.2.1).
  if (p.state.size() > 2048 || (p.nonce && p.nonce->size() > 512)) {
    return OAuthRedirectError(p, "invalid_request",
                              "state or nonce is too long");
  }
  if (request.query.count("request") || request.query.count("request_uri")) {
    return OAuthRedirectError(p, "request_not_supported",
                              "request objects are not supported");
  }
  if (q("response_type") != "code") {
    return OAuthRedirectError(
        p, "unsupported_response_type",
        "only the authorization code flow (response_type=code) is supported");
  }
  std::string mode = q("response_mode");
  if (!mode.empty() && mode != "query") {
    return OAuthRedirectError(p, "invalid_request",
                              "only response_mode=query is supported");
  }
  if (absl::Status s = idp::ValidatePkceChallenge(p.code_challenge,
                                                  q("code_challenge_method"));
      !s.ok()) {
    return OAuthRedirectError(
        p, "invalid_request",
        "PKCE with code_challenge_method=S256 is required: " +
            std::string(s.message()));
  }
  if (!HasScope(p.scope, "openid")) {
    return OAuthRedirectError(p, "invalid_scope",
                              "the scope must include openid");
  }
  std::string prompt = q("prompt");
  p.prompt_login = HasScope(prompt, "login");
  std::optional<BrowserSession> session = GetSession(request);
  if (HasScope(prompt, "none") && (!session || session->user_id.empty())) {
    return OAuthRedirectError(p, "login_required", "the user is not signed in");
  }
  std::vector<std::string> cookies;
  if (!session) {
    session = NewSession();
    cookies.push_back(SessionCookie(*session, false));
  }
  PutSession(*session);
  p.session_id = session->id;
  p.prompt_none = HasScope(prompt, "none");
  PutPending(p);
  if (p.prompt_none)
    return RunPipeline(request, p, *session);
  HttpResponse response{302, {}, ""};
  response.SetHeader("Location", "/idp/signin?request=" + core::PercentEncode(p.id));
  response.SetHeader("Cache-Control", "no-store");
  for (auto &c : cookies)
    response.headers.emplace_back("Set-Cookie", std::move(c));
  return response;
}

HttpResponse SignInServer::Impl::SignInGet(HttpRequest &request) {
  auto it = request.query.find("request");
  auto p = it == request.query.end() ? std::nullopt : GetPending(it->second);
  if (!p) {
    return ErrorPage(request, 400, "expired_request",
                     "This sign-in has expired",
                     "Go back to the application and start signing in again.");
  }
  auto s = GetSession(request);
  if (!s || s->id != p->session_id) {
    return ErrorPage(
        request, 403, "session_mismatch", "We couldn't continue this sign-in",
        "This sign-in was started in another browser session (or cookies are "
        "blocked). Go back to the application and start again.");
  }
  PutPending(*p);
  if (!s->user_id.empty() && !p->prompt_login)
    return ContinuePage(*p, *s);
  return SignInPage(request, *p, *s, 200, "", "");
}

std::optional<HttpResponse>
SignInServer::Impl::CheckForm(const HttpRequest &request,
                              const std::map<std::string, std::string> &form,
                              PendingAuthorization &p, BrowserSession &s) {
  auto session = GetSession(request);
  const std::string token = Field(form, "csrf_token");
  if (!session || token.empty() || !ConstantTimeEquals(token, session->csrf)) {
    return ErrorPage(request, 403, "csrf", "We couldn't accept this form",
                     "The form was not sent by this sign-in page (missing or "
                     "wrong CSRF token, "
                     "or the session cookie is missing). Go back to the "
                     "application and start "
                     "again.");
  }
  auto pending = GetPending(Field(form, "request"));
  if (!pending) {
    return ErrorPage(request, 400, "expired_request",
                     "This sign-in has expired",
                     "Go back to the application and start signing in again.");
  }
  if (pending->session_id != session->id) {
    return ErrorPage(request, 403, "session_mismatch",
                     "We couldn't continue this sign-in",
                     "This sign-in was started in another browser session.");
  }
  p = std::move(*pending);
  s = std::move(*session);
  return std::nullopt;
}

void SignInServer::Impl::VerifyDeviceProof(const std::string &proof_text,
                                           PendingAuthorization &p) {
  if (proof_text.empty())
    return;
  auto refuse = [&](const std::string &why) {
    p.device_id.reset();
    p.device_proof_status = "refused: " + why;
  };
  if (proof_text.size() > 4096)
    return refuse("the device proof is too long");
  json proof = json::parse(proof_text, nullptr, false);
  if (!proof.is_object() || !proof.contains("deviceId") ||
      !proof["deviceId"].is_string() || !proof.contains("nonce") ||
      !proof["nonce"].is_string() || !proof.contains("signature") ||
      !proof["signature"].is_string()) {
    return refuse(
        "the device proof is not {deviceId, nonce, binding, signature}");
  }
  const std::string device_id = proof["deviceId"].get<std::string>();
  const std::string nonce = proof["nonce"].get<std::string>();
  const std::string binding = proof.value("binding", p.id);
  if (binding != p.id) {
    return refuse("the proof was made for another sign-in (foreign binding)");
  }
  auto device = DeviceRecord(device_id);
  if (!device)
    return refuse("device '" + device_id + "' is not registered");
  if (device->contains("accountEnabled") &&
      (*device)["accountEnabled"] == false) {
    return refuse("device '" + device_id + "' is disabled");
  }
  std::string jwk;
  if (auto k = device->find("gatehouseDeviceKey");
      k != device->end() && k->is_object()) {
    if (auto j = k->find("jwk"); j != k->end())
      jwk = j->is_string() ? j->get<std::string>() : j->dump();
  }
  if (jwk.empty())
    return refuse("device '" + device_id + "' has no registered device key");
  auto key = idp::DevicePublicKey::FromJwk(jwk);
  if (!key.ok())
    return refuse("device '" + device_id + "' has an unreadable device key");
  absl::Status verified = proofs.VerifySignInProof(
      *key, nonce, binding, proof["signature"].get<std::string>(), Now());
  if (!verified.ok())
    return refuse(std::string(verified.message()));
  p.device_id = device_id;
  p.device_proof_status = "verified";
}

json SignInServer::Impl::EvaluateInput(
    const std::string &user_id, const std::string &app_id,
    const std::string &client_app_type, const std::string &platform,
    const std::string &ip, const std::vector<std::string> &amr,
    const std::optional<std::string> &device_id, absl::Time auth_time,
    const idp::SignInRiskResult &risk_result, absl::Time now) const {
  json conditions = {{"clientAppType", client_app_type},
                     {"signInRiskLevel", risk_result.level},
                     {"userRiskLevel", risk_result.user_risk_level}};
  if (!platform.empty())
    conditions["devicePlatform"] = platform;
  if (!ip.empty() && location::IpAddress::Parse(ip))
    conditions["ipAddress"] = ip;
  json methods = json::array();
  for (const auto &m : amr) {
    std::string name = AuthMethodName(m);
    if (!name.empty())
      methods.push_back(name);
  }
  json session = {{"authenticationMethods", methods},
                  {"deviceId", device_id ? json(*device_id) : json(nullptr)}};
  if (auth_time != absl::InfinitePast()) {
    session["lastAuthenticationTime"] = core::FormatIsoDateTime(auth_time);
  }
  return {
      {"signInIdentity",
       {{"@odata.type", "#microsoft.graph.userSignIn"}, {"userId", user_id}}},
      {"signInContext",
       {{"@odata.type", "#microsoft.graph.applicationContext"},
        {"includeApplications", json::array({app_id})}}},
      {"signInConditions", conditions},
      {"session", session},
      {"time", core::FormatIsoDateTime(now)}};
}

void SignInServer::Impl::AddRecordExtras(
    ordered_json &record, const HttpRequest &request,
    const std::string &proof_status, const idp::SignInRiskResult &risk_result,
    const std::vector<std::string> &amr, const std::string &step) const {
  record["userAgent"] = request.Header("user-agent");
  record["riskLevelDuringSignIn"] = risk_result.level;
  record["riskEventTypes_v2"] = risk_result.risk_event_types;
  record["riskDetail"] =
      risk_result.detail.empty() ? "none" : risk_result.detail;
  record["authenticationRequirement"] =
      std::find(amr.begin(), amr.end(), "otp") != amr.end()
          ? "multiFactorAuthentication"
          : "singleFactorAuthentication";
  ordered_json methods = ordered_json::array();
  for (const auto &m : amr) {
    if (m == "pwd")
      methods.push_back("Password");
    if (m == "otp")
      methods.push_back("OATH verification code");
  }
  record["authenticationMethodsUsed"] = methods;
  record["gatehouse"] = {
      {"step", step},
      {"deviceProof", proof_status.empty() ? "none" : proof_status}};
}

ordered_json SignInServer::Impl::FailureRecord(
    const HttpRequest &request, const PendingAuthorization &p,
    const std::string &user_id, const std::string &upn, int error_code,
    const std::string &reason) const {
  auto snapshot = ctx.tenant->Current();
  ordered_json record;
  record["id"] = request.request_id;
  record["createdDateTime"] = core::FormatIsoDateTime(Now());
  record["correlationId"] = p.id;
  record["userId"] = user_id;
  record["userPrincipalName"] = upn;
  record["userDisplayName"] = "";
  if (snapshot && !user_id.empty()) {
    if (auto u = snapshot->bundle.directory->FindUser(user_id)) {
      record["userDisplayName"] =
          snapshot->bundle.directory->user(*u).display_name;
    }
  }
  record["appId"] = p.client_id;
  record["appDisplayName"] = AppName(snapshot.get(), p.client_id);
  record["ipAddress"] = request.remote_address;
  record["clientAppUsed"] = p.client_app_type == "browser"
                                ? "Browser"
                                : "Mobile Apps and Desktop clients";
  record["isInteractive"] = true;
  record["location"] = {{"countryOrRegion", CountryOf(request.remote_address)}};
  record["deviceDetail"] = {
      {"deviceId", p.device_id.value_or("")},
      {"displayName", ""},
      {"operatingSystem", PlatformFromUserAgent(request.Header("user-agent"))},
      {"isCompliant", false},
      {"isManaged", false},
      {"trustType", ""}};
  record["status"] = {{"errorCode", error_code},
                      {"failureReason", reason},
                      {"additionalDetails", "failure"}};
  record["conditionalAccessStatus"] = "notApplied";
  record["appliedConditionalAccessPolicies"] = ordered_json::array();
  return record;
}

void SignInServer::Impl::Log(const ordered_json &record, absl::Time created) {
  (void)ctx.store->AppendSignIn(SignInRow(record, created));
}

HttpResponse SignInServer::Impl::SignInPost(HttpRequest &request) {
  auto form = ParseForm(request.body);
  PendingAuthorization p;
  BrowserSession s;
  if (auto refused = CheckForm(request, form, p, s))
    return *refused;
  const std::string username = Field(form, "username");
  const std::string password = Field(form, "password");
  const absl::Time now = Now();
  const std::string account = idp::LoginThrottle::NormalizeAccount(username);
  const std::string ip = request.remote_address;
  idp::SignInRiskInput risk_input{
      request.request_id,
      now,
      "",
      username,
      p.client_id,
      ip,
      request.Header("user-agent"),
      PlatformFromUserAgent(request.Header("user-agent")),
      "",
      CountryOf(ip),
      0,
      ""};
  if (username.empty() || username.size() > 256 || password.size() > 1024) {
    return SignInPage(request, p, s, 200, "Enter your username and password.",
                      username.substr(0, 256));
  }
  idp::ThrottleDecision throttled = throttle.Check(account, ip, now);
  if (!throttled.allowed) {
    auto record = FailureRecord(
        request, p, "", username, 50053,
        "Account or client address is temporarily locked after too many "
        "failed sign-in attempts.");
    AddRecordExtras(record, request, "", {}, {}, "password");
    Log(record, now);
    HttpResponse response = SignInPage(
        request, p, s, 429,
        "Too many sign-in attempts. Wait " +
            std::to_string(absl::ToInt64Seconds(throttled.retry_after)) +
            " seconds, then try again.",
        username);
    response.SetHeader("Retry-After", std::to_string(absl::ToInt64Seconds(
                                          throttled.retry_after)));
    return response;
  }
  auto snapshot = ctx.tenant->Current();
  std::optional<directory::DirectorySnapshot::UserIndex> user;
  if (snapshot) {
    // The UPN as typed, trimmed and case-insensitive (an object id is not a
    // sign-in name).
    auto found = snapshot->bundle.directory->FindUserByIdOrName(
        core::AsciiLower(std::string(absl::StripAsciiWhitespace(username))));
    if (found &&
        core::EqualsIgnoreCase(
            snapshot->bundle.directory->user(*found).user_principal_name,
            std::string(absl::StripAsciiWhitespace(username)))) {
      user = found;
    }
  }
  const std::string user_id =
      user ? snapshot->bundle.directory->user(*user).id : "";
  const bool ok = credentials.VerifyUserPassword(user_id, password);
  if (!ok) {
    idp::ThrottleDecision after = throttle.RecordFailure(account, ip, now);
    (void)after;
    risk_input.user_id = user_id;
    risk_input.error_code = user ? 50126 : 50034;
    risk->Record(risk_input, false);
    auto record = FailureRecord(
        request, p, user_id,
        user ? snapshot->bundle.directory->user(*user).user_principal_name
             : username,
        user ? 50126 : 50034,
        user ? "Error validating credentials due to invalid username or "
               "password."
             : "The user account does not exist in the directory.");
    AddRecordExtras(record, request, "", {}, {}, "password");
    Log(record, now);
    return SignInPage(request, p, s, 200,
                      "Your username or password is incorrect.", username);
  }
  const directory::User &u = snapshot->bundle.directory->user(*user);
  throttle.RecordSuccess(account, now);
  if (!u.account_enabled) {
    auto record = FailureRecord(request, p, u.id, u.user_principal_name, 50057,
                                "User account is disabled.");
    AddRecordExtras(record, request, "", {}, {"pwd"}, "password");
    Log(record, now);
    return ErrorPage(request, 403, "50057", "Your account is disabled",
                     "Contact your IT help desk to have it enabled.");
  }
  // A new session id at sign-in (no session fixation); the pending request
  // follows it.
  DropSession(s.id);
  BrowserSession fresh = NewSession();
  fresh.user_id = u.id;
  fresh.upn = u.user_principal_name;
  fresh.display_name = u.display_name;
  fresh.amr = {"pwd"};
  fresh.auth_time = now;
  PutSession(fresh);
  p.session_id = fresh.id;
  VerifyDeviceProof(Field(form, "device_proof"), p);
  PutPending(p);
  HttpResponse response =
      RunPipeline(request, p, fresh, crypto::Sha256Hex(password));
  bool has_cookie = false;
  for (const auto &[k, v] : response.headers)
    has_cookie = has_cookie || absl::EqualsIgnoreCase(k, "set-cookie");
  if (!has_cookie)
    response.headers.emplace_back("Set-Cookie", SessionCookie(fresh, false));
  return response;
}

HttpResponse SignInServer::Impl::ContinuePost(HttpRequest &request) {
  auto form = ParseForm(request.body);
  PendingAuthorization p;
  BrowserSession s;
  if (auto refused = CheckForm(request, form, p, s))
    return *refused;
  if (s.user_id.empty())
    return SignInPage(request, p, s, 200, "", "");
  VerifyDeviceProof(Field(form, "device_proof"), p);
  PutPending(p);
  return RunPipeline(request, p, s);
}

HttpResponse SignInServer::Impl::MfaPost(HttpRequest &request) {
  auto form = ParseForm(request.body);
  PendingAuthorization p;
  BrowserSession s;
  if (auto refused = CheckForm(request, form, p, s))
    return *refused;
  if (s.user_id.empty())
    return SignInPage(request, p, s, 200, "", "");
  const absl::Time now = Now();
  const std::string code = Field(form, "code");
  const std::string key = "totp:" + s.user_id;
  idp::ThrottleDecision throttled = throttle.Check(key, "", now);
  if (!throttled.allowed) {
    return MfaPage(
        request, p, s, 429,
        "Too many wrong codes. Wait " +
            std::to_string(absl::ToInt64Seconds(throttled.retry_after)) +
            " seconds, then try again.");
  }
  auto enrolled = credentials.GetTotp(s.user_id);
  std::string secret = enrolled ? enrolled->secret : s.pending_totp_secret;
  absl::StatusOr<std::int64_t> step =
      absl::UnauthenticatedError("no authenticator is being set up");
  if (!secret.empty()) {
    step = idp::VerifyTotp(secret, code, now, {},
                           enrolled ? enrolled->last_step : std::nullopt);
  }
  absl::Status stored = absl::OkStatus();
  if (step.ok()) {
    stored = enrolled ? credentials.AcceptTotpStep(s.user_id, *step)
                      : credentials.SetTotp(s.user_id, secret, *step, now);
  }
  if (!step.ok() || !stored.ok()) {
    throttle.RecordFailure(key, "", now);
    auto record = FailureRecord(
        request, p, s.user_id, s.upn, 500121,
        "Authentication failed during strong authentication request.");
    AddRecordExtras(record, request, p.device_proof_status, {}, s.amr, "mfa");
    Log(record, now);
    return MfaPage(request, p, s, 200,
                   "That code is not valid. Enter the current code.");
  }
  throttle.RecordSuccess(key, now);
  s.pending_totp_secret.clear();
  if (std::find(s.amr.begin(), s.amr.end(), "otp") == s.amr.end())
    s.amr.push_back("otp");
  PutSession(s);
  return RunPipeline(request, p, s);
}

void SignInServer::Impl::UseForwardedFor(HttpRequest &request) const {
  if (ctx.trusted_proxies.empty())
    return;
  auto peer = location::IpAddress::Parse(request.remote_address);
  if (!peer || !ctx.trusted_proxies.Contains(*peer))
    return;
  // The right-most X-Forwarded-For entry was added by the proxy nearest to us:
  // walk right to left past trusted proxies.
  std::vector<std::string> hops;
  for (absl::string_view part :
       absl::StrSplit(request.Header("x-forwarded-for"), ',')) {
    if (!absl::StripAsciiWhitespace(part).empty())
      hops.push_back(std::string(absl::StripAsciiWhitespace(part)));
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto address = location::IpAddress::Parse(*it);
    if (!address)
      return; // a malformed hop: keep the last address we can vouch for
    request.remote_address = address->ToString();
    if (!ctx.trusted_proxies.Contains(*address))
      return;
  }
}

std::string SignInServer::Impl::CountryOf(const std::string &ip) const {
  if (ctx.geoip == nullptr)
    return "";
  auto address = location::IpAddress::Parse(ip);
  if (!address)
    return "";
  return ctx.geoip->CountryOf(*address).value_or("");
}

HttpResponse SignInServer::Impl::RunPipeline(const HttpRequest &request,
                                             PendingAuthorization p,
                                             BrowserSession s,
                                             const std::string &password_sha256) {
  const absl::Time now = Now();
  auto snapshot = ctx.tenant->Current();
  if (!snapshot)
    return ErrorPage(request, 503, "not_ready", "Try again shortly",
                     "The server is starting.");
  const std::string ua = request.Header("user-agent");
  const std::string platform = PlatformFromUserAgent(ua);
  idp::SignInRiskInput risk_input{request.request_id,
                                  now,
                                  s.user_id,
                                  s.upn,
                                  p.client_id,
                                  request.remote_address,
                                  ua,
                                  platform,
                                  p.device_id.value_or(""),
                                  CountryOf(request.remote_address),
                                  0,
                                  password_sha256};
  idp::SignInRiskResult risk_result = risk->Assess(risk_input);
  risk_input.password_sha256.clear();
  json input = EvaluateInput(s.user_id, p.client_id, p.client_app_type,
                             platform, request.remote_address, s.amr,
                             p.device_id, s.auth_time, risk_result, now);
  core::ProblemList problems;
  auto evaluated = EvaluateSignIn(*snapshot, input, ctx.geoip,
                                  {request.request_id, p.id}, now, problems);
  if (!evaluated.ok()) {
    return ErrorPage(
        request, 500, "evaluation_failed", "We couldn't sign you in",
        "The sign-in could not be evaluated: " + problems.ToString());
  }
  ordered_json &record = evaluated->record;
  AddRecordExtras(record, request, p.device_proof_status, risk_result, s.amr,
                  "conditionalAccess");
  if (ctx.metrics) {
    ctx.metrics->Increment(
        "gatehouse_ca_decisions_total",
        {{"decision", ca::ToString(evaluated->decision.outcome)},
         {"mode", "enforced"}});
  }
  Log(record, now);
  const ca::Decision &decision = evaluated->decision;
  const std::string error_code(decision.error_code);
  risk_input.error_code =
      error_code.empty() ? 0 : std::atoi(error_code.c_str());
  risk->Record(risk_input, decision.outcome == ca::Outcome::kAllow);

  if (p.prompt_none && decision.outcome != ca::Outcome::kAllow) {
    DropPending(p.id);
    return OAuthRedirectError(
        p,
        decision.outcome == ca::Outcome::kBlock ? "access_denied"
                                                : "interaction_required",
        "Conditional Access requires interaction (" + error_code + ")");
  }
  if (decision.outcome == ca::Outcome::kBlock)
    return BlockedPage(request, p, *evaluated, error_code);
  if (decision.outcome == ca::Outcome::kInterrupt) {
    auto needs = [&](ca::GrantControl c) {
      return (decision.required_controls & (1u << static_cast<int>(c))) != 0;
    };
    if (decision.reauthentication_required) {
      s.user_id.clear();
      s.amr.clear();
      s.auth_time = absl::InfinitePast();
      PutSession(s);
      return SignInPage(
          request, p, s, 200,
          "Your organization requires you to sign in again to use this app.",
          s.upn);
    }
    if (needs(ca::GrantControl::kMfa) ||
        needs(ca::GrantControl::kAuthenticationStrength)) {
      if (std::find(s.amr.begin(), s.amr.end(), "otp") == s.amr.end()) {
        return MfaPage(request, p, s, 200, "");
      }
      // TOTP was used and the strength still is not met: nothing more this
      // server offers.
      return BlockedPage(request, p, *evaluated, error_code);
    }
    if (needs(ca::GrantControl::kCompliantDevice) ||
        needs(ca::GrantControl::kDomainJoinedDevice)) {
      return RemediationPage(request, p, s, *evaluated, error_code);
    }
    return BlockedPage(request, p, *evaluated, error_code);
  }
  // Allowed: issue the code and send the browser back to the client.
  idp::AuthorizationGrant grant;
  grant.client_id = p.client_id;
  grant.redirect_uri = p.redirect_uri;
  grant.code_challenge = p.code_challenge;
  grant.nonce = p.nonce;
  grant.scope = p.scope;
  grant.user_id = s.user_id;
  grant.device_id = p.device_id;
  grant.auth_methods = s.amr;
  if (s.amr.size() > 1)
    grant.auth_methods.push_back("mfa");
  grant.auth_time = s.auth_time;
  grant.session_id = s.id.substr(0, 16);
  grant.client_app_type = p.client_app_type;
  grant.platform = platform;
  auto code = codes.Issue(grant, now);
  if (!code.ok())
    return OAuthRedirectError(p, "temporarily_unavailable",
                              std::string(code.status().message()));
  DropPending(p.id);
  const bool persistent =
      decision.session.persistent_browser == ca::PersistentBrowserMode::kAlways;
  if (persistent != s.persistent) {
    s.persistent = persistent;
    PutSession(s);
  }
  std::vector<std::pair<std::string, std::string>> params = {{"code", *code}};
  if (!p.state.empty())
    params.emplace_back("state", p.state);
  params.emplace_back("iss", Issuer());
  HttpResponse response{302, {}, ""};
  response.SetHeader("Location", AppendQuery(p.redirect_uri, params));
  response.SetHeader("Cache-Control", "no-store");
  response.headers.emplace_back("Set-Cookie", SessionCookie(s, persistent));
  return response;
}

// ---- token endpoint and userinfo
// ---------------------------------------------------------------

namespace {

// Standard base64 (RFC 4648 §4) via the base64url decoder.
absl::StatusOr<std::string> Base64Decode(std::string text) {
  for (char &c : text) {
    if (c == '+')
      c = '-';
    if (c == '/')
      c = '_';
  }
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  return crypto::Base64UrlDecode(text);
}

int EntraCodeForRedeem(std::string_view message) {
  if (absl::StrContains(absl::string_view(message.data(), message.size()),
                        "verifier") ||
      absl::StrContains(absl::string_view(message.data(), message.size()),
                        "PKCE")) {
    return 501481;
  }
  if (absl::StrContains(absl::string_view(message.data(), message.size()),
                        "redirect"))
    return 50148;
  return 70008;
}

} // namespace

SignInServer::Impl::TokenResult
SignInServer::Impl::Token(const std::map<std::string, std::string> &form,
                          const std::string &authorization,
                          const HttpRequest &request) {
  const absl::Time now = Now();
  auto error = [&](int status, const std::string &code,
                   const std::string &description, int entra) {
    HttpResponse r = TokenError(request, status, code, description, entra);
    TokenResult result;
    result.status = status;
    result.body = json::parse(r.body, nullptr, false);
    result.basic_challenge = status == 401;
    return result;
  };
  std::string client_id = Field(form, "client_id");
  std::string secret = Field(form, "client_secret");
  if (absl::StartsWithIgnoreCase(authorization, "Basic ")) {
    auto decoded = Base64Decode(
        std::string(absl::StripAsciiWhitespace(authorization.substr(6))));
    if (!decoded.ok() || decoded->find(':') == std::string::npos) {
      return error(401, "invalid_client",
                   "malformed HTTP Basic client credentials", 7000215);
    }
    std::string basic_id =
        PercentDecode(decoded->substr(0, decoded->find(':')));
    std::string basic_secret =
        PercentDecode(decoded->substr(decoded->find(':') + 1));
    if (!client_id.empty() && client_id != basic_id) {
      return error(400, "invalid_request",
                   "client_id differs from the HTTP Basic client", 900144);
    }
    if (!secret.empty()) {
      return error(400, "invalid_request",
                   "use one client authentication method", 900144);
    }
    client_id = basic_id;
    secret = basic_secret;
  }
  if (client_id.empty())
    return error(400, "invalid_request", "client_id is required", 900144);
  auto client = FindClient(client_id);
  if (!client) {
    (void)credentials.VerifyClientSecret("", secret,
                                         now); // same cost as a known client
    return error(401, "invalid_client", "client authentication failed",
                 7000215);
  }
  bool confidential = false;
  for (const auto &s : credentials.ClientSecrets(client_id))
    confidential = confidential || now < s.end;
  if (!secret.empty()) {
    if (!credentials.VerifyClientSecret(client_id, secret, now)) {
      return error(401, "invalid_client", "client authentication failed",
                   7000215);
    }
  } else if (confidential) {
    return error(
        401, "invalid_client",
        "this client has secrets: authenticate with client_secret_basic or "
        "client_secret_post",
        7000218);
  }
  const std::string grant_type = Field(form, "grant_type");
  if (grant_type == "authorization_code") {
    auto grant = codes.Redeem(Field(form, "code"), client_id,
                              Field(form, "redirect_uri"),
                              Field(form, "code_verifier"), now);
    if (!grant.ok()) {
      return error(400, "invalid_grant", std::string(grant.status().message()),
                   EntraCodeForRedeem(std::string(grant.status().message())));
    }
    idp::RefreshGrant refresh_grant{
        grant->client_id,  grant->user_id,         grant->scope,
        grant->device_id,  grant->auth_methods,    grant->auth_time,
        grant->session_id, grant->client_app_type, grant->platform};
    auto rt = refresh.StartFamily(refresh_grant, now);
    if (!rt.ok())
      return error(503, "temporarily_unavailable",
                   std::string(rt.status().message()), 90033);
    return IssueTokens(request, client_id, grant->scope, grant->user_id,
                       grant->nonce, grant->auth_methods, grant->device_id,
                       grant->auth_time, grant->session_id, rt->token);
  }
  if (grant_type == "refresh_token") {
    auto issued = refresh.Rotate(Field(form, "refresh_token"), client_id, now);
    if (!issued.ok()) {
      return error(400, "invalid_grant", std::string(issued.status().message()),
                   70000);
    }
    const idp::RefreshGrant &g = issued->grant;
    auto snapshot = ctx.tenant->Current();
    if (!snapshot)
      return error(503, "temporarily_unavailable", "the server is starting",
                   90033);
    // Conditional Access again: the device may have fallen out of compliance
    // meanwhile.
    idp::SignInRiskInput risk_input{request.request_id,
                                    now,
                                    g.user_id,
                                    "",
                                    client_id,
                                    request.remote_address,
                                    request.Header("user-agent"),
                                    g.platform,
                                    g.device_id.value_or(""),
                                    CountryOf(request.remote_address),
                                    0,
                                    ""};
    idp::SignInRiskResult risk_result = risk->Assess(risk_input);
    json input =
        EvaluateInput(g.user_id, client_id,
                      g.client_app_type.empty() ? "browser" : g.client_app_type,
                      g.platform, request.remote_address, g.auth_methods,
                      g.device_id, g.auth_time, risk_result, now);
    core::ProblemList problems;
    auto evaluated =
        EvaluateSignIn(*snapshot, input, ctx.geoip,
                       {request.request_id, issued->family_id}, now, problems);
    if (!evaluated.ok()) {
      (void)refresh.RevokeFamily(issued->family_id);
      return error(400, "invalid_grant", "the sign-in could not be evaluated",
                   70000);
    }
    AddRecordExtras(evaluated->record, request,
                    g.device_id ? "refreshGrant" : "", risk_result,
                    g.auth_methods, "refresh");
    evaluated->record["isInteractive"] = false;
    Log(evaluated->record, now);
    risk_input.error_code =
        evaluated->decision.error_code.empty()
            ? 0
            : std::atoi(std::string(evaluated->decision.error_code).c_str());
    risk->Record(risk_input,
                 evaluated->decision.outcome == ca::Outcome::kAllow);
    if (evaluated->decision.outcome != ca::Outcome::kAllow) {
      (void)refresh.RevokeFamily(issued->family_id);
      std::string code(evaluated->decision.error_code);
      return error(400, "invalid_grant",
                   "Conditional Access refused the refresh (" + code + ": " +
                       ca::FailureReason(code) +
                       "); the refresh token family is revoked, sign in again",
                   code.empty() ? 53003 : std::atoi(code.c_str()));
    }
    return IssueTokens(request, client_id, g.scope, g.user_id, std::nullopt,
                       g.auth_methods, g.device_id, g.auth_time, g.session_id,
                       issued->token);
  }
  if (grant_type.empty())
    return error(400, "invalid_request", "grant_type is required", 900144);
  return error(400, "unsupported_grant_type",
               "grant_type must be authorization_code or refresh_token", 70003);
}

SignInServer::Impl::TokenResult SignInServer::Impl::IssueTokens(
    const HttpRequest &request, const std::string &client_id,
    const std::string &scope, const std::string &user_id,
    const std::optional<std::string> &nonce,
    const std::vector<std::string> &amr,
    const std::optional<std::string> &device_id, absl::Time auth_time,
    const std::string &session_id, const std::string &refresh_token) {
  const absl::Time now = Now();
  auto keys_now = keys.load();
  auto snapshot = ctx.tenant->Current();
  idp::IdTokenClaims claims;
  claims.issuer = Issuer();
  claims.subject = user_id;
  claims.audience = client_id;
  claims.issued_at = now;
  claims.auth_time = auth_time;
  claims.nonce = nonce;
  claims.amr = amr;
  claims.device_id = device_id;
  claims.session_id = session_id;
  if (snapshot) {
    if (auto u = snapshot->bundle.directory->FindUser(user_id)) {
      const directory::User &user = snapshot->bundle.directory->user(*u);
      if (HasScope(scope, "profile")) {
        claims.name = user.display_name;
        claims.preferred_username = user.user_principal_name;
      }
      if (HasScope(scope, "email")) {
        auto stored = ctx.store->Get(store::ObjectKind::kUser, user_id);
        std::string mail;
        if (stored.ok() && stored->has_value()) {
          json doc = json::parse((*stored)->body, nullptr, false);
          if (doc.is_object() && doc.contains("mail") &&
              doc["mail"].is_string())
            mail = doc["mail"];
        }
        claims.email = mail.empty() ? user.user_principal_name : mail;
      }
    }
  }
  auto id_claims = idp::BuildIdTokenClaims(claims);
  idp::AccessTokenClaims access;
  access.issuer = claims.issuer;
  access.subject = user_id;
  access.audience = client_id;
  access.client_id = client_id;
  access.scope = scope;
  access.issued_at = now;
  access.auth_time = auth_time;
  access.amr = amr;
  access.device_id = device_id;
  access.session_id = session_id;
  auto access_claims = idp::BuildAccessTokenClaims(access);
  TokenResult result;
  if (!id_claims.ok() || !access_claims.ok() || !keys_now) {
    HttpResponse r = TokenError(request, 500, "server_error",
                                "tokens could not be built", 90033);
    result.status = 500;
    result.body = json::parse(r.body, nullptr, false);
    return result;
  }
  auto id_token = keys_now->ring.Sign(*id_claims);
  auto access_token = keys_now->ring.Sign(*access_claims);
  if (!id_token.ok() || !access_token.ok()) {
    HttpResponse r = TokenError(request, 500, "server_error",
                                "tokens could not be signed", 90033);
    result.status = 500;
    result.body = json::parse(r.body, nullptr, false);
    return result;
  }
  result.body = {{"access_token", *access_token},
                 {"token_type", "Bearer"},
                 {"expires_in", 3600},
                 {"scope", scope},
                 {"id_token", *id_token},
                 {"refresh_token", refresh_token}};
  return result;
}

std::optional<json>
SignInServer::Impl::VerifyJwt(const std::string &token) const {
  auto keys_now = keys.load();
  if (!keys_now || token.empty() || token.size() > 8192)
    return std::nullopt;
  auto payload = keys_now->verifier.Verify(token);
  if (!payload.ok())
    return std::nullopt;
  json claims = json::parse(*payload, nullptr, false);
  if (!claims.is_object())
    return std::nullopt;
  if (claims.value("iss", "") != Issuer())
    return std::nullopt;
  if (!claims.contains("exp") || !claims["exp"].is_number())
    return std::nullopt;
  if (claims["exp"].get<double>() <=
      static_cast<double>(absl::ToUnixSeconds(Now())))
    return std::nullopt;
  return claims;
}

HttpResponse SignInServer::Impl::UserInfo(HttpRequest &request) {
  auto unauthorized = [](const std::string &description) {
    HttpResponse r =
        HttpResponse::Json(401, json{{"error", "invalid_token"},
                                     {"error_description", description}}
                                    .dump());
    r.SetHeader("WWW-Authenticate",
                "Bearer error=\"invalid_token\", error_description=\"" +
                    description + "\"");
    r.SetHeader("Cache-Control", "no-store");
    return r;
  };
  std::string header = request.Header("authorization");
  if (!absl::StartsWithIgnoreCase(header, "Bearer "))
    return unauthorized("a bearer access token is required");
  auto claims =
      VerifyJwt(std::string(absl::StripAsciiWhitespace(header.substr(7))));
  if (!claims || !claims->contains("scope") || !claims->contains("client_id") ||
      !(*claims)["scope"].is_string()) {
    return unauthorized("the access token is invalid or expired");
  }
  const std::string scope = (*claims)["scope"];
  if (!HasScope(scope, "openid"))
    return unauthorized("the access token lacks the openid scope");
  const std::string sub = claims->value("sub", "");
  json out = {{"sub", sub}};
  auto snapshot = ctx.tenant->Current();
  if (snapshot) {
    if (auto u = snapshot->bundle.directory->FindUser(sub)) {
      const directory::User &user = snapshot->bundle.directory->user(*u);
      if (HasScope(scope, "profile")) {
        out["name"] = user.display_name;
        out["preferred_username"] = user.user_principal_name;
      }
      if (HasScope(scope, "email"))
        out["email"] = user.user_principal_name;
    }
  }
  HttpResponse r = HttpResponse::Json(200, out.dump());
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

// ---- device registration
// -----------------------------------------------------------------------

namespace {

struct RegistrationCode {
  std::string store_id, user_id;
  absl::Time expires;
};

std::optional<RegistrationCode>
LoadCode(store::Store &store, const std::string &code, absl::Time now) {
  std::string normalized = NormalizeRegistrationCode(code);
  if (normalized.empty() || normalized.size() > 64)
    return std::nullopt;
  std::string id = "regcode:" + crypto::Sha256Hex(normalized);
  auto stored = store.Get(store::ObjectKind::kCredential, id);
  if (!stored.ok() || !stored->has_value())
    return std::nullopt;
  json doc = json::parse((*stored)->body, nullptr, false);
  if (!doc.is_object())
    return std::nullopt;
  auto expires = core::ParseIsoDateTime(doc.value("expiresDateTime", ""));
  if (!expires.ok() || now >= *expires)
    return std::nullopt;
  return RegistrationCode{id, doc.value("userId", ""), *expires};
}

std::string RegistrationBinding(const RegistrationCode &code) {
  return "reg:" + code.store_id.substr(8, 32);
}

std::optional<json> JsonBody(const HttpRequest &request, HttpResponse &error) {
  json doc = json::parse(request.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = http::Problem(400, "The request body is not valid",
                          "expected a JSON object");
    return std::nullopt;
  }
  return doc;
}

std::string StringField(const json &doc, const char *key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

} // namespace

HttpResponse SignInServer::Impl::RegistrationCodes(HttpRequest &request) {
  auto who = ctx.auth->Authenticate(request.Header("authorization"), Now());
  if (!who.ok()) {
    HttpResponse r = http::Problem(401, "Authentication required",
                                   std::string(who.status().message()));
    r.SetHeader("WWW-Authenticate", "Bearer realm=\"gatehouse\"");
    return r;
  }
  if (!ScopeAllows(who->scopes, "Directory.ReadWrite.All")) {
    return http::Problem(
        403, "Insufficient scope",
        "this operation needs the Directory.ReadWrite.All scope");
  }
  HttpResponse error;
  auto body = JsonBody(request, error);
  if (!body)
    return error;
  std::string user_id = StringField(*body, "userId");
  auto snapshot = ctx.tenant->Current();
  if (user_id.empty()) {
    return http::Problem(400, "The request body is not valid",
                         "/userId: required");
  }
  if (!snapshot || !snapshot->bundle.directory->FindUser(user_id)) {
    return http::Problem(404, "Not found", "no user with id '" + user_id + "'");
  }
  auto code = IssueRegistrationCode(user_id);
  if (!code.ok())
    return http::ProblemFor(code.status());
  return HttpResponse::Json(
      201, json{{"code", *code},
                {"userId", user_id},
                {"expiresDateTime",
                 core::FormatIsoDateTime(Now() + kRegistrationCodeLifetime)}}
               .dump());
}

HttpResponse SignInServer::Impl::RegistrationNonce(HttpRequest &request) {
  HttpResponse error;
  auto body = JsonBody(request, error);
  if (!body)
    return error;
  auto code = LoadCode(*ctx.store, StringField(*body, "code"), Now());
  if (!code)
    return http::Problem(401, "Unauthorized",
                         "the registration code is unknown, used or expired");
  auto nonce = proofs.IssueNonce(idp::DeviceProofPurpose::kRegistration,
                                 RegistrationBinding(*code), Now());
  if (!nonce.ok())
    return http::ProblemFor(nonce.status());
  return HttpResponse::Json(
      200,
      json{{"nonce", *nonce}, {"binding", RegistrationBinding(*code)}}.dump());
}

HttpResponse SignInServer::Impl::Register(HttpRequest &request) {
  HttpResponse error;
  auto body = JsonBody(request, error);
  if (!body)
    return error;
  const absl::Time now = Now();
  auto code = LoadCode(*ctx.store, StringField(*body, "code"), now);
  if (!code)
    return http::Problem(401, "Unauthorized",
                         "the registration code is unknown, used or expired");
  auto key = body->find("publicKey");
  if (key == body->end() || !key->is_object()) {
    return http::Problem(400, "The request body is not valid",
                         "/publicKey: an EC P-256 public JWK is required");
  }
  std::string display_name = StringField(*body, "displayName");
  std::string os = StringField(*body, "operatingSystem");
  std::string os_version = StringField(*body, "operatingSystemVersion");
  if (display_name.size() > 256 || os.size() > 64 || os_version.size() > 64) {
    return http::Problem(
        400, "The request body is not valid",
        "displayName, operatingSystem or operatingSystemVersion is too long");
  }
  auto registration = proofs.VerifyRegistration(
      key->dump(), StringField(*body, "nonce"), RegistrationBinding(*code),
      StringField(*body, "signature"), code->user_id, now);
  if (!registration.ok()) {
    int status =
        registration.status().code() == absl::StatusCode::kInvalidArgument
            ? 400
            : 401;
    return http::Problem(status,
                         status == 400 ? "The request body is not valid"
                                       : "Unauthorized",
                         std::string(registration.status().message()));
  }
  // One-time: whoever deletes the code first registers.
  if (!ctx.store
           ->Delete(store::ObjectKind::kCredential, code->store_id,
                    store::AuditEntry{})
           .ok()) {
    return http::Problem(401, "Unauthorized",
                         "the registration code was already used");
  }
  const std::string device_id = registration->device_id;
  json device = {{"@odata.type", "#microsoft.graph.device"},
                 {"id", device_id},
                 {"deviceId", device_id},
                 {"displayName", display_name.empty()
                                     ? "Device " + device_id.substr(0, 8)
                                     : display_name},
                 {"operatingSystem", os},
                 {"operatingSystemVersion", os_version},
                 {"trustType", "Workplace"},
                 {"accountEnabled", true},
                 {"isManaged", false},
                 {"registrationDateTime", core::FormatIsoDateTime(now)},
                 {"registeredOwnerId", code->user_id},
                 {"gatehouseDeviceKey",
                  {{"jwk", json::parse(registration->public_key.Jwk())},
                   {"thumbprint", registration->key_thumbprint}}}};
  auto put = ctx.store->Put(
      store::ObjectKind::kDevice, device_id, device.dump(),
      store::AuditEntry{"user:" + code->user_id, "Register device", "Device",
                        "success",
                        json{{"requestId", request.request_id}}.dump()},
      0);
  if (!put.ok())
    return http::ProblemFor(put.status());
  (void)ctx.tenant->Refresh();
  HttpResponse response =
      HttpResponse::Json(201, json{{"deviceId", device_id},
                                   {"trustType", "Workplace"},
                                   {"registeredOwnerId", code->user_id}}
                                  .dump());
  response.SetHeader("Location", "/v1.0/devices/" + device_id);
  return response;
}

// ---- demo relying party
// ------------------------------------------------------------------------

HttpResponse SignInServer::Impl::DemoHome(HttpRequest &) {
  std::string body =
      "<h1 id=\"headline\">Gatehouse demo app</h1>"
      "<p>This app is an OpenID Connect client of this Gatehouse server. Its "
      "Conditional Access "
      "policies require multi-factor authentication and a compliant device.</p>"
      "<p><a id=\"demo-sign-in\" href=\"/demo/app/login\">Sign in</a></p>";
  return Html(200, html::Layout("Demo app", "demo-home", body));
}

HttpResponse SignInServer::Impl::DemoLogin(HttpRequest &) {
  Impl::DemoFlow flow{crypto::RandomToken(48), crypto::RandomToken(16), Now()};
  std::string state = crypto::RandomToken(16);
  {
    std::lock_guard lock(mu);
    for (auto it = demo_flows.begin(); it != demo_flows.end();) {
      if (Now() >= it->second.created + kPendingMax) {
        demo_flows.erase(it++);
      } else {
        ++it;
      }
    }
    if (demo_flows.size() < kMaxPending)
      demo_flows[state] = flow;
  }
  std::string location =
      AppendQuery(std::string(idp::kAuthorizationPath),
                  {{"client_id", kDemoAppId},
                   {"redirect_uri", Issuer() + "/demo/app/callback"},
                   {"response_type", "code"},
                   {"scope", "openid profile email offline_access"},
                   {"state", state},
                   {"nonce", flow.nonce},
                   {"code_challenge", idp::PkceS256Challenge(flow.verifier)},
                   {"code_challenge_method", "S256"}});
  HttpResponse response{302, {}, ""};
  response.SetHeader("Location", location);
  response.SetHeader("Cache-Control", "no-store");
  response.headers.emplace_back("Set-Cookie",
                                "gh_demo_state=" + state +
                                    "; Path=/demo/app; HttpOnly; SameSite=Lax" +
                                    (ctx.tls ? "; Secure" : ""));
  return response;
}

HttpResponse SignInServer::Impl::DemoCallback(HttpRequest &request) {
  auto q = [&](const char *name) -> std::string {
    auto it = request.query.find(name);
    return it == request.query.end() ? "" : it->second;
  };
  const std::string state = q("state");
  auto cookies = Cookies(request);
  std::optional<DemoFlow> flow;
  {
    std::lock_guard lock(mu);
    auto it = demo_flows.find(state);
    if (it != demo_flows.end() && cookies["gh_demo_state"] == state) {
      flow = it->second;
      demo_flows.erase(it);
    }
  }
  if (!flow) {
    return ErrorPage(request, 400, "demo_state",
                     "The demo app did not start this sign-in",
                     "Unknown or reused state: start again at /demo/app.");
  }
  if (!q("error").empty()) {
    return ErrorPage(request, 400, q("error"), "Sign-in to the demo app failed",
                     q("error_description"));
  }
  std::map<std::string, std::string> form = {
      {"grant_type", "authorization_code"},
      {"code", q("code")},
      {"redirect_uri", Issuer() + "/demo/app/callback"},
      {"code_verifier", flow->verifier},
      {"client_id", kDemoAppId}};
  TokenResult tokens = Token(form, "", request);
  if (tokens.status != 200) {
    return ErrorPage(request, 400, tokens.body.value("error", "token_error"),
                     "The demo app could not redeem the code",
                     tokens.body.value("error_description", ""));
  }
  auto claims = VerifyJwt(tokens.body.value("id_token", ""));
  if (!claims || claims->value("aud", "") != kDemoAppId ||
      claims->value("nonce", "") != flow->nonce) {
    return ErrorPage(
        request, 400, "invalid_id_token", "The demo app refused the ID token",
        "signature, issuer, audience, expiry or nonce did not verify");
  }
  auto text = [](const json &v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  std::string body =
      "<h1 id=\"headline\">Signed in to the Gatehouse demo app</h1>"
      "<p>The ID token below verified against this server's JWKS (ES256), "
      "issuer, "
      "audience, expiry and nonce.</p><dl>";
  for (const char *claim : {"sub", "preferred_username", "name", "amr",
                            "deviceid", "auth_time", "sid"}) {
    body +=
        "<dt>" + std::string(claim) + "</dt><dd id=\"claim-" + claim + "\">" +
        html::Escape(claims->contains(claim) ? text((*claims)[claim]) : "") +
        "</dd>";
  }
  body += "</dl><h2>ID token claims</h2><pre id=\"id-token-claims\">" +
          html::Escape(claims->dump(2)) + "</pre>";
  body += "<p class=\"note\">A refresh token was issued: <span "
          "id=\"has-refresh-token\">" +
          std::string(tokens.body.contains("refresh_token") ? "yes" : "no") +
          "</span></p>"
          "<p><a href=\"/demo/app/login\">Sign in again</a></p>";
  return Html(200, html::Layout("Demo app", "demo-app", body));
}

// ---- public class
// ------------------------------------------------------------------------------

SignInServer::SignInServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
SignInServer::~SignInServer() = default;

absl::StatusOr<std::unique_ptr<SignInServer>>
SignInServer::Create(SignInServerContext context) {
  auto impl = std::make_unique<Impl>(std::move(context));
  auto ring = LoadOrCreateKeyRing(*impl->ctx.store, impl->Now());
  if (!ring.ok())
    return ring.status();
  if (absl::Status s =
          impl->InstallKeys(std::move(ring->ring), ring->serialized);
      !s.ok())
    return s;
  return std::unique_ptr<SignInServer>(new SignInServer(std::move(impl)));
}

void SignInServer::SetIssuer(const std::string &issuer) {
  std::lock_guard lock(impl_->issuer_mu);
  impl_->issuer = issuer;
}

std::string SignInServer::Issuer() const { return impl_->Issuer(); }

absl::Status SignInServer::ReloadKeys() { return impl_->ReloadKeys(); }

// The routes are literals (tests/docs/check_openapi.mjs reads them); they are
// the discovery paths.
static_assert(idp::kDiscoveryPath == "/.well-known/openid-configuration");
static_assert(idp::kJwksPath == "/.well-known/jwks.json");
static_assert(idp::kAuthorizationPath == "/authorize");
static_assert(idp::kTokenPath == "/token");
static_assert(idp::kUserInfoPath == "/userinfo");

void SignInServer::Register(http::Router &router) {
  Impl *impl = impl_.get();
  router.Add("GET", "/.well-known/openid-configuration", [impl](HttpRequest &) {
    auto doc = idp::OpenIdProviderMetadata(impl->Issuer());
    if (!doc.ok())
      return http::ProblemFor(doc.status());
    HttpResponse r = HttpResponse::Json(200, *doc);
    r.SetHeader("Cache-Control", "public, max-age=3600");
    r.SetHeader("Access-Control-Allow-Origin", "*");
    return r;
  });
  router.Add("GET", "/.well-known/jwks.json", [impl](HttpRequest &) {
    auto state = impl->keys.load();
    HttpResponse r = HttpResponse::Json(
        200, state ? state->ring.PublishedJwks(impl->Now()) : "{\"keys\":[]}");
    r.SetHeader("Content-Type", "application/jwk-set+json");
    r.SetHeader("Cache-Control", "public, max-age=3600");
    r.SetHeader("Access-Control-Allow-Origin", "*");
    return r;
  });
  router.Add("GET", "/authorize", [impl](HttpRequest &r) {
    impl->UseForwardedFor(r);
    return impl->Authorize(r);
  });
  router.Add("POST", "/token", [impl](HttpRequest &r) {
    impl->UseForwardedFor(r);
    std::string type = core::AsciiLower(r.Header("content-type"));
    if (type.find("application/x-www-form-urlencoded") == std::string::npos) {
      return impl->TokenError(
          r, 400, "invalid_request",
          "the token request must be application/x-www-form-urlencoded",
          900144);
    }
    auto form = ParseForm(r.body);
    Impl::TokenResult result = impl->Token(form, r.Header("authorization"), r);
    HttpResponse response =
        HttpResponse::Json(result.status, result.body.dump());
    response.SetHeader("Cache-Control", "no-store");
    response.SetHeader("Pragma", "no-cache");
    if (result.basic_challenge)
      response.SetHeader("WWW-Authenticate", "Basic realm=\"gatehouse\"");
    return response;
  });
  router.Add("GET", "/userinfo",
             [impl](HttpRequest &r) { return impl->UserInfo(r); });
  router.Add("POST", "/userinfo",
             [impl](HttpRequest &r) { return impl->UserInfo(r); });
  router.Add("GET", "/idp/signin", [impl](HttpRequest &r) {
    impl->UseForwardedFor(r);
    return impl->SignInGet(r);
  });
  router.Add("POST", "/idp/signin", [impl](HttpRequest &r) {
    impl->UseForwardedFor(r);
    return impl->SignInPost(r);
  });
  router.Add("POST", "/idp/signin/continue", [impl](HttpRequest &r) {
    impl->UseForwardedFor(r);
    return impl->ContinuePost(r);
  });
  router.Add("POST", "/idp/mfa", [impl](HttpRequest &r) {
    impl->UseForwardedFor(r);
    return impl->MfaPost(r);
  });
  router.Add("POST", "/v1.0/gatehouse/deviceRegistrationCodes",
             [impl](HttpRequest &r) { return impl->RegistrationCodes(r); });
  router.Add("POST", "/idp/v1/deviceRegistrations/nonce",
             [impl](HttpRequest &r) { return impl->RegistrationNonce(r); });
  router.Add("POST", "/idp/v1/deviceRegistrations",
             [impl](HttpRequest &r) { return impl->Register(r); });
  if (impl->ctx.demo_app) {
    router.Add("GET", "/demo/app",
               [impl](HttpRequest &r) { return impl->DemoHome(r); });
    router.Add("GET", "/demo/app/login",
               [impl](HttpRequest &r) { return impl->DemoLogin(r); });
    router.Add("GET", "/demo/app/callback",
               [impl](HttpRequest &r) { return impl->DemoCallback(r); });
  }
}

} // namespace gatehouse::app
