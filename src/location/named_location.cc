#include "location/named_location.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace gatehouse::location {
namespace {

using nlohmann::json;

constexpr char kIpType[] = "microsoft.graph.ipnamedlocation";
constexpr char kCountryType[] = "microsoft.graph.countrynamedlocation";
constexpr char kCompliantNetworkType[] = "microsoft.graph.compliantnetworknamedlocation";
constexpr char kIpv4RangeType[] = "microsoft.graph.ipv4cidrrange";
constexpr char kIpv6RangeType[] = "microsoft.graph.ipv6cidrrange";

// "#microsoft.graph.ipNamedLocation" -> "microsoft.graph.ipnamedlocation": Graph writes the
// leading '#', hand-written bundles sometimes do not; the comparison is case-insensitive.
std::string NormalizeODataType(const std::string& type) {
  std::string out = absl::AsciiStrToLower(type);
  if (!out.empty() && out.front() == '#') out.erase(0, 1);
  return out;
}

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

const json* Member(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end()) return nullptr;
  return &*it;
}

// Optional boolean: missing or null leaves `out` unchanged.
void ReadBool(const json& doc, const char* key, bool& out, core::ProblemList& problems) {
  const json* value = Member(doc, key);
  if (value == nullptr || value->is_null()) return;
  if (!value->is_boolean()) {
    problems.AddError(std::string("/") + key, "must be true or false");
    return;
  }
  out = value->get<bool>();
}

bool IsTwoLetterCode(const std::string& code) {
  return code.size() == 2 && absl::ascii_isalpha(static_cast<unsigned char>(code[0])) &&
         absl::ascii_isalpha(static_cast<unsigned char>(code[1]));
}

void ParseIpRanges(const json& doc, NamedLocation& location, core::ProblemList& problems) {
  const json* ranges = Member(doc, "ipRanges");
  if (ranges == nullptr || ranges->is_null()) {
    problems.AddError("/ipRanges", "required");
    return;
  }
  if (!ranges->is_array()) {
    problems.AddError("/ipRanges", "must be an array of ranges");
    return;
  }
  if (ranges->empty()) {
    problems.AddError("/ipRanges", "at least one range is required");
    return;
  }
  if (ranges->size() > kMaxRangesPerLocation) {
    problems.AddError("/ipRanges", std::to_string(ranges->size()) + " ranges; at most " +
                                       std::to_string(kMaxRangesPerLocation) + " are allowed");
  }
  std::vector<CidrRange> parsed;
  parsed.reserve(ranges->size());
  for (std::size_t i = 0; i < ranges->size(); ++i) {
    const json& item = (*ranges)[i];
    const std::string pointer = "/ipRanges/" + std::to_string(i);
    if (!item.is_object()) {
      problems.AddError(pointer, "must be an object with cidrAddress");
      continue;
    }
    const json* cidr = Member(item, "cidrAddress");
    if (cidr == nullptr || cidr->is_null()) {
      problems.AddError(pointer + "/cidrAddress", "required");
      continue;
    }
    if (!cidr->is_string()) {
      problems.AddError(pointer + "/cidrAddress", "must be a string");
      continue;
    }
    const std::string& text = cidr->get_ref<const std::string&>();
    absl::StatusOr<CidrRange> range = CidrRange::Parse(text);
    if (!range.ok()) {
      problems.AddError(pointer + "/cidrAddress", std::string(range.status().message()));
      continue;
    }
    bool usable = true;
    if (range->prefix_length() <= kMinPrefixLengthExclusive) {
      problems.AddError(pointer + "/cidrAddress", Quoted(text) +
                                                      ": the mask must be longer than /" +
                                                      std::to_string(kMinPrefixLengthExclusive));
      usable = false;
    }
    const json* type = Member(item, "@odata.type");
    if (type != nullptr && !type->is_null()) {
      const std::string normalized =
          type->is_string() ? NormalizeODataType(type->get_ref<const std::string&>()) : "";
      if (normalized == kIpv4RangeType || normalized == kIpv6RangeType) {
        const bool declared_v4 = normalized == kIpv4RangeType;
        if (declared_v4 != range->is_v4()) {
          problems.AddError(pointer + "/@odata.type",
                            Quoted(type->get<std::string>()) + " does not match " + Quoted(text) +
                                (range->is_v4() ? ", an IPv4 range" : ", an IPv6 range"));
          usable = false;
        }
      } else {
        problems.AddError(pointer + "/@odata.type",
                          "unknown range type " +
                              Quoted(type->is_string() ? type->get<std::string>() : type->dump()) +
                              " (expected #microsoft.graph.iPv4CidrRange or "
                              "#microsoft.graph.iPv6CidrRange)");
        usable = false;
      }
    }
    if (usable) parsed.push_back(*std::move(range));
  }
  location.ranges = CidrSet(std::move(parsed));
}

void AddCountry(const std::string& raw, const std::string& pointer,
                std::vector<std::string>& countries, core::ProblemList& problems) {
  const std::string code(absl::StripAsciiWhitespace(raw));
  if (!IsTwoLetterCode(code)) {
    problems.AddError(pointer, Quoted(raw) + " is not a two-letter country code");
    return;
  }
  countries.push_back(absl::AsciiStrToUpper(code));
}

void ParseCountries(const json& doc, NamedLocation& location, core::ProblemList& problems) {
  ReadBool(doc, "includeUnknownCountriesAndRegions", location.include_unknown_countries, problems);

  const json* method = Member(doc, "countryLookupMethod");
  if (method != nullptr && !method->is_null()) {
    const std::string token =
        method->is_string() ? absl::AsciiStrToLower(method->get_ref<const std::string&>()) : "";
    if (token == "clientipaddress") {
      location.lookup_method = CountryLookupMethod::kClientIpAddress;
    } else if (token == "authenticatorappgps") {
      location.lookup_method = CountryLookupMethod::kAuthenticatorAppGps;
    } else {
      problems.AddError(
          "/countryLookupMethod",
          "unknown value " +
              Quoted(method->is_string() ? method->get<std::string>() : method->dump()) +
              " (expected clientIpAddress or authenticatorAppGps)");
    }
  }

  const json* list = Member(doc, "countriesAndRegions");
  if (list == nullptr || list->is_null()) {
    problems.AddError("/countriesAndRegions", "required");
    return;
  }
  std::vector<std::string> countries;
  if (list->is_array()) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& item = (*list)[i];
      const std::string pointer = "/countriesAndRegions/" + std::to_string(i);
      if (!item.is_string()) {
        problems.AddError(pointer, "must be a two-letter country code string");
        continue;
      }
      AddCountry(item.get_ref<const std::string&>(), pointer, countries, problems);
    }
  } else if (list->is_string()) {
    // Graph collections sometimes arrive as one comma-separated string (see core::ReadTokenList).
    for (absl::string_view piece : absl::StrSplit(list->get_ref<const std::string&>(), ',')) {
      if (absl::StripAsciiWhitespace(piece).empty()) continue;
      AddCountry(std::string(piece), "/countriesAndRegions", countries, problems);
    }
  } else {
    problems.AddError("/countriesAndRegions", "must be an array of two-letter country codes");
    return;
  }
  std::sort(countries.begin(), countries.end());
  countries.erase(std::unique(countries.begin(), countries.end()), countries.end());
  if (countries.empty() && !location.include_unknown_countries) {
    problems.AddWarning("/countriesAndRegions",
                        "no countries and includeUnknownCountriesAndRegions is false: the "
                        "location matches no sign-in");
  }
  location.countries = std::move(countries);
}

}  // namespace

bool LocationMatches(const NamedLocation& location, const SignInOrigin& origin) {
  switch (location.kind) {
    case NamedLocationKind::kIp:
      return origin.ip.has_value() && location.ranges.Contains(*origin.ip);
    case NamedLocationKind::kCountry: {
      // The origin carries one country, resolved by ResolveOrigin (given, else GeoIP). We have no
      // Authenticator GPS signal, so GPS-mode locations use the same country.
      if (!origin.country.has_value() || origin.country->empty()) {
        return location.include_unknown_countries;
      }
      const std::string country = absl::AsciiStrToUpper(*origin.country);
      return std::binary_search(location.countries.begin(), location.countries.end(), country);
    }
    case NamedLocationKind::kCompliantNetwork:
      return false;
  }
  return false;
}

absl::StatusOr<NamedLocation> ParseNamedLocation(const nlohmann::json& doc,
                                                 core::ProblemList& problems) {
  if (!doc.is_object()) {
    problems.AddError("", "a named location must be a JSON object");
    return absl::InvalidArgumentError("a named location must be a JSON object");
  }
  core::ProblemList local;
  NamedLocation location;

  const json* id = Member(doc, "id");
  if (id == nullptr || id->is_null() ||
      (id->is_string() && id->get_ref<const std::string&>().empty())) {
    local.AddError("/id", "required");
  } else if (!id->is_string()) {
    local.AddError("/id", "must be a string");
  } else {
    location.id = id->get<std::string>();
  }

  const json* display_name = Member(doc, "displayName");
  if (display_name != nullptr && !display_name->is_null()) {
    if (display_name->is_string()) {
      location.display_name = display_name->get<std::string>();
    } else {
      local.AddError("/displayName", "must be a string");
    }
  }

  const json* type = Member(doc, "@odata.type");
  bool kind_known = true;
  if (type != nullptr && !type->is_null()) {
    const std::string normalized =
        type->is_string() ? NormalizeODataType(type->get_ref<const std::string&>()) : "";
    if (normalized == kIpType) {
      location.kind = NamedLocationKind::kIp;
    } else if (normalized == kCountryType) {
      location.kind = NamedLocationKind::kCountry;
    } else if (normalized == kCompliantNetworkType) {
      location.kind = NamedLocationKind::kCompliantNetwork;
    } else {
      local.AddError("/@odata.type",
                     "unknown named location type " +
                         Quoted(type->is_string() ? type->get<std::string>() : type->dump()) +
                         " (expected #microsoft.graph.ipNamedLocation, "
                         "#microsoft.graph.countryNamedLocation or "
                         "#microsoft.graph.compliantNetworkNamedLocation)");
      kind_known = false;
    }
  } else {
    const bool has_ranges = doc.contains("ipRanges");
    const bool has_countries = doc.contains("countriesAndRegions");
    if (has_ranges && !has_countries) {
      location.kind = NamedLocationKind::kIp;
    } else if (has_countries && !has_ranges) {
      location.kind = NamedLocationKind::kCountry;
    } else {
      local.AddError("/@odata.type",
                     has_ranges ? "required when both ipRanges and countriesAndRegions are given"
                                : "required (or ipRanges / countriesAndRegions to tell the kind)");
      kind_known = false;
    }
  }

  if (kind_known) {
    switch (location.kind) {
      case NamedLocationKind::kIp:
        ReadBool(doc, "isTrusted", location.is_trusted, local);
        ParseIpRanges(doc, location, local);
        break;
      case NamedLocationKind::kCountry: {
        bool trusted = false;
        ReadBool(doc, "isTrusted", trusted, local);
        if (trusted) {
          local.AddWarning("/isTrusted", "only IP locations can be trusted; ignored");
        }
        ParseCountries(doc, location, local);
        break;
      }
      case NamedLocationKind::kCompliantNetwork:
        // Entra itself exports `isTrusted: true` here; trust only ever comes from IP locations
        // (AllTrusted), and a compliant network never matches, so it is ignored without a word.
        break;
    }
  }

  std::size_t errors = 0;
  const core::Problem* first_error = nullptr;
  for (const core::Problem& problem : local.problems()) {
    if (problem.severity != core::Severity::kError) continue;
    if (first_error == nullptr) first_error = &problem;
    ++errors;
  }
  std::string summary;
  if (first_error != nullptr) {
    summary = first_error->pointer + ": " + first_error->message;
    if (errors > 1) summary += " (and " + std::to_string(errors - 1) + " more problems)";
  }
  problems.Merge(local);
  // A location with any error is unusable: a policy that includes or excludes it would silently
  // mean something else than the admin wrote, so the caller must not compile it.
  if (errors > 0) return absl::InvalidArgumentError(summary);
  return location;
}

SignInOrigin ResolveOrigin(std::optional<IpAddress> ip, std::optional<std::string> given_country,
                           const CountryResolver* resolver) {
  SignInOrigin origin;
  origin.ip = ip;
  if (given_country.has_value()) {
    std::string country(absl::StripAsciiWhitespace(*given_country));
    if (!country.empty()) {
      origin.country = absl::AsciiStrToUpper(country);
      return origin;
    }
  }
  if (ip.has_value() && resolver != nullptr) origin.country = resolver->CountryOf(*ip);
  return origin;
}

}  // namespace gatehouse::location
