// Shared pieces of the UEM unit tests: a temp directory, a settable clock, a device key, policies.
#pragma once

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "crypto/crypto.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "uem/uem_service.h"

namespace gatehouse::uem::testing {

using nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "gatehouse_uem_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class FakeClock {
 public:
  absl::Time Now() const {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z
};

inline json PublicJwk() {
  auto key = crypto::SigningKey::Generate("device");
  EXPECT_TRUE(key.ok());
  json jwk = json::parse(key->PublicJwk());
  jwk.erase("kid");
  return jwk;
}

// Linux policy: firewall and encryption required; `grace_hours` before the device is marked.
inline json LinuxPolicy(const std::string& id, int grace_hours, bool wipe = false) {
  json actions = json::array();
  if (grace_hours > 0) {
    actions.push_back({{"action", "notifyUser"}, {"delayHours", 0}, {"markNonCompliant", false}});
    actions.push_back({{"action", "markNonCompliant"}, {"delayHours", grace_hours}});
  } else if (wipe) {
    actions.push_back({{"action", "enterpriseWipe"}, {"delayHours", 0}});
  }
  return {{"id", id},
          {"displayName", "Linux baseline"},
          {"platform", "Linux"},
          {"rules", json::array({{{"name", "firewall"}, {"key", "firewallEnabled"}, {"operator", "equals"}, {"value", true}},
                                 {{"name", "encryption"}, {"key", "storageEncrypted"}, {"operator", "equals"}, {"value", true}}})},
          {"actions", actions}};
}

inline json AllDevices() {
  return {{"assignments", json::array({{{"target", {{"@odata.type", "#microsoft.graph.allDevicesAssignmentTarget"}}}}})}};
}

inline json Posture(bool firewall, bool encrypted) {
  return {{"operatingSystem", "Linux"}, {"osVersion", "6.1.0"},
          {"firewallEnabled", firewall}, {"storageEncrypted", encrypted}};
}

inline json CheckInBody(std::int64_t sequence, bool firewall, bool encrypted) {
  return {{"sequence", sequence}, {"posture", Posture(firewall, encrypted)}};
}

}  // namespace gatehouse::uem::testing
