// The sign-in log (evaluate-and-log, then query with $filter and paging) and the directory audit
// log (every admin write, attributed to the client, hash-chained and verifiable offline).
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "integration/admin_client.h"

namespace gatehouse::integration {
namespace {

constexpr const char* kLogSignIn = "/v1.0/gatehouse/signIns/evaluate";
constexpr const char* kSignIns = "/v1.0/auditLogs/signIns";
constexpr const char* kAudits = "/v1.0/auditLogs/directoryAudits";

std::vector<json> ExampleSignIns() {
  std::vector<json> sign_ins;
  std::ifstream batch(SourcePath("examples/signins/batch.jsonl"));
  for (std::string line; std::getline(batch, line);) {
    if (!line.empty()) sign_ins.push_back(json::parse(line));
  }
  sign_ins.push_back(
      json::parse(ReadWholeFile(SourcePath("examples/signins/alice-payroll-unregistered.json"))));
  return sign_ins;
}

std::string TimeAt(int second) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "2026-11-28T10:%02d:%02dZ", second / 60, second % 60);
  return buffer;
}

std::string Query(const std::string& path, const std::string& filter, int top = 0) {
  std::string target = path + "?";
  if (top > 0) target += "$top=" + std::to_string(top) + "&";
  if (!filter.empty()) target += "$filter=" + FormEncode(filter);
  return target;
}

// Follows @odata.nextLink verbatim from `first` until there is none; returns every record.
std::vector<json> AllPages(const AdminClient& admin, const std::string& first, int* pages) {
  std::vector<json> records;
  std::string next = first;
  *pages = 0;
  while (!next.empty() && *pages < 100) {
    auto page = admin.Get(next);
    EXPECT_EQ(page.status, 200) << next << ": " << page.body;
    if (page.status != 200) break;
    json body = BodyOf(page);
    for (const auto& r : body["value"]) records.push_back(r);
    next = body.value("@odata.nextLink", "");
    ++*pages;
  }
  return records;
}

class SignInLog : public ServerTest {
 protected:
  // Logs every example sign-in three times at distinct times; returns the logged records.
  void LogExamples() {
    StartDemoServer();
    int second = 0;
    for (int round = 0; round < 3; ++round) {
      for (json sign_in : ExampleSignIns()) {
        sign_in["time"] = TimeAt(second++);
        auto response = admin.Post(kLogSignIn, sign_in);
        ASSERT_EQ(response.status, 201) << response.body;
        json record = BodyOf(response);
        ASSERT_TRUE(record.contains("id")) << response.body;
        EXPECT_EQ(record["createdDateTime"], sign_in["time"]);
        logged_.push_back(record);
      }
    }
  }
  std::vector<json> Matching(const std::function<bool(const json&)>& predicate) const {
    std::vector<json> out;
    for (const auto& r : logged_) {
      if (predicate(r)) out.push_back(r);
    }
    return out;
  }
  static std::multiset<std::string> Ids(const std::vector<json>& records) {
    std::multiset<std::string> ids;
    for (const auto& r : records) ids.insert(r["id"].get<std::string>());
    return ids;
  }
  std::vector<json> Fetch(const std::string& filter) const {
    auto response = admin.Get(Query(kSignIns, filter, 1000));
    EXPECT_EQ(response.status, 200) << filter << ": " << response.body;
    const json body = BodyOf(response);
    std::vector<json> out;
    for (const auto& r : body.value("value", json::array())) out.push_back(r);
    return out;
  }

  std::vector<json> logged_;
};

TEST_F(SignInLog, EveryEvaluatedSignInIsLoggedWithItsDecision) {
  LogExamples();
  ASSERT_EQ(logged_.size(), 15u);
  auto all = Fetch("");
  EXPECT_EQ(Ids(all), Ids(logged_));
  // Bob's legacy-auth sign-in is blocked by CA002 (53003) every round.
  auto blocked = Matching([](const json& r) { return r["status"]["errorCode"] == 53003; });
  EXPECT_EQ(blocked.size(), 3u);
  for (const auto& r : blocked) {
    EXPECT_EQ(r["userPrincipalName"], "bob@contoso.example");
    EXPECT_EQ(r["conditionalAccessStatus"], "failure");
  }
}

TEST_F(SignInLog, FiltersByUserErrorCodeAndTime) {
  LogExamples();
  const std::string alice = "11111111-0000-4000-8000-000000000001";
  auto by_user = Fetch("userId eq '" + alice + "'");
  EXPECT_EQ(Ids(by_user), Ids(Matching([&](const json& r) { return r["userId"] == alice; })));
  EXPECT_EQ(by_user.size(), 9u);

  auto by_code = Fetch("status/errorCode eq 53003");
  EXPECT_EQ(Ids(by_code),
            Ids(Matching([](const json& r) { return r["status"]["errorCode"] == 53003; })));
  EXPECT_EQ(by_code.size(), 3u);

  auto by_time = Fetch("createdDateTime ge " + TimeAt(10));
  EXPECT_EQ(Ids(by_time), Ids(Matching([](const json& r) {
              return r["createdDateTime"].get<std::string>() >= TimeAt(10);
            })));
  EXPECT_EQ(by_time.size(), 5u);

  auto combined = Fetch("userId eq '" + alice + "' and createdDateTime ge " + TimeAt(10) +
                        " and createdDateTime lt " + TimeAt(14));
  EXPECT_EQ(Ids(combined), Ids(Matching([&](const json& r) {
              const std::string t = r["createdDateTime"];
              return r["userId"] == alice && t >= TimeAt(10) && t < TimeAt(14);
            })));
  EXPECT_EQ(combined.size(), 2u);

  EXPECT_TRUE(Fetch("userId eq '99999999-0000-4000-8000-000000000009'").empty());
}

TEST_F(SignInLog, PagesTwoAtATimeNewestFirstUntilTheEnd) {
  LogExamples();
  int pages = 0;
  auto records = AllPages(admin, Query(kSignIns, "", 2), &pages);
  EXPECT_EQ(pages, 8);  // 15 records
  EXPECT_EQ(Ids(records), Ids(logged_));
  ASSERT_EQ(records.size(), 15u);
  for (std::size_t i = 1; i < records.size(); ++i) {
    EXPECT_GE(records[i - 1]["createdDateTime"].get<std::string>(),
              records[i]["createdDateTime"].get<std::string>());
  }
}

// BUG (src/app/admin_api.cc, AdminApi::SignIns, `next += "&$filter=" + f->second;`): the
// decoded $filter is appended to @odata.nextLink without percent-encoding, so the link holds
// spaces and quotes and is not a valid request target; following it verbatim answers
// 400 "malformed HTTP request: bad version". Expected: the filter percent-encoded in the link.
// Enable when fixed.
TEST_F(SignInLog, PagingKeepsTheFilterInTheNextLink) {
  LogExamples();
  int pages = 0;
  auto records = AllPages(admin, Query(kSignIns, "status/errorCode eq 53003", 2), &pages);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(Ids(records),
            Ids(Matching([](const json& r) { return r["status"]["errorCode"] == 53003; })));
}

TEST_F(SignInLog, AnInvalidFilterIsRefusedNamingThePosition) {
  StartDemoServer();
  auto response = admin.Get(Query(kSignIns, "userId eq 'x' or appId eq 'y'"));
  ASSERT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(HeaderOf(response, "Content-Type"), "application/problem+json");
  EXPECT_NE(BodyOf(response)["detail"].get<std::string>().find("$filter position 15"),
            std::string::npos)
      << response.body;

  auto unterminated = admin.Get(Query(kSignIns, "userId eq 'x"));
  ASSERT_EQ(unterminated.status, 400);
  EXPECT_NE(BodyOf(unterminated)["detail"].get<std::string>().find("position 11"),
            std::string::npos)
      << unterminated.body;

  auto unknown_field = admin.Get(Query(kSignIns, "riskLevel eq 'high'"));
  ASSERT_EQ(unknown_field.status, 400);
  EXPECT_NE(BodyOf(unknown_field)["detail"].get<std::string>().find("riskLevel"),
            std::string::npos);

  auto bad_top = admin.Get(std::string(kSignIns) + "?$top=0");
  EXPECT_EQ(bad_top.status, 400);
}

using DirectoryAudit = ServerTest;

TEST_F(DirectoryAudit, EveryWriteIsRecordedForItsClientAndTheChainVerifies) {
  StartServer();
  struct Write {
    std::string activity;
    std::string target;
    std::string request_id;
  };
  std::vector<Write> writes;
  auto record = [&](const http::HttpResponse& response, int expected_status, std::string activity,
                    std::string target) {
    EXPECT_EQ(response.status, expected_status) << activity << ": " << response.body;
    writes.push_back({std::move(activity), std::move(target), HeaderOf(response, "X-Request-Id")});
  };

  json policy = {{"displayName", "Audited"},
                 {"state", "disabled"},
                 {"conditions",
                  {{"users", {{"includeUsers", {"All"}}}},
                   {"applications", {{"includeApplications", {"All"}}}}}},
                 {"grantControls", {{"operator", "OR"}, {"builtInControls", {"mfa"}}}}};
  auto created = admin.Post(kPolicies, policy);
  const std::string policy_id = BodyOf(created)["id"];
  record(created, 201, "Add policy", policy_id);
  const std::string policy_path = std::string(kPolicies) + "/" + policy_id;
  record(admin.Patch(policy_path, {{"displayName", "Audited twice"}}), 204, "Update policy",
         policy_id);

  auto user = admin.Post("/v1.0/users", {{"userPrincipalName", "audited@contoso.example"}});
  const std::string user_id = BodyOf(user)["id"];
  record(user, 201, "Add user", user_id);
  auto group = admin.Post("/v1.0/groups", {{"displayName", "Audited group"}});
  const std::string group_id = BodyOf(group)["id"];
  record(group, 201, "Add group", group_id);
  record(admin.Post("/v1.0/groups/" + group_id + "/members/$ref", {{"id", user_id}}), 204,
         "Add member to group", group_id);
  record(admin.Delete("/v1.0/groups/" + group_id + "/members/" + user_id + "/$ref"), 204,
         "Remove member from group", group_id);
  auto app = admin.Post("/v1.0/applications", {{"appId", "abcd0000-0000-4000-8000-000000000001"},
                                               {"displayName", "Audited app"}});
  record(app, 201, "Add application", "abcd0000-0000-4000-8000-000000000001");
  auto device = admin.Post("/v1.0/devices", {{"deviceId", "abcd0000-0000-4000-8000-000000000002"}});
  record(device, 201, "Add device", BodyOf(device)["id"]);
  auto role = admin.Post("/v1.0/roleManagement/directory/roleAssignments",
                         {{"roleDefinitionId", kGlobalAdministrator}, {"principalId", user_id}});
  record(role, 201, "Add role assignment", BodyOf(role)["id"]);
  auto location =
      admin.Post(kNamedLocations, {{"@odata.type", "#microsoft.graph.countryNamedLocation"},
                                   {"displayName", "Audited countries"},
                                   {"countriesAndRegions", {"NL"}},
                                   {"includeUnknownCountriesAndRegions", false}});
  const std::string location_id = BodyOf(location)["id"];
  record(location, 201, "Add named location", location_id);
  record(admin.Delete(std::string(kNamedLocations) + "/" + location_id), 204,
         "Delete named location", location_id);
  record(admin.Delete(policy_path), 204, "Delete policy", policy_id);
  // Refused writes leave no trace.
  EXPECT_EQ(admin.Post(kPolicies, {{"state", "sometimes"}}).status, 400);
  EXPECT_EQ(admin.Delete(policy_path).status, 404);

  auto response = admin.Get(std::string(kAudits) + "?$top=1000");
  ASSERT_EQ(response.status, 200) << response.body;
  json audits = BodyOf(response)["value"];
  // The bootstrap client's creation (by "system") comes first, then exactly our writes.
  ASSERT_EQ(audits.size(), writes.size() + 1) << response.body;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const json& a = audits[writes.size() - 1 - i];  // newest first
    SCOPED_TRACE(writes[i].activity);
    EXPECT_EQ(a["activityDisplayName"], writes[i].activity);
    EXPECT_EQ(a["initiatedBy"]["app"]["appId"], "gatehouse-bootstrap");
    EXPECT_EQ(a["result"], "success");
    EXPECT_EQ(a["targetResources"][0]["id"], writes[i].target);
    json details = a["additionalDetails"];
    bool has_request_id = false;
    for (const auto& d : details) {
      has_request_id =
          has_request_id || (d["key"] == "requestId" && d["value"] == writes[i].request_id);
    }
    EXPECT_TRUE(has_request_id) << a.dump();
  }
  // Hash chain: each record points at the one before it.
  for (std::size_t i = 0; i + 1 < audits.size(); ++i) {
    EXPECT_EQ(audits[i]["previousHash"], audits[i + 1]["hash"]);
  }

  auto for_policy = admin.Get(Query(kAudits, "targetResources/id eq '" + policy_id + "'", 100));
  ASSERT_EQ(for_policy.status, 200) << for_policy.body;
  EXPECT_EQ(BodyOf(for_policy)["value"].size(), 3u);
  auto by_client = admin.Get(Query(kAudits, "initiatedBy/app/appId eq 'gatehouse-bootstrap'", 100));
  EXPECT_EQ(BodyOf(by_client)["value"].size(), writes.size());
  int pages = 0;
  EXPECT_EQ(AllPages(admin, std::string(kAudits) + "?$top=5", &pages).size(), writes.size() + 1);
  EXPECT_EQ(pages, static_cast<int>((writes.size() + 1) / 5 + 1));

  // Verified by a second process while the server runs (SQLite WAL readers), then after stop.
  CommandResult live = RunGatehouse({"audit", "verify", "--data-dir", DataDir()});
  EXPECT_EQ(live.exit_code, 0) << live.out << live.err;
  EXPECT_NE(live.out.find("audit chain intact"), std::string::npos) << live.out;
  EXPECT_EQ(server().Stop(), 0);
  CommandResult stopped = RunGatehouse({"audit", "verify", "--data-dir", DataDir()});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
}

// BUG (src/app/admin_api.cc, AdminApi::DirectoryAudits, the "@odata.nextLink" assignment): the
// next link carries only $top and $skiptoken and drops $filter, so the second page of a filtered
// query is unfiltered (here it includes the bootstrap client's creation by "system").
// Expected: every page honours the filter. Enable when fixed.
TEST_F(DirectoryAudit, PagingKeepsTheFilterInTheNextLink) {
  StartServer();
  for (int n = 0; n < 3; ++n) {
    ASSERT_EQ(admin
                  .Post("/v1.0/users",
                        {{"userPrincipalName", "paged" + std::to_string(n) + "@contoso.example"}})
                  .status,
              201);
  }
  int pages = 0;
  auto records =
      AllPages(admin, Query(kAudits, "initiatedBy/app/appId eq 'gatehouse-bootstrap'", 2), &pages);
  EXPECT_EQ(records.size(), 3u);
  for (const auto& r : records) {
    EXPECT_EQ(r["initiatedBy"]["app"]["appId"], "gatehouse-bootstrap") << r.dump();
  }
}

}  // namespace
}  // namespace gatehouse::integration
