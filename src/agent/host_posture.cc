#include "agent/host_posture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "core/iso_time.h"
#include "core/text.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace gatehouse::agent {
namespace {

constexpr std::size_t kMaxHostFileBytes = 1 << 20;
constexpr std::size_t kMaxCommandOutputBytes = 4 << 20;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' ||
                           text.front() == '\n')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

std::string HostPath(const HostEnvironment& env, std::string_view path) {
  std::string root = env.root;
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root + std::string(path);
}

// Contents of a host file, or nullopt when it cannot be read (missing, permission, too large).
std::optional<std::string> ReadHostFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (data.size() > kMaxHostFileBytes) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return data;
}

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

// The output of a command that ran and exited 0; nullopt otherwise.
std::optional<std::string> RunForOutput(const HostEnvironment& env,
                                        const std::vector<std::string>& argv) {
  if (!env.run) return std::nullopt;
  absl::StatusOr<CommandResult> result = env.run(argv);
  if (!result.ok() || result->exit_code != 0) return std::nullopt;
  return std::move(result->output);
}

std::optional<std::string> FindOnPath(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    return access(program.c_str(), X_OK) == 0 ? std::optional<std::string>(program) : std::nullopt;
  }
  std::string dirs;
  if (const char* path = std::getenv("PATH")) dirs = path;
  // Firewall tools live in sbin, which a user's PATH often lacks.
  dirs += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::stringstream stream(dirs);
  std::string dir;
  while (std::getline(stream, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// Removes the characters nft puts around names and verdicts ("drop;", "{", "}").
std::string_view NftToken(std::string_view word) {
  while (!word.empty() && (word.back() == ';' || word.back() == ',' || word.back() == '}' ||
                           word.back() == '{')) {
    word.remove_suffix(1);
  }
  while (!word.empty() && (word.front() == '{' || word.front() == '}')) word.remove_prefix(1);
  return word;
}

// Chains and what each does: used by both firewall parsers.
struct ChainGraph {
  struct Chain {
    bool drops = false;
    std::vector<std::string> jumps;
  };
  std::map<std::string, Chain> chains;

  bool Filters(const std::string& name) const {
    std::set<std::string> seen;
    return FiltersFrom(name, seen);
  }

 private:
  bool FiltersFrom(const std::string& name, std::set<std::string>& seen) const {
    if (!seen.insert(name).second) return false;
    const auto it = chains.find(name);
    if (it == chains.end()) return false;
    if (it->second.drops) return true;
    for (const std::string& target : it->second.jumps) {
      if (FiltersFrom(target, seen)) return true;
    }
    return false;
  }
};

std::string Sanitize(std::string_view text) {
  std::string out(Trim(text));
  if (out.size() > 256) out.resize(256);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

bool IsPlaceholderDmiText(std::string_view text) {
  static const char* const kPlaceholders[] = {
      "",        "to be filled by o.e.m.", "to be filled by oem", "system manufacturer",
      "system product name", "default string", "not specified", "not applicable", "none",
      "o.e.m.",  "oem",  "unknown", "n/a", "invalid", "type1productconfigid"};
  const std::string lower = core::AsciiLower(Trim(text));
  for (const char* placeholder : kPlaceholders) {
    if (lower == placeholder) return true;
  }
  return false;
}

// Whether the block device whose sysfs node is `node` is dm-crypt or sits entirely on dm-crypt.
// nullopt when that cannot be read.
std::optional<bool> BlockDeviceEncrypted(const std::string& node, int depth) {
  if (depth > 16 || !IsDirectory(node)) return std::nullopt;
  if (const auto uuid = ReadHostFile(node + "/dm/uuid")) {
    if (Trim(*uuid).substr(0, 6) == "CRYPT-") return true;
  }
  const std::string slaves = node + "/slaves";
  std::vector<std::string> names;
  if (IsDirectory(slaves)) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(slaves, ec)) {
      names.push_back(entry.path().filename().string());
    }
    if (ec) return std::nullopt;
  }
  if (names.empty()) return false;  // a physical device or partition that is not dm-crypt
  for (const std::string& name : names) {
    const std::optional<bool> below = BlockDeviceEncrypted(slaves + "/" + name, depth + 1);
    if (!below.has_value()) return std::nullopt;
    if (!*below) return false;  // part of the stack is plain
  }
  return true;
}

// The sysfs node of the block device holding "/", or "" when it cannot be found.
std::string RootBlockDeviceNode(const HostEnvironment& env) {
  std::optional<std::string> mountinfo = ReadHostFile(HostPath(env, "/proc/self/mountinfo"));
  if (!mountinfo) return "";
  const std::optional<RootMount> mount = ParseMountInfoRoot(*mountinfo);
  if (!mount) return "";
  if (mount->major != 0) {
    return HostPath(env, "/sys/dev/block/" + std::to_string(mount->major) + ":" +
                             std::to_string(mount->minor));
  }
  // Anonymous device numbers (btrfs, ...): fall back to the mount source.
  const std::string& source = mount->source;
  if (source.rfind("/dev/mapper/", 0) == 0) {
    const std::string name = source.substr(std::strlen("/dev/mapper/"));
    std::error_code ec;
    for (const auto& entry :
         std::filesystem::directory_iterator(HostPath(env, "/sys/block"), ec)) {
      const auto dm_name = ReadHostFile(entry.path().string() + "/dm/name");
      if (dm_name && Trim(*dm_name) == name) return entry.path().string();
    }
    return "";
  }
  if (source.rfind("/dev/", 0) == 0 && source.find("..") == std::string::npos) {
    const std::string name = source.substr(source.rfind('/') + 1);
    if (!name.empty() && name != "root") return HostPath(env, "/sys/class/block/" + name);
  }
  return "";
}

}  // namespace

// ---- command runner ---------------------------------------------------------------------------

CommandRunner SystemCommandRunner(absl::Duration timeout) {
  return [timeout](const std::vector<std::string>& argv) -> absl::StatusOr<CommandResult> {
    if (argv.empty()) return absl::InvalidArgumentError("empty command");
    const std::optional<std::string> program = FindOnPath(argv[0]);
    if (!program) return absl::NotFoundError(argv[0] + ": not installed");

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
      return absl::InternalError(std::string("pipe: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);

    std::vector<std::string> env_strings;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      if (std::strncmp(*e, "LC_ALL=", 7) != 0 && std::strncmp(*e, "LANG=", 5) != 0) {
        env_strings.emplace_back(*e);
      }
    }
    env_strings.emplace_back("LC_ALL=C");
    std::vector<char*> envp;
    for (std::string& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> argp;
    for (std::string& s : args) argp.push_back(s.data());
    argp.push_back(nullptr);

    pid_t pid = 0;
    const int spawn_error =
        posix_spawn(&pid, program->c_str(), &actions, nullptr, argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    if (spawn_error != 0) {
      close(pipe_fds[0]);
      return absl::InternalError(argv[0] + ": " + std::strerror(spawn_error));
    }

    CommandResult result;
    const auto deadline =
        std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
    bool timed_out = false;
    char buffer[8192];
    while (true) {
      const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (remaining.count() <= 0) {
        timed_out = true;
        break;
      }
      pollfd fd{pipe_fds[0], POLLIN, 0};
      const int ready = poll(&fd, 1, static_cast<int>(remaining.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) {
        timed_out = ready == 0;
        break;
      }
      const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      result.output.append(buffer, static_cast<std::size_t>(n));
      if (result.output.size() > kMaxCommandOutputBytes) {
        timed_out = true;  // treated like a runaway command
        break;
      }
    }
    close(pipe_fds[0]);
    if (timed_out) kill(pid, SIGKILL);
    int wait_status = 0;
    while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
      return absl::DeadlineExceededError(argv[0] + ": no answer in time (or output too large)");
    }
    result.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128;
    return result;
  };
}

HostEnvironment RealHostEnvironment() {
  HostEnvironment env;
  env.root = "/";
  env.run = SystemCommandRunner();
  env.desktop_session = geteuid() != 0 && std::getenv("DBUS_SESSION_BUS_ADDRESS") != nullptr;
  return env;
}

// ---- parsers ----------------------------------------------------------------------------------

std::map<std::string, std::string> ParseOsRelease(std::string_view text) {
  std::map<std::string, std::string> values;
  for (std::string_view line : Lines(text)) {
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    const std::string_view key = line.substr(0, eq);
    bool key_ok = true;
    for (char c : key) {
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) key_ok = false;
    }
    if (!key_ok) continue;
    std::string_view raw = line.substr(eq + 1);
    std::string value;
    if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
      const char quote = raw.front();
      bool closed = false;
      for (std::size_t i = 1; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == quote) {
          closed = i + 1 == raw.size();  // nothing may follow the closing quote
          if (!closed) value.clear();
          break;
        }
        if (quote == '"' && c == '\\' && i + 1 < raw.size()) {
          const char next = raw[i + 1];
          if (next == '"' || next == '\\' || next == '$' || next == '`') {
            value.push_back(next);
            ++i;
            continue;
          }
        }
        value.push_back(c);
      }
      if (!closed) continue;
    } else {
      if (raw.find_first_of(" \t\"'`$\\") != std::string_view::npos) continue;  // needs quoting
      value = std::string(raw);
    }
    values[std::string(key)] = std::move(value);
  }
  return values;
}

bool IsNumericVersion(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  int parts = 1;
  bool digit_seen = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digit_seen = true;
    } else if (c == '.') {
      if (!digit_seen) return false;
      digit_seen = false;
      ++parts;
    } else {
      return false;
    }
  }
  return digit_seen && parts <= 4;
}

std::optional<RootMount> ParseMountInfoRoot(std::string_view mountinfo) {
  std::optional<RootMount> found;
  for (std::string_view line : Lines(mountinfo)) {
    const std::vector<std::string_view> words = Words(line);
    if (words.size() < 7 || words[4] != "/") continue;
    std::size_t dash = 6;
    while (dash < words.size() && words[dash] != "-") ++dash;
    if (dash + 2 >= words.size()) continue;
    const std::string_view device = words[2];
    const std::size_t colon = device.find(':');
    if (colon == std::string_view::npos) continue;
    RootMount mount;
    bool ok = colon > 0 && colon + 1 < device.size() && colon <= 9 && device.size() - colon <= 10;
    for (std::size_t i = 0; ok && i < device.size(); ++i) {
      if (i == colon) continue;
      if (device[i] < '0' || device[i] > '9') ok = false;
    }
    if (!ok) continue;
    mount.major = static_cast<unsigned>(std::stoul(std::string(device.substr(0, colon))));
    mount.minor = static_cast<unsigned>(std::stoul(std::string(device.substr(colon + 1))));
    mount.fstype = std::string(words[dash + 1]);
    mount.source = std::string(words[dash + 2]);
    found = std::move(mount);
  }
  return found;
}

bool NftablesFiltersInput(std::string_view ruleset) {
  ChainGraph graph;
  std::vector<std::string> input_chains;
  std::set<std::string> dropping_policies;
  int depth = 0;
  std::string table;
  std::string chain;  // "<table> <chain>" while inside a chain
  int chain_depth = 0;
  for (std::string_view line : Lines(ruleset)) {
    const std::vector<std::string_view> words = Words(line);
    if (depth == 0 && words.size() >= 3 && words[0] == "table") {
      table = std::string(words[1]) + " " + std::string(NftToken(words[2]));
    } else if (depth == 1 && words.size() >= 2 && words[0] == "chain") {
      chain = table + " " + std::string(NftToken(words[1]));
      chain_depth = depth + 1;
      graph.chains[chain];
    } else if (!chain.empty() && depth >= chain_depth) {
      for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string_view word = NftToken(words[i]);
        if (word == "hook" && i + 1 < words.size() && NftToken(words[i + 1]) == "input") {
          input_chains.push_back(chain);
        } else if (word == "policy" && i + 1 < words.size() && NftToken(words[i + 1]) == "drop") {
          dropping_policies.insert(chain);
        } else if (word == "drop" || word == "reject") {
          if (i == 0 || NftToken(words[i - 1]) != "policy") graph.chains[chain].drops = true;
        } else if ((word == "jump" || word == "goto") && i + 1 < words.size()) {
          graph.chains[chain].jumps.push_back(table + " " + std::string(NftToken(words[i + 1])));
        }
      }
    }
    for (char c : line) {
      if (c == '{') ++depth;
      if (c == '}' && depth > 0) --depth;
    }
    if (!chain.empty() && depth < chain_depth) chain.clear();
    if (depth == 0) table.clear();
  }
  for (const std::string& name : input_chains) {
    if (dropping_policies.count(name) > 0 || graph.Filters(name)) return true;
  }
  return false;
}

bool IptablesFiltersInput(std::string_view rules) {
  ChainGraph graph;
  bool dropping_policy = false;
  for (std::string_view line : Lines(rules)) {
    const std::vector<std::string_view> words = Words(line);
    if (words.size() >= 3 && words[0] == "-P" && words[1] == "INPUT") {
      dropping_policy = words[2] != "ACCEPT";
      continue;
    }
    if (words.size() < 2 || words[0] != "-A") continue;
    const std::string chain(words[1]);
    ChainGraph::Chain& entry = graph.chains[chain];
    for (std::size_t i = 2; i + 1 < words.size(); ++i) {
      if (words[i] != "-j" && words[i] != "-g" && words[i] != "--jump" && words[i] != "--goto") {
        continue;
      }
      const std::string_view target = words[i + 1];
      if (target == "DROP" || target == "REJECT") {
        entry.drops = true;
      } else {
        entry.jumps.emplace_back(target);
      }
    }
  }
  return dropping_policy || graph.Filters("INPUT");
}

std::optional<bool> UfwEnabled(std::string_view ufw_conf) {
  std::optional<bool> enabled;
  for (const auto& [key, value] : ParseOsRelease(ufw_conf)) {
    if (key == "ENABLED") enabled = core::EqualsIgnoreCase(value, "yes");
  }
  return enabled;
}

int CountPendingSecurityUpdates(std::string_view apt_output) {
  int count = 0;
  for (std::string_view line : Lines(apt_output)) {
    if (line.substr(0, 5) != "Inst ") continue;
    const std::size_t open = line.find('(');
    if (open == std::string_view::npos) continue;
    const std::string origin = core::AsciiLower(line.substr(open));
    if (origin.find("-security") != std::string::npos ||
        origin.find("security:") != std::string::npos) {
      ++count;
    }
  }
  return count;
}

// ---- collectors -------------------------------------------------------------------------------

void CollectOperatingSystem(const HostEnvironment& env, nlohmann::json& posture) {
  posture["operatingSystem"] = "Linux";
  std::optional<std::string> text = ReadHostFile(HostPath(env, "/etc/os-release"));
  if (!text) text = ReadHostFile(HostPath(env, "/usr/lib/os-release"));
  if (text) {
    const std::map<std::string, std::string> release = ParseOsRelease(*text);
    if (const auto it = release.find("VERSION_ID"); it != release.end() &&
                                                     IsNumericVersion(it->second)) {
      posture["osVersion"] = it->second;
    }
    if (const auto it = release.find("ID"); it != release.end() && !it->second.empty()) {
      posture["osDistribution"] = Sanitize(it->second);
    }
    if (const auto it = release.find("PRETTY_NAME"); it != release.end() && !it->second.empty()) {
      posture["osDisplayName"] = Sanitize(it->second);
    }
  }
  if (const auto kernel = ReadHostFile(HostPath(env, "/proc/sys/kernel/osrelease"))) {
    const std::string release = Sanitize(*kernel);
    if (!release.empty()) posture["kernelVersion"] = release;
  }
}

void CollectHardware(const HostEnvironment& env, nlohmann::json& posture) {
  if (const auto vendor = ReadHostFile(HostPath(env, "/sys/class/dmi/id/sys_vendor"))) {
    if (!IsPlaceholderDmiText(*vendor)) posture["manufacturer"] = Sanitize(*vendor);
  }
  if (const auto product = ReadHostFile(HostPath(env, "/sys/class/dmi/id/product_name"))) {
    if (!IsPlaceholderDmiText(*product)) posture["model"] = Sanitize(*product);
  }
}

void CollectRootEncryption(const HostEnvironment& env, nlohmann::json& posture) {
  const std::string node = RootBlockDeviceNode(env);
  if (node.empty()) return;
  if (const std::optional<bool> encrypted = BlockDeviceEncrypted(node, 0)) {
    posture["storageEncrypted"] = *encrypted;
  }
}

void CollectFirewall(const HostEnvironment& env, nlohmann::json& posture) {
  if (const auto conf = ReadHostFile(HostPath(env, "/etc/ufw/ufw.conf"))) {
    if (UfwEnabled(*conf).value_or(false)) {
      posture["firewallEnabled"] = true;
      return;
    }
  }
  bool known = false;
  if (const auto ruleset = RunForOutput(env, {"nft", "list", "ruleset"})) {
    known = true;
    if (NftablesFiltersInput(*ruleset)) {
      posture["firewallEnabled"] = true;
      return;
    }
  }
  if (const auto rules = RunForOutput(env, {"iptables", "-S"})) {
    known = true;
    if (IptablesFiltersInput(*rules)) {
      posture["firewallEnabled"] = true;
      return;
    }
  }
  if (known) posture["firewallEnabled"] = false;
}

void CollectSecureBoot(const HostEnvironment& env, nlohmann::json& posture) {
  const auto variable = ReadHostFile(HostPath(
      env, "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e98c0b8c3d52"));
  // 4 bytes of attributes, then the one-byte value.
  if (!variable || variable->size() != 5) return;
  const unsigned char value = static_cast<unsigned char>((*variable)[4]);
  if (value == 1) posture["secureBootEnabled"] = true;
  if (value == 0) posture["secureBootEnabled"] = false;
}

void CollectScreenLock(const HostEnvironment& env, nlohmann::json& posture) {
  if (!env.desktop_session) return;
  const auto lock =
      RunForOutput(env, {"gsettings", "get", "org.gnome.desktop.screensaver", "lock-enabled"});
  if (!lock) return;
  const std::string_view lock_value = Trim(*lock);
  if (lock_value == "false") {
    posture["screenLockEnabled"] = false;
    return;
  }
  if (lock_value != "true") return;
  const auto idle =
      RunForOutput(env, {"gsettings", "get", "org.gnome.desktop.session", "idle-delay"});
  if (!idle) return;
  const std::vector<std::string_view> words = Words(Trim(*idle));
  if (words.empty() || words.back().empty() || words.back().size() > 10) return;
  for (char c : words.back()) {
    if (c < '0' || c > '9') return;
  }
  posture["screenLockEnabled"] = std::stoull(std::string(words.back())) > 0;
}

void CollectSecurityUpdates(const HostEnvironment& env, nlohmann::json& posture) {
  // A simulation takes no lock (Debug::NoLocking), so a running apt or unattended-upgrades does
  // not make the count disappear.
  const auto output =
      RunForOutput(env, {"apt-get", "-s", "-q", "-o", "Debug::NoLocking=1", "dist-upgrade"});
  if (!output) return;
  posture["pendingSecurityUpdates"] = CountPendingSecurityUpdates(*output);
}

nlohmann::json CollectPosture(const HostEnvironment& env, std::string_view device_id,
                              absl::Time now) {
  nlohmann::json posture = nlohmann::json::object();
  if (!device_id.empty()) posture["deviceId"] = std::string(device_id);
  CollectOperatingSystem(env, posture);
  CollectHardware(env, posture);
  CollectRootEncryption(env, posture);
  CollectFirewall(env, posture);
  CollectSecureBoot(env, posture);
  CollectScreenLock(env, posture);
  CollectSecurityUpdates(env, posture);
  posture["observedDateTime"] = core::FormatIsoDateTime(now);
  return posture;
}

}  // namespace gatehouse::agent
