#include "idp/stored_refresh_tokens.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "crypto/crypto.h"
#include "nlohmann/json.hpp"

namespace gatehouse::idp {
namespace {

using nlohmann::json;
using store::ObjectKind;

// Families are system state: never in the directory audit log.
const store::AuditEntry kQuiet{};

struct Family {
  RefreshGrant grant;
  absl::Time ends, last_used;
  std::string current;
  std::vector<std::string> used;
  bool revoked = false;
  std::int64_t version = 0;
};

json GrantToJson(const RefreshGrant &g) {
  json methods = json::array();
  for (const auto &m : g.auth_methods)
    methods.push_back(m);
  return {{"clientId", g.client_id},
          {"userId", g.user_id},
          {"scope", g.scope},
          {"deviceId", g.device_id ? json(*g.device_id) : json(nullptr)},
          {"authMethods", methods},
          {"authTime", absl::ToUnixMicros(g.auth_time)},
          {"sessionId", g.session_id},
          {"clientAppType", g.client_app_type},
          {"platform", g.platform}};
}

RefreshGrant GrantFromJson(const json &j) {
  RefreshGrant g;
  g.client_id = j.value("clientId", "");
  g.user_id = j.value("userId", "");
  g.scope = j.value("scope", "");
  if (j.contains("deviceId") && j["deviceId"].is_string())
    g.device_id = j["deviceId"].get<std::string>();
  if (j.contains("authMethods") && j["authMethods"].is_array()) {
    for (const auto &m : j["authMethods"]) {
      if (m.is_string())
        g.auth_methods.push_back(m.get<std::string>());
    }
  }
  g.auth_time = absl::FromUnixMicros(j.value("authTime", std::int64_t{0}));
  g.session_id = j.value("sessionId", "");
  g.client_app_type = j.value("clientAppType", "");
  g.platform = j.value("platform", "");
  return g;
}

std::string Serialize(const Family &f) {
  return json{{"grant", GrantToJson(f.grant)},
              {"ends", absl::ToUnixMicros(f.ends)},
              {"lastUsed", absl::ToUnixMicros(f.last_used)},
              {"current", f.current},
              {"used", f.used},
              {"revoked", f.revoked}}
      .dump();
}

std::optional<Family> Parse(const store::StoredObject &object) {
  json j = json::parse(object.body, nullptr, false);
  if (!j.is_object() || !j.contains("grant") || !j["grant"].is_object())
    return std::nullopt;
  Family f;
  f.grant = GrantFromJson(j["grant"]);
  f.ends = absl::FromUnixMicros(j.value("ends", std::int64_t{0}));
  f.last_used = absl::FromUnixMicros(j.value("lastUsed", std::int64_t{0}));
  f.current = j.value("current", "");
  if (j.contains("used") && j["used"].is_array()) {
    for (const auto &h : j["used"]) {
      if (h.is_string())
        f.used.push_back(h.get<std::string>());
    }
  }
  f.revoked = j.value("revoked", false);
  f.version = object.version;
  return f;
}

// "<family>.<secret>" → family id, or "" when the token has no family part.
std::string FamilyOf(std::string_view token) {
  auto dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 64)
    return "";
  return std::string(token.substr(0, dot));
}

absl::StatusOr<std::optional<Family>> Load(store::Store &store,
                                           const std::string &family_id) {
  if (family_id.empty())
    return std::optional<Family>();
  auto object = store.Get(ObjectKind::kRefreshTokenFamily, family_id);
  if (!object.ok())
    return object.status();
  if (!object->has_value())
    return std::optional<Family>();
  auto family = Parse(**object);
  if (!family)
    return absl::DataLossError("refresh token family '" + family_id +
                               "' is unreadable");
  return family;
}

// Marks the family revoked (compare-and-swap, retried while others write it).
void Revoke(store::Store &store, const std::string &family_id) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto family = Load(store, family_id);
    if (!family.ok() || !family->has_value() || (*family)->revoked)
      return;
    (*family)->revoked = true;
    if (store
            .Put(ObjectKind::kRefreshTokenFamily, family_id,
                 Serialize(**family), kQuiet, (*family)->version)
            .ok()) {
      return;
    }
  }
}

} // namespace

StoredRefreshTokenStore::StoredRefreshTokenStore(store::Store &store,
                                                 RefreshTokenOptions options)
    : store_(store), options_(options) {}

std::size_t StoredRefreshTokenStore::family_count() const {
  auto all = store_.List(ObjectKind::kRefreshTokenFamily);
  std::int64_t n = all.ok() ? static_cast<std::int64_t>(all->size()) : 0;
  count_.store(n);
  return static_cast<std::size_t>(n);
}

absl::StatusOr<IssuedRefreshToken>
StoredRefreshTokenStore::StartFamily(RefreshGrant grant, absl::Time now) {
  if (grant.client_id.empty() || grant.user_id.empty()) {
    return absl::InvalidArgumentError(
        "refresh token: client_id and user_id are required");
  }
  if (count_.load() < 0)
    family_count();
  if (static_cast<std::size_t>(count_.load()) >= options_.max_families)
    PurgeExpired(now);
  if (static_cast<std::size_t>(count_.load()) >= options_.max_families) {
    return absl::ResourceExhaustedError(
        "refresh token: too many live token families");
  }
  Family family;
  family.grant = std::move(grant);
  family.ends = now + options_.absolute_lifetime;
  family.last_used = now;
  const std::string family_id = "rtf_" + crypto::RandomToken(16);
  std::string token = family_id + "." + crypto::RandomToken(32);
  family.current = crypto::Sha256Hex(token);
  auto put = store_.Put(ObjectKind::kRefreshTokenFamily, family_id,
                        Serialize(family), kQuiet, 0);
  if (!put.ok())
    return put.status();
  count_.fetch_add(1);
  return IssuedRefreshToken{std::move(token), family_id, family.grant,
                            std::min(now + options_.idle_timeout, family.ends)};
}

absl::StatusOr<IssuedRefreshToken>
StoredRefreshTokenStore::Rotate(std::string_view token,
                                std::string_view client_id, absl::Time now) {
  const std::string family_id = FamilyOf(token);
  const std::string hash = crypto::Sha256Hex(token);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto loaded = Load(store_, family_id);
    if (!loaded.ok())
      return loaded.status();
    if (!loaded->has_value())
      return absl::PermissionDeniedError("refresh token is unknown or expired");
    Family &family = **loaded;
    const bool known = family.current == hash ||
                       std::find(family.used.begin(), family.used.end(),
                                 hash) != family.used.end();
    if (!known)
      return absl::PermissionDeniedError("refresh token is unknown or expired");
    if (family.revoked)
      return absl::PermissionDeniedError("refresh token family was revoked");
    if (family.grant.client_id != client_id) {
      Revoke(store_, family_id);
      return absl::PermissionDeniedError(
          "refresh token was issued to another client; its family is revoked");
    }
    if (family.current != hash) {
      Revoke(store_, family_id);
      return absl::PermissionDeniedError(
          "refresh token was already used (reuse detected); its family is "
          "revoked");
    }
    if (now >= family.ends) {
      return absl::PermissionDeniedError(
          "refresh token family has expired; sign in again");
    }
    if (now >= family.last_used + options_.idle_timeout) {
      return absl::PermissionDeniedError(
          "refresh token has not been used for too long");
    }
    std::string next = family_id + "." + crypto::RandomToken(32);
    family.used.push_back(family.current);
    family.current = crypto::Sha256Hex(next);
    family.last_used = now;
    auto put = store_.Put(ObjectKind::kRefreshTokenFamily, family_id,
                          Serialize(family), kQuiet, family.version);
    if (put.ok()) {
      return IssuedRefreshToken{
          std::move(next), family_id, family.grant,
          std::min(now + options_.idle_timeout, family.ends)};
    }
    if (put.status().code() != absl::StatusCode::kFailedPrecondition)
      return put.status();
    // Someone else wrote the family meanwhile: read again (a concurrent use of
    // this very token now reads as reuse).
  }
  return absl::AbortedError("refresh token: the family keeps changing; retry");
}

absl::Status StoredRefreshTokenStore::RevokeToken(std::string_view token,
                                                  std::string_view client_id) {
  const std::string family_id = FamilyOf(token);
  auto loaded = Load(store_, family_id);
  if (!loaded.ok())
    return loaded.status();
  if (!loaded->has_value())
    return absl::OkStatus();
  const Family &family = **loaded;
  const std::string hash = crypto::Sha256Hex(token);
  if (family.current != hash &&
      std::find(family.used.begin(), family.used.end(), hash) ==
          family.used.end()) {
    return absl::OkStatus(); // not a token of this family: unknown (RFC 7009
                             // §2.2)
  }
  if (family.grant.client_id != client_id) {
    return absl::PermissionDeniedError(
        "refresh token was issued to another client");
  }
  Revoke(store_, family_id);
  return absl::OkStatus();
}

absl::Status StoredRefreshTokenStore::RevokeFamily(std::string_view family_id) {
  auto loaded = Load(store_, std::string(family_id));
  if (!loaded.ok())
    return loaded.status();
  if (!loaded->has_value())
    return absl::NotFoundError("refresh token family not found");
  Revoke(store_, std::string(family_id));
  return absl::OkStatus();
}

namespace {
template <typename Match>
std::size_t RevokeMatching(store::Store &store, Match match) {
  auto all = store.List(ObjectKind::kRefreshTokenFamily);
  if (!all.ok())
    return 0;
  std::size_t count = 0;
  for (const auto &object : *all) {
    auto family = Parse(object);
    if (!family || family->revoked || !match(family->grant))
      continue;
    Revoke(store, object.id);
    ++count;
  }
  return count;
}
} // namespace

std::size_t StoredRefreshTokenStore::RevokeUser(std::string_view user_id) {
  return RevokeMatching(
      store_, [&](const RefreshGrant &g) { return g.user_id == user_id; });
}

std::size_t StoredRefreshTokenStore::RevokeDevice(std::string_view device_id) {
  return RevokeMatching(store_, [&](const RefreshGrant &g) {
    return g.device_id.has_value() && *g.device_id == device_id;
  });
}

void StoredRefreshTokenStore::PurgeExpired(absl::Time now) {
  auto all = store_.List(ObjectKind::kRefreshTokenFamily);
  if (!all.ok())
    return;
  std::int64_t left = static_cast<std::int64_t>(all->size());
  for (const auto &object : *all) {
    auto family = Parse(object);
    if (family && now < family->ends)
      continue;
    if (store_.Delete(ObjectKind::kRefreshTokenFamily, object.id, kQuiet).ok())
      --left;
  }
  count_.store(left);
}

} // namespace gatehouse::idp
