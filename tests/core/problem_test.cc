#include "core/problem.h"

#include "gtest/gtest.h"

namespace gatehouse::core {
namespace {

TEST(ProblemList, FormatsFilePointerAndMessage) {
  ProblemList list;
  list.AddError("/conditions/users", "missing");
  list.AddWarning("/x", "placeholder");
  ProblemList all;
  all.Merge(list, "p.json");
  EXPECT_EQ(all.ToString(), "p.json: /conditions/users: missing\nwarning: p.json: /x: placeholder\n");
  EXPECT_TRUE(all.has_errors());
}

TEST(ProblemList, WarningsAloneAreNotErrors) {
  ProblemList list;
  list.AddWarning("", "just so you know");
  EXPECT_FALSE(list.has_errors());
  EXPECT_FALSE(list.empty());
}

TEST(JsonPointerToken, EscapesTildeAndSlash) {
  EXPECT_EQ(JsonPointerToken("a/b~c"), "a~1b~0c");
}

}  // namespace
}  // namespace gatehouse::core
