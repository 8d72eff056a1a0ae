// Builders shared by the risk tests.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "risk/types.h"

namespace gatehouse::risk::testing {

inline absl::Time At(int day, int hour = 9, int minute = 0) {
  return absl::FromUnixSeconds(1735689600 /* 2025-01-01T00:00:00Z */ + day * 86400 + hour * 3600 +
                               minute * 60);
}

// A sign-in from Amsterdam on the user's laptop (Chrome on Windows, AS1136, 203.0.113.x).
inline SignInObservation Home(const std::string& user, absl::Time time) {
  SignInObservation o;
  o.user_id = user;
  o.time = time;
  o.ip = location::IpAddress::Parse("203.0.113.10");
  o.asn = 1136;
  o.country = "NL";
  o.city = "Amsterdam";
  o.latitude = 52.37;
  o.longitude = 4.90;
  o.device_id = "laptop-" + user;
  o.browser = "Chrome 120.0.6099";
  o.operating_system = "Windows10";
  return o;
}

// The same user from Lagos, AS37148, an unknown device, Firefox on Linux.
inline SignInObservation Takeover(const std::string& user, absl::Time time) {
  SignInObservation o;
  o.user_id = user;
  o.time = time;
  o.ip = location::IpAddress::Parse("198.51.100.77");
  o.asn = 37148;
  o.country = "NG";
  o.city = "Lagos";
  o.latitude = 6.52;
  o.longitude = 3.38;
  o.browser = "Firefox 121.0";
  o.operating_system = "Linux";
  return o;
}

}  // namespace gatehouse::risk::testing
