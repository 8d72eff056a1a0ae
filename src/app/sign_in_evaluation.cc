#include "app/sign_in_evaluation.h"

namespace gatehouse::app {

absl::StatusOr<EvaluatedSignIn>
EvaluateSignIn(const TenantSnapshot &snapshot, const nlohmann::json &input,
               const location::CountryResolver *geoip,
               const ca::SignInLogIds &ids, absl::Time now,
               core::ProblemList &problems) {
  const ca::CompiledPolicySet &set = *snapshot.bundle.compiled;
  auto parsed = ca::ReadSignInRequest(input, set.directory(), geoip, problems);
  if (!parsed.ok())
    return parsed.status();
  EvaluatedSignIn out;
  out.request = std::move(*parsed);
  if (!input.contains("time"))
    out.request.context.time = now;
  set.Evaluate(out.request.context, out.decision);
  out.record = ca::SignInLogRecord(set, out.request.context, out.decision, ids);
  return out;
}

store::SignInRecord SignInRow(const nlohmann::ordered_json &record,
                              absl::Time created) {
  store::SignInRecord row;
  row.id = record.value("id", "");
  row.created = created;
  row.user_id = record.value("userId", "");
  row.user_principal_name = record.value("userPrincipalName", "");
  row.app_id = record.value("appId", "");
  row.ip_address = record.value("ipAddress", "");
  if (record.contains("status") && record["status"].contains("errorCode") &&
      record["status"]["errorCode"].is_number_integer()) {
    row.error_code = record["status"]["errorCode"].get<int>();
  }
  row.conditional_access_status =
      record.value("conditionalAccessStatus", "notApplied");
  row.body = record.dump();
  return row;
}

} // namespace gatehouse::app
