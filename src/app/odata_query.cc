#include "app/odata_query.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace gatehouse::app {
namespace {

absl::Status ErrorAt(std::size_t position, const std::string& message) {
  return absl::InvalidArgumentError("$filter position " + std::to_string(position + 1) + ": " +
                                    message);
}

}  // namespace

absl::StatusOr<std::vector<FilterClause>> ParseFilter(const std::string& filter) {
  std::vector<FilterClause> clauses;
  std::size_t i = 0;
  auto skip_spaces = [&] {
    while (i < filter.size() && filter[i] == ' ') ++i;
  };
  auto word = [&] {
    std::size_t start = i;
    while (i < filter.size() && filter[i] != ' ' && filter[i] != '\'') ++i;
    return filter.substr(start, i - start);
  };
  if (filter.size() > 2000) return ErrorAt(2000, "filter longer than 2000 characters");
  while (true) {
    skip_spaces();
    if (i >= filter.size()) return ErrorAt(i, "expected a property name");
    FilterClause clause;
    std::size_t field_at = i;
    clause.field = word();
    if (clause.field.empty() || clause.field.find('(') != std::string::npos) {
      return ErrorAt(field_at, "expected a property name, found '" + clause.field + "'");
    }
    skip_spaces();
    std::size_t op_at = i;
    clause.op = absl::AsciiStrToLower(word());
    if (clause.op != "eq" && clause.op != "ne" && clause.op != "ge" && clause.op != "gt" &&
        clause.op != "le" && clause.op != "lt") {
      return ErrorAt(op_at, "expected eq, ne, ge, gt, le or lt, found '" + clause.op + "'");
    }
    skip_spaces();
    std::size_t value_at = i;
    if (i < filter.size() && filter[i] == '\'') {
      ++i;
      clause.quoted = true;
      while (true) {
        if (i >= filter.size()) return ErrorAt(value_at, "unterminated string");
        if (filter[i] == '\'') {
          if (i + 1 < filter.size() && filter[i + 1] == '\'') {  // '' escapes a quote
            clause.value += '\'';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        clause.value += filter[i++];
      }
    } else {
      clause.value = word();
      if (clause.value.empty()) return ErrorAt(value_at, "expected a value");
    }
    clauses.push_back(std::move(clause));
    skip_spaces();
    if (i >= filter.size()) break;
    std::size_t and_at = i;
    std::string joiner = absl::AsciiStrToLower(word());
    if (joiner != "and") {
      return ErrorAt(and_at, "expected 'and' between clauses (only and is supported), found '" +
                                 joiner + "'");
    }
  }
  return clauses;
}

absl::StatusOr<PageRequest> ParsePageRequest(const std::map<std::string, std::string>& query) {
  PageRequest page;
  for (const auto& [key, value] : query) {
    if (key == "$filter") {
      auto filter = ParseFilter(value);
      if (!filter.ok()) return filter.status();
      page.filter = std::move(*filter);
    } else if (key == "$top") {
      int top = 0;
      if (!absl::SimpleAtoi(value, &top) || top < 1 || top > 1000) {
        return absl::InvalidArgumentError("$top must be a whole number from 1 to 1000");
      }
      page.top = top;
    } else if (key == "$skiptoken") {
      std::int64_t token = 0;
      if (!absl::SimpleAtoi(value, &token) || token < 1) {
        return absl::InvalidArgumentError("$skiptoken is not one this server issued");
      }
      page.skip_token = token;
    } else if (!key.empty() && key[0] == '$') {
      return absl::InvalidArgumentError("query option " + key +
                                        " is not supported here (use $filter, $top, $skiptoken)");
    }
  }
  return page;
}

}  // namespace gatehouse::app
