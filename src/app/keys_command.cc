#include "app/keys_command.h"

#include <filesystem>
#include <iostream>

#include "CLI/CLI.hpp"
#include "core/iso_time.h"
#include "nlohmann/json.hpp"

namespace gatehouse::app {
namespace {

const char *StateName(idp::KeyState state) {
  switch (state) {
  case idp::KeyState::kActive:
    return "active";
  case idp::KeyState::kNext:
    return "next";
  case idp::KeyState::kRetired:
    return "retired";
  }
  return "?";
}

} // namespace

absl::StatusOr<StoredKeyRing> LoadOrCreateKeyRing(store::Store &store,
                                                  absl::Time now,
                                                  idp::KeyRingOptions options) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto stored = store.Get(store::ObjectKind::kSigningKey, kIdTokenKeyRingId);
    if (!stored.ok())
      return stored.status();
    if (stored->has_value()) {
      auto ring = idp::KeyRing::Restore((*stored)->body, options);
      if (!ring.ok()) {
        return absl::DataLossError("stored ID-token key ring is unreadable: " +
                                   std::string(ring.status().message()));
      }
      return StoredKeyRing{std::move(*ring), (*stored)->body,
                           (*stored)->version};
    }
    auto ring = idp::KeyRing::Create(now, options);
    if (!ring.ok())
      return ring.status();
    std::string body = ring->Serialize();
    // Quiet (no audit record), like the admin token key: creation is part of
    // the first start.
    auto put = store.Put(store::ObjectKind::kSigningKey, kIdTokenKeyRingId,
                         body, store::AuditEntry{}, 0);
    if (put.ok())
      return StoredKeyRing{std::move(*ring), body, put->version};
    if (put.status().code() != absl::StatusCode::kFailedPrecondition)
      return put.status();
    // Another process created it meanwhile: read theirs.
  }
  return absl::AbortedError("the ID-token key ring keeps changing; retry");
}

void AddKeysCommands(CLI::App &root, int &exit_code) {
  auto data_dir = std::make_shared<std::string>("./gatehouse-data");
  auto emergency = std::make_shared<bool>(false);
  auto min_publication = std::make_shared<double>(24 * 3600);
  CLI::App *keys = root.add_subcommand("keys", "ID-token signing keys");
  keys->require_subcommand(1);
  CLI::App *list =
      keys->add_subcommand("list", "list the signing keys and their states");
  list->add_option("--data-dir", *data_dir, "embedded SQLite data folder");
  CLI::App *rotate =
      keys->add_subcommand("rotate", "activate the published next key, retire "
                                     "the active one, publish a new next key");
  rotate->add_option("--data-dir", *data_dir, "embedded SQLite data folder");
  rotate->add_flag("--emergency", *emergency,
                   "the active key is compromised: drop it at once (its tokens "
                   "stop verifying)");
  rotate->add_option(
      "--min-next-publication-seconds", *min_publication,
      "refuse unless the next key was published this long ago (default 86400)");

  auto print = [](const idp::KeyRing &ring) {
    for (const auto &entry : ring.entries()) {
      std::cout << entry.key.key_id() << "  " << StateName(entry.state)
                << "  created " << core::FormatIsoDateTime(entry.created);
      if (entry.state == idp::KeyState::kRetired) {
        std::cout << "  published until "
                  << core::FormatIsoDateTime(entry.publish_until);
      }
      std::cout << "\n";
    }
  };
  list->callback([data_dir, print, &exit_code] {
    auto store = store::OpenSqliteStore(*data_dir);
    if (!store.ok()) {
      std::cerr << "gatehouse keys list: " << store.status().message() << "\n";
      exit_code = 1;
      return;
    }
    auto ring = LoadOrCreateKeyRing(**store, absl::Now());
    if (!ring.ok()) {
      std::cerr << "gatehouse keys list: " << ring.status().message() << "\n";
      exit_code = 1;
      return;
    }
    print(ring->ring);
    exit_code = 0;
  });
  rotate->callback([data_dir, emergency, min_publication, print, &exit_code] {
    auto store = store::OpenSqliteStore(*data_dir);
    if (!store.ok()) {
      std::cerr << "gatehouse keys rotate: " << store.status().message()
                << "\n";
      exit_code = 1;
      return;
    }
    idp::KeyRingOptions options;
    options.min_next_publication = absl::Seconds(*min_publication);
    auto loaded = LoadOrCreateKeyRing(**store, absl::Now(), options);
    if (!loaded.ok()) {
      std::cerr << "gatehouse keys rotate: " << loaded.status().message()
                << "\n";
      exit_code = 1;
      return;
    }
    idp::KeyRing ring = loaded->ring;
    const absl::Time now = absl::Now();
    absl::Status rotated =
        *emergency ? ring.ReplaceCompromisedActive(now) : ring.Rotate(now);
    if (!rotated.ok()) {
      std::cerr << "gatehouse keys rotate: " << rotated.message() << "\n";
      exit_code = 1;
      return;
    }
    auto put = (*store)->Put(
        store::ObjectKind::kSigningKey, kIdTokenKeyRingId, ring.Serialize(),
        store::AuditEntry{"gatehouse keys rotate",
                          *emergency
                              ? "Replace compromised ID token signing key"
                              : "Rotate ID token signing keys",
                          "KeyManagement", "success",
                          nlohmann::json{{"activeKid", ring.active().key_id()},
                                         {"nextKid", ring.next().key_id()}}
                              .dump()},
        loaded->version);
    if (!put.ok()) {
      std::cerr << "gatehouse keys rotate: " << put.status().message() << "\n";
      exit_code = 1;
      return;
    }
    std::cout
        << "rotated; a running server picks the new ring up within seconds\n";
    print(ring);
    exit_code = 0;
  });
}

} // namespace gatehouse::app
