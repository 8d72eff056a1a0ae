// Device filter rules: a small recursive-descent parser over an on-demand
// lexer, compiled into a flat, immutable tree that Matches() walks without
// allocating.
//
// Grammar (shared/reference/ca-semantics.md §3.1), -and binds tighter than -or:
//   rule       := or_expr
//   or_expr    := and_expr { "-or" and_expr }
//   and_expr   := primary { "-and" primary }
//   primary    := "(" or_expr ")" | comparison
//   comparison := "device." property operator value
//   value      := string | boolean | "[" string { "," string } "]"
//
// Decisions (§10 note 8): property names and operators are case-insensitive;
// string comparison folds ASCII case; strings may be double- or single-quoted,
// with \" \' \\ and the dynamic-group backtick escape `" inside; booleans
// (isCompliant only) may be bare or quoted; -not, -match, -notMatch, -any,
// -all, -le and -ge are rejected as unsupported in device filters.
#include "devicefilter/device_filter.h"

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace gatehouse::devicefilter {
namespace {

// ---------------------------------------------------------------------------------------------
// Properties and operators.

constexpr std::array<std::string_view, kDevicePropertyCount> kPropertyNames = {
    "deviceId",
    "displayName",
    "deviceOwnership",
    "enrollmentProfileName",
    "isCompliant",
    "manufacturer",
    "mdmAppId",
    "model",
    "operatingSystem",
    "operatingSystemVersion",
    "physicalIds",
    "profileType",
    "systemLabels",
    "trustType",
    "extensionAttribute1",
    "extensionAttribute2",
    "extensionAttribute3",
    "extensionAttribute4",
    "extensionAttribute5",
    "extensionAttribute6",
    "extensionAttribute7",
    "extensionAttribute8",
    "extensionAttribute9",
    "extensionAttribute10",
    "extensionAttribute11",
    "extensionAttribute12",
    "extensionAttribute13",
    "extensionAttribute14",
    "extensionAttribute15",
};

enum class Operator : std::uint8_t {
  kEq,
  kNe,
  kStartsWith,
  kNotStartsWith,
  kEndsWith,
  kNotEndsWith,
  kContains,
  kNotContains,
  kIn,
  kNotIn,
};
constexpr std::size_t kOperatorCount = 10;

constexpr std::array<std::string_view, kOperatorCount> kOperatorNames = {
    "-eq",       "-ne",          "-startsWith", "-notStartsWith", "-endsWith", "-notEndsWith",
    "-contains", "-notContains", "-in",         "-notIn",
};

// Operators that exist in dynamic membership rules but not in device filters
// (§3.1).
constexpr std::array<std::string_view, 7> kUnsupportedOperators = {
    "-not", "-match", "-notMatch", "-any", "-all", "-le", "-ge",
};

constexpr std::uint16_t Bit(Operator op) { return std::uint16_t{1} << static_cast<int>(op); }

constexpr std::uint16_t kEqualityOperators = Bit(Operator::kEq) | Bit(Operator::kNe);
constexpr std::uint16_t kIdOperators =
    kEqualityOperators | Bit(Operator::kIn) | Bit(Operator::kNotIn);
constexpr std::uint16_t kCollectionOperators =
    Bit(Operator::kContains) | Bit(Operator::kNotContains);
constexpr std::uint16_t kAllOperators = (std::uint16_t{1} << kOperatorCount) - 1;

// Which operators each property allows (§3.2).
std::uint16_t AllowedOperators(DeviceProperty property) {
  switch (property) {
    case DeviceProperty::kDeviceId:
    case DeviceProperty::kMdmAppId:
      return kIdOperators;
    case DeviceProperty::kDeviceOwnership:
    case DeviceProperty::kIsCompliant:
    case DeviceProperty::kProfileType:
    case DeviceProperty::kTrustType:
      return kEqualityOperators;
    case DeviceProperty::kPhysicalIds:
    case DeviceProperty::kSystemLabels:
      return kCollectionOperators;
    default:
      return kAllOperators;
  }
}

bool IsNegative(Operator op) {
  switch (op) {
    case Operator::kNe:
    case Operator::kNotStartsWith:
    case Operator::kNotEndsWith:
    case Operator::kNotContains:
    case Operator::kNotIn:
      return true;
    default:
      return false;
  }
}

bool TakesList(Operator op) { return op == Operator::kIn || op == Operator::kNotIn; }

std::string AllowedOperatorList(std::uint16_t allowed) {
  std::string out;
  std::size_t count = 0;
  for (std::size_t i = 0; i < kOperatorCount; ++i) {
    if (allowed & (std::uint16_t{1} << i)) ++count;
  }
  std::size_t written = 0;
  for (std::size_t i = 0; i < kOperatorCount; ++i) {
    if (!(allowed & (std::uint16_t{1} << i))) continue;
    if (written > 0) out += (written + 1 == count) ? (count > 2 ? ", or " : " or ") : ", ";
    out += kOperatorNames[i];
    ++written;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ASCII case folding without allocation.

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = Lower(c);
  return out;
}

// `lowered` is already folded; `text` is not.
bool EqualsFolded(std::string_view text, std::string_view lowered) {
  if (text.size() != lowered.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (Lower(text[i]) != lowered[i]) return false;
  }
  return true;
}

bool StartsWithFolded(std::string_view text, std::string_view lowered) {
  return text.size() >= lowered.size() && EqualsFolded(text.substr(0, lowered.size()), lowered);
}

bool EndsWithFolded(std::string_view text, std::string_view lowered) {
  return text.size() >= lowered.size() &&
         EqualsFolded(text.substr(text.size() - lowered.size()), lowered);
}

bool ContainsFolded(std::string_view text, std::string_view lowered) {
  if (lowered.size() > text.size()) return false;
  for (std::size_t start = 0; start + lowered.size() <= text.size(); ++start) {
    if (EqualsFolded(text.substr(start, lowered.size()), lowered)) return true;
  }
  return false;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public property helpers.

std::string_view DevicePropertyName(DeviceProperty property) {
  const auto index = static_cast<std::size_t>(property);
  return index < kPropertyNames.size() ? kPropertyNames[index] : std::string_view("unknown");
}

std::optional<DeviceProperty> DevicePropertyFromName(std::string_view name) {
  for (std::size_t i = 0; i < kPropertyNames.size(); ++i) {
    if (EqualsIgnoreCase(name, kPropertyNames[i])) return static_cast<DeviceProperty>(i);
  }
  return std::nullopt;
}

bool IsCollectionProperty(DeviceProperty property) {
  return property == DeviceProperty::kPhysicalIds || property == DeviceProperty::kSystemLabels;
}

// ---------------------------------------------------------------------------------------------
// Compiled form.

struct DeviceFilter::Compiled {
  enum class Kind : std::uint8_t { kAnd, kOr, kComparison };
  struct Node {
    Kind kind = Kind::kComparison;
    // kAnd / kOr: child node indices. kComparison: the folded values (one
    // unless -in / -notIn).
    std::vector<std::uint32_t> children;
    DeviceProperty property = DeviceProperty::kDeviceId;
    Operator op = Operator::kEq;
    std::vector<std::string> values;
  };

  std::string rule;
  std::vector<DeviceProperty> properties;
  std::vector<Node> nodes;
  std::uint32_t root = 0;

  bool Evaluate(std::uint32_t index, const DevicePropertySource &device) const;
  bool Compare(const Node &node, const DevicePropertySource &device) const;
};

namespace {

using Node = DeviceFilter::Compiled::Node;
using Kind = DeviceFilter::Compiled::Kind;

// The positive form of `op` applied to one non-null string.
bool PositiveMatch(Operator op, std::string_view text, const std::vector<std::string> &values) {
  switch (op) {
    case Operator::kEq:
    case Operator::kNe:
      return EqualsFolded(text, values.front());
    case Operator::kStartsWith:
    case Operator::kNotStartsWith:
      return StartsWithFolded(text, values.front());
    case Operator::kEndsWith:
    case Operator::kNotEndsWith:
      return EndsWithFolded(text, values.front());
    case Operator::kContains:
    case Operator::kNotContains:
      return ContainsFolded(text, values.front());
    case Operator::kIn:
    case Operator::kNotIn:
      for (const std::string &value : values) {
        if (EqualsFolded(text, value)) return true;
      }
      return false;
  }
  return false;
}

}  // namespace

bool DeviceFilter::Compiled::Compare(const Node &node, const DevicePropertySource &device) const {
  const bool negative = IsNegative(node.op);
  bool positive = false;
  if (IsCollectionProperty(node.property)) {
    const std::optional<std::span<const std::string>> items = device.Collection(node.property);
    // Null: a positive operator never matches, a negative one always does
    // (§3.4).
    if (!items.has_value()) return negative;
    // Collections allow only -contains / -notContains: whole-element match.
    for (const std::string &item : *items) {
      if (EqualsFolded(item, node.values.front())) {
        positive = true;
        break;
      }
    }
  } else {
    const std::optional<std::string_view> text = device.Scalar(node.property);
    if (!text.has_value()) return negative;
    positive = PositiveMatch(node.op, *text, node.values);
  }
  return negative ? !positive : positive;
}

bool DeviceFilter::Compiled::Evaluate(std::uint32_t index,
                                      const DevicePropertySource &device) const {
  const Node &node = nodes[index];
  switch (node.kind) {
    case Kind::kAnd:
      for (std::uint32_t child : node.children) {
        if (!Evaluate(child, device)) return false;
      }
      return true;
    case Kind::kOr:
      for (std::uint32_t child : node.children) {
        if (Evaluate(child, device)) return true;
      }
      return false;
    case Kind::kComparison:
      return Compare(node, device);
  }
  return false;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Lexer.

enum class TokenKind : std::uint8_t {
  kEnd,
  kWord,      // device.trustType, True, eq, ...
  kOperator,  // -eq, -and, -foo
  kString,    // "..." or '...'
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kInvalid,  // a character that starts no token, or an unterminated string
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::size_t begin = 0;  // byte offsets into the rule
  std::size_t end = 0;
  std::string value;  // kString: the unescaped contents
  bool unterminated = false;
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsWordChar(char c) {
  return IsAsciiLetter(c) || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Token Next() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
    Token token;
    token.begin = pos_;
    if (pos_ >= text_.size()) {
      token.kind = TokenKind::kEnd;
      token.end = pos_;
      return token;
    }
    const char c = text_[pos_];
    switch (c) {
      case '(':
        return Single(TokenKind::kLParen);
      case ')':
        return Single(TokenKind::kRParen);
      case '[':
        return Single(TokenKind::kLBracket);
      case ']':
        return Single(TokenKind::kRBracket);
      case ',':
        return Single(TokenKind::kComma);
      case '"':
      case '\'':
        return String(c);
      default:
        break;
    }
    if (c == '-' && pos_ + 1 < text_.size() && IsAsciiLetter(text_[pos_ + 1])) {
      ++pos_;
      while (pos_ < text_.size() && IsAsciiLetter(text_[pos_])) ++pos_;
      token.kind = TokenKind::kOperator;
      token.end = pos_;
      return token;
    }
    if (IsWordChar(c)) {
      while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
      token.kind = TokenKind::kWord;
      token.end = pos_;
      return token;
    }
    // One (possibly multi-byte UTF-8) character that starts no token.
    ++pos_;
    while (pos_ < text_.size() && (static_cast<unsigned char>(text_[pos_]) & 0xC0) == 0x80 &&
           pos_ - token.begin < 4) {
      ++pos_;
    }
    token.kind = TokenKind::kInvalid;
    token.end = pos_;
    return token;
  }

 private:
  Token Single(TokenKind kind) {
    Token token;
    token.kind = kind;
    token.begin = pos_;
    token.end = ++pos_;
    return token;
  }

  Token String(char quote) {
    Token token;
    token.kind = TokenKind::kString;
    token.begin = pos_;
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == quote) {
        token.end = ++pos_;
        return token;
      }
      // \" \' \\ and the dynamic-group backtick escape `" stand for the
      // character itself; any other backslash is an ordinary character.
      if ((c == '\\' || c == '`') && pos_ + 1 < text_.size()) {
        const char next = text_[pos_ + 1];
        if (next == '"' || next == '\'' || (c == '\\' && next == '\\')) {
          token.value += next;
          pos_ += 2;
          continue;
        }
      }
      token.value += c;
      ++pos_;
    }
    token.kind = TokenKind::kInvalid;
    token.unterminated = true;
    token.end = pos_;
    return token;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Parser.

// 1-based character position of a byte offset (UTF-8 continuation bytes do not
// count).
std::size_t CharacterPosition(std::string_view text, std::size_t offset) {
  std::size_t position = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++position;
  }
  return position;
}

std::size_t CharacterCount(std::string_view text) {
  return CharacterPosition(text, text.size()) - 1;
}

constexpr std::size_t kMaxQuotedLength = 40;

class Parser {
 public:
  Parser(std::string_view text, const DeviceFilterLimits &limits, DeviceFilter::Compiled &out)
      : text_(text), limits_(limits), lexer_(text), out_(out) {
    Advance();
  }

  absl::Status ParseRule() {
    if (current_.kind == TokenKind::kEnd) {
      return Error(current_,
                   "expected a condition such as device.trustType "
                   "-eq \"AzureAD\", found " +
                       Describe(current_));
    }
    std::uint32_t root = 0;
    if (absl::Status status = ParseOr(root); !status.ok()) return status;
    if (current_.kind != TokenKind::kEnd) {
      return ExpectedConnective("end of rule");
    }
    out_.root = root;
    return absl::OkStatus();
  }

 private:
  void Advance() { current_ = lexer_.Next(); }

  std::string_view Text(const Token &token) const {
    return text_.substr(token.begin, token.end - token.begin);
  }

  bool IsOperator(const Token &token, std::string_view name) const {
    return token.kind == TokenKind::kOperator && EqualsIgnoreCase(Text(token), name);
  }

  // How a token reads in an error message.
  std::string Describe(const Token &token) const {
    switch (token.kind) {
      case TokenKind::kEnd:
        return "end of rule";
      case TokenKind::kInvalid:
        if (token.unterminated) {
          return std::string("a string with no closing ") + text_[token.begin];
        } else {
          const auto byte = static_cast<unsigned char>(text_[token.begin]);
          if (byte < 0x20 || byte == 0x7F) {
            static constexpr char kHex[] = "0123456789ABCDEF";
            return std::string("control character 0x") + kHex[byte >> 4] + kHex[byte & 0xF];
          }
          return "'" + std::string(Text(token)) + "'";
        }
      case TokenKind::kString: {
        std::string_view text = Text(token);
        if (CharacterCount(text) > kMaxQuotedLength) {
          std::size_t cut = kMaxQuotedLength;
          // Do not split a UTF-8 sequence.
          while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
          return "the string " + std::string(text.substr(0, cut)) + "...";
        }
        return "the string " + std::string(text);
      }
      default: {
        std::string_view text = Text(token);
        if (text.size() > kMaxQuotedLength)
          return "'" + std::string(text.substr(0, kMaxQuotedLength)) + "...'";
        return "'" + std::string(text) + "'";
      }
    }
  }

  absl::Status Error(const Token &token, const std::string &message) const {
    return ErrorAt(token.begin, message);
  }

  absl::Status ErrorAt(std::size_t offset, const std::string &message) const {
    return absl::InvalidArgumentError(
        "position " + std::to_string(CharacterPosition(text_, offset)) + ": " + message);
  }

  // "expected X, found Y", with a note when Y is a dynamic-group operator
  // device filters lack.
  absl::Status Expected(const std::string &expected) const {
    if (current_.kind == TokenKind::kOperator) {
      for (std::string_view unsupported : kUnsupportedOperators) {
        if (EqualsIgnoreCase(Text(current_), unsupported)) {
          return Error(current_, "expected " + expected + ", found '" +
                                     std::string(Text(current_)) +
                                     "', which is not supported in "
                                     "device filters");
        }
      }
    }
    return Error(current_, "expected " + expected + ", found " + Describe(current_));
  }

  absl::Status ExpectedConnective(const std::string &alternative) const {
    return Expected("-and, -or or " + alternative);
  }

  std::uint32_t AddNode(Node node) {
    out_.nodes.push_back(std::move(node));
    return static_cast<std::uint32_t>(out_.nodes.size() - 1);
  }

  absl::Status ParseOr(std::uint32_t &result) {
    std::uint32_t first = 0;
    if (absl::Status status = ParseAnd(first); !status.ok()) return status;
    if (!IsOperator(current_, "-or")) {
      result = first;
      return absl::OkStatus();
    }
    Node node;
    node.kind = Kind::kOr;
    node.children.push_back(first);
    while (IsOperator(current_, "-or")) {
      Advance();
      std::uint32_t next = 0;
      if (absl::Status status = ParseAnd(next); !status.ok()) return status;
      node.children.push_back(next);
    }
    result = AddNode(std::move(node));
    return absl::OkStatus();
  }

  absl::Status ParseAnd(std::uint32_t &result) {
    std::uint32_t first = 0;
    if (absl::Status status = ParsePrimary(first); !status.ok()) return status;
    if (!IsOperator(current_, "-and")) {
      result = first;
      return absl::OkStatus();
    }
    Node node;
    node.kind = Kind::kAnd;
    node.children.push_back(first);
    while (IsOperator(current_, "-and")) {
      Advance();
      std::uint32_t next = 0;
      if (absl::Status status = ParsePrimary(next); !status.ok()) return status;
      node.children.push_back(next);
    }
    result = AddNode(std::move(node));
    return absl::OkStatus();
  }

  absl::Status ParsePrimary(std::uint32_t &result) {
    if (current_.kind == TokenKind::kLParen) {
      const Token open = current_;
      if (depth_ >= limits_.max_nesting) {
        return Error(open, "expected at most " + std::to_string(limits_.max_nesting) +
                               " levels of nested parentheses, found more");
      }
      ++depth_;
      Advance();
      if (absl::Status status = ParseOr(result); !status.ok()) return status;
      if (current_.kind != TokenKind::kRParen) {
        return ExpectedConnective("')' to close the '(' at position " +
                                  std::to_string(CharacterPosition(text_, open.begin)));
      }
      --depth_;
      Advance();
      return absl::OkStatus();
    }
    return ParseComparison(result);
  }

  absl::Status ParseComparison(std::uint32_t &result) {
    static constexpr std::string_view kPrefix = "device.";
    static constexpr char kExpectedCondition[] =
        "a condition such as device.trustType -eq \"AzureAD\" or '('";
    if (current_.kind != TokenKind::kWord) return Expected(kExpectedCondition);
    const Token property_token = current_;
    std::string_view word = Text(property_token);
    if (word.size() <= kPrefix.size() ||
        !EqualsIgnoreCase(word.substr(0, kPrefix.size()), kPrefix)) {
      return Expected(kExpectedCondition);
    }
    const std::optional<DeviceProperty> property =
        DevicePropertyFromName(word.substr(kPrefix.size()));
    if (!property.has_value()) {
      return Error(property_token,
                   "expected a device property (deviceId, displayName, deviceOwnership, "
                   "enrollmentProfileName, isCompliant, manufacturer, mdmAppId, model, "
                   "operatingSystem, operatingSystemVersion, physicalIds, profileType, "
                   "systemLabels, trustType, extensionAttribute1 to "
                   "extensionAttribute15), found " +
                       Describe(property_token));
    }
    const std::string canonical = "device." + std::string(DevicePropertyName(*property));
    Advance();

    // Operator.
    const std::uint16_t allowed = AllowedOperators(*property);
    if (current_.kind != TokenKind::kOperator) {
      return Expected("an operator such as " + AllowedOperatorList(allowed) + " after " +
                      canonical);
    }
    std::optional<Operator> op;
    for (std::size_t i = 0; i < kOperatorCount; ++i) {
      if (EqualsIgnoreCase(Text(current_), kOperatorNames[i])) op = static_cast<Operator>(i);
    }
    if (!op.has_value()) {
      return Expected("an operator such as " + AllowedOperatorList(allowed) + " after " +
                      canonical);
    }
    if (!(allowed & Bit(*op))) {
      return Error(current_, "operator " + std::string(kOperatorNames[static_cast<int>(*op)]) +
                                 " is not allowed for " + canonical + "; expected " +
                                 AllowedOperatorList(allowed));
    }
    const std::string op_name(kOperatorNames[static_cast<int>(*op)]);
    Advance();

    Node node;
    node.kind = Kind::kComparison;
    node.property = *property;
    node.op = *op;

    // Value.
    if (TakesList(*op)) {
      if (current_.kind != TokenKind::kLBracket) {
        return Expected("a list such as [\"a\", \"b\"] after " + op_name);
      }
      Advance();
      while (true) {
        if (current_.kind != TokenKind::kString) {
          return Expected(node.values.empty() ? "a quoted string in the list"
                                              : "a quoted string after ','");
        }
        if (node.values.size() >= limits_.max_list_items) {
          return Error(current_, "expected at most " + std::to_string(limits_.max_list_items) +
                                     " items in the list, found more");
        }
        node.values.push_back(LowerCopy(current_.value));
        Advance();
        if (current_.kind == TokenKind::kComma) {
          Advance();
          continue;
        }
        if (current_.kind == TokenKind::kRBracket) {
          Advance();
          break;
        }
        return Expected("',' or ']'");
      }
    } else if (*property == DeviceProperty::kIsCompliant) {
      std::string_view text;
      if (current_.kind == TokenKind::kWord) {
        text = Text(current_);
      } else if (current_.kind == TokenKind::kString) {
        text = current_.value;
      } else if (current_.kind == TokenKind::kLBracket) {
        return Expected("True or False after " + op_name + " (a list needs -in or -notIn)");
      } else {
        return Expected("True or False after " + op_name);
      }
      if (!EqualsIgnoreCase(text, "true") && !EqualsIgnoreCase(text, "false")) {
        return Expected("True or False after " + op_name);
      }
      node.values.push_back(LowerCopy(text));
      Advance();
    } else {
      if (current_.kind != TokenKind::kString) {
        if (current_.kind == TokenKind::kLBracket) {
          return Expected("a quoted string after " + op_name + " (a list needs -in or -notIn)");
        }
        return Expected("a quoted string after " + op_name);
      }
      node.values.push_back(LowerCopy(current_.value));
      Advance();
    }

    bool seen = false;
    for (DeviceProperty p : out_.properties) seen = seen || p == *property;
    if (!seen) out_.properties.push_back(*property);
    result = AddNode(std::move(node));
    return absl::OkStatus();
  }

  std::string_view text_;
  const DeviceFilterLimits &limits_;
  Lexer lexer_;
  DeviceFilter::Compiled &out_;
  Token current_;
  std::size_t depth_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// DeviceFilter.

absl::StatusOr<DeviceFilter> DeviceFilter::Parse(std::string_view rule,
                                                 const DeviceFilterLimits &limits) {
  const std::size_t length = CharacterCount(rule);
  if (length > limits.max_rule_length) {
    return absl::InvalidArgumentError("position " + std::to_string(limits.max_rule_length + 1) +
                                      ": rule is " + std::to_string(length) +
                                      " characters; the limit is " +
                                      std::to_string(limits.max_rule_length));
  }
  auto compiled = std::make_shared<Compiled>();
  compiled->rule = std::string(rule);
  Parser parser(compiled->rule, limits, *compiled);
  if (absl::Status status = parser.ParseRule(); !status.ok()) return status;
  return DeviceFilter(std::move(compiled));
}

bool DeviceFilter::Matches(const DevicePropertySource &device) const {
  return compiled_->Evaluate(compiled_->root, device);
}

const std::string &DeviceFilter::rule() const { return compiled_->rule; }

const std::vector<DeviceProperty> &DeviceFilter::properties() const {
  return compiled_->properties;
}

}  // namespace gatehouse::devicefilter
