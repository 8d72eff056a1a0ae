#include "location/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace gatehouse::location {
namespace {

using Bytes = std::array<std::uint8_t, 16>;

// Longest textual IPv6 form inet_pton can accept ("ffff:...:255.255.255.255" is 45 chars).
constexpr std::size_t kMaxAddressText = 45;

// Sets every bit at or after `prefix` (0-128) to `value`.
void FillHostBits(Bytes& bytes, int prefix, bool value) {
  for (int bit = prefix; bit < 128; ++bit) {
    const std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if (value) {
      bytes[bit / 8] |= mask;
    } else {
      bytes[bit / 8] &= static_cast<std::uint8_t>(~mask);
    }
  }
}

// Increments `bytes` as a 128-bit big-endian number; false when it wrapped around.
bool Increment(Bytes& bytes) {
  for (int i = 15; i >= 0; --i) {
    if (++bytes[i] != 0) return true;
  }
  return false;
}

std::string Quoted(std::string_view text) {
  std::string out = "'";
  out.append(text);
  out += "'";
  return out;
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; anything with an embedded NUL or longer than the
  // longest valid form is garbage. Zone ids ("%eth0"), brackets and ports are rejected by
  // inet_pton itself because they are not part of the address grammar.
  if (text.empty() || text.size() > kMaxAddressText) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string copy(text);
  IpAddress address;
  if (copy.find(':') == std::string::npos) {
    in_addr v4{};
    if (inet_pton(AF_INET, copy.c_str(), &v4) != 1) return std::nullopt;
    address.bytes_[10] = 0xFF;
    address.bytes_[11] = 0xFF;
    std::memcpy(address.bytes_.data() + 12, &v4, 4);
    address.is_v4_ = true;
    return address;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, copy.c_str(), &v6) != 1) return std::nullopt;
  std::memcpy(address.bytes_.data(), &v6, 16);
  address.is_v4_ = false;
  return address;
}

IpAddress IpAddress::FromBytes(const std::array<std::uint8_t, 16>& bytes) {
  IpAddress address;
  address.bytes_ = bytes;
  bool mapped = bytes[10] == 0xFF && bytes[11] == 0xFF;
  for (int i = 0; i < 10 && mapped; ++i) mapped = bytes[i] == 0;
  address.is_v4_ = mapped;
  return address;
}

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (is_v4_) {
    inet_ntop(AF_INET, bytes_.data() + 12, buffer, sizeof(buffer));
  } else {
    inet_ntop(AF_INET6, bytes_.data(), buffer, sizeof(buffer));
  }
  return buffer;
}

absl::StatusOr<CidrRange> CidrRange::Parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return absl::InvalidArgumentError(Quoted(text) + ": missing '/prefix-length'");
  }
  const std::string_view address_text = text.substr(0, slash);
  const std::string_view prefix_text = text.substr(slash + 1);
  std::optional<IpAddress> address = IpAddress::Parse(address_text);
  if (!address.has_value()) {
    return absl::InvalidArgumentError(Quoted(text) + ": " + Quoted(address_text) +
                                      " is not an IPv4 or IPv6 address");
  }
  if (prefix_text.empty() || prefix_text.size() > 3 ||
      !std::all_of(prefix_text.begin(), prefix_text.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError(Quoted(text) + ": " + Quoted(prefix_text) +
                                      " is not a prefix length");
  }
  int prefix = 0;
  for (char c : prefix_text) prefix = prefix * 10 + (c - '0');
  const int max_prefix = address->is_v4() ? 32 : 128;
  if (prefix > max_prefix) {
    return absl::InvalidArgumentError(Quoted(text) + ": prefix length " + std::to_string(prefix) +
                                      " is larger than " + std::to_string(max_prefix));
  }
  CidrRange range;
  range.is_v4_ = address->is_v4();
  range.prefix_length_ = prefix;
  const int prefix16 = range.is_v4_ ? 96 + prefix : prefix;
  range.first_ = address->bytes();
  FillHostBits(range.first_, prefix16, false);
  range.last_ = address->bytes();
  FillHostBits(range.last_, prefix16, true);
  return range;
}

bool CidrRange::Contains(const IpAddress& address) const {
  return address.bytes() >= first_ && address.bytes() <= last_;
}

std::string CidrRange::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (is_v4_) {
    inet_ntop(AF_INET, first_.data() + 12, buffer, sizeof(buffer));
  } else {
    inet_ntop(AF_INET6, first_.data(), buffer, sizeof(buffer));
  }
  return std::string(buffer) + "/" + std::to_string(prefix_length_);
}

CidrSet::CidrSet(std::vector<CidrRange> ranges) : range_count_(ranges.size()) {
  std::sort(ranges.begin(), ranges.end(),
            [](const CidrRange& a, const CidrRange& b) { return a.first_ < b.first_; });
  for (const CidrRange& range : ranges) {
    if (!intervals_.empty()) {
      Bytes& last = intervals_.back().second;
      // Merge overlapping and directly adjacent intervals (last + 1 == next first).
      Bytes after_last = last;
      const bool wrapped = !Increment(after_last);
      if (wrapped || range.first_ <= after_last) {
        if (range.last_ > last) last = range.last_;
        continue;
      }
    }
    intervals_.emplace_back(range.first_, range.last_);
  }
}

bool CidrSet::Contains(const IpAddress& address) const {
  const Bytes& key = address.bytes();
  // First interval starting after the address; the one before it is the only candidate.
  auto it = std::upper_bound(
      intervals_.begin(), intervals_.end(), key,
      [](const Bytes& value, const auto& interval) { return value < interval.first; });
  if (it == intervals_.begin()) return false;
  --it;
  return key <= it->second;
}

}  // namespace gatehouse::location
