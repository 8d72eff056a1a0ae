#include "agent/agent_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "core/json_document.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace gatehouse::agent {
namespace {

constexpr char kKeyFile[] = "device-key.pem";
constexpr char kSecretFile[] = "device-secret";
constexpr char kStateFile[] = "state.json";

absl::Status ErrnoStatus(const std::string& what, int error) {
  const std::string message = what + ": " + std::strerror(error);
  if (error == ENOENT) return absl::NotFoundError(message);
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
  if (error == EEXIST) return absl::AlreadyExistsError(message);
  return absl::InternalError(message);
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write " + path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return absl::OkStatus();
}

// Creates a new file next to `path` (0600, O_EXCL) holding `content`, flushed. Returns its name.
absl::StatusOr<std::string> WriteTempFile(const std::string& path, const std::string& content) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::string temp = path + ".tmp-" + crypto::RandomToken(6);
    const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return ErrnoStatus("create " + temp, errno);
    }
    absl::Status status = WriteAll(fd, content, temp);
    if (status.ok() && fsync(fd) != 0) status = ErrnoStatus("fsync " + temp, errno);
    if (close(fd) != 0 && status.ok()) status = ErrnoStatus("close " + temp, errno);
    if (!status.ok()) {
      unlink(temp.c_str());
      return status;
    }
    return temp;
  }
  return absl::InternalError("cannot create a temporary file next to " + path);
}

void SyncDirectoryOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

absl::StatusOr<std::string> ReadPrivateFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path, errno);
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    const int error = errno;
    close(fd);
    return ErrnoStatus("stat " + path, error);
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(path + " is not a regular file");
  }
  if ((info.st_mode & 077) != 0) {
    close(fd);
    return absl::FailedPreconditionError(
        path + " is accessible by group or others (mode " +
        std::to_string((info.st_mode >> 6) & 7) + std::to_string((info.st_mode >> 3) & 7) +
        std::to_string(info.st_mode & 7) + "); it must be 0600");
  }
  std::string data;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      close(fd);
      return ErrnoStatus("read " + path, error);
    }
    if (n == 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
    if (data.size() > (1 << 20)) {
      close(fd);
      return absl::FailedPreconditionError(path + " is too large");
    }
  }
  close(fd);
  return data;
}

std::string StringOr(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string DefaultStateDir() {
  if (geteuid() == 0) return "/var/lib/gatehouse-agent";
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/gatehouse-agent";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && home[0] != '\0' ? home : ".") +
         "/.local/state/gatehouse-agent";
}

absl::Status EnsureStateDir(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("empty state directory");
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return absl::OkStatus();
  const std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return absl::InternalError("create " + parent.string() + ": " + ec.message());
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus("create " + dir, errno);
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  GH_ASSIGN_OR_RETURN(const std::string temp, WriteTempFile(path, content));
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temp.c_str());
    return ErrnoStatus("rename to " + path, error);
  }
  SyncDirectoryOf(path);
  return absl::OkStatus();
}

absl::StatusOr<crypto::SigningKey> LoadOrCreateDeviceKey(const std::string& dir) {
  GH_RETURN_IF_ERROR(EnsureStateDir(dir));
  const std::string path = dir + "/" + kKeyFile;
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::string> pem = ReadPrivateFile(path);
    if (pem.ok()) {
      absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::FromPem("device", *pem);
      if (!key.ok()) {
        return absl::FailedPreconditionError(path + " does not hold a P-256 private key: " +
                                             std::string(key.status().message()));
      }
      return key;
    }
    if (!absl::IsNotFound(pem.status())) return pem.status();

    // First use: the key is written to a fresh 0600 file, then linked into place, which fails
    // when another process created the key meanwhile (then that key is read and used).
    GH_ASSIGN_OR_RETURN(crypto::SigningKey key, crypto::SigningKey::Generate("device"));
    GH_ASSIGN_OR_RETURN(const std::string temp, WriteTempFile(path, key.PrivatePem()));
    const int linked = link(temp.c_str(), path.c_str());
    const int error = errno;
    unlink(temp.c_str());
    if (linked == 0) {
      SyncDirectoryOf(path);
      return key;
    }
    if (error != EEXIST) return ErrnoStatus("create " + path, error);
  }
  return absl::InternalError("cannot create or read " + path);
}

std::string StateJson(const AgentState& state) {
  nlohmann::json json = {
      {"idpUrl", state.idp_url},
      {"uemUrl", state.uem_url},
      {"uemDeviceId", state.uem_device_id},
      {"directoryDeviceId", state.directory_device_id},
      {"registeredOwnerId", state.registered_owner_id},
      {"directoryLinked", state.directory_linked},
      {"nextSequence", state.next_sequence},
  };
  if (!state.last_check_in.date_time.empty()) {
    nlohmann::json commands = nlohmann::json::parse(state.last_check_in.commands_json, nullptr,
                                                     /*allow_exceptions=*/false);
    if (commands.is_discarded()) commands = nlohmann::json::array();
    json["lastCheckIn"] = {{"dateTime", state.last_check_in.date_time},
                           {"accepted", state.last_check_in.accepted},
                           {"complianceState", state.last_check_in.compliance_state},
                           {"commands", commands}};
  }
  return json.dump(2) + "\n";
}

absl::StatusOr<AgentState> LoadState(const std::string& dir) {
  AgentState state;
  const std::string path = dir + "/" + kStateFile;
  absl::StatusOr<std::string> text = ReadPrivateFile(path);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) return state;
    return text.status();
  }
  absl::StatusOr<nlohmann::json> json = core::ParseJsonDocument(*text);
  if (!json.ok()) {
    return absl::InvalidArgumentError(path + ": " + std::string(json.status().message()));
  }
  if (!json->is_object()) return absl::InvalidArgumentError(path + ": not a JSON object");
  state.idp_url = StringOr(*json, "idpUrl");
  state.uem_url = StringOr(*json, "uemUrl");
  state.uem_device_id = StringOr(*json, "uemDeviceId");
  state.directory_device_id = StringOr(*json, "directoryDeviceId");
  state.registered_owner_id = StringOr(*json, "registeredOwnerId");
  if (const auto it = json->find("directoryLinked"); it != json->end() && it->is_boolean()) {
    state.directory_linked = it->get<bool>();
  }
  if (const auto it = json->find("nextSequence"); it != json->end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
      return absl::InvalidArgumentError(path + ": /nextSequence must be a positive integer");
    }
    state.next_sequence = it->get<std::int64_t>();
  }
  if (const auto it = json->find("lastCheckIn"); it != json->end() && it->is_object()) {
    state.last_check_in.date_time = StringOr(*it, "dateTime");
    state.last_check_in.compliance_state = StringOr(*it, "complianceState");
    const auto accepted = it->find("accepted");
    state.last_check_in.accepted = accepted != it->end() && accepted->is_boolean() &&
                                   accepted->get<bool>();
    if (const auto commands = it->find("commands");
        commands != it->end() && commands->is_array()) {
      state.last_check_in.commands_json = commands->dump();
    }
  }
  absl::StatusOr<std::string> secret = ReadPrivateFile(dir + "/" + kSecretFile);
  if (secret.ok()) {
    std::string value = *secret;
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    state.device_secret = value;
  } else if (!absl::IsNotFound(secret.status())) {
    return secret.status();
  }
  return state;
}

absl::Status SaveState(const std::string& dir, const AgentState& state) {
  GH_RETURN_IF_ERROR(EnsureStateDir(dir));
  const std::string secret_path = dir + "/" + kSecretFile;
  absl::StatusOr<std::string> current = ReadPrivateFile(secret_path);
  std::string current_secret = current.ok() ? *current : std::string();
  while (!current_secret.empty() && current_secret.back() == '\n') current_secret.pop_back();
  if (!current.ok() || current_secret != state.device_secret) {
    if (state.device_secret.empty()) {
      unlink(secret_path.c_str());
    } else {
      GH_RETURN_IF_ERROR(WriteFileAtomically(secret_path, state.device_secret + "\n"));
    }
  }
  return WriteFileAtomically(dir + "/" + kStateFile, StateJson(state));
}

}  // namespace gatehouse::agent
