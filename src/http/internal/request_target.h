// Parsing of a request target (origin-form "/path?query") into the decoded path and query
// parameters that HttpRequest carries. Pure functions; no Boost.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gatehouse::http::internal {

// Percent-decodes `text`. With `plus_is_space` (query strings) '+' decodes to ' '. Malformed
// escapes ("%4", "%zz") and encoded NUL bytes are errors.
absl::StatusOr<std::string> PercentDecode(std::string_view text, bool plus_is_space);

struct RequestTarget {
  std::string path;                          // decoded
  std::vector<std::string> path_segments;    // raw path split on '/', each decoded
  std::map<std::string, std::string> query;  // decoded; the last occurrence of a key wins
};

// Accepts origin-form targets only (must start with '/'). A '#' fragment is not expected from
// clients and is treated as part of the path/query text.
absl::StatusOr<RequestTarget> ParseRequestTarget(std::string_view target);

// Splits a raw path ("/a/b%2Fc") on '/' after the leading slash and decodes each segment, so an
// encoded slash stays inside its segment. "/" gives no segments; "/a/" gives {"a", ""}.
absl::StatusOr<std::vector<std::string>> DecodePathSegments(std::string_view raw_path);

}  // namespace gatehouse::http::internal
