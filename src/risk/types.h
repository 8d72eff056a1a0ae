// Risk engine vocabulary: levels, detections, one observed sign-in and the assessment of it.
//
// The risk module is a pure engine (DESIGN §2): it never reads files, clocks or the network. The
// caller (the sign-in pipeline of `idp`, or `gatehouse risk score`) describes each sign-in as a
// SignInObservation with its own time and passes the state it keeps (profiles, recent activity,
// user risk) by reference. Plain values; thread-compatible (no internal locking).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "location/ip_address.h"

namespace gatehouse::risk {

// Graph `riskLevel` values we produce (hidden/unknownFutureValue are never produced).
enum class RiskLevel : std::uint8_t { kNone = 0, kLow = 1, kMedium = 2, kHigh = 3 };

std::string_view RiskLevelName(RiskLevel level);  // "none", "low", "medium", "high"
std::optional<RiskLevel> ParseRiskLevel(std::string_view text);  // case-insensitive

// Detection types, named as Graph `riskEventTypes_v2` values where Entra has one.
enum class DetectionType : std::uint8_t {
  kUnfamiliarFeatures,  // "unfamiliarFeatures"
  kImpossibleTravel,    // "impossibleTravel" (DESIGN §3.6; Entra's portal calls it atypical travel)
  kAnonymizedIp,        // "anonymizedIPAddress"
  kMaliciousIp,         // "maliciousIPAddress"
  kPasswordSpray,       // "passwordSpray"
  kBruteForce,          // "bruteForce" (Gatehouse; Entra has no real-time equivalent)
  kLeakedCredentials,   // "leakedCredentials"
};
inline constexpr int kDetectionTypeCount = 7;

std::string_view DetectionTypeName(DetectionType type);
std::optional<DetectionType> ParseDetectionType(std::string_view text);

// One detection: what fired, how bad, how sure, and why in words an admin can act on.
struct Detection {
  DetectionType type = DetectionType::kUnfamiliarFeatures;
  RiskLevel level = RiskLevel::kLow;
  double confidence = 0;  // 0..1
  std::string explanation;
};

// One sign-in as the risk engine sees it. Everything but user_id and time is optional: a
// missing property neither raises nor lowers risk (except the device, where "no device identity
// presented" is itself a value).
struct SignInObservation {
  std::string user_id;
  absl::Time time = absl::UnixEpoch();
  std::optional<location::IpAddress> ip;
  std::optional<std::uint32_t> asn;
  std::string country;  // ISO alpha-2 upper case, "" unknown
  std::string city;
  std::optional<double> latitude;
  std::optional<double> longitude;
  std::string device_id;        // "" = no device identity presented
  std::string browser;          // Graph deviceDetail.browser, e.g. "Chrome 120.0.6099"
  std::string operating_system; // Graph deviceDetail.operatingSystem, e.g. "Windows10"
  std::string user_agent;       // raw User-Agent, used when browser/os are not given
  // Lower-case hex SHA-256 of the UTF-8 password, computed by the caller during a password
  // sign-in and dropped right after the assessment (never stored by the engine). Empty when the
  // sign-in carried no password.
  std::string password_sha256;
  // Graph status.errorCode of the outcome (0 = success). Only used when recording the outcome.
  int error_code = 0;
};

// The result for one sign-in. `detections` are in a fixed order (the DetectionType order).
struct SignInRiskAssessment {
  RiskLevel level = RiskLevel::kNone;  // riskLevelDuringSignIn
  double score = 0;                    // combined 0..1 (noisy-OR of the detections)
  std::vector<Detection> detections;
  RiskLevel user_risk_level = RiskLevel::kNone;  // the user's risk before this sign-in
  double unfamiliar_score = 0;  // log10 likelihood ratio of the unfamiliar-features model

  std::vector<std::string> RiskEventTypes() const;  // Graph riskEventTypes_v2
  // "none" when nothing fired; otherwise every explanation, "; "-separated.
  std::string Detail() const;
};

}  // namespace gatehouse::risk
