#include "risk/profile.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace gatehouse::risk {

namespace {

constexpr std::string_view kFeatureNames[kFeatureCount] = {"ipPrefix", "asn", "country",
                                                          "userAgent", "device"};

// Lower-case letters of `text` with spaces between words; tokens that start with a digit
// (versions) are dropped, and digits glued to a word ("Windows10") are cut off.
std::string Family(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '_' || text[i] == '-')) ++i;
    if (i >= text.size()) break;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '_') ++i;
    std::string_view token = text.substr(start, i - start);
    if (std::isdigit(static_cast<unsigned char>(token[0]))) continue;
    std::string word;
    for (char c : token) {
      if (std::isalpha(static_cast<unsigned char>(c))) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else {
        break;
      }
    }
    if (word.empty()) continue;
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

bool Has(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

std::string BrowserFromUserAgent(std::string_view ua) {
  if (Has(ua, "Edg/") || Has(ua, "Edge/")) return "edge";
  if (Has(ua, "OPR/")) return "opera";
  if (Has(ua, "Firefox/")) return "firefox";
  if (Has(ua, "Chrome/") || Has(ua, "CriOS/")) return "chrome";
  if (Has(ua, "Safari/")) return "safari";
  const std::size_t slash = ua.find('/');
  return Family(ua.substr(0, slash == std::string_view::npos ? std::min<std::size_t>(ua.size(), 32)
                                                             : slash));
}

std::string OsFromUserAgent(std::string_view ua) {
  if (Has(ua, "Windows")) return "windows";
  if (Has(ua, "iPhone") || Has(ua, "iPad")) return "ios";
  if (Has(ua, "Android")) return "android";
  if (Has(ua, "Mac OS X") || Has(ua, "Macintosh")) return "macos";
  if (Has(ua, "CrOS")) return "chromeos";
  if (Has(ua, "Linux")) return "linux";
  return "other";
}

std::string Hex16(std::uint64_t key) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(key));
  return buffer;
}

bool ParseHex16(const nlohmann::json& value, std::uint64_t& out) {
  if (!value.is_string()) return false;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() != 16) return false;
  std::uint64_t key = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return false;
    }
    key = key << 4 | static_cast<std::uint64_t>(digit);
  }
  out = key;
  return key != 0;
}

absl::Status Invalid(const std::string& pointer, std::string_view why) {
  if (pointer.empty()) return absl::InvalidArgumentError(std::string(why));
  return absl::InvalidArgumentError(absl::StrCat(pointer, ": ", std::string(why)));
}

bool IsCount(const nlohmann::json& value, double max) {
  return value.is_number() && std::isfinite(value.get<double>()) && value.get<double>() >= 0 &&
         value.get<double>() <= max;
}

}  // namespace

std::string_view FeatureName(Feature feature) { return kFeatureNames[static_cast<int>(feature)]; }

std::uint64_t FeatureKey(Feature feature, std::string_view value) {
  std::uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](unsigned char c) {
    hash ^= c;
    hash *= 1099511628211ull;
  };
  mix(static_cast<unsigned char>('0' + static_cast<int>(feature)));
  mix(':');
  for (char c : value) mix(static_cast<unsigned char>(c));
  return hash == 0 ? 1 : hash;
}

std::string UserAgentFamily(std::string_view browser, std::string_view operating_system,
                            std::string_view user_agent) {
  std::string b = Family(browser);
  std::string o = Family(operating_system);
  if (!user_agent.empty()) {
    if (b.empty()) b = BrowserFromUserAgent(user_agent);
    if (o.empty()) o = OsFromUserAgent(user_agent);
  }
  if (b.empty() && o.empty()) return "";
  return (b.empty() ? "unknown" : b) + "/" + (o.empty() ? "unknown" : o);
}

FeatureVector ExtractFeatures(const SignInObservation& observation) {
  FeatureVector out;
  auto set = [&out](Feature feature, std::string label) {
    const int i = static_cast<int>(feature);
    out.keys[i] = FeatureKey(feature, label);
    out.labels[i] = std::move(label);
  };
  if (observation.ip.has_value()) {
    std::array<std::uint8_t, 16> bytes = observation.ip->bytes();
    const bool v4 = observation.ip->is_v4();
    const int keep = v4 ? 15 : 6;  // /24 of the mapped IPv4 address, /48 of IPv6
    for (int i = keep; i < 16; ++i) bytes[i] = 0;
    set(Feature::kIpPrefix,
        location::IpAddress::FromBytes(bytes).ToString() + (v4 ? "/24" : "/48"));
  }
  if (observation.asn.has_value()) set(Feature::kAsn, absl::StrCat("AS", *observation.asn));
  if (!observation.country.empty()) set(Feature::kCountry, observation.country);
  std::string ua = UserAgentFamily(observation.browser, observation.operating_system,
                                   observation.user_agent);
  if (!ua.empty()) set(Feature::kUserAgent, std::move(ua));
  set(Feature::kDevice, observation.device_id.empty() ? std::string("none")
                                                      : observation.device_id);
  return out;
}

const FeatureSlot* FeatureTable::Find(std::uint64_t key) const {
  for (const FeatureSlot& slot : slots) {
    if (slot.key == key) return &slot;
  }
  return nullptr;
}

void FeatureTable::Add(std::uint64_t key, std::uint32_t now_min) {
  FeatureSlot* target = nullptr;
  FeatureSlot* empty = nullptr;
  FeatureSlot* weakest = nullptr;
  for (FeatureSlot& slot : slots) {
    if (slot.key == key) {
      target = &slot;
      break;
    }
    if (slot.key == 0) {
      if (empty == nullptr) empty = &slot;
    } else if (weakest == nullptr || slot.count < weakest->count ||
               (slot.count == weakest->count && slot.first_seen_min > weakest->first_seen_min)) {
      weakest = &slot;
    }
  }
  if (target == nullptr) {
    target = empty != nullptr ? empty : weakest;
    *target = FeatureSlot{key, 0, now_min};
  }
  target->count += 1;
  float sum = 0;
  std::uint8_t filled = 0;
  for (const FeatureSlot& slot : slots) {
    sum += slot.count;
    if (slot.key != 0) ++filled;
  }
  if (sum > kMaxFeatureTotal) {
    sum = 0;
    filled = 0;
    for (FeatureSlot& slot : slots) {
      slot.count *= 0.5f;
      if (slot.key != 0 && slot.count < 0.25f) slot = FeatureSlot{};
      sum += slot.count;
      if (slot.key != 0) ++filled;
    }
  }
  total = sum;
  distinct = filled;
}

void PopulationModel::Add(const FeatureVector& features) {
  for (int i = 0; i < kFeatureCount; ++i) {
    if (features.keys[i] == 0) continue;
    auto& counts = counts_[i];
    std::uint32_t& count = counts[features.keys[i]];
    if (count < std::numeric_limits<std::uint32_t>::max()) ++count;
    ++totals_[i];
    if (counts.size() > kMaxPopulationKeys) {
      std::uint64_t total = 0;
      for (auto it = counts.begin(); it != counts.end();) {
        it->second /= 2;
        total += it->second;
        if (it->second == 0) {
          counts.erase(it++);
        } else {
          ++it;
        }
      }
      totals_[i] = total;
    }
  }
}

double PopulationModel::Probability(Feature feature, std::uint64_t key, double alpha) const {
  const int i = static_cast<int>(feature);
  auto it = counts_[i].find(key);
  const double count = it == counts_[i].end() ? 0.0 : static_cast<double>(it->second);
  const double vocabulary = static_cast<double>(counts_[i].size()) + 1.0;
  return (count + alpha) / (static_cast<double>(totals_[i]) + alpha * vocabulary);
}

nlohmann::json PopulationModel::ToJson() const {
  nlohmann::json features = nlohmann::json::object();
  for (int i = 0; i < kFeatureCount; ++i) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> sorted(counts_[i].begin(),
                                                                counts_[i].end());
    std::sort(sorted.begin(), sorted.end());
    nlohmann::json counts = nlohmann::json::array();
    for (const auto& entry : sorted) counts.push_back({Hex16(entry.first), entry.second});
    features[std::string(kFeatureNames[i])] = {{"total", totals_[i]}, {"counts", counts}};
  }
  return {{"version", 1}, {"features", features}};
}

absl::StatusOr<PopulationModel> PopulationModel::FromJson(const nlohmann::json& doc) {
  if (!doc.is_object() || !doc.contains("version") || doc["version"] != 1 ||
      !doc.contains("features") ||
      !doc["features"].is_object()) {
    return Invalid("", "expected {\"version\": 1, \"features\": {...}}");
  }
  PopulationModel model;
  for (int i = 0; i < kFeatureCount; ++i) {
    const std::string name(kFeatureNames[i]);
    const std::string pointer = "/features/" + name;
    if (!doc["features"].contains(name)) continue;
    const nlohmann::json& f = doc["features"][name];
    if (!f.is_object() || !f.contains("counts") || !f["counts"].is_array()) {
      return Invalid(pointer, "expected {\"total\", \"counts\": [[key, count]…]}");
    }
    std::uint64_t total = 0;
    for (std::size_t j = 0; j < f["counts"].size(); ++j) {
      const nlohmann::json& entry = f["counts"][j];
      std::uint64_t key = 0;
      if (!entry.is_array() || entry.size() != 2 || !ParseHex16(entry[0], key) ||
          !entry[1].is_number_unsigned() ||
          entry[1].get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
        return Invalid(absl::StrCat(pointer, "/counts/", j),
                       "expected [\"<16 hex digits>\", count]");
      }
      model.counts_[i][key] = static_cast<std::uint32_t>(entry[1].get<std::uint64_t>());
      total += entry[1].get<std::uint64_t>();
    }
    model.totals_[i] = total;
  }
  return model;
}

void LearnSignIn(UserProfile& profile, const FeatureVector& features,
                 const SignInObservation& observation, bool via_vpn) {
  const std::int64_t seconds = absl::ToUnixSeconds(observation.time);
  const std::uint32_t minute = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(seconds / 60, 0, std::numeric_limits<std::uint32_t>::max()));
  for (int i = 0; i < kFeatureCount; ++i) {
    if (features.keys[i] != 0) profile.features[i].Add(features.keys[i], minute);
  }
  LastSignIn& last = profile.last;
  last.time_unix = seconds;
  last.has_coordinates = observation.latitude.has_value() && observation.longitude.has_value();
  last.latitude = last.has_coordinates ? static_cast<float>(*observation.latitude) : 0.f;
  last.longitude = last.has_coordinates ? static_cast<float>(*observation.longitude) : 0.f;
  last.via_vpn = via_vpn;
  last.asn_key = features.keys[static_cast<int>(Feature::kAsn)];
  last.prefix_key = features.keys[static_cast<int>(Feature::kIpPrefix)];
  if (profile.sign_ins < std::numeric_limits<std::uint32_t>::max()) ++profile.sign_ins;
}

nlohmann::json ProfileToJson(const UserProfile& profile) {
  nlohmann::json features = nlohmann::json::object();
  for (int i = 0; i < kFeatureCount; ++i) {
    nlohmann::json slots = nlohmann::json::array();
    for (const FeatureSlot& slot : profile.features[i].slots) {
      if (slot.key == 0) continue;
      slots.push_back(
          {{"key", Hex16(slot.key)}, {"count", slot.count}, {"firstSeenMinute", slot.first_seen_min}});
    }
    features[std::string(kFeatureNames[i])] = slots;
  }
  nlohmann::json last = nullptr;
  if (profile.last.time_unix != 0) {
    last = {{"time", profile.last.time_unix}, {"viaVpn", profile.last.via_vpn},
            {"asnKey", Hex16(profile.last.asn_key)},
            {"prefixKey", Hex16(profile.last.prefix_key)}};
    if (profile.last.has_coordinates) {
      last["latitude"] = profile.last.latitude;
      last["longitude"] = profile.last.longitude;
    }
  }
  return {{"version", 1}, {"signIns", profile.sign_ins}, {"features", features},
          {"lastSignIn", last}};
}

absl::StatusOr<UserProfile> ProfileFromJson(const nlohmann::json& doc) {
  if (!doc.is_object()) return Invalid("", "expected an object");
  if (!doc.contains("version") || doc["version"] != 1) {
    return Invalid("/version", "expected 1");
  }
  UserProfile profile;
  if (!doc.contains("signIns") || !doc["signIns"].is_number_unsigned() ||
      doc["signIns"].get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
    return Invalid("/signIns", "expected a count");
  }
  profile.sign_ins = static_cast<std::uint32_t>(doc["signIns"].get<std::uint64_t>());
  if (!doc.contains("features") || !doc["features"].is_object()) {
    return Invalid("/features", "expected an object");
  }
  for (int i = 0; i < kFeatureCount; ++i) {
    const std::string name(kFeatureNames[i]);
    const std::string pointer = "/features/" + name;
    if (!doc["features"].contains(name)) continue;
    const nlohmann::json& slots = doc["features"][name];
    if (!slots.is_array() || slots.size() > kSlotsPerFeature) {
      return Invalid(pointer, absl::StrCat("expected an array of at most ", kSlotsPerFeature,
                                           " entries"));
    }
    FeatureTable& table = profile.features[i];
    for (std::size_t j = 0; j < slots.size(); ++j) {
      const nlohmann::json& s = slots[j];
      const std::string at = absl::StrCat(pointer, "/", j);
      FeatureSlot slot;
      if (!s.is_object() || !s.contains("key") || !ParseHex16(s["key"], slot.key)) {
        return Invalid(at + "/key", "expected 16 lower-case hex digits (not all zero)");
      }
      if (table.Find(slot.key) != nullptr) return Invalid(at + "/key", "duplicate key");
      if (!s.contains("count") || !IsCount(s["count"], kMaxFeatureTotal + 1)) {
        return Invalid(at + "/count", "expected a number from 0 to 65");
      }
      if (!s.contains("firstSeenMinute") || !s["firstSeenMinute"].is_number_unsigned() ||
          s["firstSeenMinute"].get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
        return Invalid(at + "/firstSeenMinute", "expected minutes since 1970");
      }
      slot.count = s["count"].get<float>();
      slot.first_seen_min = static_cast<std::uint32_t>(s["firstSeenMinute"].get<std::uint64_t>());
      table.slots[j] = slot;
      table.total += slot.count;
      ++table.distinct;
    }
  }
  if (doc.contains("lastSignIn") && !doc["lastSignIn"].is_null()) {
    const nlohmann::json& l = doc["lastSignIn"];
    LastSignIn& last = profile.last;
    if (!l.is_object() || !l.contains("time") || !l["time"].is_number_integer()) {
      return Invalid("/lastSignIn/time", "expected Unix seconds");
    }
    last.time_unix = l["time"].get<std::int64_t>();
    if (l.contains("viaVpn")) {
      if (!l["viaVpn"].is_boolean()) return Invalid("/lastSignIn/viaVpn", "expected a boolean");
      last.via_vpn = l["viaVpn"].get<bool>();
    }
    std::uint64_t key = 0;
    if (l.contains("asnKey") && l["asnKey"] != "0000000000000000") {
      if (!ParseHex16(l["asnKey"], key)) return Invalid("/lastSignIn/asnKey", "expected 16 hex");
      last.asn_key = key;
    }
    if (l.contains("prefixKey") && l["prefixKey"] != "0000000000000000") {
      if (!ParseHex16(l["prefixKey"], key)) {
        return Invalid("/lastSignIn/prefixKey", "expected 16 hex");
      }
      last.prefix_key = key;
    }
    if (l.contains("latitude") || l.contains("longitude")) {
      if (!l.contains("latitude") || !l["latitude"].is_number() ||
          std::abs(l["latitude"].get<double>()) > 90 || !l.contains("longitude") ||
          !l["longitude"].is_number() || std::abs(l["longitude"].get<double>()) > 180) {
        return Invalid("/lastSignIn", "expected latitude (-90..90) and longitude (-180..180)");
      }
      last.has_coordinates = true;
      last.latitude = l["latitude"].get<float>();
      last.longitude = l["longitude"].get<float>();
    }
  }
  return profile;
}

}  // namespace gatehouse::risk
