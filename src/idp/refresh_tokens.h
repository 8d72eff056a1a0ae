// Refresh tokens with rotation and reuse detection (OAuth 2.1 §4.3.1, OAuth 2.0 Security BCP
// RFC 9700 §4.14, RFC 6819 §5.2.2.3).
//
// A *family* is everything descended from one authorization code: the first refresh token and each
// token that replaced it. Every use rotates: the presented token stops being valid and a new one is
// returned. When a token that was already rotated away is presented again, either the client or an
// attacker holds a copy; the store cannot tell which, so it revokes the whole family and both must
// sign in again. A token presented by a client other than the one it was issued to is treated the
// same way (it can only have leaked).
//
// Lifetimes: a family ends `absolute_lifetime` after its sign-in whatever happens (the user
// re-authenticates at least that often), and a token unused for `idle_timeout` is refused. The
// caller re-evaluates Conditional Access on every refresh with the returned grant and calls
// RevokeFamily when CA now refuses (DESIGN §1.6: a device out of compliance loses its refresh).
//
// Tokens are 256-bit random strings; stores keep only their SHA-256 (crypto::Sha256Hex), so a copy
// of the store yields no usable token.
//
// RefreshTokenStore is the contract; InMemoryRefreshTokenStore implements it for a single node and
// for tests. A durable backend (store module) implements the same interface and must pass the same
// behaviour tests. All methods take an explicit `now`. Implementations are thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gatehouse::idp {

// What a refresh token lets its client obtain again: carried unchanged through rotations.
struct RefreshGrant {
  std::string client_id;
  std::string user_id;
  std::string scope;
  std::optional<std::string> device_id;
  std::vector<std::string> auth_methods;
  absl::Time auth_time = absl::InfinitePast();
  std::string session_id;
  // How the sign-in was made, for Conditional Access on refresh: CA client app type token
  // ("browser", "mobileAppsAndDesktopClients") and platform token ("windows", "linux", ...).
  std::string client_app_type;
  std::string platform;
};

struct RefreshTokenOptions {
  absl::Duration absolute_lifetime = absl::Hours(24 * 30);
  absl::Duration idle_timeout = absl::Hours(24 * 7);
  std::size_t max_families = 1000000;  // bound on memory; expired families are purged first
};

struct IssuedRefreshToken {
  std::string token;      // hand to the client; never stored
  std::string family_id;  // for logs and revocation
  RefreshGrant grant;
  // When this token stops working if unused: min(now + idle_timeout, family end).
  absl::Time expires = absl::InfinitePast();
};

class RefreshTokenStore {
 public:
  virtual ~RefreshTokenStore() = default;

  // Starts a family for a redeemed authorization code. InvalidArgument without client_id or
  // user_id; ResourceExhausted when the store is full of live families.
  virtual absl::StatusOr<IssuedRefreshToken> StartFamily(RefreshGrant grant, absl::Time now) = 0;

  // Exchanges the current token of a family for its successor. PermissionDenied (OAuth
  // invalid_grant) when the token is unknown, its family revoked, expired (absolute) or idle too
  // long, or when the token was already rotated or is presented by another client — these last two
  // also revoke the family.
  virtual absl::StatusOr<IssuedRefreshToken> Rotate(std::string_view token,
                                                    std::string_view client_id, absl::Time now) = 0;

  // RFC 7009 revocation of a refresh token: revokes its whole family. OK also for an unknown token
  // (RFC 7009 §2.2); PermissionDenied when the token belongs to another client (nothing revoked).
  virtual absl::Status RevokeToken(std::string_view token, std::string_view client_id) = 0;
  // NotFound for an unknown family.
  virtual absl::Status RevokeFamily(std::string_view family_id) = 0;
  // Revoke every live family of a user / of a device; return how many were revoked.
  virtual std::size_t RevokeUser(std::string_view user_id) = 0;
  virtual std::size_t RevokeDevice(std::string_view device_id) = 0;

  // Forgets families past their absolute lifetime (their tokens then read as unknown).
  virtual void PurgeExpired(absl::Time now) = 0;

  // Families held (revoked and idle ones included until purged).
  virtual std::size_t family_count() const = 0;
};

class InMemoryRefreshTokenStore final : public RefreshTokenStore {
 public:
  explicit InMemoryRefreshTokenStore(RefreshTokenOptions options = {});

  absl::StatusOr<IssuedRefreshToken> StartFamily(RefreshGrant grant, absl::Time now) override;
  absl::StatusOr<IssuedRefreshToken> Rotate(std::string_view token, std::string_view client_id,
                                            absl::Time now) override;
  absl::Status RevokeToken(std::string_view token, std::string_view client_id) override;
  absl::Status RevokeFamily(std::string_view family_id) override;
  std::size_t RevokeUser(std::string_view user_id) override;
  std::size_t RevokeDevice(std::string_view device_id) override;
  void PurgeExpired(absl::Time now) override;
  std::size_t family_count() const override;

 private:
  struct Family {
    RefreshGrant grant;
    absl::Time ends;       // absolute end
    absl::Time last_used;  // issue time of the current token
    std::string current_hash;
    std::vector<std::string> token_hashes;  // every token ever issued in the family
    bool revoked = false;
  };
  IssuedRefreshToken IssueLocked(const std::string& family_id, Family& family, absl::Time now);
  void PurgeExpiredLocked(absl::Time now);

  const RefreshTokenOptions options_;
  mutable std::mutex mutex_;
  absl::flat_hash_map<std::string, Family> families_;        // guarded by mutex_
  absl::flat_hash_map<std::string, std::string> family_of_;  // token hash → family id; mutex_
};

}  // namespace gatehouse::idp
