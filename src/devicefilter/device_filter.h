// Filter for devices: the rule language of Conditional Access `conditions.devices.deviceFilter`
// (shared/reference/ca-semantics.md §3). A rule is parsed once into an immutable DeviceFilter
// that is safe to share between threads and evaluates without allocating.
//
// Null semantics (§3.4): for an unregistered device every property is null; a comparison with a
// positive operator (-eq, -startsWith, -endsWith, -contains, -in) on null is false, a negative one
// (-ne, -notStartsWith, -notEndsWith, -notContains, -notIn) is true. -and / -or then combine.
// Whether a policy applies for the rule's result depends on the filter mode (include: applies iff
// true; exclude: applies iff false); that is the caller's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gatehouse::devicefilter {

enum class DeviceProperty : std::uint8_t {
  kDeviceId,
  kDisplayName,
  kDeviceOwnership,
  kEnrollmentProfileName,
  kIsCompliant,
  kManufacturer,
  kMdmAppId,
  kModel,
  kOperatingSystem,
  kOperatingSystemVersion,
  kPhysicalIds,   // collection
  kProfileType,
  kSystemLabels,  // collection
  kTrustType,
  kExtensionAttribute1,
  kExtensionAttribute2,
  kExtensionAttribute3,
  kExtensionAttribute4,
  kExtensionAttribute5,
  kExtensionAttribute6,
  kExtensionAttribute7,
  kExtensionAttribute8,
  kExtensionAttribute9,
  kExtensionAttribute10,
  kExtensionAttribute11,
  kExtensionAttribute12,
  kExtensionAttribute13,
  kExtensionAttribute14,
  kExtensionAttribute15,
};
inline constexpr std::size_t kDevicePropertyCount = 29;

// Graph's spelling of the property ("deviceId", "extensionAttribute7", ...).
std::string_view DevicePropertyName(DeviceProperty property);
// Case-insensitive lookup of a property name without the "device." prefix.
std::optional<DeviceProperty> DevicePropertyFromName(std::string_view name);
bool IsCollectionProperty(DeviceProperty property);

// What a filter reads about the device of a sign-in. Implementations adapt a directory device
// record or a What If `deviceInfo`; for an unregistered device every accessor returns nullopt.
class DevicePropertySource {
 public:
  virtual ~DevicePropertySource() = default;
  // A scalar property's value, nullopt when null. isCompliant reads as "True" or "False".
  // Not called for collection properties.
  virtual std::optional<std::string_view> Scalar(DeviceProperty property) const = 0;
  // A collection property's values (physicalIds, systemLabels), nullopt when null.
  // Only called for collection properties.
  virtual std::optional<std::span<const std::string>> Collection(DeviceProperty property) const = 0;
};

struct DeviceFilterLimits {
  std::size_t max_rule_length = 3072;  // documented Entra limit (characters)
  std::size_t max_nesting = 32;        // parentheses depth
  std::size_t max_list_items = 500;    // items in one -in / -notIn list
};

// A parsed rule. Copyable (shares the immutable compiled form).
class DeviceFilter {
 public:
  // Parses `rule`. On error: InvalidArgument whose message starts with
  // "position N: " (1-based character position) and says what was expected and what was found,
  // e.g. "position 15: expected an operator such as -eq, found 'eq'".
  static absl::StatusOr<DeviceFilter> Parse(std::string_view rule,
                                            const DeviceFilterLimits& limits = {});

  // True when the rule holds for `device` (null semantics as described above).
  bool Matches(const DevicePropertySource& device) const;

  const std::string& rule() const;
  // Properties the rule reads, each once, in order of first use.
  const std::vector<DeviceProperty>& properties() const;

  struct Compiled;  // defined in device_filter.cc

 private:
  explicit DeviceFilter(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace gatehouse::devicefilter
