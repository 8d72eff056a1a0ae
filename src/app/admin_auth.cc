#include "app/admin_auth.h"

#include <algorithm>
#include <semaphore>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/iso_time.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

using nlohmann::json;

// argon2id costs ~30 ms and ~19 MiB; at most two run at once whatever the request rate.
std::counting_semaphore<2> hashing_slots(2);

bool VerifySecretBounded(std::string_view secret, std::string_view hash) {
  hashing_slots.acquire();
  bool ok = crypto::VerifySecret(secret, hash);
  hashing_slots.release();
  return ok;
}

std::string PercentDecode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%' && i + 2 < in.size() && absl::ascii_isxdigit(in[i + 1]) &&
               absl::ascii_isxdigit(in[i + 2])) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> fields;
  for (absl::string_view pair : absl::StrSplit(absl::string_view(body.data(), body.size()), '&')) {
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = PercentDecode(std::string(pair.substr(0, eq)));
    std::string value = eq == absl::string_view::npos ? "" : PercentDecode(std::string(pair.substr(eq + 1)));
    fields[key] = value;
  }
  return fields;
}

std::vector<std::string> SplitScopes(const std::string& text) {
  std::vector<std::string> scopes;
  for (absl::string_view s : absl::StrSplit(text, absl::ByAnyChar(" ,"), absl::SkipEmpty())) {
    scopes.emplace_back(s);
  }
  return scopes;
}

}  // namespace

const std::vector<std::string>& KnownAdminScopes() {
  static const auto* scopes = new std::vector<std::string>{
      "Policy.Read.ConditionalAccess", "Policy.ReadWrite.ConditionalAccess", "Directory.Read.All",
      "Directory.ReadWrite.All",       "AuditLog.Read.All",                  "Metrics.Read.All",
      // UEM admin API (docs/uem.md) and the partner compliance API (a partner client holds only
      // DeviceCompliance.ReadWrite.Partner).
      "DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All",
      "DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All",
      "DeviceCompliance.ReadWrite.Partner",
      // Identity Protection (docs/risk.md §8): risky users, confirm compromised / dismiss.
      "IdentityRiskyUser.Read.All", "IdentityRiskyUser.ReadWrite.All",
  };
  return *scopes;
}

bool ScopeAllows(const std::vector<std::string>& granted, const std::string& required) {
  for (const std::string& scope : granted) {
    if (scope == required) return true;
    // X.ReadWrite.Y includes X.Read.Y
    std::string read = scope;
    if (auto pos = read.find(".ReadWrite."); pos != std::string::npos) {
      read.replace(pos, 11, ".Read.");
      if (read == required) return true;
    }
  }
  return false;
}

AdminAuthority::AdminAuthority(store::Store& store, std::string issuer, absl::Duration lifetime)
    : store_(store), issuer_(std::move(issuer)), token_lifetime_(lifetime) {}

absl::Status AdminAuthority::Initialize() {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  auto stored = store_.List(store::ObjectKind::kSigningKey);
  if (!stored.ok()) return stored.status();
  keys_.clear();
  verifier_ = crypto::JwtVerifier();
  {
    std::lock_guard<std::mutex> cache_lock(cache_mutex_);
    verified_.clear();
  }
  std::vector<store::StoredObject> objects = std::move(*stored);
  std::sort(objects.begin(), objects.end(),
            [](const auto& a, const auto& b) { return a.modified < b.modified; });
  for (const auto& object : objects) {
    // The OIDC ID-token key ring (app/keys_command.h) shares the kind; it is not an admin key.
    if (object.id == "idp-key-ring") continue;
    json doc = json::parse(object.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("privateKeyPem") || !doc["privateKeyPem"].is_string()) {
      return absl::DataLossError("signing key '" + object.id + "' is unreadable");
    }
    auto key = crypto::SigningKey::FromPem(object.id, doc["privateKeyPem"].get<std::string>());
    if (!key.ok()) return key.status();
    keys_.push_back(std::move(*key));
  }
  if (keys_.empty()) {
    auto key = crypto::SigningKey::Generate(crypto::RandomToken(12));
    if (!key.ok()) return key.status();
    json doc = {{"kid", key->key_id()}, {"privateKeyPem", key->PrivatePem()}, {"use", "adminTokens"}};
    auto put = store_.Put(store::ObjectKind::kSigningKey, key->key_id(), doc.dump(), store::AuditEntry{});
    if (!put.ok()) return put.status();
    keys_.push_back(std::move(*key));
  }
  for (const auto& key : keys_) {
    if (auto status = verifier_.AddJwk(key.PublicJwk()); !status.ok()) return status;
  }
  auto hash = crypto::HashSecret(crypto::RandomToken(16));
  if (!hash.ok()) return hash.status();
  dummy_hash_ = *hash;
  return absl::OkStatus();
}

absl::StatusOr<std::string> AdminAuthority::CreateClient(const std::string& client_id,
                                                         const std::string& display_name,
                                                         const std::vector<std::string>& scopes,
                                                         const std::string& actor) {
  for (const auto& scope : scopes) {
    if (std::find(KnownAdminScopes().begin(), KnownAdminScopes().end(), scope) ==
        KnownAdminScopes().end()) {
      return absl::InvalidArgumentError("unknown scope '" + scope + "'");
    }
  }
  std::string secret = crypto::RandomToken(32);
  auto hash = crypto::HashSecret(secret);
  if (!hash.ok()) return hash.status();
  json doc = {{"clientId", client_id}, {"displayName", display_name}, {"secretHash", *hash},
              {"scopes", scopes}};
  store::AuditEntry audit{actor, "Add admin client", "ApplicationManagement", "success",
                          json{{"clientId", client_id}, {"scopes", scopes}}.dump()};
  auto put = store_.Put(store::ObjectKind::kAdminClient, client_id, doc.dump(), audit, 0);
  if (!put.ok()) return put.status();
  return secret;
}

absl::StatusOr<bool> AdminAuthority::HasClients() {
  auto clients = store_.List(store::ObjectKind::kAdminClient);
  if (!clients.ok()) return clients.status();
  return !clients->empty();
}

AdminAuthority::TokenResult AdminAuthority::IssueToken(const std::string& form_body,
                                                       const std::string& authorization,
                                                       absl::Time now) {
  auto fail = [](int status, std::string error, std::string description) {
    return TokenResult{"", OAuthError{status, std::move(error), std::move(description)}};
  };
  auto form = ParseForm(form_body);
  if (form["grant_type"] != "client_credentials") {
    return fail(400, "unsupported_grant_type", "only grant_type=client_credentials is supported here");
  }
  std::string client_id = form["client_id"], secret = form["client_secret"];
  if (absl::StartsWithIgnoreCase(authorization, "Basic ")) {
    // Basic credentials are standard base64; map them onto the base64url alphabet.
    std::string text(absl::StripAsciiWhitespace(authorization.substr(6)));
    std::replace(text.begin(), text.end(), '+', '-');
    std::replace(text.begin(), text.end(), '/', '_');
    while (!text.empty() && text.back() == '=') text.pop_back();
    auto decoded = crypto::Base64UrlDecode(text);
    if (decoded.ok()) {
      auto colon = decoded->find(':');
      if (colon != std::string::npos) {
        client_id = PercentDecode(decoded->substr(0, colon));
        secret = PercentDecode(decoded->substr(colon + 1));
      }
    }
  }
  if (client_id.empty() || secret.empty()) {
    return fail(401, "invalid_client", "client authentication failed");
  }
  auto stored = store_.Get(store::ObjectKind::kAdminClient, client_id);
  json client;
  if (stored.ok() && stored->has_value()) client = json::parse((*stored)->body, nullptr, false);
  bool known = client.is_object() && client.contains("secretHash") && client["secretHash"].is_string();
  bool verified = VerifySecretBounded(secret, known ? client["secretHash"].get<std::string>() : dummy_hash_);
  if (!known || !verified) return fail(401, "invalid_client", "client authentication failed");

  std::vector<std::string> allowed = client.value("scopes", std::vector<std::string>{});
  std::vector<std::string> granted;
  std::string requested = form["scope"];
  bool all = requested.empty() || absl::EndsWith(requested, ".default");
  if (all) {
    granted = allowed;
  } else {
    for (const std::string& scope : SplitScopes(requested)) {
      if (!ScopeAllows(allowed, scope)) {
        return fail(400, "invalid_scope", "scope '" + scope + "' is not granted to this client");
      }
      granted.push_back(scope);
    }
  }
  std::string scp;
  for (const auto& s : granted) scp += (scp.empty() ? "" : " ") + s;
  const std::int64_t iat = absl::ToUnixSeconds(now);
  const std::int64_t lifetime = absl::ToInt64Seconds(token_lifetime_);
  json claims = {{"iss", issuer_},  {"sub", client_id},           {"aud", kAdminAudience},
                 {"azp", client_id}, {"scp", scp},                {"iat", iat},
                 {"nbf", iat},       {"exp", iat + lifetime},     {"jti", crypto::RandomToken(12)}};
  std::string token;
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    auto signed_token = keys_.back().SignJwt(claims.dump());
    if (!signed_token.ok()) return fail(500, "server_error", "could not sign the token");
    token = *signed_token;
  }
  json response = {{"access_token", token}, {"token_type", "Bearer"}, {"expires_in", lifetime},
                   {"scope", scp}};
  return TokenResult{response.dump(), std::nullopt};
}

absl::StatusOr<AdminPrincipal> AdminAuthority::Authenticate(const std::string& authorization,
                                                            absl::Time now) const {
  if (!absl::StartsWithIgnoreCase(authorization, "Bearer ")) {
    return absl::UnauthenticatedError("a bearer token is required");
  }
  std::string token(absl::StripAsciiWhitespace(authorization.substr(7)));
  const std::int64_t t = absl::ToUnixSeconds(now);
  constexpr std::int64_t kSkew = 60;
  auto check_times = [&](const VerifiedToken& v) -> absl::StatusOr<AdminPrincipal> {
    if (v.expires + kSkew < t) return absl::UnauthenticatedError("the bearer token has expired");
    if (v.not_before - kSkew > t) return absl::UnauthenticatedError("the bearer token is not valid yet");
    return v.principal;
  };
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = verified_.find(token); it != verified_.end()) return check_times(it->second);
  }
  absl::StatusOr<std::string> payload;
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    payload = verifier_.Verify(token);
  }
  if (!payload.ok()) return absl::UnauthenticatedError("the bearer token is not valid");
  json claims = json::parse(*payload, nullptr, false);
  if (!claims.is_object()) return absl::UnauthenticatedError("the bearer token is not valid");
  if (claims.value("iss", "") != issuer_ || claims.value("aud", "") != kAdminAudience) {
    return absl::UnauthenticatedError("the bearer token was not issued for this API");
  }
  if (!claims.contains("exp") || !claims["exp"].is_number_integer()) {
    return absl::UnauthenticatedError("the bearer token has no expiry");
  }
  VerifiedToken verified;
  verified.expires = claims["exp"].get<std::int64_t>();
  if (claims.contains("nbf") && claims["nbf"].is_number_integer()) {
    verified.not_before = claims["nbf"].get<std::int64_t>();
  }
  verified.principal.client_id = claims.value("sub", "");
  verified.principal.scopes = SplitScopes(claims.value("scp", ""));
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (verified_.size() >= 10000) verified_.clear();
    verified_.emplace(token, verified);
  }
  return check_times(verified);
}

std::string AdminAuthority::Jwks() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  json keys = json::array();
  for (const auto& key : keys_) keys.push_back(json::parse(key.PublicJwk()));
  return json{{"keys", keys}}.dump();
}

}  // namespace gatehouse::app
