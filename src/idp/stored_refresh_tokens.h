// RefreshTokenStore on the durable store (store kind kRefreshTokenFamily):
// refresh token families survive a restart and are shared by every node on the
// same store.
//
// One stored object per family, id = family id, body
//   {"grant": {...}, "ends", "lastUsed", "current": "<sha256 hex>", "used":
//   ["<sha256 hex>"...],
//    "revoked": bool}
// Tokens are "<family id>.<256-bit random>", so a presented token names its
// family; the store keeps only SHA-256 hashes. Rotation is a compare-and-swap
// on the object version: of two concurrent uses of one token, one rotates and
// the other reads as reuse (the family is revoked), which is exactly what two
// holders of one token deserve.
//
// Same behaviour contract as InMemoryRefreshTokenStore
// (tests/idp/refresh_tokens_test.cc runs against both). Thread-safe (the store
// is). `max_families` is checked against a count kept in memory from the store
// at construction.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "idp/refresh_tokens.h"
#include "store/store.h"

namespace gatehouse::idp {

class StoredRefreshTokenStore final : public RefreshTokenStore {
public:
  StoredRefreshTokenStore(store::Store &store,
                          RefreshTokenOptions options = {});

  absl::StatusOr<IssuedRefreshToken> StartFamily(RefreshGrant grant,
                                                 absl::Time now) override;
  absl::StatusOr<IssuedRefreshToken> Rotate(std::string_view token,
                                            std::string_view client_id,
                                            absl::Time now) override;
  absl::Status RevokeToken(std::string_view token,
                           std::string_view client_id) override;
  absl::Status RevokeFamily(std::string_view family_id) override;
  std::size_t RevokeUser(std::string_view user_id) override;
  std::size_t RevokeDevice(std::string_view device_id) override;
  void PurgeExpired(absl::Time now) override;
  std::size_t family_count() const override;

private:
  store::Store &store_;
  const RefreshTokenOptions options_;
  mutable std::atomic<std::int64_t> count_{-1}; // -1: not counted yet
};

} // namespace gatehouse::idp
