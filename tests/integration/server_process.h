// Runs the real `gatehouse` executable for integration tests: `serve` as a child process on a
// loopback port (fork/exec, stdout on a pipe until the "serving" banner, stderr to a log file),
// and the one-shot CLI commands (import, export, whatif, audit verify) with captured output.
//
// Not thread-safe: one test thread drives a ServerProcess; the HTTP calls made against it may
// come from any thread.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace gatehouse::integration {

inline std::string GatehouseBinary() { return std::string(GATEHOUSE_BINARY_DIR) + "/gatehouse"; }
inline std::string SourcePath(const std::string& relative) {
  return std::string(GATEHOUSE_SOURCE_DIR) + "/" + relative;
}

inline std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A fresh directory under the system temp folder, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("gatehouse_integ_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Forks and execs `args` (args[0] is the program path) with stdout on `stdout_fd`, stderr
// appended to `stderr_path` and stdin from /dev/null. Returns the child's pid.
inline pid_t Spawn(const std::vector<std::string>& args, int stdout_fd,
                   const std::string& stderr_path) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err_fd < 0) throw std::runtime_error("cannot open " + stderr_path);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::dup2(stdout_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(err_fd);
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

// Waits for `pid` up to `timeout`; returns the exit code (128+signal when killed), or nullopt if
// it is still running.
inline std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (done < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `gatehouse <args...>` to completion (at most 60 s) and captures its output.
inline CommandResult RunGatehouse(const std::vector<std::string>& args) {
  TempDir scratch;
  const std::string out_path = scratch.Sub("stdout");
  const std::string err_path = scratch.Sub("stderr");
  std::vector<std::string> full = {GatehouseBinary()};
  full.insert(full.end(), args.begin(), args.end());
  const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) throw std::runtime_error("cannot open " + out_path);
  const pid_t pid = Spawn(full, out_fd, err_path);
  ::close(out_fd);
  CommandResult result;
  auto code = WaitFor(pid, std::chrono::seconds(60));
  if (!code) {
    ::kill(pid, SIGKILL);
    code = WaitFor(pid, std::chrono::seconds(10));
  }
  result.exit_code = code.value_or(-1);
  result.out = ReadWholeFile(out_path);
  result.err = ReadWholeFile(err_path);
  return result;
}

// `gatehouse serve --data-dir DIR --listen 127.0.0.1:0 [extra...]` as a child process.
class ServerProcess {
 public:
  ServerProcess(std::string data_dir, std::vector<std::string> extra_args)
      : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)) {}
  ~ServerProcess() {
    if (running()) Kill();
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and reads its banner. Returns "" on success, else what went wrong (with the
  // server's log).
  std::string Start() {
    std::vector<std::string> args = {GatehouseBinary(), "serve",    "--data-dir",
                                     data_dir_,         "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
    log_path_ = data_dir_ + ".server.log";
    pid_ = Spawn(args, fds[1], log_path_);
    ::close(fds[1]);
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    stdout_fd_ = fds[0];
    banner_.clear();
    port_ = 0;
    bootstrap_secret_.clear();

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    // The banner is written in one flush and ends with the "health:" line.
    while (banner_.find("health:") == std::string::npos ||
           banner_.find('\n', banner_.find("health:")) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "no banner within 20 s; log:\n" + Log();
      pollfd p{stdout_fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
      if (n <= 0) {
        auto code = WaitFor(pid_, std::chrono::seconds(5));
        pid_ = -1;
        return "the server exited (" + std::to_string(code.value_or(-1)) +
               ") before serving; log:\n" + Log();
      }
      banner_.append(chunk, static_cast<std::size_t>(n));
    }
    const std::string marker = "Gatehouse is serving on http://127.0.0.1:";
    const auto at = banner_.find(marker);
    if (at == std::string::npos) return "unexpected banner:\n" + banner_;
    port_ = static_cast<std::uint16_t>(std::atoi(banner_.c_str() + at + marker.size()));
    if (const auto once = banner_.find("shown once"); once != std::string::npos) {
      std::istringstream rest(banner_.substr(banner_.find('\n', once) + 1));
      rest >> bootstrap_secret_;
    }
    return "";
  }

  // SIGTERM, then wait (up to 20 s). Returns the exit code (128+signal if killed).
  int Stop() {
    if (!running()) return -1;
    ::kill(pid_, SIGTERM);
    auto code = WaitFor(pid_, std::chrono::seconds(20));
    if (!code) {
      ::kill(pid_, SIGKILL);
      code = WaitFor(pid_, std::chrono::seconds(10));
    }
    pid_ = -1;
    return code.value_or(-1);
  }
  // kill -9 and reap.
  void Kill() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    WaitFor(pid_, std::chrono::seconds(10));
    pid_ = -1;
  }
  void SendSignal(int signal) const {
    if (running()) ::kill(pid_, signal);
  }
  // Reaps the process if it has exited on its own within `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    auto code = WaitFor(pid_, timeout);
    if (code) pid_ = -1;
    return code;
  }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  const std::string& banner() const { return banner_; }
  // Empty when this start found an existing admin client (no secret is printed again).
  const std::string& bootstrap_secret() const { return bootstrap_secret_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string Log() const { return ReadWholeFile(log_path_); }

 private:
  std::string data_dir_;
  std::vector<std::string> extra_args_;
  std::string log_path_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string banner_;
  std::uint16_t port_ = 0;
  std::string bootstrap_secret_;
};

}  // namespace gatehouse::integration
