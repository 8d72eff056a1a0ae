#include "idp/authorization_codes.h"

#include <utility>

#include "absl/status/status.h"
#include "crypto/crypto.h"
#include "idp/pkce.h"

namespace gatehouse::idp {

AuthorizationCodeStore::AuthorizationCodeStore(AuthorizationCodeOptions options)
    : options_(options) {}

absl::StatusOr<std::string> AuthorizationCodeStore::Issue(AuthorizationGrant grant,
                                                          absl::Time now) {
  if (grant.client_id.empty() || grant.redirect_uri.empty() || grant.code_challenge.empty() ||
      grant.user_id.empty()) {
    return absl::InvalidArgumentError(
        "authorization code: client_id, redirect_uri, code_challenge and user_id are required");
  }
  std::string code = crypto::RandomToken(32);
  std::lock_guard<std::mutex> lock(mutex_);
  if (by_hash_.size() >= options_.max_outstanding) PurgeExpiredLocked(now);
  if (by_hash_.size() >= options_.max_outstanding) {
    return absl::ResourceExhaustedError("authorization code: too many codes outstanding");
  }
  by_hash_[crypto::Sha256Hex(code)] = Entry{std::move(grant), now + options_.lifetime};
  return code;
}

absl::StatusOr<AuthorizationGrant> AuthorizationCodeStore::Redeem(std::string_view code,
                                                                  std::string_view client_id,
                                                                  std::string_view redirect_uri,
                                                                  std::string_view code_verifier,
                                                                  absl::Time now) {
  Entry entry;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = by_hash_.find(crypto::Sha256Hex(code));
    if (it == by_hash_.end()) {
      return absl::PermissionDeniedError("authorization code is unknown, already used or expired");
    }
    entry = std::move(it->second);
    by_hash_.erase(it);  // Single use: gone whatever the outcome below.
  }
  if (now >= entry.expires) {
    return absl::PermissionDeniedError("authorization code has expired");
  }
  if (entry.grant.client_id != client_id) {
    return absl::PermissionDeniedError("authorization code was issued to another client");
  }
  if (entry.grant.redirect_uri != redirect_uri) {
    return absl::PermissionDeniedError(
        "redirect_uri does not match the one of the authorization request");
  }
  if (absl::Status pkce = VerifyPkceS256(code_verifier, entry.grant.code_challenge); !pkce.ok()) {
    return pkce;
  }
  return std::move(entry.grant);
}

std::size_t AuthorizationCodeStore::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return by_hash_.size();
}

void AuthorizationCodeStore::PurgeExpired(absl::Time now) {
  std::lock_guard<std::mutex> lock(mutex_);
  PurgeExpiredLocked(now);
}

void AuthorizationCodeStore::PurgeExpiredLocked(absl::Time now) {
  absl::erase_if(by_hash_, [now](const auto& item) { return now >= item.second.expires; });
}

}  // namespace gatehouse::idp
