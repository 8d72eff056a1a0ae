// Named locations (Graph `ipNamedLocation`, `countryNamedLocation`,
// `compliantNetworkNamedLocation`) and how a sign-in's origin matches them
// (shared/reference/ca-semantics.md §4, implementation note 16).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/problem.h"
#include "location/ip_address.h"
#include "nlohmann/json_fwd.hpp"

namespace gatehouse::location {

inline constexpr std::size_t kMaxRangesPerLocation = 2000;  // documented Entra limit
inline constexpr int kMinPrefixLengthExclusive = 8;         // masks must be longer than /8

enum class NamedLocationKind { kIp, kCountry, kCompliantNetwork };
enum class CountryLookupMethod { kClientIpAddress, kAuthenticatorAppGps };

struct NamedLocation {
  std::string id;
  std::string display_name;
  NamedLocationKind kind = NamedLocationKind::kIp;
  bool is_trusted = false;  // only IP locations can be trusted
  CidrSet ranges;           // IP locations
  std::vector<std::string> countries;  // country locations: ISO alpha-2, upper case, sorted
  bool include_unknown_countries = false;
  CountryLookupMethod lookup_method = CountryLookupMethod::kClientIpAddress;
};

// Where a sign-in comes from, resolved once per sign-in (see ResolveOrigin).
struct SignInOrigin {
  std::optional<IpAddress> ip;
  std::optional<std::string> country;  // ISO alpha-2, upper case; nullopt = unknown
};

// IP location: the origin's IP is in its ranges. Country location: the origin's country is in its
// list, or the country is unknown and include_unknown_countries is set. A compliant-network
// location never matches (we have no Global Secure Access client to prove it).
bool LocationMatches(const NamedLocation& location, const SignInOrigin& origin);

// Parses one Graph named location as exported (`@odata.type` decides the kind; when it is absent
// the presence of `ipRanges` or `countriesAndRegions` does). Every problem is added to `problems`
// with the JSON pointer relative to `doc` (e.g. "/ipRanges/3/cidrAddress"); returns an error
// status when the location cannot be used at all. Enforces kMaxRangesPerLocation and the /8 rule.
absl::StatusOr<NamedLocation> ParseNamedLocation(const nlohmann::json& doc,
                                                 core::ProblemList& problems);

// Country of an IP address, from a GeoIP database.
class CountryResolver {
 public:
  virtual ~CountryResolver() = default;
  // ISO alpha-2 upper case, or nullopt when the database does not know the address.
  virtual std::optional<std::string> CountryOf(const IpAddress& address) const = 0;
};

// Country lookup in a MaxMind DB file (GeoLite2-Country, GeoIP2-Country, DB-IP country lite, or
// any .mmdb with `country.iso_code`). The file is opened (memory-mapped) once by the composition
// root; lookups are then pure and thread-safe.
class MaxMindCountryDatabase final : public CountryResolver {
 public:
  static absl::StatusOr<std::unique_ptr<MaxMindCountryDatabase>> Open(const std::string& path);
  ~MaxMindCountryDatabase() override;
  std::optional<std::string> CountryOf(const IpAddress& address) const override;

 private:
  struct Handle;
  explicit MaxMindCountryDatabase(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

// The origin of a sign-in: a country given in the request is used as is (upper-cased);
// otherwise the resolver (may be null) looks up the IP.
SignInOrigin ResolveOrigin(std::optional<IpAddress> ip, std::optional<std::string> given_country,
                           const CountryResolver* resolver);

}  // namespace gatehouse::location
