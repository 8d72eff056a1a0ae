#include "core/iso_time.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gatehouse::core {

absl::StatusOr<absl::Time> ParseIsoDateTime(std::string_view text) {
  std::string input(text);
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, input, &time, &error)) return time;
  if (input.size() == 10 && absl::ParseTime("%Y-%m-%d", input, absl::UTCTimeZone(), &time, &error)) {
    return time;
  }
  // Graph sometimes omits the zone ("2024-05-01T10:00:00"); it means UTC.
  if (absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", input, absl::UTCTimeZone(), &time, &error)) {
    return time;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", std::string(text), "' is not an ISO 8601 date-time (expected e.g. 2024-05-01T10:00:00Z)"));
}

std::string FormatIsoDateTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

}  // namespace gatehouse::core
