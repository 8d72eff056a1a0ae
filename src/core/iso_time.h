// ISO 8601 / RFC 3339 date-times as Graph writes them ("2024-05-01T10:00:00Z",
// "2024-05-01T10:00:00.1234567+02:00", or a bare date "2024-05-01" meaning midnight UTC).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gatehouse::core {

absl::StatusOr<absl::Time> ParseIsoDateTime(std::string_view text);

// "2024-05-01T10:00:00Z" (seconds precision, UTC).
std::string FormatIsoDateTime(absl::Time time);

}  // namespace gatehouse::core
