// libFuzzer target for named locations: bytes -> core::ParseJsonDocument -> ParseNamedLocation,
// plus the address and CIDR parsers on the raw bytes. Beyond "no crash, no sanitizer report" it
// checks the contract: a parsed location has no errors, an id, sorted upper-case alpha-2 countries
// and at most kMaxRangesPerLocation ranges; a rejected one has at least one error, every problem
// pointer is "" or starts with '/'; addresses and ranges print to text that parses back the same.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json_document.h"
#include "core/problem.h"
#include "location/ip_address.h"
#include "location/named_location.h"

namespace {

using gatehouse::location::CidrRange;
using gatehouse::location::IpAddress;
using gatehouse::location::NamedLocation;
using gatehouse::location::SignInOrigin;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckAddressText(std::string_view text) {
  std::optional<IpAddress> address = IpAddress::Parse(text);
  if (address.has_value()) {
    std::optional<IpAddress> again = IpAddress::Parse(address->ToString());
    Check(again.has_value() && *again == *address);
  }
  absl::StatusOr<CidrRange> range = CidrRange::Parse(text);
  if (range.ok()) {
    absl::StatusOr<CidrRange> again = CidrRange::Parse(range->ToString());
    Check(again.ok() && again->ToString() == range->ToString());
    Check(again->prefix_length() == range->prefix_length() && again->is_v4() == range->is_v4());
    const std::string network = range->ToString();
    std::optional<IpAddress> first = IpAddress::Parse(network.substr(0, network.find('/')));
    Check(first.has_value() && range->Contains(*first));
  } else {
    Check(range.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

void CheckLocation(const NamedLocation& location) {
  Check(!location.id.empty());
  Check(location.ranges.size() <= gatehouse::location::kMaxRangesPerLocation);
  Check(std::is_sorted(location.countries.begin(), location.countries.end()));
  Check(std::adjacent_find(location.countries.begin(), location.countries.end()) ==
        location.countries.end());
  for (const std::string& country : location.countries) {
    Check(country.size() == 2 && country[0] >= 'A' && country[0] <= 'Z' && country[1] >= 'A' &&
          country[1] <= 'Z');
  }
  if (location.kind != gatehouse::location::NamedLocationKind::kIp) Check(!location.is_trusted);

  SignInOrigin origin;
  Check(!gatehouse::location::LocationMatches(location, origin) ||
        location.include_unknown_countries);
  for (const char* ip : {"203.0.113.7", "2001:db8::1", "10.1.2.3", "::ffff:1.2.3.4"}) {
    origin.ip = IpAddress::Parse(ip);
    origin.country = location.countries.empty() ? "NL" : location.countries.front();
    const bool matches = gatehouse::location::LocationMatches(location, origin);
    if (location.kind == gatehouse::location::NamedLocationKind::kCompliantNetwork) {
      Check(!matches);
    }
    if (location.kind == gatehouse::location::NamedLocationKind::kCountry &&
        !location.countries.empty()) {
      Check(matches);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (size <= 64) CheckAddressText(bytes);

  absl::StatusOr<nlohmann::json> doc = gatehouse::core::ParseJsonDocument(bytes);
  if (!doc.ok()) return 0;
  gatehouse::core::ProblemList problems;
  absl::StatusOr<NamedLocation> location = gatehouse::location::ParseNamedLocation(*doc, problems);
  for (const gatehouse::core::Problem& problem : problems.problems()) {
    Check(problem.pointer.empty() || problem.pointer.front() == '/');
    Check(!problem.message.empty());
  }
  if (location.ok()) {
    Check(!problems.has_errors());
    CheckLocation(*location);
  } else {
    Check(problems.has_errors());
    Check(location.status().code() == absl::StatusCode::kInvalidArgument);
  }
  return 0;
}
