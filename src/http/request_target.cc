#include "http/internal/request_target.h"

#include "absl/status/status.h"

namespace gatehouse::http::internal {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return absl::InvalidArgumentError("truncated percent-escape");
      }
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return absl::InvalidArgumentError("malformed percent-escape");
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return absl::InvalidArgumentError("encoded NUL byte");
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> DecodePathSegments(std::string_view raw_path) {
  std::vector<std::string> segments;
  if (raw_path.empty() || raw_path.front() != '/') {
    return absl::InvalidArgumentError("path must start with '/'");
  }
  if (raw_path.size() == 1) return segments;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = raw_path.find('/', start);
    const std::string_view raw = raw_path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    auto decoded = PercentDecode(raw, /*plus_is_space=*/false);
    if (!decoded.ok()) return decoded.status();
    segments.push_back(*std::move(decoded));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

absl::StatusOr<RequestTarget> ParseRequestTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return absl::InvalidArgumentError("request target must be a path starting with '/'");
  }
  RequestTarget result;
  const std::size_t question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  auto path = PercentDecode(raw_path, /*plus_is_space=*/false);
  if (!path.ok())
    return absl::InvalidArgumentError("path: " + std::string(path.status().message()));
  result.path = *std::move(path);
  auto segments = DecodePathSegments(raw_path);
  if (!segments.ok()) return segments.status();
  result.path_segments = *std::move(segments);
  if (question == std::string_view::npos) return result;

  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key.ok() || !value.ok()) {
      return absl::InvalidArgumentError("query: malformed percent-escape");
    }
    result.query[*std::move(key)] = *std::move(value);
  }
  return result;
}

}  // namespace gatehouse::http::internal
