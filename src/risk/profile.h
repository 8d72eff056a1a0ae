// Behaviour profiles for the unfamiliar-sign-in-properties model (Freeman et al., NDSS 2016,
// "Who Are You? A Statistical Approach to Measuring User Authenticity"; docs/risk.md §2).
//
// A UserProfile is a fixed-size value (no heap): per feature (IP prefix, ASN, country, user-agent
// family, device) at most kSlotsPerFeature (value key, decayed count, last seen) entries, plus
// the last successful sign-in for the travel detector. Values are kept as 64-bit FNV-1a keys of
// "<feature>:<value>", never as text, so a profile holds no IP address or device id in clear.
// sizeof(UserProfile) is pinned by a test (docs/risk.md gives the figure).
//
// The PopulationModel holds the same features counted over every user (the global population,
// which the model uses as the attacker's distribution and as the prior for unseen values). It is
// bounded too: when a feature holds more than kMaxPopulationKeys keys, all counts are halved and
// zeros dropped.
//
// Thread-compatible values; the caller serialises writers.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json_fwd.hpp"
#include "risk/types.h"

namespace gatehouse::risk {

enum class Feature : std::uint8_t { kIpPrefix = 0, kAsn, kCountry, kUserAgent, kDevice };
inline constexpr int kFeatureCount = 5;
std::string_view FeatureName(Feature feature);  // "ipPrefix", "asn", "country", "userAgent", "device"

inline constexpr int kSlotsPerFeature = 8;
// When a feature's total count passes this, all its counts are halved: the profile is a sliding
// window of roughly the last 64-128 sign-ins (old habits fade, counts stay small).
inline constexpr float kMaxFeatureTotal = 64;
inline constexpr std::size_t kMaxPopulationKeys = 1u << 18;

// The features of one sign-in: a key per feature, 0 when the property is unknown (skipped).
struct FeatureVector {
  std::array<std::uint64_t, kFeatureCount> keys{};
  std::array<std::string, kFeatureCount> labels;  // human-readable values for explanations
};

// IP prefix /24 (IPv4) or /48 (IPv6); ASN number; country code; user-agent family
// "<browser family>/<os family>" (versions dropped: browsers update themselves); device id or
// "none" when no device identity was presented.
FeatureVector ExtractFeatures(const SignInObservation& observation);
// "chrome/windows", "safari/ios", … from deviceDetail.browser/operatingSystem or the raw UA.
std::string UserAgentFamily(std::string_view browser, std::string_view operating_system,
                            std::string_view user_agent);
std::uint64_t FeatureKey(Feature feature, std::string_view value);  // never 0

struct FeatureSlot {
  std::uint64_t key = 0;          // 0 = empty slot
  float count = 0;                // decayed number of sign-ins with this value
  // Minutes since the Unix epoch when the value entered the profile: a value counts as familiar
  // only once it is older than unfamiliarFeatures.maturityHours (docs/risk.md §2.3).
  std::uint32_t first_seen_min = 0;
};

struct FeatureTable {
  std::array<FeatureSlot, kSlotsPerFeature> slots{};
  float total = 0;  // sum of counts
  std::uint8_t distinct = 0;  // filled slots

  const FeatureSlot* Find(std::uint64_t key) const;
  // Counts one occurrence; evicts the smallest count (then the newest) when full; halves every
  // count when the total passes kMaxFeatureTotal.
  void Add(std::uint64_t key, std::uint32_t now_min);
};

struct LastSignIn {
  std::int64_t time_unix = 0;  // 0 = none yet
  float latitude = 0, longitude = 0;
  bool has_coordinates = false;
  bool via_vpn = false;  // the sign-in came from a configured VPN range/ASN
  std::uint64_t asn_key = 0, prefix_key = 0;
};

struct UserProfile {
  std::array<FeatureTable, kFeatureCount> features{};
  LastSignIn last{};
  std::uint32_t sign_ins = 0;  // successful sign-ins learned (saturating)
};

class PopulationModel {
 public:
  void Add(const FeatureVector& features);
  // Smoothed global probability of `key` for `feature`: (c + α) / (N + α·V), V = distinct + 1.
  double Probability(Feature feature, std::uint64_t key, double alpha) const;
  std::uint64_t total(Feature feature) const { return totals_[static_cast<int>(feature)]; }
  std::size_t distinct(Feature feature) const { return counts_[static_cast<int>(feature)].size(); }

  nlohmann::json ToJson() const;
  static absl::StatusOr<PopulationModel> FromJson(const nlohmann::json& doc);

 private:
  std::array<absl::flat_hash_map<std::uint64_t, std::uint32_t>, kFeatureCount> counts_;
  std::array<std::uint64_t, kFeatureCount> totals_{};
};

// Learns one successful sign-in into the user's profile (features, last sign-in, counter).
void LearnSignIn(UserProfile& profile, const FeatureVector& features,
                 const SignInObservation& observation, bool via_vpn);

// JSON for the store: {"version": 1, "signIns", "features": {"ipPrefix": [{"key": "<16 hex>",
// "count", "firstSeenMinute"}…], …}, "lastSignIn": {…}}. FromJson validates every field
// (InvalidArgument naming the JSON pointer).
nlohmann::json ProfileToJson(const UserProfile& profile);
absl::StatusOr<UserProfile> ProfileFromJson(const nlohmann::json& doc);

}  // namespace gatehouse::risk
