// Small std::string_view helpers (Debian's Abseil has absl::string_view != std::string_view, so
// absl's matchers do not take std::string_view).
#pragma once

#include <string_view>

namespace gatehouse::compliance::internal {

inline char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

}  // namespace gatehouse::compliance::internal
