// MaxMindCountryDatabase: the libmaxminddb adapter behind CountryResolver.
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "location/named_location.h"

namespace gatehouse::location {

struct MaxMindCountryDatabase::Handle {
  MMDB_s mmdb{};
  bool open = false;  // MMDB_close only after a successful MMDB_open
  ~Handle() {
    if (open) MMDB_close(&mmdb);
  }
};

namespace {

bool IsIpv4Mapped(const std::array<std::uint8_t, 16>& bytes) {
  for (int i = 0; i < 10; ++i) {
    if (bytes[i] != 0) return false;
  }
  return bytes[10] == 0xFF && bytes[11] == 0xFF;
}

// `<path...>.iso_code` of the entry as an upper-case ISO alpha-2 code, if it is one.
std::optional<std::string> IsoCode(MMDB_entry_s entry, const char* container) {
  MMDB_entry_data_s data{};
  const int status = MMDB_get_value(&entry, &data, container, "iso_code", nullptr);
  if (status != MMDB_SUCCESS || !data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return std::nullopt;
  }
  std::string code(data.utf8_string, data.data_size);
  if (code.size() != 2 || !absl::ascii_isalpha(static_cast<unsigned char>(code[0])) ||
      !absl::ascii_isalpha(static_cast<unsigned char>(code[1]))) {
    return std::nullopt;
  }
  return absl::AsciiStrToUpper(code);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MaxMindCountryDatabase>> MaxMindCountryDatabase::Open(
    const std::string& path) {
  auto handle = std::make_unique<Handle>();
  errno = 0;
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &handle->mmdb);
  const int open_errno = errno;
  if (status != MMDB_SUCCESS) {
    // MMDB_open frees its own allocations on failure; `open` stays false so ~Handle skips
    // MMDB_close.
    std::string message = path + ": " + MMDB_strerror(status);
    if (status == MMDB_FILE_OPEN_ERROR) {
      if (open_errno != 0) message += std::string(" (") + std::strerror(open_errno) + ")";
      if (open_errno == ENOENT) return absl::NotFoundError(message);
      if (open_errno == EACCES) return absl::PermissionDeniedError(message);
      return absl::UnavailableError(message);
    }
    if (status == MMDB_IO_ERROR || status == MMDB_OUT_OF_MEMORY_ERROR) {
      return absl::InternalError(message);
    }
    return absl::InvalidArgumentError(message);  // not a (valid) MaxMind DB file
  }
  handle->open = true;
  return std::unique_ptr<MaxMindCountryDatabase>(new MaxMindCountryDatabase(std::move(handle)));
}

MaxMindCountryDatabase::MaxMindCountryDatabase(std::unique_ptr<Handle> handle)
    : handle_(std::move(handle)) {}

MaxMindCountryDatabase::~MaxMindCountryDatabase() = default;

std::optional<std::string> MaxMindCountryDatabase::CountryOf(const IpAddress& address) const {
  sockaddr_storage storage{};
  const auto& bytes = address.bytes();
  if (IsIpv4Mapped(bytes)) {
    // Look IPv4 (and IPv4-mapped IPv6) addresses up as IPv4 so IPv4-only databases work too.
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    v4->sin_family = AF_INET;
    std::memcpy(&v4->sin_addr, bytes.data() + 12, 4);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    v6->sin6_family = AF_INET6;
    std::memcpy(&v6->sin6_addr, bytes.data(), 16);
  }
  int mmdb_error = MMDB_SUCCESS;
  MMDB_lookup_result_s result = MMDB_lookup_sockaddr(
      &handle_->mmdb, reinterpret_cast<const sockaddr*>(&storage), &mmdb_error);
  if (mmdb_error != MMDB_SUCCESS || !result.found_entry) return std::nullopt;
  if (auto code = IsoCode(result.entry, "country")) return code;
  return IsoCode(result.entry, "registered_country");
}

}  // namespace gatehouse::location
