#include "core/iso_time.h"

#include "gtest/gtest.h"

namespace gatehouse::core {
namespace {

TEST(ParseIsoDateTime, ReadsUtcAndOffsetsAndFractions) {
  auto utc = ParseIsoDateTime("2024-05-01T10:00:00Z");
  auto offset = ParseIsoDateTime("2024-05-01T12:00:00.1234567+02:00");
  ASSERT_TRUE(utc.ok());
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(absl::ToUnixSeconds(*utc), absl::ToUnixSeconds(*offset));
}

TEST(ParseIsoDateTime, ReadsBareDateAsMidnightUtc) {
  auto date = ParseIsoDateTime("2024-05-01");
  ASSERT_TRUE(date.ok());
  EXPECT_EQ(FormatIsoDateTime(*date), "2024-05-01T00:00:00Z");
}

TEST(ParseIsoDateTime, ReadsZonelessAsUtc) {
  auto t = ParseIsoDateTime("2024-05-01T10:11:12");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatIsoDateTime(*t), "2024-05-01T10:11:12Z");
}

TEST(ParseIsoDateTime, RejectsGarbageWithTheInputInTheMessage) {
  auto t = ParseIsoDateTime("yesterday");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("'yesterday'"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::core
