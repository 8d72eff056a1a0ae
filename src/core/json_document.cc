#include "core/json_document.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/problem.h"

namespace gatehouse::core {
namespace {

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

absl::StatusOr<std::string> DecodeUtf16(std::string_view body, bool little_endian) {
  if (body.size() % 2 != 0) {
    return absl::InvalidArgumentError("UTF-16 text has an odd number of bytes");
  }
  std::string out;
  out.reserve(body.size() / 2);
  auto unit_at = [&](std::size_t i) -> char16_t {
    auto lo = static_cast<unsigned char>(body[i]);
    auto hi = static_cast<unsigned char>(body[i + 1]);
    return little_endian ? static_cast<char16_t>(lo | (hi << 8))
                         : static_cast<char16_t>(hi | (lo << 8));
  };
  for (std::size_t i = 0; i < body.size(); i += 2) {
    char16_t unit = unit_at(i);
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      if (i + 3 >= body.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("UTF-16 text ends inside a surrogate pair at byte ", i + 2));
      }
      char16_t low = unit_at(i + 2);
      if (low < 0xDC00 || low > 0xDFFF) {
        return absl::InvalidArgumentError(
            absl::StrCat("unpaired UTF-16 high surrogate at byte ", i + 2));
      }
      char32_t cp = 0x10000 + ((static_cast<char32_t>(unit) - 0xD800) << 10) +
                    (static_cast<char32_t>(low) - 0xDC00);
      AppendUtf8(out, cp);
      i += 2;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      return absl::InvalidArgumentError(
          absl::StrCat("unpaired UTF-16 low surrogate at byte ", i + 2));
    } else {
      AppendUtf8(out, unit);
    }
  }
  return out;
}

// Line and column (1-based) of byte offset `offset` in `text`.
std::pair<std::size_t, std::size_t> LineColumn(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// Rejects nesting deeper than `max_depth` before the recursive parser sees the text.
absl::Status CheckDepth(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        auto [line, column] = LineColumn(text, i);
        return absl::InvalidArgumentError(absl::StrCat("line ", line, ", column ", column,
                                                       ": nesting deeper than ", max_depth,
                                                       " levels"));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> DecodeJsonText(std::string_view bytes) {
  if (bytes.size() >= 2) {
    auto b0 = static_cast<unsigned char>(bytes[0]);
    auto b1 = static_cast<unsigned char>(bytes[1]);
    if (b0 == 0xFF && b1 == 0xFE) return DecodeUtf16(bytes.substr(2), /*little_endian=*/true);
    if (b0 == 0xFE && b1 == 0xFF) return DecodeUtf16(bytes.substr(2), /*little_endian=*/false);
  }
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xEF &&
      static_cast<unsigned char>(bytes[1]) == 0xBB && static_cast<unsigned char>(bytes[2]) == 0xBF) {
    return std::string(bytes.substr(3));
  }
  return std::string(bytes);
}

absl::StatusOr<nlohmann::json> ParseJsonDocument(std::string_view bytes,
                                                 const JsonParseOptions& options) {
  if (bytes.size() > options.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("document is ", bytes.size(),
                                                   " bytes; the limit is ", options.max_bytes));
  }
  absl::StatusOr<std::string> text = DecodeJsonText(bytes);
  if (!text.ok()) return text.status();
  if (absl::Status depth = CheckDepth(*text, options.max_depth); !depth.ok()) return depth;
  try {
    return nlohmann::json::parse(*text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    auto [line, column] = LineColumn(*text, offset);
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line 1, column 2: ".
    if (auto pos = what.find(": "); pos != std::string::npos) what = what.substr(pos + 2);
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line, ", column ", column, ": ", what));
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

bool ReadTokenList(const nlohmann::json& value, std::vector<std::string>& out) {
  if (value.is_null()) return true;
  if (value.is_string()) {
    for (absl::string_view piece : absl::StrSplit(value.get_ref<const std::string&>(), ',')) {
      absl::string_view token = absl::StripAsciiWhitespace(piece);
      if (!token.empty()) out.emplace_back(token);
    }
    return true;
  }
  if (!value.is_array()) return false;
  for (const auto& item : value) {
    if (!item.is_string()) return false;
    absl::string_view token = absl::StripAsciiWhitespace(item.get_ref<const std::string&>());
    if (!token.empty()) out.emplace_back(token);
  }
  return true;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string why = std::strerror(err);
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": ", why));
    if (err == EACCES) return absl::PermissionDeniedError(absl::StrCat(path, ": ", why));
    return absl::InternalError(absl::StrCat(path, ": ", why));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat(path, ": read failed"));
  return buffer.str();
}

}  // namespace gatehouse::core

namespace gatehouse::core {

std::vector<std::pair<std::string, const nlohmann::json*>> DocumentObjects(
    const nlohmann::json& doc, ProblemList& problems) {
  std::vector<std::pair<std::string, const nlohmann::json*>> out;
  auto add_array = [&](const nlohmann::json& array, const std::string& prefix) {
    for (std::size_t i = 0; i < array.size(); ++i) {
      std::string pointer = prefix + "/" + std::to_string(i);
      if (array[i].is_object()) {
        out.emplace_back(pointer, &array[i]);
      } else {
        problems.AddError(pointer, "expected an object, found " + std::string(array[i].type_name()));
      }
    }
  };
  if (doc.is_array()) {
    add_array(doc, "");
  } else if (doc.is_object()) {
    auto value = doc.find("value");
    if (value != doc.end() && value->is_array() && !doc.contains("id")) {
      add_array(*value, "/value");
    } else {
      out.emplace_back("", &doc);
    }
  } else {
    problems.AddError("", "expected an object, an array of objects or {\"value\": [...]}, found " +
                              std::string(doc.type_name()));
  }
  return out;
}

std::string StringMember(const nlohmann::json& value, std::string_view key,
                         const std::string& pointer, ProblemList& problems) {
  auto it = value.find(key);
  if (it == value.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  problems.AddError(pointer + "/" + JsonPointerToken(key),
                    "expected a string, found " + std::string(it->type_name()));
  return "";
}

bool IsODataAnnotation(std::string_view key) {
  return key.find("@odata.") != std::string_view::npos || (!key.empty() && key[0] == '#');
}

}  // namespace gatehouse::core
