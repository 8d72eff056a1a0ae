// The hash chain of the directory audit log, shared by every backend so that
// `gatehouse audit verify` means the same thing whatever stores the records.
//
// Each record's hash is
//
//   hash = lowercase hex SHA-256( previous_hash + "\n" + canonical )
//
// where previous_hash is the hash of the record with the preceding sequence number ("" for the
// first record) and canonical is the concatenation, in this order, of the fields
//
//   sequence (decimal), time (RFC 3339 UTC with microseconds, "2024-05-01T10:00:00.000000Z"),
//   actor, activity, category, result, details_json, target_kind, target_id
//
// each written as "<byte length>:<bytes>\n". The length prefix makes the encoding unambiguous for
// any bytes (no escaping, no dependence on JSON formatting). Times are kept at microsecond
// precision by the store so the stored value always reproduces the hashed text.
//
// What the chain proves: altering, reordering, renumbering or removing any record but the newest
// breaks a hash or a link. Truncating the newest records is not detectable from the log alone
// (that needs an external anchor such as a published head hash).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace gatehouse::store::internal {

// "2024-05-01T10:00:00.000000Z".
std::string FormatAuditTime(absl::Time time);

std::string CanonicalAuditRecord(const AuditRecord& record);

// Hash of `record` given its previous_hash and other fields (record.hash is ignored).
std::string ComputeAuditHash(const AuditRecord& record);

std::string Sha256Hex(std::string_view data);

// Checks one record against its predecessor's sequence and hash (0 and "" for the first);
// DataLoss("audit chain broken at sequence N: ...") when it does not fit.
absl::Status CheckAuditLink(const AuditRecord& record, std::int64_t previous_sequence,
                            const std::string& previous_hash);

}  // namespace gatehouse::store::internal
