// The small part of OData that the admin API's log endpoints accept: $filter as clauses joined by
// `and` (`field eq 'text'`, `field eq 123`, `field ge 2024-05-01T00:00:00Z` with eq/ne/ge/gt/le/lt),
// $top (1..1000, default 100) and $skiptoken (an opaque paging cursor we issued). Anything else is
// refused with the position and what was expected.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gatehouse::app {

struct FilterClause {
  std::string field;     // as written, e.g. "status/errorCode"
  std::string op;        // eq, ne, ge, gt, le, lt
  std::string value;     // unquoted text
  bool quoted = false;   // 'text' (string) vs bare (number, date-time, true/false)
};

// Parses `$filter`; InvalidArgument "position N: ..." on error.
absl::StatusOr<std::vector<FilterClause>> ParseFilter(const std::string& filter);

struct PageRequest {
  std::vector<FilterClause> filter;
  int top = 100;
  std::int64_t skip_token = 0;  // 0 = first page
};

// Reads $filter, $top and $skiptoken from query parameters; rejects unknown $-options.
absl::StatusOr<PageRequest> ParsePageRequest(const std::map<std::string, std::string>& query);

}  // namespace gatehouse::app
