#include "risk/sign_in_line.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/iso_time.h"
#include "core/json_document.h"
#include "core/text.h"
#include "nlohmann/json.hpp"

namespace gatehouse::risk {

namespace {

using Json = nlohmann::json;

absl::Status Error(std::string_view pointer, std::string_view why) {
  if (pointer.empty()) return absl::InvalidArgumentError(std::string(why));
  return absl::InvalidArgumentError(absl::StrCat(std::string(pointer), ": ", std::string(why)));
}

// Optional string member: absent/null → "", other types → error.
absl::Status OptionalString(const Json& object, const char* key, std::string_view pointer,
                            std::string& out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return Error(absl::StrCat(std::string(pointer), "/", key), "expected a string");
  out = it->get<std::string>();
  return absl::OkStatus();
}

// Optional object member: absent/null → nullptr.
absl::StatusOr<const Json*> OptionalObject(const Json& object, const char* key,
                                           std::string_view pointer) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  if (!it->is_object()) return Error(absl::StrCat(std::string(pointer), "/", key), "expected an object");
  return &*it;
}

absl::StatusOr<std::optional<double>> OptionalCoordinate(const Json& object, const char* key,
                                                         std::string_view pointer, double limit) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<double>();
  const std::string where = absl::StrCat(std::string(pointer), "/", key);
  if (!it->is_number() || !std::isfinite(it->get<double>()) ||
      std::abs(it->get<double>()) > limit) {
    return Error(where, absl::StrCat("expected a number from -", limit, " to ", limit));
  }
  return std::optional<double>(it->get<double>());
}

bool IsHex64(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<SignInLine> ParseSignInLine(std::string_view text) {
  if (text.size() > kMaxSignInLineBytes) {
    return Error("", absl::StrCat("line is longer than ", kMaxSignInLineBytes, " bytes"));
  }
  core::JsonParseOptions options;
  options.max_bytes = kMaxSignInLineBytes;
  options.max_depth = 16;
  auto doc = core::ParseJsonDocument(text, options);
  if (!doc.ok()) return Error("", absl::StrCat("not JSON: ", doc.status().message()));
  return ReadSignIn(*doc);
}

absl::StatusOr<SignInLine> ReadSignIn(const nlohmann::json& doc) {
  if (!doc.is_object()) return Error("", "expected a JSON object (one Graph signIn per line)");
  SignInLine line;
  SignInObservation& o = line.observation;
  if (absl::Status s = OptionalString(doc, "id", "", line.id); !s.ok()) return s;

  std::string created;
  if (absl::Status s = OptionalString(doc, "createdDateTime", "", created); !s.ok()) return s;
  if (created.empty()) return Error("/createdDateTime", "required (ISO 8601 date-time)");
  auto time = core::ParseIsoDateTime(created);
  if (!time.ok()) {
    return Error("/createdDateTime", absl::StrCat("'", created, "' is not an ISO 8601 date-time"));
  }
  o.time = *time;

  if (absl::Status s = OptionalString(doc, "userId", "", o.user_id); !s.ok()) return s;
  if (o.user_id.empty()) return Error("/userId", "required (the user's object id)");

  std::string ip;
  if (absl::Status s = OptionalString(doc, "ipAddress", "", ip); !s.ok()) return s;
  if (!ip.empty()) {
    o.ip = location::IpAddress::Parse(ip);
    if (!o.ip.has_value()) {
      return Error("/ipAddress", absl::StrCat("'", ip.substr(0, 64),
                                              "' is not an IPv4 or IPv6 address"));
    }
  }

  if (auto it = doc.find("autonomousSystemNumber"); it != doc.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
        it->get<std::int64_t>() > std::numeric_limits<std::uint32_t>::max()) {
      return Error("/autonomousSystemNumber", "expected an integer from 0 to 4294967295");
    }
    // Graph writes 0 when the ASN is unknown.
    if (it->get<std::int64_t>() != 0) o.asn = static_cast<std::uint32_t>(it->get<std::int64_t>());
  }

  auto location = OptionalObject(doc, "location", "");
  if (!location.ok()) return location.status();
  if (*location != nullptr) {
    const Json& l = **location;
    if (absl::Status s = OptionalString(l, "countryOrRegion", "/location", o.country); !s.ok()) {
      return s;
    }
    if (!o.country.empty()) {
      if (o.country.size() != 2 || !std::isalpha(static_cast<unsigned char>(o.country[0])) ||
          !std::isalpha(static_cast<unsigned char>(o.country[1]))) {
        return Error("/location/countryOrRegion",
                     absl::StrCat("'", o.country.substr(0, 16),
                                  "' is not a two-letter ISO 3166 country code"));
      }
      o.country[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(o.country[0])));
      o.country[1] = static_cast<char>(std::toupper(static_cast<unsigned char>(o.country[1])));
    }
    if (absl::Status s = OptionalString(l, "city", "/location", o.city); !s.ok()) return s;
    auto geo = OptionalObject(l, "geoCoordinates", "/location");
    if (!geo.ok()) return geo.status();
    if (*geo != nullptr) {
      auto lat = OptionalCoordinate(**geo, "latitude", "/location/geoCoordinates", 90);
      if (!lat.ok()) return lat.status();
      auto lon = OptionalCoordinate(**geo, "longitude", "/location/geoCoordinates", 180);
      if (!lon.ok()) return lon.status();
      if (lat->has_value() != lon->has_value()) {
        return Error("/location/geoCoordinates",
                     "latitude and longitude must be given together");
      }
      o.latitude = *lat;
      o.longitude = *lon;
    }
  }

  auto device = OptionalObject(doc, "deviceDetail", "");
  if (!device.ok()) return device.status();
  if (*device != nullptr) {
    const Json& d = **device;
    for (auto [key, out] : {std::pair{"deviceId", &o.device_id}, std::pair{"browser", &o.browser},
                            std::pair{"operatingSystem", &o.operating_system}}) {
      if (absl::Status s = OptionalString(d, key, "/deviceDetail", *out); !s.ok()) return s;
    }
  }
  if (absl::Status s = OptionalString(doc, "userAgent", "", o.user_agent); !s.ok()) return s;

  auto status = OptionalObject(doc, "status", "");
  if (!status.ok()) return status.status();
  if (*status != nullptr) {
    if (auto it = (*status)->find("errorCode"); it != (*status)->end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
          it->get<std::int64_t>() > std::numeric_limits<int>::max()) {
        return Error("/status/errorCode", "expected a non-negative integer (0 = success)");
      }
      o.error_code = static_cast<int>(it->get<std::int64_t>());
    }
  }

  std::string hash;
  if (absl::Status s = OptionalString(doc, "passwordSha256", "", hash); !s.ok()) return s;
  if (!hash.empty()) {
    if (!IsHex64(hash)) return Error("/passwordSha256", "expected 64 hex digits (SHA-256)");
    o.password_sha256 = core::AsciiLower(hash);
  }
  return line;
}

}  // namespace gatehouse::risk
