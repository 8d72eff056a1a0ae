// Reads one Graph `signIn` object (a line of `gatehouse risk score --signins`, DESIGN §3.6) into
// a SignInObservation. Fields read: id, createdDateTime (required), userId (required), ipAddress,
// autonomousSystemNumber, location {countryOrRegion, city, geoCoordinates {latitude, longitude}},
// deviceDetail {deviceId, browser, operatingSystem}, userAgent, status {errorCode}, and the
// Gatehouse extension passwordSha256 (64 hex digits; for replaying leaked-credential checks).
// Other fields are ignored, as in every Graph reader. Errors name the field as a JSON pointer and
// say why ("/location/geoCoordinates/latitude: expected a number from -90 to 90"); never throws.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"
#include "risk/types.h"

namespace gatehouse::risk {

struct SignInLine {
  std::string id;  // "" when absent
  SignInObservation observation;
};

inline constexpr std::size_t kMaxSignInLineBytes = 64 * 1024;

// Parses the JSON text of one line (UTF-8; at most kMaxSignInLineBytes, nesting depth 16).
absl::StatusOr<SignInLine> ParseSignInLine(std::string_view text);
// Reads an already parsed object.
absl::StatusOr<SignInLine> ReadSignIn(const nlohmann::json& doc);

}  // namespace gatehouse::risk
