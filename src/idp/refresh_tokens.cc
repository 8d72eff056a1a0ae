#include "idp/refresh_tokens.h"

#include <algorithm>
#include <utility>

#include "crypto/crypto.h"

namespace gatehouse::idp {

InMemoryRefreshTokenStore::InMemoryRefreshTokenStore(RefreshTokenOptions options)
    : options_(options) {}

IssuedRefreshToken InMemoryRefreshTokenStore::IssueLocked(const std::string& family_id,
                                                          Family& family, absl::Time now) {
  std::string token = crypto::RandomToken(32);
  std::string hash = crypto::Sha256Hex(token);
  family_of_[hash] = family_id;
  family.token_hashes.push_back(hash);
  family.current_hash = std::move(hash);
  family.last_used = now;
  return IssuedRefreshToken{std::move(token), family_id, family.grant,
                            std::min(now + options_.idle_timeout, family.ends)};
}

absl::StatusOr<IssuedRefreshToken> InMemoryRefreshTokenStore::StartFamily(RefreshGrant grant,
                                                                          absl::Time now) {
  if (grant.client_id.empty() || grant.user_id.empty()) {
    return absl::InvalidArgumentError("refresh token: client_id and user_id are required");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (families_.size() >= options_.max_families) PurgeExpiredLocked(now);
  if (families_.size() >= options_.max_families) {
    return absl::ResourceExhaustedError("refresh token: too many live token families");
  }
  std::string family_id = "rtf_" + crypto::RandomToken(16);
  Family& family = families_[family_id];
  family.grant = std::move(grant);
  family.ends = now + options_.absolute_lifetime;
  return IssueLocked(family_id, family, now);
}

absl::StatusOr<IssuedRefreshToken> InMemoryRefreshTokenStore::Rotate(std::string_view token,
                                                                     std::string_view client_id,
                                                                     absl::Time now) {
  const std::string hash = crypto::Sha256Hex(token);
  std::lock_guard<std::mutex> lock(mutex_);
  const auto owner = family_of_.find(hash);
  if (owner == family_of_.end()) {
    return absl::PermissionDeniedError("refresh token is unknown or expired");
  }
  const std::string family_id = owner->second;
  Family& family = families_.at(family_id);
  if (family.revoked) {
    return absl::PermissionDeniedError("refresh token family was revoked");
  }
  if (family.grant.client_id != client_id) {
    family.revoked = true;
    return absl::PermissionDeniedError(
        "refresh token was issued to another client; its family is revoked");
  }
  if (family.current_hash != hash) {
    family.revoked = true;
    return absl::PermissionDeniedError(
        "refresh token was already used (reuse detected); its family is revoked");
  }
  if (now >= family.ends) {
    return absl::PermissionDeniedError("refresh token family has expired; sign in again");
  }
  if (now >= family.last_used + options_.idle_timeout) {
    return absl::PermissionDeniedError("refresh token has not been used for too long");
  }
  return IssueLocked(family_id, family, now);
}

absl::Status InMemoryRefreshTokenStore::RevokeToken(std::string_view token,
                                                    std::string_view client_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto owner = family_of_.find(crypto::Sha256Hex(token));
  if (owner == family_of_.end()) return absl::OkStatus();
  Family& family = families_.at(owner->second);
  if (family.grant.client_id != client_id) {
    return absl::PermissionDeniedError("refresh token was issued to another client");
  }
  family.revoked = true;
  return absl::OkStatus();
}

absl::Status InMemoryRefreshTokenStore::RevokeFamily(std::string_view family_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = families_.find(std::string(family_id));
  if (it == families_.end()) return absl::NotFoundError("refresh token family not found");
  it->second.revoked = true;
  return absl::OkStatus();
}

std::size_t InMemoryRefreshTokenStore::RevokeUser(std::string_view user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t count = 0;
  for (auto& [id, family] : families_) {
    if (!family.revoked && family.grant.user_id == user_id) {
      family.revoked = true;
      ++count;
    }
  }
  return count;
}

std::size_t InMemoryRefreshTokenStore::RevokeDevice(std::string_view device_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t count = 0;
  for (auto& [id, family] : families_) {
    if (!family.revoked && family.grant.device_id.has_value() &&
        *family.grant.device_id == device_id) {
      family.revoked = true;
      ++count;
    }
  }
  return count;
}

void InMemoryRefreshTokenStore::PurgeExpired(absl::Time now) {
  std::lock_guard<std::mutex> lock(mutex_);
  PurgeExpiredLocked(now);
}

void InMemoryRefreshTokenStore::PurgeExpiredLocked(absl::Time now) {
  for (auto it = families_.begin(); it != families_.end();) {
    if (now >= it->second.ends) {
      for (const std::string& hash : it->second.token_hashes) family_of_.erase(hash);
      families_.erase(it++);
    } else {
      ++it;
    }
  }
}

std::size_t InMemoryRefreshTokenStore::family_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return families_.size();
}

}  // namespace gatehouse::idp
