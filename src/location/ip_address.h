// IPv4 and IPv6 addresses and CIDR sets for named locations. Pure values, thread-safe once built.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gatehouse::location {

// An address held as 16 bytes; IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d) so one
// comparison covers both families, while is_v4() remembers which it was.
class IpAddress {
 public:
  // Accepts dotted IPv4 ("203.0.113.7") and any RFC 4291 IPv6 text form ("2001:db8::1",
  // "::ffff:1.2.3.4"). nullopt for anything else (no ports, no zone ids, no brackets).
  static std::optional<IpAddress> Parse(std::string_view text);
  // From the 16-byte form; an IPv4-mapped address counts as IPv4.
  static IpAddress FromBytes(const std::array<std::uint8_t, 16>& bytes);

  bool is_v4() const { return is_v4_; }
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  bool is_v4_ = false;
};

// One CIDR range, e.g. "198.51.100.0/24" or "2001:db8::/32".
class CidrRange {
 public:
  // InvalidArgument naming what is wrong ("'1.2.3.4/33': prefix length 33 is larger than 32").
  // Host bits set below the prefix are accepted and ignored (Graph accepts "1.2.3.4/24").
  static absl::StatusOr<CidrRange> Parse(std::string_view text);

  bool Contains(const IpAddress& address) const;
  bool is_v4() const { return is_v4_; }
  // Prefix length in the address's own family (0-32 for IPv4, 0-128 for IPv6).
  int prefix_length() const { return prefix_length_; }
  std::string ToString() const;

 private:
  friend class CidrSet;
  std::array<std::uint8_t, 16> first_{};  // lowest address (16-byte form)
  std::array<std::uint8_t, 16> last_{};   // highest address (16-byte form)
  int prefix_length_ = 0;
  bool is_v4_ = false;
};

// A set of ranges with O(log n) membership.
class CidrSet {
 public:
  CidrSet() = default;
  explicit CidrSet(std::vector<CidrRange> ranges);

  bool Contains(const IpAddress& address) const;
  std::size_t size() const { return range_count_; }
  using Interval = std::pair<std::array<std::uint8_t, 16>, std::array<std::uint8_t, 16>>;
  // The merged, sorted, non-overlapping [first, last] intervals in 16-byte form (IPv4 mapped).
  const std::vector<Interval>& intervals() const { return intervals_; }
  bool empty() const { return range_count_ == 0; }

 private:
  // Merged, sorted, non-overlapping [first, last] intervals in 16-byte form.
  std::vector<std::pair<std::array<std::uint8_t, 16>, std::array<std::uint8_t, 16>>> intervals_;
  std::size_t range_count_ = 0;
};

}  // namespace gatehouse::location
