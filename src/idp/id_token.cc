#include "idp/id_token.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/iso_time.h"
#include "nlohmann/json.hpp"

namespace gatehouse::idp {
namespace {

using OrderedJson = nlohmann::ordered_json;

std::string Dump(const OrderedJson& value) {
  return value.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

absl::Status CheckCommon(const std::string& issuer, const std::string& subject,
                         const std::string& audience, absl::Time issued_at, absl::Duration lifetime,
                         absl::Time auth_time) {
  if (issuer.empty() || subject.empty() || audience.empty()) {
    return absl::InvalidArgumentError("token claims: issuer, subject and audience are required");
  }
  if (issued_at == absl::InfinitePast() || issued_at == absl::InfiniteFuture() ||
      auth_time == absl::InfinitePast() || auth_time == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("token claims: issued_at and auth_time are required");
  }
  if (lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("token claims: lifetime must be positive");
  }
  return absl::OkStatus();
}

std::string NewKeyId(absl::Time now) {
  // Date for people reading a JWKS, random part for uniqueness.
  return absl::FormatTime("%Y%m%d", now, absl::UTCTimeZone()) + "-" + crypto::RandomToken(6);
}

const char* StateName(KeyState state) {
  switch (state) {
    case KeyState::kActive:
      return "active";
    case KeyState::kNext:
      return "next";
    case KeyState::kRetired:
      return "retired";
  }
  return "retired";
}

}  // namespace

absl::StatusOr<std::string> BuildIdTokenClaims(const IdTokenClaims& claims) {
  if (absl::Status status = CheckCommon(claims.issuer, claims.subject, claims.audience,
                                        claims.issued_at, claims.lifetime, claims.auth_time);
      !status.ok()) {
    return status;
  }
  OrderedJson out;
  out["iss"] = claims.issuer;
  out["sub"] = claims.subject;
  out["aud"] = claims.audience;
  out["exp"] = absl::ToUnixSeconds(claims.issued_at + claims.lifetime);
  out["iat"] = absl::ToUnixSeconds(claims.issued_at);
  out["auth_time"] = absl::ToUnixSeconds(claims.auth_time);
  if (claims.nonce.has_value()) out["nonce"] = *claims.nonce;
  out["amr"] = claims.amr;
  if (claims.acr.has_value()) out["acr"] = *claims.acr;
  if (claims.device_id.has_value()) out["deviceid"] = *claims.device_id;
  if (claims.session_id.has_value()) out["sid"] = *claims.session_id;
  if (claims.name.has_value()) out["name"] = *claims.name;
  if (claims.preferred_username.has_value()) {
    out["preferred_username"] = *claims.preferred_username;
  }
  if (claims.email.has_value()) out["email"] = *claims.email;
  return Dump(out);
}

absl::StatusOr<std::string> BuildAccessTokenClaims(const AccessTokenClaims& claims) {
  if (absl::Status status = CheckCommon(claims.issuer, claims.subject, claims.audience,
                                        claims.issued_at, claims.lifetime, claims.auth_time);
      !status.ok()) {
    return status;
  }
  if (claims.client_id.empty()) {
    return absl::InvalidArgumentError("token claims: client_id is required");
  }
  OrderedJson out;
  out["iss"] = claims.issuer;
  out["sub"] = claims.subject;
  out["aud"] = claims.audience;
  out["client_id"] = claims.client_id;
  out["scope"] = claims.scope;
  out["exp"] = absl::ToUnixSeconds(claims.issued_at + claims.lifetime);
  out["iat"] = absl::ToUnixSeconds(claims.issued_at);
  out["jti"] = claims.jwt_id.empty() ? crypto::RandomToken(16) : claims.jwt_id;
  out["auth_time"] = absl::ToUnixSeconds(claims.auth_time);
  out["amr"] = claims.amr;
  if (claims.device_id.has_value()) out["deviceid"] = *claims.device_id;
  if (claims.session_id.has_value()) out["sid"] = *claims.session_id;
  return Dump(out);
}

absl::StatusOr<KeyRing> KeyRing::Create(absl::Time now, KeyRingOptions options) {
  KeyRing ring(options);
  for (const KeyState state : {KeyState::kActive, KeyState::kNext}) {
    absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::Generate(NewKeyId(now));
    if (!key.ok()) return key.status();
    ring.entries_.push_back(KeyRingEntry{*std::move(key), state, now, absl::InfiniteFuture()});
  }
  return ring;
}

absl::StatusOr<KeyRing> KeyRing::Restore(std::string_view json, KeyRingOptions options) {
  const nlohmann::json doc =
      nlohmann::json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return absl::InvalidArgumentError("key ring: not a JSON object");
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || version->get<int>() != 1) {
    return absl::InvalidArgumentError("key ring: unsupported version");
  }
  const auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) {
    return absl::InvalidArgumentError("key ring: keys must be an array");
  }
  KeyRing ring(options);
  std::set<std::string> kids;
  int active = 0;
  int next = 0;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    const nlohmann::json& item = (*keys)[i];
    const std::string where = "key ring: /keys/" + std::to_string(i) + ": ";
    if (!item.is_object()) return absl::InvalidArgumentError(where + "not an object");
    const auto text = [&item](const char* name) -> std::optional<std::string> {
      const auto it = item.find(name);
      if (it == item.end() || !it->is_string()) return std::nullopt;
      return it->get<std::string>();
    };
    const std::optional<std::string> kid = text("kid");
    const std::optional<std::string> state_name = text("state");
    const std::optional<std::string> created_text = text("created");
    const std::optional<std::string> pem = text("privateKeyPem");
    if (!kid || !state_name || !created_text || !pem) {
      return absl::InvalidArgumentError(where + "kid, state, created and privateKeyPem required");
    }
    if (!kids.insert(*kid).second) {
      return absl::InvalidArgumentError(where + "duplicate kid \"" + *kid + "\"");
    }
    absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::FromPem(*kid, *pem);
    if (!key.ok()) return absl::InvalidArgumentError(where + std::string(key.status().message()));
    KeyRingEntry entry{*std::move(key), KeyState::kNext, absl::InfinitePast(),
                       absl::InfiniteFuture()};
    if (*state_name == "active") {
      entry.state = KeyState::kActive;
      ++active;
    } else if (*state_name == "next") {
      entry.state = KeyState::kNext;
      ++next;
    } else if (*state_name == "retired") {
      entry.state = KeyState::kRetired;
      const std::optional<std::string> until = text("publishUntil");
      if (!until) return absl::InvalidArgumentError(where + "retired key without publishUntil");
      absl::StatusOr<absl::Time> parsed = core::ParseIsoDateTime(*until);
      if (!parsed.ok()) return absl::InvalidArgumentError(where + "bad publishUntil");
      entry.publish_until = *parsed;
    } else {
      return absl::InvalidArgumentError(where + "unknown state \"" + *state_name + "\"");
    }
    absl::StatusOr<absl::Time> created = core::ParseIsoDateTime(*created_text);
    if (!created.ok()) return absl::InvalidArgumentError(where + "bad created");
    entry.created = *created;
    ring.entries_.push_back(std::move(entry));
  }
  if (active != 1 || next != 1) {
    return absl::InvalidArgumentError("key ring: exactly one active and one next key required");
  }
  return ring;
}

std::string KeyRing::Serialize() const {
  OrderedJson keys = OrderedJson::array();
  for (const KeyRingEntry& entry : entries_) {
    OrderedJson item;
    item["kid"] = entry.key.key_id();
    item["state"] = StateName(entry.state);
    item["created"] = core::FormatIsoDateTime(entry.created);
    if (entry.state == KeyState::kRetired) {
      item["publishUntil"] = core::FormatIsoDateTime(entry.publish_until);
    }
    item["privateKeyPem"] = entry.key.PrivatePem();
    keys.push_back(std::move(item));
  }
  OrderedJson doc;
  doc["version"] = 1;
  doc["keys"] = std::move(keys);
  return Dump(doc);
}

std::size_t KeyRing::IndexOf(KeyState state) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].state == state) return i;
  }
  return entries_.size();  // Unreachable: Create and Restore guarantee one active and one next.
}

const crypto::SigningKey& KeyRing::active() const {
  return entries_[IndexOf(KeyState::kActive)].key;
}
const crypto::SigningKey& KeyRing::next() const { return entries_[IndexOf(KeyState::kNext)].key; }

absl::StatusOr<std::string> KeyRing::Sign(std::string_view claims_json) const {
  return active().SignJwt(claims_json);
}

absl::Status KeyRing::Rotate(absl::Time now) {
  const KeyRingEntry& next_entry = entries_[IndexOf(KeyState::kNext)];
  if (now < next_entry.created + options_.min_next_publication) {
    return absl::FailedPreconditionError(
        "key ring: the next key has been published since " +
        core::FormatIsoDateTime(next_entry.created) + "; it may be activated from " +
        core::FormatIsoDateTime(next_entry.created + options_.min_next_publication));
  }
  absl::StatusOr<crypto::SigningKey> fresh = crypto::SigningKey::Generate(NewKeyId(now));
  if (!fresh.ok()) return fresh.status();
  KeyRingEntry& active_entry = entries_[IndexOf(KeyState::kActive)];
  active_entry.state = KeyState::kRetired;
  active_entry.publish_until = now + options_.max_token_lifetime + options_.clock_skew;
  entries_[IndexOf(KeyState::kNext)].state = KeyState::kActive;
  entries_.push_back(KeyRingEntry{*std::move(fresh), KeyState::kNext, now, absl::InfiniteFuture()});
  PurgeExpired(now);
  return absl::OkStatus();
}

absl::Status KeyRing::ReplaceCompromisedActive(absl::Time now) {
  absl::StatusOr<crypto::SigningKey> fresh = crypto::SigningKey::Generate(NewKeyId(now));
  if (!fresh.ok()) return fresh.status();
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(IndexOf(KeyState::kActive)));
  entries_[IndexOf(KeyState::kNext)].state = KeyState::kActive;
  entries_.push_back(KeyRingEntry{*std::move(fresh), KeyState::kNext, now, absl::InfiniteFuture()});
  PurgeExpired(now);
  return absl::OkStatus();
}

std::vector<std::string> KeyRing::PublishedKeyIds(absl::Time now) const {
  std::vector<std::string> ids;
  for (const KeyState state : {KeyState::kActive, KeyState::kNext, KeyState::kRetired}) {
    for (const KeyRingEntry& entry : entries_) {
      if (entry.state != state) continue;
      if (state == KeyState::kRetired && now >= entry.publish_until) continue;
      ids.push_back(entry.key.key_id());
    }
  }
  return ids;
}

std::string KeyRing::PublishedJwks(absl::Time now) const {
  OrderedJson keys = OrderedJson::array();
  for (const std::string& kid : PublishedKeyIds(now)) {
    for (const KeyRingEntry& entry : entries_) {
      if (entry.key.key_id() == kid) {
        const std::string jwk = entry.key.PublicJwk();
        OrderedJson parsed = OrderedJson::parse(jwk, nullptr, /*allow_exceptions=*/false);
        if (parsed.is_object()) keys.push_back(std::move(parsed));
      }
    }
  }
  OrderedJson doc;
  doc["keys"] = std::move(keys);
  return Dump(doc);
}

void KeyRing::PurgeExpired(absl::Time now) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [now](const KeyRingEntry& entry) {
                                  return entry.state == KeyState::kRetired &&
                                         now >= entry.publish_until;
                                }),
                 entries_.end());
}

}  // namespace gatehouse::idp
