// Problems found while validating input: every problem carries where it is (file, JSON pointer,
// line:column when known) and why. Validation collects all of them instead of stopping at the
// first, so an admin fixes a bundle in one pass.
#pragma once

#include <string>
#include <vector>

namespace gatehouse::core {

enum class Severity { kError, kWarning };

struct Problem {
  Severity severity = Severity::kError;
  std::string file;     // may be empty when the input did not come from a file
  std::string pointer;  // RFC 6901 JSON pointer into the document, "" for the whole document
  std::string message;

  // "file: /pointer: message" (parts that are empty are left out), prefixed with "warning: "
  // for warnings.
  std::string ToString() const;
};

class ProblemList {
 public:
  void AddError(std::string pointer, std::string message);
  void AddWarning(std::string pointer, std::string message);
  void Add(Problem problem) { problems_.push_back(std::move(problem)); }
  // Appends every problem of `other`, setting `file` on those that have none.
  void Merge(const ProblemList& other, const std::string& file = "");

  bool has_errors() const;
  bool empty() const { return problems_.empty(); }
  const std::vector<Problem>& problems() const { return problems_; }
  // All problems, one per line.
  std::string ToString() const;

 private:
  std::vector<Problem> problems_;
};

// Escapes one reference token for use in a JSON pointer ("~" -> "~0", "/" -> "~1").
std::string JsonPointerToken(std::string_view token);

}  // namespace gatehouse::core
