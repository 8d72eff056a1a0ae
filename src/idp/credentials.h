// Secrets of the sign-in server, kept out of directory objects: user passwords
// (argon2id), the users' TOTP secrets and last accepted steps, and OIDC client
// secrets (argon2id). Stored as store kind kCredential ("user:<user id>",
// "app:<appId>") so that user and application bodies, the admin API's answers
// and `gatehouse export` never carry them.
//
// Password and secret checks always cost one argon2id verification, against a
// dummy hash when the account or client is unknown or has no password, so
// timing does not reveal which accounts exist. At most two argon2id
// computations run at once (each costs ~19 MiB); other callers wait.
//
// Thread-safe (the store is; TOTP step updates are compare-and-swap).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace gatehouse::idp {

inline constexpr std::size_t kMinPasswordLength = 8;
inline constexpr std::size_t kMaxPasswordLength = 256;

// InvalidArgument when `password` is shorter than 8 or longer than 256
// characters.
absl::Status ValidatePassword(std::string_view password);

struct TotpEnrollment {
  std::string secret; // raw bytes
  std::optional<std::int64_t> last_step;
};

struct ClientSecret {
  std::string key_id; // GUID
  std::string display_name;
  std::string hint; // first 3 characters, as Graph shows
  absl::Time start, end;
  std::string secret_text; // only in AddClientSecret's answer; never stored
};

class CredentialStore {
public:
  explicit CredentialStore(store::Store &store);

  // Hashes and stores the password (replacing any previous one). Errors as
  // ValidatePassword.
  absl::Status SetUserPassword(const std::string &user_id,
                               std::string_view password, absl::Time now);
  // True when the user has a password and `password` matches it. `user_id`
  // empty = unknown account: the check still costs one argon2id verification
  // and answers false.
  bool VerifyUserPassword(const std::string &user_id,
                          std::string_view password);
  bool HasPassword(const std::string &user_id);

  std::optional<TotpEnrollment> GetTotp(const std::string &user_id);
  absl::Status SetTotp(const std::string &user_id, std::string_view secret,
                       std::int64_t step, absl::Time now);
  // Records `step` as the last accepted one; FailedPrecondition when a step at
  // or after it was already accepted (a concurrent use of the same code).
  absl::Status AcceptTotpStep(const std::string &user_id, std::int64_t step);

  // Forgets every credential of the user (user deleted).
  absl::Status DeleteUser(const std::string &user_id);

  // Graph addPassword: a new random secret valid `lifetime` from now.
  absl::StatusOr<ClientSecret>
  AddClientSecret(const std::string &app_id, const std::string &display_name,
                  absl::Time now,
                  absl::Duration lifetime = absl::Hours(24 * 365 * 2));
  // NotFound when no secret has that key id.
  absl::Status RemoveClientSecret(const std::string &app_id,
                                  const std::string &key_id);
  // Metadata of the client's secrets (no secret text).
  std::vector<ClientSecret> ClientSecrets(const std::string &app_id);
  // True when one unexpired secret of the client matches. Always one argon2id
  // verification per stored secret at least one (a dummy one for clients
  // without secrets).
  bool VerifyClientSecret(const std::string &app_id, std::string_view secret,
                          absl::Time now);
  absl::Status DeleteClient(const std::string &app_id);

private:
  store::Store &store_;
  std::string dummy_hash_;
};

} // namespace gatehouse::idp
