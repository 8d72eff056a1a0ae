#include "store/internal/audit_chain.h"

#include <openssl/evp.h>

#include <array>
#include <string>

namespace gatehouse::store::internal {
namespace {

void AppendField(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out.append(value.data(), value.size());
  out += '\n';
}

}  // namespace

std::string FormatAuditTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

std::string CanonicalAuditRecord(const AuditRecord& record) {
  std::string out;
  AppendField(out, std::to_string(record.sequence));
  AppendField(out, FormatAuditTime(record.time));
  AppendField(out, record.entry.actor);
  AppendField(out, record.entry.activity);
  AppendField(out, record.entry.category);
  AppendField(out, record.entry.result);
  AppendField(out, record.entry.details_json);
  AppendField(out, record.target_kind);
  AppendField(out, record.target_id);
  return out;
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // EVP_Digest only fails on allocation failure; an empty result then fails verification loudly.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

std::string ComputeAuditHash(const AuditRecord& record) {
  return Sha256Hex(record.previous_hash + "\n" + CanonicalAuditRecord(record));
}

absl::Status CheckAuditLink(const AuditRecord& record, std::int64_t previous_sequence,
                            const std::string& previous_hash) {
  std::string where = "audit chain broken at sequence " + std::to_string(record.sequence) + ": ";
  if (record.sequence != previous_sequence + 1) {
    return absl::DataLossError(where + "expected sequence " +
                               std::to_string(previous_sequence + 1) + " (records missing)");
  }
  if (record.previous_hash != previous_hash) {
    return absl::DataLossError(where + "previous hash does not match record " +
                               std::to_string(previous_sequence));
  }
  if (ComputeAuditHash(record) != record.hash) {
    return absl::DataLossError(where + "stored hash does not match the record's content");
  }
  return absl::OkStatus();
}

}  // namespace gatehouse::store::internal
