#include "location/ip_address.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::location {
namespace {

using ::testing::HasSubstr;

IpAddress Ip(std::string_view text) {
  std::optional<IpAddress> address = IpAddress::Parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress());
}

CidrRange Range(std::string_view text) {
  absl::StatusOr<CidrRange> range = CidrRange::Parse(text);
  EXPECT_TRUE(range.ok()) << text << ": " << range.status();
  return range.ok() ? *range : CidrRange();
}

TEST(IpAddress, ParsesDottedIpv4AsMappedBytes) {
  IpAddress address = Ip("203.0.113.7");
  EXPECT_TRUE(address.is_v4());
  const std::array<std::uint8_t, 16> expected = {0, 0, 0,    0,    0,   0, 0,   0,
                                                 0, 0, 0xFF, 0xFF, 203, 0, 113, 7};
  EXPECT_EQ(address.bytes(), expected);
  EXPECT_EQ(address.ToString(), "203.0.113.7");
}

TEST(IpAddress, ParsesIpv6TextForms) {
  IpAddress address = Ip("2001:DB8::1");
  EXPECT_FALSE(address.is_v4());
  EXPECT_EQ(address.bytes()[0], 0x20);
  EXPECT_EQ(address.bytes()[1], 0x01);
  EXPECT_EQ(address.bytes()[15], 0x01);
  EXPECT_EQ(address.ToString(), "2001:db8::1");
  EXPECT_EQ(Ip("::").ToString(), "::");
  EXPECT_EQ(Ip("2001:0db8:0000:0000:0000:0000:0000:0001"), address);
}

TEST(IpAddress, MappedIpv6TextKeepsItsFamilyButSharesBytesWithIpv4) {
  IpAddress mapped = Ip("::ffff:1.2.3.4");
  IpAddress v4 = Ip("1.2.3.4");
  EXPECT_FALSE(mapped.is_v4());
  EXPECT_EQ(mapped.bytes(), v4.bytes());
  EXPECT_EQ(mapped.ToString(), "::ffff:1.2.3.4");
}

TEST(IpAddress, RejectsGarbage) {
  const std::vector<std::string> bad = {
      "",
      " ",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "1.2.3.04",  // leading zero (octal ambiguity)
      "0x01.2.3.4",
      "1.2.3.4 ",
      " 1.2.3.4",
      "1.2.3.4:443",    // port
      "[2001:db8::1]",  // brackets
      "[2001:db8::1]:443",
      "fe80::1%eth0",  // zone id
      "2001:db8::1::2",
      "2001:db8:::1",
      "12345::1",
      "gggg::1",
      "1.2.3.4/24",  // a range is not an address
      "localhost",
      std::string("1.2.3.4\0", 8),
      std::string(100, '1'),
  };
  for (const std::string& text : bad) {
    EXPECT_FALSE(IpAddress::Parse(text).has_value()) << "accepted '" << text << "'";
  }
}

TEST(CidrRange, ContainsExactlyItsIpv4BoundaryAddresses) {
  CidrRange range = Range("198.51.100.0/24");
  EXPECT_TRUE(range.is_v4());
  EXPECT_EQ(range.prefix_length(), 24);
  EXPECT_FALSE(range.Contains(Ip("198.51.99.255")));
  EXPECT_TRUE(range.Contains(Ip("198.51.100.0")));
  EXPECT_TRUE(range.Contains(Ip("198.51.100.255")));
  EXPECT_FALSE(range.Contains(Ip("198.51.101.0")));
}

TEST(CidrRange, ContainsExactlyItsIpv6BoundaryAddresses) {
  CidrRange range = Range("2001:db8::/32");
  EXPECT_FALSE(range.is_v4());
  EXPECT_EQ(range.prefix_length(), 32);
  EXPECT_FALSE(range.Contains(Ip("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_TRUE(range.Contains(Ip("2001:db8::")));
  EXPECT_TRUE(range.Contains(Ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(range.Contains(Ip("2001:db9::")));
}

TEST(CidrRange, SlashThirtyTwoContainsOneAddress) {
  CidrRange range = Range("203.0.113.7/32");
  EXPECT_TRUE(range.Contains(Ip("203.0.113.7")));
  EXPECT_FALSE(range.Contains(Ip("203.0.113.6")));
  EXPECT_FALSE(range.Contains(Ip("203.0.113.8")));
}

TEST(CidrRange, Ipv4RangeContainsMappedIpv6FormOfItsAddresses) {
  EXPECT_TRUE(Range("1.2.3.0/24").Contains(Ip("::ffff:1.2.3.99")));
}

TEST(CidrRange, Ipv6RangeDoesNotContainIpv4Addresses) {
  EXPECT_FALSE(Range("2001:db8::/32").Contains(Ip("1.2.3.4")));
}

TEST(CidrRange, Ipv4ZeroPrefixDoesNotSpillIntoIpv6) {
  CidrRange all_v4 = Range("0.0.0.0/0");
  EXPECT_TRUE(all_v4.Contains(Ip("255.255.255.255")));
  EXPECT_FALSE(all_v4.Contains(Ip("2001:db8::1")));
}

TEST(CidrRange, IgnoresHostBitsAndPrintsTheNetwork) {
  CidrRange range = Range("1.2.3.4/24");
  EXPECT_TRUE(range.Contains(Ip("1.2.3.200")));
  EXPECT_EQ(range.ToString(), "1.2.3.0/24");
  EXPECT_EQ(Range("2001:db8:1:2::5/48").ToString(), "2001:db8:1::/48");
}

TEST(CidrRange, RejectsPrefixLongerThanTheFamily) {
  absl::StatusOr<CidrRange> v4 = CidrRange::Parse("1.2.3.4/33");
  ASSERT_FALSE(v4.ok());
  EXPECT_EQ(v4.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v4.status().message(), "'1.2.3.4/33': prefix length 33 is larger than 32");
  absl::StatusOr<CidrRange> v6 = CidrRange::Parse("2001:db8::/129");
  ASSERT_FALSE(v6.ok());
  EXPECT_EQ(v6.status().message(), "'2001:db8::/129': prefix length 129 is larger than 128");
  EXPECT_TRUE(CidrRange::Parse("2001:db8::1/128").ok());
}

TEST(CidrRange, NamesWhatIsWrongWithMalformedText) {
  EXPECT_EQ(CidrRange::Parse("1.2.3.4").status().message(), "'1.2.3.4': missing '/prefix-length'");
  EXPECT_EQ(CidrRange::Parse("1.2.3/24").status().message(),
            "'1.2.3/24': '1.2.3' is not an IPv4 or IPv6 address");
  EXPECT_EQ(CidrRange::Parse("1.2.3.0/").status().message(),
            "'1.2.3.0/': '' is not a prefix length");
  EXPECT_EQ(CidrRange::Parse("1.2.3.0/-1").status().message(),
            "'1.2.3.0/-1': '-1' is not a prefix length");
  EXPECT_EQ(CidrRange::Parse("1.2.3.0/2 4").status().message(),
            "'1.2.3.0/2 4': '2 4' is not a prefix length");
  EXPECT_EQ(CidrRange::Parse("1.2.3.0/24/8").status().message(),
            "'1.2.3.0/24/8': '24/8' is not a prefix length");
  EXPECT_THAT(std::string(CidrRange::Parse("1.2.3.0/0024").status().message()),
              HasSubstr("is not a prefix length"));
}

TEST(CidrSet, EmptySetContainsNothing) {
  CidrSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(set.size(), 0u);
  EXPECT_FALSE(set.Contains(Ip("1.2.3.4")));
}

TEST(CidrSet, FindsAddressesInUnsortedMixedFamilyRanges) {
  CidrSet set({Range("203.0.113.0/24"), Range("2001:db8::/32"), Range("10.0.0.0/16"),
               Range("198.51.100.128/25")});
  EXPECT_EQ(set.size(), 4u);
  EXPECT_TRUE(set.Contains(Ip("10.0.255.255")));
  EXPECT_FALSE(set.Contains(Ip("10.1.0.0")));
  EXPECT_FALSE(set.Contains(Ip("198.51.100.127")));
  EXPECT_TRUE(set.Contains(Ip("198.51.100.128")));
  EXPECT_TRUE(set.Contains(Ip("203.0.113.77")));
  EXPECT_TRUE(set.Contains(Ip("2001:db8:abcd::1")));
  EXPECT_FALSE(set.Contains(Ip("2001:db9::1")));
  EXPECT_FALSE(set.Contains(Ip("0.0.0.0")));
  EXPECT_FALSE(set.Contains(Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
}

TEST(CidrSet, MergesOverlappingAndAdjacentRangesWithoutLosingAddresses) {
  // 1.2.2.0/24 and 1.2.3.0/24 are adjacent; 1.2.3.128/25 lies inside; 1.2.0.0/23 overlaps nothing
  // but touches 1.2.2.0; 1.2.5.0/24 stays separate (1.2.4.x is a gap).
  CidrSet set({Range("1.2.3.0/24"), Range("1.2.3.128/25"), Range("1.2.2.0/24"), Range("1.2.0.0/23"),
               Range("1.2.5.0/24"), Range("1.2.3.0/24")});
  EXPECT_EQ(set.size(), 6u);  // counts the ranges as given, duplicates included
  EXPECT_FALSE(set.Contains(Ip("1.1.255.255")));
  EXPECT_TRUE(set.Contains(Ip("1.2.0.0")));
  EXPECT_TRUE(set.Contains(Ip("1.2.1.255")));
  EXPECT_TRUE(set.Contains(Ip("1.2.2.0")));
  EXPECT_TRUE(set.Contains(Ip("1.2.3.255")));
  EXPECT_FALSE(set.Contains(Ip("1.2.4.0")));
  EXPECT_FALSE(set.Contains(Ip("1.2.4.255")));
  EXPECT_TRUE(set.Contains(Ip("1.2.5.0")));
  EXPECT_TRUE(set.Contains(Ip("1.2.5.255")));
  EXPECT_FALSE(set.Contains(Ip("1.2.6.0")));
}

TEST(CidrSet, WiderRangeSwallowsNarrowerOnesThatStartLater) {
  CidrSet set({Range("10.0.0.0/8"), Range("10.1.0.0/16"), Range("10.200.0.0/16")});
  EXPECT_TRUE(set.Contains(Ip("10.255.255.255")));
  EXPECT_TRUE(set.Contains(Ip("10.100.0.1")));
  EXPECT_FALSE(set.Contains(Ip("11.0.0.0")));
}

TEST(CidrSet, HandlesRangeEndingAtTheTopOfTheAddressSpace) {
  CidrSet set({Range("ffff::/16"), Range("ffff:ffff::/32")});
  EXPECT_TRUE(set.Contains(Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(set.Contains(Ip("fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
}

}  // namespace
}  // namespace gatehouse::location
