#include "compliance/posture.h"

#include <cctype>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "compliance/internal/text.h"
#include "core/iso_time.h"
#include "fmt/format.h"

namespace gatehouse::compliance {
namespace {

struct KeyInfo {
  PostureKey key;
  std::string_view name;
  PostureKeyType type;
};

constexpr std::array<KeyInfo, kPostureKeyCount> kKeys = {{
    {PostureKey::kDeviceId, "deviceId", PostureKeyType::kString},
    {PostureKey::kOperatingSystem, "operatingSystem", PostureKeyType::kEnum},
    {PostureKey::kOsVersion, "osVersion", PostureKeyType::kVersion},
    {PostureKey::kOsBuildVersion, "osBuildVersion", PostureKeyType::kVersion},
    {PostureKey::kSecurityPatchLevel, "securityPatchLevel", PostureKeyType::kDate},
    {PostureKey::kManufacturer, "manufacturer", PostureKeyType::kString},
    {PostureKey::kModel, "model", PostureKeyType::kString},
    {PostureKey::kOwnership, "ownership", PostureKeyType::kEnum},
    {PostureKey::kJailBroken, "jailBroken", PostureKeyType::kBool},
    {PostureKey::kPasscodeSet, "passcodeSet", PostureKeyType::kBool},
    {PostureKey::kPasscodeMinimumLength, "passcodeMinimumLength", PostureKeyType::kInt},
    {PostureKey::kStorageEncrypted, "storageEncrypted", PostureKeyType::kBool},
    {PostureKey::kFirewallEnabled, "firewallEnabled", PostureKeyType::kBool},
    {PostureKey::kSecureBootEnabled, "secureBootEnabled", PostureKeyType::kBool},
    {PostureKey::kBitLockerEnabled, "bitLockerEnabled", PostureKeyType::kBool},
    {PostureKey::kCodeIntegrityEnabled, "codeIntegrityEnabled", PostureKeyType::kBool},
    {PostureKey::kAntivirusEnabled, "antivirusEnabled", PostureKeyType::kBool},
    {PostureKey::kAntiSpywareEnabled, "antiSpywareEnabled", PostureKeyType::kBool},
    {PostureKey::kRealTimeProtectionEnabled, "realTimeProtectionEnabled", PostureKeyType::kBool},
    {PostureKey::kSystemIntegrityProtectionEnabled, "systemIntegrityProtectionEnabled",
     PostureKeyType::kBool},
    {PostureKey::kThreatLevel, "threatLevel", PostureKeyType::kEnum},
    {PostureKey::kInstalledApps, "installedApps", PostureKeyType::kAppList},
    {PostureKey::kUserPrincipalName, "userPrincipalName", PostureKeyType::kString},
    {PostureKey::kObservedDateTime, "observedDateTime", PostureKeyType::kTime},
}};

constexpr std::array<std::string_view, 5> kOsNames = {"iOS", "Android", "Windows", "macOS",
                                                      "Linux"};
constexpr std::array<std::string_view, 2> kOwnershipNames = {"company", "personal"};
constexpr std::array<std::string_view, 4> kThreatNames = {"secured", "low", "medium", "high"};

std::string Pointer(const std::string& base, std::string_view key) {
  return base + "/" + std::string(key);
}

absl::Status Invalid(const std::string& pointer, const std::string& message) {
  return absl::InvalidArgumentError(pointer.empty() ? message : pointer + ": " + message);
}

std::string Quote(const nlohmann::json& value) { return value.dump(); }

}  // namespace

std::string_view PostureKeyName(PostureKey key) { return kKeys[static_cast<int>(key)].name; }
PostureKeyType PostureKeyTypeOf(PostureKey key) { return kKeys[static_cast<int>(key)].type; }

std::optional<PostureKey> PostureKeyFromName(std::string_view name) {
  for (const KeyInfo& info : kKeys) {
    if (info.name == name) return info.key;
  }
  return std::nullopt;
}

std::string_view OperatingSystemName(OperatingSystem os) { return kOsNames[static_cast<int>(os)]; }

std::optional<OperatingSystem> ParseOperatingSystem(std::string_view text) {
  for (size_t i = 0; i < kOsNames.size(); ++i) {
    if (internal::EqualsIgnoreCase(text, kOsNames[i])) return static_cast<OperatingSystem>(i);
  }
  if (internal::EqualsIgnoreCase(text, "iPadOS")) return OperatingSystem::kIos;
  return std::nullopt;
}

std::string_view OwnershipName(Ownership ownership) {
  return kOwnershipNames[static_cast<int>(ownership)];
}

std::optional<Ownership> ParseOwnership(std::string_view text) {
  for (size_t i = 0; i < kOwnershipNames.size(); ++i) {
    if (internal::EqualsIgnoreCase(text, kOwnershipNames[i])) return static_cast<Ownership>(i);
  }
  return std::nullopt;
}

std::string_view ThreatLevelName(ThreatLevel level) {
  return kThreatNames[static_cast<int>(level)];
}

std::optional<ThreatLevel> ParseThreatLevel(std::string_view text) {
  for (size_t i = 0; i < kThreatNames.size(); ++i) {
    if (internal::EqualsIgnoreCase(text, kThreatNames[i])) return static_cast<ThreatLevel>(i);
  }
  return std::nullopt;
}

absl::StatusOr<Version> Version::Parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        fmt::format("expected a version such as 17.4.1 or 10.0.22631.2861, got \"{}\" ({})",
                    std::string(text.substr(0, 64)), why));
  };
  if (text.empty()) return bad("empty");
  if (text.size() > 64) return bad("too long");
  Version version;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '.') {
      if (i == 0 || i + 1 == text.size() || text[i + 1] == '.') return bad("empty part");
      ++i;
      continue;
    }
    if (version.size == kMaxParts) return bad("more than 4 parts");
    uint64_t value = 0;
    if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        value = value * 10 + static_cast<uint64_t>(text[i] - '0');
        if (value > std::numeric_limits<uint32_t>::max()) return bad("part too large");
        ++i;
      }
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      int letters = 0;
      while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) {
        if (++letters > 6) return bad("letter run too long");
        value = value * 27 + static_cast<uint64_t>(absl::ascii_toupper(text[i]) - 'A' + 1);
        ++i;
      }
    } else {
      return bad("unexpected character");
    }
    version.parts[version.size++] = static_cast<uint32_t>(value);
  }
  return version;
}

std::string Version::ToString() const {
  std::string out;
  for (int i = 0; i < size; ++i) {
    if (i > 0) out += '.';
    out += std::to_string(parts[i]);
  }
  return out;
}

int CompareVersions(const Version& a, const Version& b) {
  for (int i = 0; i < Version::kMaxParts; ++i) {
    if (a.parts[i] != b.parts[i]) return a.parts[i] < b.parts[i] ? -1 : 1;
  }
  return 0;
}

absl::StatusOr<absl::CivilDay> ParsePatchLevel(std::string_view text) {
  std::string input(text);
  absl::Time time;
  std::string error;
  for (const char* format : {"%Y-%m-%d", "%B %d, %Y", "%b %d, %Y"}) {
    if (absl::ParseTime(format, input, absl::UTCTimeZone(), &time, &error)) {
      return absl::ToCivilDay(time, absl::UTCTimeZone());
    }
  }
  return absl::InvalidArgumentError(
      fmt::format("expected a patch level date YYYY-MM-DD, got \"{}\"", input.substr(0, 64)));
}

int BoolKeyIndex(PostureKey key) {
  int k = static_cast<int>(key);
  if (k == static_cast<int>(PostureKey::kJailBroken)) return 0;
  if (k == static_cast<int>(PostureKey::kPasscodeSet)) return 1;
  if (k >= static_cast<int>(PostureKey::kStorageEncrypted) &&
      k <= static_cast<int>(PostureKey::kSystemIntegrityProtectionEnabled)) {
    return 2 + k - static_cast<int>(PostureKey::kStorageEncrypted);
  }
  return -1;
}

std::optional<bool> Posture::GetBool(PostureKey key) const {
  int index = BoolKeyIndex(key);
  if (index < 0) return std::nullopt;
  return bools[static_cast<size_t>(index)];
}

void Posture::SetBool(PostureKey key, bool value) {
  int index = BoolKeyIndex(key);
  if (index >= 0) bools[static_cast<size_t>(index)] = value;
}

bool Posture::Has(PostureKey key) const {
  switch (key) {
    case PostureKey::kDeviceId:
      return !device_id.empty();
    case PostureKey::kOperatingSystem:
      return operating_system.has_value();
    case PostureKey::kOsVersion:
      return os_version.has_value();
    case PostureKey::kOsBuildVersion:
      return os_build_version.has_value();
    case PostureKey::kSecurityPatchLevel:
      return security_patch_level.has_value();
    case PostureKey::kManufacturer:
      return manufacturer.has_value();
    case PostureKey::kModel:
      return model.has_value();
    case PostureKey::kOwnership:
      return ownership.has_value();
    case PostureKey::kPasscodeMinimumLength:
      return passcode_minimum_length.has_value();
    case PostureKey::kThreatLevel:
      return threat_level.has_value();
    case PostureKey::kInstalledApps:
      return installed_apps.has_value();
    case PostureKey::kUserPrincipalName:
      return user_principal_name.has_value();
    case PostureKey::kObservedDateTime:
      return observed.has_value();
    default:
      return GetBool(key).has_value();
  }
}

std::string Posture::Describe(PostureKey key) const {
  if (!Has(key)) return "";
  switch (key) {
    case PostureKey::kDeviceId:
      return device_id;
    case PostureKey::kOperatingSystem:
      return std::string(OperatingSystemName(*operating_system));
    case PostureKey::kOsVersion:
      return os_version->text;
    case PostureKey::kOsBuildVersion:
      return os_build_version->text;
    case PostureKey::kSecurityPatchLevel:
      return absl::FormatCivilTime(*security_patch_level);
    case PostureKey::kManufacturer:
      return *manufacturer;
    case PostureKey::kModel:
      return *model;
    case PostureKey::kOwnership:
      return std::string(OwnershipName(*ownership));
    case PostureKey::kPasscodeMinimumLength:
      return std::to_string(*passcode_minimum_length);
    case PostureKey::kThreatLevel:
      return std::string(ThreatLevelName(*threat_level));
    case PostureKey::kInstalledApps: {
      std::string out = "[";
      for (size_t i = 0; i < installed_apps->size() && i < 10; ++i) {
        if (i > 0) out += ", ";
        out += (*installed_apps)[i].id;
      }
      if (installed_apps->size() > 10) out += ", …";
      return out + "]";
    }
    case PostureKey::kUserPrincipalName:
      return *user_principal_name;
    case PostureKey::kObservedDateTime:
      return core::FormatIsoDateTime(*observed);
    default:
      return *GetBool(key) ? "true" : "false";
  }
}

absl::StatusOr<Posture> ParsePosture(const nlohmann::json& json, const std::string& pointer) {
  if (!json.is_object()) {
    return Invalid(pointer, "expected a posture object, got " + std::string(json.type_name()));
  }
  Posture posture;
  auto id = json.find("deviceId");
  if (id == json.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return Invalid(Pointer(pointer, "deviceId"), "required: a non-empty string");
  }
  posture.device_id = id->get<std::string>();
  for (const KeyInfo& info : kKeys) {
    if (info.key == PostureKey::kDeviceId) continue;
    auto it = json.find(std::string(info.name));
    if (it == json.end() || it->is_null()) continue;
    const nlohmann::json& value = *it;
    const std::string where = Pointer(pointer, info.name);
    auto want = [&](std::string_view what) {
      return Invalid(where, fmt::format("expected {}, got {}", what, Quote(value).substr(0, 80)));
    };
    switch (info.type) {
      case PostureKeyType::kString:
        if (!value.is_string()) return want("a string");
        if (info.key == PostureKey::kManufacturer) posture.manufacturer = value.get<std::string>();
        if (info.key == PostureKey::kModel) posture.model = value.get<std::string>();
        if (info.key == PostureKey::kUserPrincipalName) {
          posture.user_principal_name = value.get<std::string>();
        }
        break;
      case PostureKeyType::kEnum: {
        if (!value.is_string()) return want("a string");
        const std::string& text = value.get_ref<const std::string&>();
        if (info.key == PostureKey::kOperatingSystem) {
          posture.operating_system = ParseOperatingSystem(text);
          if (!posture.operating_system) return want("one of iOS, Android, Windows, macOS, Linux");
        } else if (info.key == PostureKey::kOwnership) {
          posture.ownership = ParseOwnership(text);
          if (!posture.ownership) return want("company or personal");
        } else {
          posture.threat_level = ParseThreatLevel(text);
          if (!posture.threat_level) return want("one of secured, low, medium, high");
        }
        break;
      }
      case PostureKeyType::kVersion: {
        if (!value.is_string()) return want("a version string");
        auto version = Version::Parse(value.get_ref<const std::string&>());
        if (!version.ok()) return Invalid(where, std::string(version.status().message()));
        VersionValue v{*version, value.get<std::string>()};
        if (info.key == PostureKey::kOsVersion)
          posture.os_version = std::move(v);
        else
          posture.os_build_version = std::move(v);
        break;
      }
      case PostureKeyType::kDate: {
        if (!value.is_string()) return want("a date string YYYY-MM-DD");
        auto day = ParsePatchLevel(value.get_ref<const std::string&>());
        if (!day.ok()) return Invalid(where, std::string(day.status().message()));
        posture.security_patch_level = *day;
        break;
      }
      case PostureKeyType::kBool:
        if (!value.is_boolean()) return want("true or false");
        posture.SetBool(info.key, value.get<bool>());
        break;
      case PostureKeyType::kInt:
        if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 1024) {
          return want("an integer between 0 and 1024");
        }
        posture.passcode_minimum_length = value.get<int>();
        break;
      case PostureKeyType::kAppList: {
        if (!value.is_array()) return want("an array of {\"id\", \"version\"} objects");
        if (value.size() > 10000) return Invalid(where, "more than 10000 installed apps");
        std::vector<InstalledApp> apps;
        apps.reserve(value.size());
        for (size_t i = 0; i < value.size(); ++i) {
          const nlohmann::json& app = value[i];
          const std::string app_where = where + "/" + std::to_string(i);
          if (app.is_string()) {
            apps.push_back({app.get<std::string>(), ""});
            continue;
          }
          if (!app.is_object())
            return Invalid(app_where, "expected an object {\"id\", \"version\"}");
          auto app_id = app.find("id");
          if (app_id == app.end() || !app_id->is_string()) {
            return Invalid(app_where + "/id", "required: a string");
          }
          InstalledApp installed{app_id->get<std::string>(), ""};
          auto app_version = app.find("version");
          if (app_version != app.end() && !app_version->is_null()) {
            if (!app_version->is_string())
              return Invalid(app_where + "/version", "expected a string");
            installed.version = app_version->get<std::string>();
          }
          apps.push_back(std::move(installed));
        }
        posture.installed_apps = std::move(apps);
        break;
      }
      case PostureKeyType::kTime: {
        if (!value.is_string()) return want("an ISO 8601 date-time string");
        auto time = core::ParseIsoDateTime(value.get_ref<const std::string&>());
        if (!time.ok()) return Invalid(where, std::string(time.status().message()));
        posture.observed = *time;
        break;
      }
    }
  }
  return posture;
}

}  // namespace gatehouse::compliance
