// Durable state of `gatehouse serve`: tenant objects (policies, named locations, authentication
// strengths, users, groups, applications, devices, role assignments, admin clients, signing
// keys), the sign-in log, the hash-chained directory audit log and an outbox. One interface; the
// embedded backend is SQLite (sqlite_store.h), a PostgreSQL backend must pass the same test suite
// (tests/store/store_conformance.h).
//
// Contract: a write returns only after it is durable (committed). Every tenant-object change and
// its audit record commit in the same transaction, and bump the tenant version that snapshot
// builders watch. Thread-safe: any method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gatehouse::store {

// Kinds of tenant objects. Bodies are Graph JSON texts, stored as given.
enum class ObjectKind : std::uint8_t {
  kPolicy,
  kNamedLocation,
  kAuthenticationStrength,
  kUser,
  kGroup,
  kApplication,
  kDevice,
  kRoleAssignment,  // id = "<roleTemplateId>/<userId>"
  kAdminClient,     // OAuth client of the admin API (hashed secret inside)
  kSigningKey,      // token signing keys (private key material)
  kSetting,         // server settings (emergency-access group, ...)
  // Sign-in server state (issue 5). Not tenant data: writes do NOT bump the tenant version (they
  // happen on every sign-in and refresh) and are audited only when the caller names an activity.
  kCredential,          // "user:<id>" password hash and TOTP; "app:<appId>" client secret hashes
  kRefreshTokenFamily,  // one refresh token family (hashes only), id = family id
};
// True for kinds whose changes bump the tenant version (every kind but the sign-in state ones).
bool BumpsTenantVersion(ObjectKind kind);
const char* ObjectKindName(ObjectKind kind);  // "policy", "namedLocation", ...

struct StoredObject {
  ObjectKind kind;
  std::string id;
  std::string body;          // JSON text
  std::int64_t version = 0;  // per-object, starts at 1, +1 per update
  absl::Time modified;
};

// Who did what, for the directory audit log (Graph directoryAudit-like).
struct AuditEntry {
  std::string actor;         // admin client id, "system", ...
  std::string activity;      // "Add policy", "Update user", "Delete group", ...
  std::string category;      // "Policy", "UserManagement", "GroupManagement", "Device", ...
  std::string result = "success";
  std::string details_json = "{}";  // extra JSON object (e.g. {"requestId": "..."})
};

struct AuditRecord {
  std::int64_t sequence = 0;
  absl::Time time;
  AuditEntry entry;
  std::string target_kind;
  std::string target_id;
  std::string previous_hash;  // hex SHA-256 of the previous record ("" for the first)
  std::string hash;           // hex SHA-256 over previous_hash and this record's canonical form
};

struct SignInRecord {
  std::int64_t sequence = 0;  // assigned by the store
  std::string id;             // request id
  absl::Time created;
  std::string user_id;
  std::string user_principal_name;
  std::string app_id;
  std::string ip_address;
  int error_code = 0;
  std::string conditional_access_status;  // success | failure | notApplied
  std::string body;  // full Graph signIn JSON text
};

struct SignInQuery {
  std::optional<std::string> user_id, user_principal_name, app_id, id, conditional_access_status;
  std::optional<int> error_code;
  std::optional<absl::Time> created_from, created_until;  // inclusive bounds
  std::int64_t after_sequence = 0;  // paging cursor: records with a larger sequence
  int limit = 100;
  bool newest_first = true;  // paging goes to older records (after_sequence then means "before")
};

struct AuditQuery {
  std::optional<std::string> category, activity, target_id, actor;
  std::optional<absl::Time> from, until;
  std::int64_t after_sequence = 0;
  int limit = 100;
  bool newest_first = true;
};

struct OutboxMessage {
  std::int64_t sequence = 0;
  std::string topic;
  std::string body;
  absl::Time created;
  int attempts = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Tenant objects.
  virtual absl::StatusOr<std::vector<StoredObject>> List(ObjectKind kind) = 0;
  virtual absl::StatusOr<std::optional<StoredObject>> Get(ObjectKind kind,
                                                          const std::string& id) = 0;
  // Creates or replaces. With expected_version set, fails with FailedPrecondition unless the
  // stored version matches (0 = must not exist). Appends `audit` in the same transaction (not for
  // kAdminClient / kSigningKey / kSetting when audit.activity is empty).
  virtual absl::StatusOr<StoredObject> Put(ObjectKind kind, const std::string& id,
                                           const std::string& body, const AuditEntry& audit,
                                           std::optional<std::int64_t> expected_version = {}) = 0;
  // NotFound when absent.
  virtual absl::Status Delete(ObjectKind kind, const std::string& id, const AuditEntry& audit) = 0;
  // Replaces every object of the given kinds in one transaction (import); one audit record.
  virtual absl::Status ReplaceAll(const std::vector<ObjectKind>& kinds,
                                  const std::vector<StoredObject>& objects,
                                  const AuditEntry& audit) = 0;
  // Increases with every committed change of a tenant object (not of logs, not of the kinds for
  // which BumpsTenantVersion is false).
  virtual absl::StatusOr<std::int64_t> TenantVersion() = 0;

  // Sign-in log (append-only).
  virtual absl::Status AppendSignIn(const SignInRecord& record) = 0;
  virtual absl::StatusOr<std::vector<SignInRecord>> QuerySignIns(const SignInQuery& query) = 0;

  // Directory audit log (append-only, hash-chained).
  virtual absl::StatusOr<std::vector<AuditRecord>> QueryAudit(const AuditQuery& query) = 0;
  // Recomputes the chain; DataLoss naming the first broken sequence number.
  virtual absl::StatusOr<std::int64_t> VerifyAuditChain() = 0;  // returns records verified

  // Outbox (at-least-once delivery).
  virtual absl::Status Enqueue(const std::string& topic, const std::string& body) = 0;
  virtual absl::StatusOr<std::vector<OutboxMessage>> PeekOutbox(const std::string& topic,
                                                                int limit) = 0;
  virtual absl::Status AckOutbox(const std::vector<std::int64_t>& sequences) = 0;
};

// Opens (creating if needed) the SQLite store in `directory` (file gatehouse.db), in WAL mode
// with synchronous=FULL, applying pending schema migrations.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& directory);

}  // namespace gatehouse::store
