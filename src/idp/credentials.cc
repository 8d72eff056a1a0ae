#include "idp/credentials.h"

#include <semaphore>

#include "core/iso_time.h"
#include "crypto/crypto.h"
#include "idp/totp.h"
#include "nlohmann/json.hpp"

namespace gatehouse::idp {
namespace {

using nlohmann::json;
using store::ObjectKind;

const store::AuditEntry kQuiet{};

// argon2id costs ~30 ms and ~19 MiB: at most two at once, whatever the request
// rate.
std::counting_semaphore<2> hashing_slots(2);

bool VerifyBounded(std::string_view secret, std::string_view hash) {
  hashing_slots.acquire();
  bool ok = crypto::VerifySecret(secret, hash);
  hashing_slots.release();
  return ok;
}

absl::StatusOr<std::string> HashBounded(std::string_view secret) {
  hashing_slots.acquire();
  auto hash = crypto::HashSecret(secret);
  hashing_slots.release();
  return hash;
}

std::string UserKey(const std::string &user_id) { return "user:" + user_id; }
std::string AppKey(const std::string &app_id) { return "app:" + app_id; }

struct Loaded {
  json doc = json::object();
  std::int64_t version = 0; // 0: absent
};

Loaded Load(store::Store &store, const std::string &id) {
  Loaded loaded;
  auto object = store.Get(ObjectKind::kCredential, id);
  if (!object.ok() || !object->has_value())
    return loaded;
  json doc = json::parse((*object)->body, nullptr, false);
  if (doc.is_object())
    loaded.doc = std::move(doc);
  loaded.version = (*object)->version;
  return loaded;
}

// Read-modify-write with compare-and-swap, retried a few times.
template <typename Change>
absl::Status Update(store::Store &store, const std::string &id, Change change) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    Loaded loaded = Load(store, id);
    absl::Status changed = change(loaded.doc);
    if (!changed.ok())
      return changed;
    auto put = store.Put(ObjectKind::kCredential, id, loaded.doc.dump(), kQuiet,
                         loaded.version);
    if (put.ok())
      return absl::OkStatus();
    if (put.status().code() != absl::StatusCode::kFailedPrecondition)
      return put.status();
  }
  return absl::AbortedError("credential '" + id + "' keeps changing; retry");
}

std::string NewKeyId() {
  std::string hex = crypto::Sha256Hex(crypto::RandomToken(16)).substr(0, 32);
  hex[12] = '4';
  hex[16] = "89ab"[hex[16] % 4];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) +
         "-" + hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

} // namespace

absl::Status ValidatePassword(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return absl::InvalidArgumentError("the password must have at least " +
                                      std::to_string(kMinPasswordLength) +
                                      " characters");
  }
  if (password.size() > kMaxPasswordLength) {
    return absl::InvalidArgumentError("the password must have at most " +
                                      std::to_string(kMaxPasswordLength) +
                                      " characters");
  }
  return absl::OkStatus();
}

CredentialStore::CredentialStore(store::Store &store) : store_(store) {
  auto hash = crypto::HashSecret(crypto::RandomToken(16));
  dummy_hash_ = hash.ok() ? *hash : "";
}

absl::Status CredentialStore::SetUserPassword(const std::string &user_id,
                                              std::string_view password,
                                              absl::Time now) {
  if (absl::Status valid = ValidatePassword(password); !valid.ok())
    return valid;
  auto hash = HashBounded(password);
  if (!hash.ok())
    return hash.status();
  return Update(store_, UserKey(user_id), [&](json &doc) {
    doc["passwordHash"] = *hash;
    doc["passwordSetDateTime"] = core::FormatIsoDateTime(now);
    return absl::OkStatus();
  });
}

bool CredentialStore::VerifyUserPassword(const std::string &user_id,
                                         std::string_view password) {
  // The same store read for unknown accounts (an id no user has), so timing
  // stays alike.
  Loaded loaded =
      Load(store_, UserKey(user_id.empty() ? "\x01unknown" : user_id));
  std::string hash =
      user_id.empty() ? "" : loaded.doc.value("passwordHash", "");
  if (hash.empty()) {
    (void)VerifyBounded(password, dummy_hash_); // same cost as a real check
    return false;
  }
  return VerifyBounded(password, hash);
}

bool CredentialStore::HasPassword(const std::string &user_id) {
  return !Load(store_, UserKey(user_id)).doc.value("passwordHash", "").empty();
}

std::optional<TotpEnrollment>
CredentialStore::GetTotp(const std::string &user_id) {
  Loaded loaded = Load(store_, UserKey(user_id));
  auto it = loaded.doc.find("totp");
  if (it == loaded.doc.end() || !it->is_object())
    return std::nullopt;
  auto secret = Base32Decode(it->value("secret", ""));
  if (!secret.ok() || secret->empty())
    return std::nullopt;
  TotpEnrollment enrollment{*secret, std::nullopt};
  if (it->contains("lastStep") && (*it)["lastStep"].is_number_integer()) {
    enrollment.last_step = (*it)["lastStep"].get<std::int64_t>();
  }
  return enrollment;
}

absl::Status CredentialStore::SetTotp(const std::string &user_id,
                                      std::string_view secret,
                                      std::int64_t step, absl::Time now) {
  return Update(store_, UserKey(user_id), [&](json &doc) {
    doc["totp"] = {{"secret", Base32Encode(secret)},
                   {"lastStep", step},
                   {"enrolledDateTime", core::FormatIsoDateTime(now)}};
    return absl::OkStatus();
  });
}

absl::Status CredentialStore::AcceptTotpStep(const std::string &user_id,
                                             std::int64_t step) {
  return Update(store_, UserKey(user_id), [&](json &doc) {
    if (!doc.contains("totp") || !doc["totp"].is_object()) {
      return absl::FailedPreconditionError("no TOTP enrolment");
    }
    json &totp = doc["totp"];
    if (totp.contains("lastStep") && totp["lastStep"].is_number_integer() &&
        totp["lastStep"].get<std::int64_t>() >= step) {
      return absl::FailedPreconditionError("this code was already used");
    }
    totp["lastStep"] = step;
    return absl::OkStatus();
  });
}

absl::Status CredentialStore::DeleteUser(const std::string &user_id) {
  absl::Status s =
      store_.Delete(ObjectKind::kCredential, UserKey(user_id), kQuiet);
  return s.code() == absl::StatusCode::kNotFound ? absl::OkStatus() : s;
}

absl::StatusOr<ClientSecret>
CredentialStore::AddClientSecret(const std::string &app_id,
                                 const std::string &display_name,
                                 absl::Time now, absl::Duration lifetime) {
  ClientSecret secret;
  secret.key_id = NewKeyId();
  secret.display_name = display_name;
  secret.secret_text = crypto::RandomToken(30);
  secret.hint = secret.secret_text.substr(0, 3);
  secret.start = now;
  secret.end = now + lifetime;
  auto hash = HashBounded(secret.secret_text);
  if (!hash.ok())
    return hash.status();
  absl::Status s = Update(store_, AppKey(app_id), [&](json &doc) {
    if (!doc.contains("secrets") || !doc["secrets"].is_array())
      doc["secrets"] = json::array();
    if (doc["secrets"].size() >= 10) {
      return absl::FailedPreconditionError(
          "an application holds at most 10 secrets");
    }
    doc["secrets"].push_back(
        {{"keyId", secret.key_id},
         {"displayName", display_name},
         {"hint", secret.hint},
         {"hash", *hash},
         {"startDateTime", core::FormatIsoDateTime(secret.start)},
         {"endDateTime", core::FormatIsoDateTime(secret.end)}});
    return absl::OkStatus();
  });
  if (!s.ok())
    return s;
  return secret;
}

absl::Status CredentialStore::RemoveClientSecret(const std::string &app_id,
                                                 const std::string &key_id) {
  return Update(store_, AppKey(app_id), [&](json &doc) {
    json kept = json::array();
    bool found = false;
    for (const auto &s : doc.value("secrets", json::array())) {
      if (s.value("keyId", "") == key_id) {
        found = true;
      } else {
        kept.push_back(s);
      }
    }
    if (!found)
      return absl::NotFoundError("no secret with keyId '" + key_id + "'");
    doc["secrets"] = kept;
    return absl::OkStatus();
  });
}

std::vector<ClientSecret>
CredentialStore::ClientSecrets(const std::string &app_id) {
  std::vector<ClientSecret> out;
  Loaded loaded = Load(store_, AppKey(app_id));
  for (const auto &s : loaded.doc.value("secrets", json::array())) {
    ClientSecret secret;
    secret.key_id = s.value("keyId", "");
    secret.display_name = s.value("displayName", "");
    secret.hint = s.value("hint", "");
    auto start = core::ParseIsoDateTime(s.value("startDateTime", ""));
    auto end = core::ParseIsoDateTime(s.value("endDateTime", ""));
    secret.start = start.ok() ? *start : absl::InfinitePast();
    secret.end = end.ok() ? *end : absl::InfinitePast();
    out.push_back(std::move(secret));
  }
  return out;
}

bool CredentialStore::VerifyClientSecret(const std::string &app_id,
                                         std::string_view secret,
                                         absl::Time now) {
  Loaded loaded = Load(store_, AppKey(app_id));
  bool checked = false, ok = false;
  for (const auto &s : loaded.doc.value("secrets", json::array())) {
    auto end = core::ParseIsoDateTime(s.value("endDateTime", ""));
    if (!end.ok() || now >= *end)
      continue;
    checked = true;
    if (VerifyBounded(secret, s.value("hash", ""))) {
      ok = true;
      break;
    }
  }
  if (!checked)
    (void)VerifyBounded(secret, dummy_hash_);
  return ok;
}

absl::Status CredentialStore::DeleteClient(const std::string &app_id) {
  absl::Status s =
      store_.Delete(ObjectKind::kCredential, AppKey(app_id), kQuiet);
  return s.code() == absl::StatusCode::kNotFound ? absl::OkStatus() : s;
}

} // namespace gatehouse::idp
