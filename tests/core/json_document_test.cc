#include "core/json_document.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::core {
namespace {

using ::testing::HasSubstr;

std::string Utf16Le(std::u16string_view text, bool bom = true) {
  std::string out;
  if (bom) out += "\xFF\xFE";
  for (char16_t c : text) {
    out += static_cast<char>(c & 0xFF);
    out += static_cast<char>(c >> 8);
  }
  return out;
}

TEST(ParseJsonDocument, ReadsPlainUtf8) {
  auto doc = ParseJsonDocument(R"({"a": 1})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ((*doc)["a"], 1);
}

TEST(ParseJsonDocument, DropsUtf8ByteOrderMark) {
  auto doc = ParseJsonDocument("\xEF\xBB\xBF{\"a\": \"b\"}");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ((*doc)["a"], "b");
}

TEST(ParseJsonDocument, DecodesUtf16LittleEndianWithBom) {
  auto doc = ParseJsonDocument(Utf16Le(u"{\"name\": \"Caf\u00e9 \U0001F600\"}"));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ((*doc)["name"], "Caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(ParseJsonDocument, DecodesUtf16BigEndianWithBom) {
  std::string bytes = "\xFE\xFF";
  for (char c : std::string("[true]")) {
    bytes += '\0';
    bytes += c;
  }
  auto doc = ParseJsonDocument(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ((*doc)[0], true);
}

TEST(ParseJsonDocument, RejectsOddLengthUtf16) {
  auto doc = ParseJsonDocument(Utf16Le(u"{}") + "x");
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(doc.status().message(), HasSubstr("odd number of bytes"));
}

TEST(ParseJsonDocument, RejectsUnpairedSurrogate) {
  std::u16string text = u"[\"";
  text += static_cast<char16_t>(0xD800);
  text += u"\"]";
  auto doc = ParseJsonDocument(Utf16Le(text));
  EXPECT_THAT(doc.status().message(), HasSubstr("surrogate"));
}

TEST(ParseJsonDocument, ReportsLineAndColumnOfSyntaxError) {
  auto doc = ParseJsonDocument("{\n  \"a\": 1,\n  \"b\": ]\n}");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(doc.status().message(), HasSubstr("line 3, column 8"));
}

TEST(ParseJsonDocument, RefusesDeepNesting) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto doc = ParseJsonDocument(deep);
  EXPECT_THAT(doc.status().message(), HasSubstr("nesting deeper than 64"));
}

TEST(ParseJsonDocument, BracketsInsideStringsDoNotCountAsNesting) {
  std::string text = "[\"" + std::string(200, '[') + "\"]";
  EXPECT_TRUE(ParseJsonDocument(text).ok());
}

TEST(ParseJsonDocument, RefusesOversizedDocument) {
  JsonParseOptions options;
  options.max_bytes = 4;
  EXPECT_THAT(ParseJsonDocument("[1,2,3]", options).status().message(), HasSubstr("limit is 4"));
}

TEST(ReadTokenList, AcceptsCommaSeparatedString) {
  std::vector<std::string> tokens;
  ASSERT_TRUE(ReadTokenList(nlohmann::json("deviceCodeFlow, authenticationTransfer,"), tokens));
  EXPECT_THAT(tokens, ::testing::ElementsAre("deviceCodeFlow", "authenticationTransfer"));
}

TEST(ReadTokenList, AcceptsArrayAndNull) {
  std::vector<std::string> tokens;
  ASSERT_TRUE(ReadTokenList(nlohmann::json::array({" low", "high"}), tokens));
  ASSERT_TRUE(ReadTokenList(nlohmann::json(nullptr), tokens));
  EXPECT_THAT(tokens, ::testing::ElementsAre("low", "high"));
}

TEST(ReadTokenList, RejectsNonStringElements) {
  std::vector<std::string> tokens;
  EXPECT_FALSE(ReadTokenList(nlohmann::json::array({1}), tokens));
  EXPECT_FALSE(ReadTokenList(nlohmann::json::object(), tokens));
}

}  // namespace
}  // namespace gatehouse::core
