// libFuzzer target for the parsers the agent runs over host files and command output
// (agent/host_posture.h): os-release, /proc/self/mountinfo, `nft list ruleset`, `iptables -S`,
// ufw.conf and `apt-get -s` output. All are pure functions of text that must never crash, hang or
// throw, whatever a (possibly tampered) host hands them.
//
// Beyond "no crash, no sanitizer report" it checks:
// - every os-release key is [A-Z0-9_]+ and non-empty;
// - a numeric version is non-empty dotted digits of at most 4 parts;
// - the security update count is between 0 and the number of lines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/host_posture.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace gatehouse::agent;

  for (const auto& entry : ParseOsRelease(text)) {
    const std::string& key = entry.first;
    if (key.empty()) std::abort();
    for (char c : key) {
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) std::abort();
    }
    if (IsNumericVersion(entry.second)) {
      const std::string& v = entry.second;
      if (v.front() == '.' || v.back() == '.') std::abort();
    }
  }
  (void)ParseMountInfoRoot(text);
  (void)NftablesFiltersInput(text);
  (void)IptablesFiltersInput(text);
  (void)UfwEnabled(text);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  const int updates = CountPendingSecurityUpdates(text);
  if (updates < 0 || static_cast<std::size_t>(updates) > lines) std::abort();
  return 0;
}
