#include "risk/config.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/text.h"
#include "nlohmann/json.hpp"

namespace gatehouse::risk {

namespace {

constexpr std::string_view kLevelNames[] = {"none", "low", "medium", "high"};
constexpr std::string_view kDetectionNames[] = {
    "unfamiliarFeatures", "impossibleTravel", "anonymizedIPAddress", "maliciousIPAddress",
    "passwordSpray",      "bruteForce",       "leakedCredentials"};

using Json = nlohmann::json;
using Handler = std::function<void(const Json&, const std::string&)>;

// Walks the members of `object`, calling the handler registered for each key; unknown keys and
// non-objects are problems.
void ReadObject(const Json& object, const std::string& pointer,
                const std::vector<std::pair<std::string, Handler>>& handlers,
                core::ProblemList& problems) {
  if (!object.is_object()) {
    problems.AddError(pointer, "expected an object");
    return;
  }
  for (const auto& item : object.items()) {
    const std::string child = pointer + "/" + core::JsonPointerToken(item.key());
    bool known = false;
    for (const auto& handler : handlers) {
      if (handler.first == item.key()) {
        handler.second(item.value(), child);
        known = true;
        break;
      }
    }
    if (!known) problems.AddError(child, "unknown key");
  }
}

Handler Number(double& out, double min, double max, core::ProblemList& problems) {
  return [&out, min, max, &problems](const Json& value, const std::string& pointer) {
    if (!value.is_number()) {
      problems.AddError(pointer, "expected a number");
      return;
    }
    const double v = value.get<double>();
    if (!std::isfinite(v) || v < min || v > max) {
      problems.AddError(pointer, absl::StrCat("expected a number from ", min, " to ", max));
      return;
    }
    out = v;
  };
}

Handler Integer(int& out, int min, int max, core::ProblemList& problems) {
  return [&out, min, max, &problems](const Json& value, const std::string& pointer) {
    if (!value.is_number_integer() || value.get<std::int64_t>() < min ||
        value.get<std::int64_t>() > max) {
      problems.AddError(pointer, absl::StrCat("expected an integer from ", min, " to ", max));
      return;
    }
    out = static_cast<int>(value.get<std::int64_t>());
  };
}

Handler Minutes(absl::Duration& out, double max_minutes, core::ProblemList& problems) {
  return [&out, max_minutes, &problems](const Json& value, const std::string& pointer) {
    double minutes = absl::ToDoubleMinutes(out);
    Number(minutes, 0, max_minutes, problems)(value, pointer);
    out = absl::Minutes(minutes);
  };
}

Handler Hours(absl::Duration& out, double max_hours, core::ProblemList& problems) {
  return [&out, max_hours, &problems](const Json& value, const std::string& pointer) {
    double hours = absl::ToDoubleHours(out);
    Number(hours, 0, max_hours, problems)(value, pointer);
    out = absl::Hours(hours);
  };
}

Handler Ranges(location::CidrSet& out, core::ProblemList& problems) {
  return [&out, &problems](const Json& value, const std::string& pointer) {
    if (!value.is_array()) {
      problems.AddError(pointer, "expected an array of CIDR ranges");
      return;
    }
    std::vector<location::CidrRange> ranges;
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string item = pointer + "/" + std::to_string(i);
      if (!value[i].is_string()) {
        problems.AddError(item, "expected a CIDR range string such as \"198.51.100.0/24\"");
        continue;
      }
      auto range = location::CidrRange::Parse(value[i].get<std::string>());
      if (!range.ok()) {
        problems.AddError(item, std::string(range.status().message()));
        continue;
      }
      ranges.push_back(*range);
    }
    out = location::CidrSet(std::move(ranges));
  };
}

Handler Asns(absl::flat_hash_set<std::uint32_t>& out, core::ProblemList& problems) {
  return [&out, &problems](const Json& value, const std::string& pointer) {
    if (!value.is_array()) {
      problems.AddError(pointer, "expected an array of AS numbers");
      return;
    }
    out.clear();
    for (std::size_t i = 0; i < value.size(); ++i) {
      const Json& asn = value[i];
      if (!asn.is_number_integer() || asn.get<std::int64_t>() < 0 ||
          asn.get<std::int64_t>() > std::numeric_limits<std::uint32_t>::max()) {
        problems.AddError(pointer + "/" + std::to_string(i),
                          "expected an AS number from 0 to 4294967295");
        continue;
      }
      out.insert(static_cast<std::uint32_t>(asn.get<std::int64_t>()));
    }
  };
}

Handler Thresholds(LevelThresholds& out, core::ProblemList& problems) {
  return [&out, &problems](const Json& value, const std::string& pointer) {
    ReadObject(value, pointer,
               {{"low", Number(out.low, 0, 1, problems)},
                {"medium", Number(out.medium, 0, 1, problems)},
                {"high", Number(out.high, 0, 1, problems)}},
               problems);
    if (!(out.low <= out.medium && out.medium <= out.high)) {
      problems.AddError(pointer, "thresholds must satisfy low <= medium <= high");
    }
  };
}

bool IsLowerHex64(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string_view RiskLevelName(RiskLevel level) {
  return kLevelNames[static_cast<int>(level)];
}

std::optional<RiskLevel> ParseRiskLevel(std::string_view text) {
  for (int i = 0; i < 4; ++i) {
    if (core::EqualsIgnoreCase(text, kLevelNames[i])) return static_cast<RiskLevel>(i);
  }
  return std::nullopt;
}

std::string_view DetectionTypeName(DetectionType type) {
  return kDetectionNames[static_cast<int>(type)];
}

std::optional<DetectionType> ParseDetectionType(std::string_view text) {
  for (int i = 0; i < kDetectionTypeCount; ++i) {
    if (text == kDetectionNames[i]) return static_cast<DetectionType>(i);
  }
  return std::nullopt;
}

std::vector<std::string> SignInRiskAssessment::RiskEventTypes() const {
  std::vector<std::string> out;
  out.reserve(detections.size());
  for (const Detection& d : detections) out.emplace_back(DetectionTypeName(d.type));
  return out;
}

std::string SignInRiskAssessment::Detail() const {
  if (detections.empty()) return "none";
  std::string out;
  for (const Detection& d : detections) {
    if (!out.empty()) out += "; ";
    out += d.explanation;
  }
  return out;
}

RiskLevel LevelThresholds::LevelOf(double score) const {
  if (score >= high) return RiskLevel::kHigh;
  if (score >= medium) return RiskLevel::kMedium;
  if (score >= low && score > 0) return RiskLevel::kLow;
  return RiskLevel::kNone;
}

double LevelWeight(RiskLevel level) {
  static constexpr double kWeights[] = {0, 0.3, 0.6, 0.9};
  return kWeights[static_cast<int>(level)];
}

double UserRiskPoints(RiskLevel level) {
  static constexpr double kPoints[] = {0, 0.25, 0.5, 1.0};
  return kPoints[static_cast<int>(level)];
}

absl::StatusOr<RiskConfig> ParseRiskConfig(const nlohmann::json& doc, core::ProblemList& problems) {
  RiskConfig config;
  const std::size_t before = problems.problems().size();
  auto& p = problems;
  UnfamiliarFeaturesConfig& uf = config.unfamiliar;
  double half_life_hours = absl::ToDoubleHours(config.user_risk_half_life);
  Handler weights = [&uf, &p](const Json& value, const std::string& pointer) {
    ReadObject(value, pointer,
               {{"ipPrefix", Number(uf.weights[0], 0, 10, p)},
                {"asn", Number(uf.weights[1], 0, 10, p)},
                {"country", Number(uf.weights[2], 0, 10, p)},
                {"userAgent", Number(uf.weights[3], 0, 10, p)},
                {"device", Number(uf.weights[4], 0, 10, p)}},
               p);
  };
  ReadObject(
      doc, "",
      {{"signInRiskThresholds", Thresholds(config.sign_in_thresholds, p)},
       {"userRiskThresholds", Thresholds(config.user_thresholds, p)},
       {"userRiskHalfLifeHours", Number(half_life_hours, 1, 24 * 365, p)},
       {"unfamiliarFeatures",
        [&](const Json& value, const std::string& pointer) {
          ReadObject(value, pointer,
                     {{"minHistory", Integer(uf.min_history, 0, 1000, p)},
                      {"lowScore", Number(uf.low_score, 0, 100, p)},
                      {"mediumScore", Number(uf.medium_score, 0, 100, p)},
                      {"highScore", Number(uf.high_score, 0, 100, p)},
                      {"globalAlpha", Number(uf.global_alpha, 1e-6, 100, p)},
                      {"maturityHours", Hours(uf.maturity, 24 * 30, p)},
                      {"weights", weights}},
                     p);
          if (!(uf.low_score <= uf.medium_score && uf.medium_score <= uf.high_score)) {
            p.AddError(pointer, "scores must satisfy lowScore <= mediumScore <= highScore");
          }
        }},
       {"impossibleTravel",
        [&](const Json& value, const std::string& pointer) {
          TravelConfig& t = config.travel;
          ReadObject(value, pointer,
                     {{"maxSpeedKmh", Number(t.max_speed_kmh, 1, 1e6, p)},
                      {"minDistanceKm", Number(t.min_distance_km, 0, 40075, p)},
                      {"slackMinutes", Minutes(t.slack, 24 * 60, p)},
                      {"vpnRanges", Ranges(t.vpn_ranges, p)},
                      {"vpnAsns", Asns(t.vpn_asns, p)}},
                     p);
        }},
       {"anonymousIpRanges", Ranges(config.anonymous_ranges, p)},
       {"anonymousAsns", Asns(config.anonymous_asns, p)},
       {"maliciousIpRanges", Ranges(config.malicious_ranges, p)},
       {"passwordSpray",
        [&](const Json& value, const std::string& pointer) {
          ReadObject(value, pointer,
                     {{"windowMinutes", Minutes(config.password_spray.window, 7 * 24 * 60, p)},
                      {"minAccounts", Integer(config.password_spray.threshold, 2, 100000, p)}},
                     p);
        }},
       {"bruteForce",
        [&](const Json& value, const std::string& pointer) {
          ReadObject(value, pointer,
                     {{"windowMinutes", Minutes(config.brute_force.window, 7 * 24 * 60, p)},
                      {"minFailures", Integer(config.brute_force.threshold, 2, 100000, p)}},
                     p);
        }},
       {"leakedPasswordSha256",
        [&](const Json& value, const std::string& pointer) {
          if (!value.is_array()) {
            p.AddError(pointer, "expected an array of SHA-256 hex digests");
            return;
          }
          for (std::size_t i = 0; i < value.size(); ++i) {
            std::string hex = value[i].is_string() ? core::AsciiLower(value[i].get<std::string>())
                                                   : std::string();
            if (!IsLowerHex64(hex)) {
              p.AddError(pointer + "/" + std::to_string(i),
                         "expected 64 hex digits (SHA-256 of the UTF-8 password)");
              continue;
            }
            config.leaked_password_sha256.insert(std::move(hex));
          }
        }},
       {"noLearningLevel",
        [&](const Json& value, const std::string& pointer) {
          std::optional<RiskLevel> level =
              value.is_string() ? ParseRiskLevel(value.get<std::string>()) : std::nullopt;
          if (!level.has_value() || *level == RiskLevel::kNone) {
            p.AddError(pointer, "expected \"low\", \"medium\" or \"high\"");
            return;
          }
          config.no_learning_level = *level;
        }},
       {"failureErrorCodes",
        [&](const Json& value, const std::string& pointer) {
          if (!value.is_array()) {
            p.AddError(pointer, "expected an array of Graph status.errorCode integers");
            return;
          }
          config.failure_error_codes.clear();
          for (std::size_t i = 0; i < value.size(); ++i) {
            if (!value[i].is_number_integer() || value[i].get<std::int64_t>() <= 0 ||
                value[i].get<std::int64_t>() > std::numeric_limits<int>::max()) {
              p.AddError(pointer + "/" + std::to_string(i), "expected a positive integer");
              continue;
            }
            config.failure_error_codes.insert(static_cast<int>(value[i].get<std::int64_t>()));
          }
        }}},
      p);
  config.user_risk_half_life = absl::Hours(half_life_hours);
  for (std::size_t i = before; i < problems.problems().size(); ++i) {
    if (problems.problems()[i].severity == core::Severity::kError) {
      return absl::InvalidArgumentError(problems.problems()[i].pointer + ": " +
                                        problems.problems()[i].message);
    }
  }
  return config;
}

}  // namespace gatehouse::risk
