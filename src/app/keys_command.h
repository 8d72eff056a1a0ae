// The ID-token signing key ring in the store (kind kSigningKey, id
// kIdTokenKeyRingId, body idp::KeyRing::Serialize()) and `gatehouse keys
// list|rotate [--data-dir DIR]`.
//
// A rotation done by the CLI is a store write; a running server follows the
// store's version and reloads the ring (SignInServer::ReloadKeys), so the
// rotation takes effect without a restart.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idp/id_token.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace gatehouse::app {

inline constexpr const char *kIdTokenKeyRingId = "idp-key-ring";

struct StoredKeyRing {
  idp::KeyRing ring;
  std::string serialized; // as stored
  std::int64_t version = 0;
};

// Reads the ring; creates and stores a new one (active + next) when there is
// none.
absl::StatusOr<StoredKeyRing>
LoadOrCreateKeyRing(store::Store &store, absl::Time now,
                    idp::KeyRingOptions options = {});

// `keys list` and `keys rotate` (with --emergency for
// ReplaceCompromisedActive).
void AddKeysCommands(CLI::App &root, int &exit_code);

} // namespace gatehouse::app
