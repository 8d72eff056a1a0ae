// Helpers for the agent tests: temporary directories, fixture host trees and a fake command runner.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "agent/host_posture.h"
#include "gtest/gtest.h"

namespace gatehouse::agent::testing {

// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "agent-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes `content` to path() + relative, creating parent folders.
  void Write(const std::string& relative, const std::string& content) const {
    const std::filesystem::path file = std::filesystem::path(path_ + relative);
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out << content;
  }
  void MakeDir(const std::string& relative) const {
    std::filesystem::create_directories(path_ + relative);
  }

 private:
  std::string path_;
};

inline unsigned FileMode(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return 0xFFFF;
  return info.st_mode & 07777;
}

// Answers commands from a table (key: argv joined by spaces); unknown commands are NotFound, as
// for a program that is not installed. Records every call.
class FakeCommands {
 public:
  void Set(const std::string& command, int exit_code, const std::string& output) {
    results_[command] = CommandResult{exit_code, output};
  }
  CommandRunner Runner() {
    return [this](const std::vector<std::string>& argv) -> absl::StatusOr<CommandResult> {
      std::string joined;
      for (const std::string& arg : argv) joined += (joined.empty() ? "" : " ") + arg;
      calls_.push_back(joined);
      const auto it = results_.find(joined);
      if (it == results_.end()) return absl::NotFoundError(argv[0] + ": not installed");
      return it->second;
    };
  }
  const std::vector<std::string>& calls() const { return calls_; }

 private:
  std::map<std::string, CommandResult> results_;
  std::vector<std::string> calls_;
};

}  // namespace gatehouse::agent::testing
