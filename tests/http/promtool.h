// Runs Debian's `promtool check metrics` on a metrics text, for tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace gatehouse::http::testing {

struct PromtoolResult {
  int exit_code = -1;
  std::string output;
};

inline PromtoolResult CheckWithPromtool(const std::string& text) {
  static int counter = 0;
  const auto path =
      std::filesystem::temp_directory_path() / ("gatehouse_metrics_" + std::to_string(::getpid()) +
                                                "_" + std::to_string(counter++) + ".txt");
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  PromtoolResult result;
  const std::string command = "promtool check metrics < '" + path.string() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe != nullptr) {
    char chunk[4096];
    std::size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) result.output.append(chunk, n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::filesystem::remove(path);
  return result;
}

}  // namespace gatehouse::http::testing
