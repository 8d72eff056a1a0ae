// Helpers shared by the compliance codecs: case-insensitive tokens and JSON-pointer errors.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/problem.h"
#include "core/text.h"

namespace gatehouse::compliance::internal {

using core::EqualsIgnoreCase;

// InvalidArgument "pointer: message" (just the message for the document itself).
inline absl::Status Invalid(const std::string& pointer, const std::string& message) {
  return absl::InvalidArgumentError(pointer.empty() ? message : pointer + ": " + message);
}

// The JSON pointer of member `key` under `pointer`.
inline std::string Child(const std::string& pointer, std::string_view key) {
  return pointer + "/" + core::JsonPointerToken(key);
}

}  // namespace gatehouse::compliance::internal
