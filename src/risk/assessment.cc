#include "risk/assessment.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gatehouse::risk {

namespace {

constexpr double kPi = 3.14159265358979323846;

std::uint64_t SourceKey(const SignInObservation& observation) {
  if (!observation.ip.has_value()) return 0;
  const auto& bytes = observation.ip->bytes();
  return ActivityKey(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::uint64_t AccountKey(const SignInObservation& observation) {
  return ActivityKey(observation.user_id);
}

// 0.5 at the threshold, 1 at twice the threshold.
double CountConfidence(int count, int threshold) {
  return std::clamp(static_cast<double>(count) / (2.0 * threshold), 0.5, 1.0);
}

std::string FormatDuration(double hours) {
  const long minutes = std::lround(hours * 60);
  if (minutes < 60) return absl::StrCat(minutes, " min");
  return absl::StrCat(minutes / 60, " h ", minutes % 60, " min");
}

void AddUnfamiliar(const UserProfile& profile, const PopulationModel& population,
                   const SignInObservation& observation, const RiskConfig& config,
                   SignInRiskAssessment& out) {
  const FeatureVector features = ExtractFeatures(observation);
  const UnfamiliarBreakdown breakdown =
      ScoreUnfamiliarFeatures(profile, population, features, observation.time, config);
  out.unfamiliar_score = breakdown.score;
  const UnfamiliarFeaturesConfig& uf = config.unfamiliar;
  if (!breakdown.judged || breakdown.score < uf.low_score) return;
  Detection d;
  d.type = DetectionType::kUnfamiliarFeatures;
  d.level = breakdown.score >= uf.high_score     ? RiskLevel::kHigh
            : breakdown.score >= uf.medium_score ? RiskLevel::kMedium
                                                 : RiskLevel::kLow;
  // Confidence grows with the history the model learned from (0.75 at 10 sign-ins, 1 at 20).
  d.confidence = std::min(1.0, 0.5 + profile.sign_ins / 40.0);
  std::string novel;
  for (int i = 0; i < kFeatureCount; ++i) {
    if (!breakdown.novel[i]) continue;
    if (!novel.empty()) novel += ", ";
    absl::StrAppend(&novel, "new ", std::string(FeatureName(static_cast<Feature>(i))), " ",
                    features.labels[i]);
  }
  if (novel.empty()) novel = "rarely used properties";
  d.explanation = absl::StrFormat(
      "unfamiliar sign-in properties: %s (score %.1f, %s at %.1f; learned from %u sign-ins)",
      novel, breakdown.score, std::string(RiskLevelName(d.level)),
      d.level == RiskLevel::kHigh     ? uf.high_score
      : d.level == RiskLevel::kMedium ? uf.medium_score
                                      : uf.low_score,
      profile.sign_ins);
  out.detections.push_back(std::move(d));
}

void AddTravel(const UserProfile& profile, const SignInObservation& observation,
               const RiskConfig& config, SignInRiskAssessment& out) {
  const LastSignIn& last = profile.last;
  if (last.time_unix == 0 || !last.has_coordinates || !observation.latitude.has_value() ||
      !observation.longitude.has_value()) {
    return;
  }
  const TravelConfig& travel = config.travel;
  const double km =
      DistanceKm(last.latitude, last.longitude, *observation.latitude, *observation.longitude);
  if (km < travel.min_distance_km) return;
  const double elapsed_h =
      std::max<double>(0, static_cast<double>(absl::ToUnixSeconds(observation.time) -
                                              last.time_unix)) /
      3600.0;
  const double speed = km / (elapsed_h + absl::ToDoubleHours(travel.slack));
  if (speed <= travel.max_speed_kmh) return;
  // VPN-like jumps: either end in a VPN/anonymizer range, the same network as last time (GeoIP
  // moved, not the user), or a network and country this user regularly signs in from.
  if (last.via_vpn || IsVpnLike(observation, config)) return;
  const FeatureVector features = ExtractFeatures(observation);
  const std::uint64_t asn = features.keys[static_cast<int>(Feature::kAsn)];
  if (asn != 0 && asn == last.asn_key) return;
  const FeatureSlot* familiar_asn =
      asn == 0 ? nullptr : profile.features[static_cast<int>(Feature::kAsn)].Find(asn);
  const std::uint64_t country = features.keys[static_cast<int>(Feature::kCountry)];
  const FeatureSlot* familiar_country =
      country == 0 ? nullptr
                   : profile.features[static_cast<int>(Feature::kCountry)].Find(country);
  if (familiar_asn != nullptr && familiar_asn->count >= 2 && familiar_country != nullptr &&
      familiar_country->count >= 2) {
    return;
  }
  Detection d;
  d.type = DetectionType::kImpossibleTravel;
  d.level = RiskLevel::kMedium;
  d.confidence = std::clamp(0.6 + 0.4 * std::log10(speed / travel.max_speed_kmh), 0.6, 1.0);
  d.explanation = absl::StrFormat(
      "impossible travel: %.0f km from the previous sign-in (%.2f, %.2f) in %s, %.0f km/h "
      "(limit %.0f km/h, %s slack)",
      km, last.latitude, last.longitude, FormatDuration(elapsed_h), km / std::max(elapsed_h, 1e-9),
      travel.max_speed_kmh, FormatDuration(absl::ToDoubleHours(travel.slack)));
  if (elapsed_h <= 0) {
    d.explanation = absl::StrFormat(
        "impossible travel: %.0f km from the previous sign-in (%.2f, %.2f) at the same time "
        "(limit %.0f km/h)",
        km, last.latitude, last.longitude, travel.max_speed_kmh);
  }
  out.detections.push_back(std::move(d));
}

}  // namespace

double DistanceKm(double lat1, double lon1, double lat2, double lon2) {
  const double to_rad = kPi / 180.0;
  const double dlat = (lat2 - lat1) * to_rad;
  const double dlon = (lon2 - lon1) * to_rad;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1 * to_rad) * std::cos(lat2 * to_rad) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * 6371.0 * std::asin(std::min(1.0, std::sqrt(a)));
}

UnfamiliarBreakdown ScoreUnfamiliarFeatures(const UserProfile& profile,
                                            const PopulationModel& population,
                                            const FeatureVector& features, absl::Time now,
                                            const RiskConfig& config) {
  UnfamiliarBreakdown out;
  const UnfamiliarFeaturesConfig& uf = config.unfamiliar;
  if (profile.sign_ins < static_cast<std::uint32_t>(std::max(uf.min_history, 1))) return out;
  out.judged = true;
  const std::int64_t mature_before =
      absl::ToUnixSeconds(now - uf.maturity) / 60;  // minutes; slots first seen later are new
  for (int i = 0; i < kFeatureCount; ++i) {
    const std::uint64_t key = features.keys[i];
    const FeatureTable& table = profile.features[i];
    if (key == 0 || table.total <= 0 || uf.weights[i] == 0) continue;
    const double p_global = population.Probability(static_cast<Feature>(i), key, uf.global_alpha);
    const FeatureSlot* slot = table.Find(key);
    if (slot != nullptr && static_cast<std::int64_t>(slot->first_seen_min) > mature_before) {
      slot = nullptr;
    }
    const double count = slot == nullptr ? 0.0 : slot->count;
    const double distinct = std::max<double>(1, table.distinct);
    const double p_user = (count + distinct * p_global) / (table.total + distinct);
    out.terms[i] = uf.weights[i] * std::log10(p_global / p_user);
    out.novel[i] = slot == nullptr;
    out.score += out.terms[i];
  }
  return out;
}

bool IsVpnLike(const SignInObservation& observation, const RiskConfig& config) {
  if (observation.ip.has_value() && (config.travel.vpn_ranges.Contains(*observation.ip) ||
                                     config.anonymous_ranges.Contains(*observation.ip))) {
    return true;
  }
  return observation.asn.has_value() && (config.travel.vpn_asns.contains(*observation.asn) ||
                                         config.anonymous_asns.contains(*observation.asn));
}

SignInRiskAssessment AssessSignIn(const UserProfile* profile, const PopulationModel& population,
                                  const RecentActivity& recent, const UserRisk* user_risk,
                                  const SignInObservation& observation, const RiskConfig& config) {
  SignInRiskAssessment out;
  if (profile != nullptr) {
    AddUnfamiliar(*profile, population, observation, config, out);
    AddTravel(*profile, observation, config, out);
  }
  if (observation.ip.has_value()) {
    const std::string ip = observation.ip->ToString();
    if (config.anonymous_ranges.Contains(*observation.ip) ||
        (observation.asn.has_value() && config.anonymous_asns.contains(*observation.asn))) {
      const bool by_range = config.anonymous_ranges.Contains(*observation.ip);
      out.detections.push_back(
          {DetectionType::kAnonymizedIp, RiskLevel::kMedium, 0.9,
           by_range ? absl::StrCat("anonymized IP address: ", ip,
                                   " is in the tenant's anonymizer ranges")
                    : absl::StrCat("anonymized IP address: AS", *observation.asn,
                                   " is on the tenant's anonymizer ASN list")});
    }
    if (config.malicious_ranges.Contains(*observation.ip)) {
      out.detections.push_back({DetectionType::kMaliciousIp, RiskLevel::kHigh, 1.0,
                                absl::StrCat("malicious IP address: ", ip,
                                             " is in the tenant's known-bad ranges")});
    }
    const int accounts = recent.DistinctAccountsFailedFrom(SourceKey(observation),
                                                           observation.time,
                                                           config.password_spray.window);
    if (accounts >= config.password_spray.threshold) {
      out.detections.push_back(
          {DetectionType::kPasswordSpray, RiskLevel::kHigh,
           CountConfidence(accounts, config.password_spray.threshold),
           absl::StrCat("password spray: ", accounts, " accounts failed to sign in from ", ip,
                        " in the last ", FormatDuration(absl::ToDoubleHours(
                                             config.password_spray.window)),
                        " (threshold ", config.password_spray.threshold, ")")});
    }
  }
  const int failures =
      recent.FailuresOf(AccountKey(observation), observation.time, config.brute_force.window);
  if (failures >= config.brute_force.threshold) {
    out.detections.push_back(
        {DetectionType::kBruteForce, RiskLevel::kHigh,
         CountConfidence(failures, config.brute_force.threshold),
         absl::StrCat("brute force: ", failures, " failed sign-ins on this account in the last ",
                      FormatDuration(absl::ToDoubleHours(config.brute_force.window)),
                      " (threshold ", config.brute_force.threshold, ")")});
  }
  if (!observation.password_sha256.empty() &&
      config.leaked_password_sha256.contains(observation.password_sha256)) {
    out.detections.push_back({DetectionType::kLeakedCredentials, RiskLevel::kHigh, 1.0,
                              "leaked credentials: the password is on the tenant's "
                              "leaked-password list"});
  }
  double keep = 1;
  for (const Detection& d : out.detections) keep *= 1 - LevelWeight(d.level) * d.confidence;
  out.score = 1 - keep;
  out.level = config.sign_in_thresholds.LevelOf(out.score);
  if (user_risk != nullptr) out.user_risk_level = user_risk->LevelAt(observation.time, config);
  return out;
}

void RecordOutcome(UserProfile& profile, UserRisk& user_risk, PopulationModel& population,
                   RecentActivity& recent, const SignInObservation& observation,
                   const SignInRiskAssessment& assessment, const RiskConfig& config) {
  if (config.IsPrimaryFailure(observation.error_code)) {
    recent.RecordFailure(SourceKey(observation), AccountKey(observation), observation.time);
    return;
  }
  AddSignInDetections(user_risk, assessment, observation.time, config);
  if (observation.error_code != 0 || assessment.level >= config.no_learning_level) return;
  const FeatureVector features = ExtractFeatures(observation);
  LearnSignIn(profile, features, observation, IsVpnLike(observation, config));
  population.Add(features);
}

}  // namespace gatehouse::risk
