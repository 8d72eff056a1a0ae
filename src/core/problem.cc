#include "core/problem.h"

#include <algorithm>

namespace gatehouse::core {

std::string Problem::ToString() const {
  std::string out;
  if (severity == Severity::kWarning) out += "warning: ";
  if (!file.empty()) out += file + ": ";
  if (!pointer.empty()) out += pointer + ": ";
  out += message;
  return out;
}

void ProblemList::AddError(std::string pointer, std::string message) {
  problems_.push_back({Severity::kError, "", std::move(pointer), std::move(message)});
}

void ProblemList::AddWarning(std::string pointer, std::string message) {
  problems_.push_back({Severity::kWarning, "", std::move(pointer), std::move(message)});
}

void ProblemList::Merge(const ProblemList& other, const std::string& file) {
  for (Problem p : other.problems_) {
    if (p.file.empty()) p.file = file;
    problems_.push_back(std::move(p));
  }
}

bool ProblemList::has_errors() const {
  return std::any_of(problems_.begin(), problems_.end(),
                     [](const Problem& p) { return p.severity == Severity::kError; });
}

std::string ProblemList::ToString() const {
  std::string out;
  for (const Problem& p : problems_) {
    out += p.ToString();
    out += '\n';
  }
  return out;
}

std::string JsonPointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace gatehouse::core
