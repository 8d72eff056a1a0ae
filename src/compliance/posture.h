// Device posture: the flat JSON object a device reports at check-in (DESIGN §3.4, docs/posture.md).
// A key that is missing means "not reported"; every std::optional below is empty in that case, and
// no compliance check ever passes on a value that was not reported.
//
// Versions compare numerically part by part ("17.10" > "17.4.1"); Windows uses four parts
// ("10.0.22631.2861"). Apple build strings such as "21E236" split into numeric and letter runs
// ([21, E, 236]) so they order the way Apple numbers builds. securityPatchLevel is YYYY-MM-DD.
//
// Values are plain data, immutable once parsed, safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace gatehouse::compliance {

// Every posture key the engine knows. The order is fixed: it indexes bit masks.
enum class PostureKey : uint8_t {
  kDeviceId,
  kOperatingSystem,
  kOsVersion,
  kOsBuildVersion,
  kSecurityPatchLevel,
  kManufacturer,
  kModel,
  kOwnership,
  kJailBroken,
  kPasscodeSet,
  kPasscodeMinimumLength,
  kStorageEncrypted,
  kFirewallEnabled,
  kSecureBootEnabled,
  kBitLockerEnabled,
  kCodeIntegrityEnabled,
  kAntivirusEnabled,
  kAntiSpywareEnabled,
  kRealTimeProtectionEnabled,
  kSystemIntegrityProtectionEnabled,
  kThreatLevel,
  kInstalledApps,
  kUserPrincipalName,
  kObservedDateTime,
};
inline constexpr int kPostureKeyCount = 24;

enum class PostureKeyType : uint8_t {
  kString,
  kEnum,
  kVersion,
  kDate,
  kBool,
  kInt,
  kAppList,
  kTime
};

// JSON name of a key ("osVersion") and its type.
std::string_view PostureKeyName(PostureKey key);
PostureKeyType PostureKeyTypeOf(PostureKey key);
// Looks up a key by its JSON name (exact, case-sensitive).
std::optional<PostureKey> PostureKeyFromName(std::string_view name);
inline uint32_t PostureKeyBit(PostureKey key) { return uint32_t{1} << static_cast<int>(key); }

enum class OperatingSystem : uint8_t { kIos, kAndroid, kWindows, kMacOs, kLinux };
enum class Ownership : uint8_t { kCompany, kPersonal };
// Ordered from least to most dangerous; a policy's required level is the highest one allowed.
enum class ThreatLevel : uint8_t { kSecured, kLow, kMedium, kHigh };

std::string_view OperatingSystemName(OperatingSystem os);  // "iOS", "Android", ...
// Case-insensitive; "iPadOS" reads as iOS.
std::optional<OperatingSystem> ParseOperatingSystem(std::string_view text);
std::string_view OwnershipName(Ownership ownership);
std::optional<Ownership> ParseOwnership(std::string_view text);
std::string_view ThreatLevelName(ThreatLevel level);
std::optional<ThreatLevel> ParseThreatLevel(std::string_view text);

// A version as up to four numeric parts; missing trailing parts compare as 0 ("12" == "12.0").
struct Version {
  static constexpr int kMaxParts = 4;
  std::array<uint32_t, kMaxParts> parts{};
  uint8_t size = 0;

  // Accepts dotted numbers ("17.4.1", "10.0.22631.2861") and Apple build strings ("21E236");
  // letters runs become numbers (A=1 … Z=26, base 27 for longer runs, case-insensitive).
  static absl::StatusOr<Version> Parse(std::string_view text);
  std::string ToString() const;  // dotted form of the parts
};
// <0, 0, >0 like strcmp.
int CompareVersions(const Version& a, const Version& b);

// "YYYY-MM-DD" → civil day. Policies also write patch levels as "February 1, 2025"; the Intune
// codec accepts that form through ParsePatchLevel too.
absl::StatusOr<absl::CivilDay> ParsePatchLevel(std::string_view text);

struct VersionValue {
  Version version;
  std::string text;  // as reported, for explanations
};

struct InstalledApp {
  std::string id;
  std::string version;  // may be empty
};

struct Posture {
  std::string device_id;  // required: a check-in without one cannot be attributed
  std::optional<OperatingSystem> operating_system;
  std::optional<VersionValue> os_version;
  std::optional<VersionValue> os_build_version;
  std::optional<absl::CivilDay> security_patch_level;
  std::optional<std::string> manufacturer;
  std::optional<std::string> model;
  std::optional<Ownership> ownership;
  // Boolean keys from kJailBroken … kSystemIntegrityProtectionEnabled except
  // kPasscodeMinimumLength, indexed by BoolKeyIndex().
  std::array<std::optional<bool>, 11> bools;
  std::optional<int> passcode_minimum_length;
  std::optional<ThreatLevel> threat_level;
  std::optional<std::vector<InstalledApp>> installed_apps;
  std::optional<std::string> user_principal_name;
  std::optional<absl::Time> observed;

  bool Has(PostureKey key) const;
  std::optional<bool> GetBool(PostureKey key) const;
  void SetBool(PostureKey key, bool value);
  // The reported value rendered for explanations ("16.2", "true", "[com.a, com.b]"); "" if absent.
  std::string Describe(PostureKey key) const;
};

// Index of a boolean key in Posture::bools, or -1 when the key is not boolean.
int BoolKeyIndex(PostureKey key);

// Parses one posture object. `pointer` is the JSON pointer of `json` in its document and prefixes
// every error ("/value/2/osVersion: expected a version such as 17.4.1, got \"x\""). Unknown keys
// are ignored (check-ins carry extra fields such as assignedPolicyIds); null means not reported.
absl::StatusOr<Posture> ParsePosture(const nlohmann::json& json, const std::string& pointer = "");

}  // namespace gatehouse::compliance
