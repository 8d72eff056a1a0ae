// JSON documents as real exports deliver them: UTF-8 with or without a byte-order mark, or UTF-16
// (little or big endian) with one, as the IntuneManagement tool writes. Parsing is bounded (size,
// nesting depth) and reports errors as "line L, column C: why" instead of throwing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace gatehouse::core {

struct JsonParseOptions {
  std::size_t max_bytes = 32u << 20;  // documents larger than this are refused
  std::size_t max_depth = 64;         // deeper nesting is refused (protects the recursive parser)
};

// Returns the UTF-8 text of `bytes`, decoding UTF-16 and dropping a UTF-8 BOM.
// InvalidArgument for malformed UTF-16 (odd length, unpaired surrogates).
absl::StatusOr<std::string> DecodeJsonText(std::string_view bytes);

// Decodes and parses one JSON document. InvalidArgument with "line L, column C: ..." on error.
absl::StatusOr<nlohmann::json> ParseJsonDocument(std::string_view bytes,
                                                 const JsonParseOptions& options = {});

// Reads a list of enum tokens that Graph writes either as a JSON array of strings or as one
// comma-separated string ("a,b, c"). Tokens are trimmed; empty tokens are dropped. Null or
// missing gives an empty list. Returns false (and leaves `out` partially filled) when the value
// has another type or an element is not a string.
bool ReadTokenList(const nlohmann::json& value, std::vector<std::string>& out);

// Reads the file at `path` into a string (NotFound / PermissionDenied / Internal on failure).
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace gatehouse::core

namespace gatehouse::core {

// The objects a Graph-shaped file holds: one object, an array of objects, or {"value": [...]}.
// Each comes with its JSON pointer in the document ("", "/3", "/value/3"). Elements that are not
// objects are reported in `problems`.
class ProblemList;
std::vector<std::pair<std::string, const nlohmann::json*>> DocumentObjects(
    const nlohmann::json& doc, ProblemList& problems);

// Returns the string at `value[key]` or "" when absent/null; reports a problem (pointer
// `pointer`/key) when the value has another type.
std::string StringMember(const nlohmann::json& value, std::string_view key,
                         const std::string& pointer, ProblemList& problems);

// True for keys that carry OData annotations rather than data ("@odata.type",
// "includeUsers@odata.type", "#microsoft.graph.restore").
bool IsODataAnnotation(std::string_view key);

}  // namespace gatehouse::core
