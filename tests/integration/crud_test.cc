// Create, read, list (with paging), update (with optimistic concurrency) and delete over every
// Graph-shaped collection of the admin API, plus validation errors and group membership.
#include <gtest/gtest.h>

#include <functional>

#include "integration/admin_client.h"

namespace gatehouse::integration {
namespace {

struct CollectionCase {
  std::string name;
  std::string path;
  std::string id_field;
  std::function<json(int)> sample;  // a valid new object, distinct for each n
  json patch;                       // a change whose effect is visible on GET
  std::string patched_field;
};

std::string Guid(int n, int kind) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08x-0000-4000-8000-%012d", 0xabc00000 + kind, n);
  return buffer;
}

json DisabledPolicy(const std::string& name) {
  return {{"displayName", name},
          {"state", "disabled"},
          {"conditions",
           {{"users", {{"includeUsers", {"All"}}}},
            {"applications", {{"includeApplications", {"All"}}}},
            {"clientAppTypes", {"all"}}}},
          {"grantControls", {{"operator", "OR"}, {"builtInControls", {"mfa"}}}}};
}

json IpLocation(const std::string& name, const std::string& cidr) {
  return {
      {"@odata.type", "#microsoft.graph.ipNamedLocation"},
      {"displayName", name},
      {"isTrusted", false},
      {"ipRanges", {{{"@odata.type", "#microsoft.graph.iPv4CidrRange"}, {"cidrAddress", cidr}}}}};
}

std::vector<CollectionCase> Collections() {
  return {
      {"policies",
       kPolicies,
       "id",
       [](int n) { return DisabledPolicy("CRUD policy " + std::to_string(n)); },
       {{"displayName", "Renamed policy"}},
       "displayName"},
      {"namedLocations",
       kNamedLocations,
       "id",
       [](int n) {
         return IpLocation("Branch " + std::to_string(n), "192.0." + std::to_string(n) + ".0/24");
       },
       {{"displayName", "Renamed branch"}},
       "displayName"},
      {"authenticationStrengths",
       kStrengths,
       "id",
       [](int n) {
         return json{{"displayName", "Strength " + std::to_string(n)},
                     {"allowedCombinations", {"fido2", "windowsHelloForBusiness"}}};
       },
       {{"description", "phishing resistant only"}},
       "description"},
      {"users",
       "/v1.0/users",
       "id",
       [](int n) {
         return json{{"userPrincipalName", "crud" + std::to_string(n) + "@contoso.example"},
                     {"displayName", "Crud " + std::to_string(n)},
                     {"userType", "Member"}};
       },
       {{"displayName", "Renamed user"}},
       "displayName"},
      {"groups",
       "/v1.0/groups",
       "id",
       [](int n) {
         return json{{"displayName", "Group " + std::to_string(n)}, {"members", json::array()}};
       },
       {{"displayName", "Renamed group"}},
       "displayName"},
      {"applications",
       "/v1.0/applications",
       "appId",
       [](int n) {
         return json{{"appId", Guid(n, 1)}, {"displayName", "App " + std::to_string(n)}};
       },
       {{"displayName", "Renamed app"}},
       "displayName"},
      {"devices",
       "/v1.0/devices",
       "id",
       [](int n) {
         return json{{"deviceId", Guid(n, 2)},       {"displayName", "DEVICE-" + std::to_string(n)},
                     {"operatingSystem", "Windows"}, {"trustType", "AzureAD"},
                     {"isCompliant", true},          {"isManaged", true}};
       },
       {{"isCompliant", false}},
       "isCompliant"},
      {"roleAssignments",
       "/v1.0/roleManagement/directory/roleAssignments",
       "id",
       [](int n) {
         return json{{"roleDefinitionId", kGlobalAdministrator},
                     {"principalId", Guid(n, 3)},
                     {"directoryScopeId", "/"}};
       },
       {{"principalId", Guid(99, 3)}},
       "principalId"},
  };
}

class Crud : public ServerTest, public ::testing::WithParamInterface<CollectionCase> {};

TEST_P(Crud, CreateGetListPageUpdateAndDeleteBehaveLikeGraph) {
  StartServer({"--rate-limit", "0"});
  const CollectionCase& c = GetParam();

  // Create three.
  std::vector<std::string> ids;
  std::vector<std::string> etags;
  for (int n = 1; n <= 3; ++n) {
    json sample = c.sample(n);
    auto created = admin.Post(c.path, sample);
    ASSERT_EQ(created.status, 201) << created.body;
    json body = BodyOf(created);
    ASSERT_TRUE(body.contains(c.id_field)) << created.body;
    const std::string id = body[c.id_field];
    EXPECT_FALSE(id.empty());
    EXPECT_EQ(HeaderOf(created, "Location"), c.path + "/" + id);
    EXPECT_EQ(HeaderOf(created, "ETag").rfind("W/\"", 0), 0u) << HeaderOf(created, "ETag");
    EXPECT_EQ(body["displayName"], sample.value("displayName", json())) << created.body;
    ids.push_back(id);
    etags.push_back(HeaderOf(created, "ETag"));
  }

  // Get each.
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto got = admin.Get(c.path + "/" + ids[i]);
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(BodyOf(got)[c.id_field], ids[i]);
    EXPECT_EQ(HeaderOf(got, "ETag"), etags[i]);
  }

  // List two per page and follow @odata.nextLink to the end.
  std::vector<std::string> listed;
  std::string next = c.path + "?$top=2";
  int pages = 0;
  while (!next.empty() && pages < 10) {
    auto page = admin.Get(next);
    ASSERT_EQ(page.status, 200) << next << ": " << page.body;
    json body = BodyOf(page);
    EXPECT_LE(body["value"].size(), 2u);
    for (const auto& item : body["value"]) listed.push_back(item[c.id_field]);
    next = body.value("@odata.nextLink", "");
    ++pages;
  }
  EXPECT_EQ(pages, 2);
  std::sort(listed.begin(), listed.end());
  std::vector<std::string> expected = ids;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(listed, expected);

  // PATCH with the current ETag, then a stale one.
  const std::string target = c.path + "/" + ids[0];
  auto patched = admin.Patch(target, c.patch, {{"If-Match", etags[0]}});
  ASSERT_EQ(patched.status, 204) << patched.body;
  EXPECT_TRUE(patched.body.empty());
  auto after = admin.Get(target);
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(BodyOf(after)[c.patched_field], c.patch[c.patched_field]) << after.body;
  EXPECT_EQ(BodyOf(after)[c.id_field], ids[0]);
  EXPECT_NE(HeaderOf(after, "ETag"), etags[0]);
  auto stale = admin.Patch(target, c.patch, {{"If-Match", etags[0]}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(HeaderOf(stale, "Content-Type"), "application/problem+json");
  // Without If-Match the write applies to whatever is current.
  EXPECT_EQ(admin.Patch(target, c.patch).status, 204);

  // Delete, then it is gone.
  auto deleted = admin.Delete(target);
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  auto gone = admin.Get(target);
  EXPECT_EQ(gone.status, 404) << gone.body;
  EXPECT_EQ(HeaderOf(gone, "Content-Type"), "application/problem+json");
  EXPECT_EQ(admin.Delete(target).status, 404);
  EXPECT_EQ(admin.Patch(target, c.patch).status, 404);
  EXPECT_EQ(BodyOf(admin.Get(c.path))["value"].size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(EveryCollection, Crud, ::testing::ValuesIn(Collections()),
                         [](const auto& info) { return info.param.name; });

using AdminApiValidation = ServerTest;

TEST_F(AdminApiValidation, ErrorsNameTheJsonPointer) {
  StartServer();
  json policy = DisabledPolicy("Bad state");
  policy["state"] = "sometimes";
  auto response = admin.Post(kPolicies, policy);
  ASSERT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(HeaderOf(response, "Content-Type"), "application/problem+json");
  json body = BodyOf(response);
  ASSERT_FALSE(body["errors"].empty()) << response.body;
  EXPECT_EQ(body["errors"][0]["pointer"], "/state");
  EXPECT_EQ(body["status"], 400);

  auto no_principal = admin.Post("/v1.0/roleManagement/directory/roleAssignments",
                                 {{"roleDefinitionId", kGlobalAdministrator}});
  ASSERT_EQ(no_principal.status, 400) << no_principal.body;
  EXPECT_EQ(BodyOf(no_principal)["errors"][0]["pointer"], "/principalId");

  // Graph assigns an application's appId when the caller leaves it out.
  auto no_app_id = admin.Post("/v1.0/applications", {{"displayName", "Nameless"}});
  ASSERT_EQ(no_app_id.status, 201) << no_app_id.body;
  const std::string assigned = BodyOf(no_app_id)["appId"];
  EXPECT_EQ(assigned.size(), 36u) << no_app_id.body;
  EXPECT_EQ(admin.Get("/v1.0/applications/" + assigned).status, 200);

  auto bad_cidr = admin.Post(kNamedLocations, IpLocation("Bad", "300.1.2.3/24"));
  ASSERT_EQ(bad_cidr.status, 400) << bad_cidr.body;
  EXPECT_EQ(BodyOf(bad_cidr)["errors"][0]["pointer"].get<std::string>().rfind("/ipRanges/0", 0), 0u)
      << bad_cidr.body;

  // A PATCH that makes the object invalid is refused the same way and changes nothing.
  auto created = admin.Post(kPolicies, DisabledPolicy("Good"));
  ASSERT_EQ(created.status, 201);
  const std::string target =
      std::string(kPolicies) + "/" + BodyOf(created)["id"].get<std::string>();
  auto bad_patch = admin.Patch(target, {{"state", "sometimes"}});
  ASSERT_EQ(bad_patch.status, 400) << bad_patch.body;
  EXPECT_EQ(BodyOf(bad_patch)["errors"][0]["pointer"], "/state");
  EXPECT_EQ(BodyOf(admin.Get(target))["state"], "disabled");

  // Not JSON at all.
  auto not_json = admin.Send("POST", kPolicies, "{\"state\": ");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(HeaderOf(not_json, "Content-Type"), "application/problem+json");
}

TEST_F(AdminApiValidation, CreatingAnExistingIdIsAConflict) {
  StartServer();
  json user = {
      {"id", Guid(1, 4)}, {"userPrincipalName", "dup@contoso.example"}, {"displayName", "Dup"}};
  ASSERT_EQ(admin.Post("/v1.0/users", user).status, 201);
  EXPECT_EQ(admin.Post("/v1.0/users", user).status, 409);
}

TEST_F(AdminApiValidation, ANamedLocationUsedByAPolicyCannotBeDeleted) {
  StartServer();
  auto location = admin.Post(kNamedLocations, IpLocation("Office", "198.51.100.0/24"));
  ASSERT_EQ(location.status, 201) << location.body;
  const std::string location_id = BodyOf(location)["id"];
  json policy = DisabledPolicy("Uses the office");
  policy["conditions"]["locations"] = {{"includeLocations", {"All"}},
                                       {"excludeLocations", {location_id}}};
  auto created = admin.Post(kPolicies, policy);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string policy_id = BodyOf(created)["id"];

  auto refused = admin.Delete(std::string(kNamedLocations) + "/" + location_id);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(BodyOf(refused)["detail"].get<std::string>().find(policy_id), std::string::npos)
      << refused.body;
  EXPECT_EQ(admin.Get(std::string(kNamedLocations) + "/" + location_id).status, 200);

  ASSERT_EQ(admin.Delete(std::string(kPolicies) + "/" + policy_id).status, 204);
  EXPECT_EQ(admin.Delete(std::string(kNamedLocations) + "/" + location_id).status, 204);
}

using GroupMembership = ServerTest;

TEST_F(GroupMembership, MembersAreAddedListedAndRemovedByReference) {
  StartServer();
  auto user = admin.Post(
      "/v1.0/users", {{"userPrincipalName", "member@contoso.example"}, {"displayName", "Member"}});
  ASSERT_EQ(user.status, 201) << user.body;
  const std::string user_id = BodyOf(user)["id"];
  auto nested = admin.Post("/v1.0/groups", {{"displayName", "Nested"}});
  ASSERT_EQ(nested.status, 201) << nested.body;
  const std::string nested_id = BodyOf(nested)["id"];
  auto group = admin.Post("/v1.0/groups", {{"displayName", "Outer"}});
  ASSERT_EQ(group.status, 201) << group.body;
  const std::string group_id = BodyOf(group)["id"];
  const std::string members = "/v1.0/groups/" + group_id + "/members";

  auto add_user =
      admin.Post(members + "/$ref",
                 {{"@odata.id", "https://graph.microsoft.com/v1.0/directoryObjects/" + user_id}});
  EXPECT_EQ(add_user.status, 204) << add_user.body;
  auto add_group = admin.Post(
      members + "/$ref", {{"@odata.id", "https://graph.microsoft.com/v1.0/groups/" + nested_id}});
  EXPECT_EQ(add_group.status, 204) << add_group.body;
  auto again =
      admin.Post(members + "/$ref",
                 {{"@odata.id", "https://graph.microsoft.com/v1.0/directoryObjects/" + user_id}});
  EXPECT_EQ(again.status, 409) << again.body;
  auto unknown = admin.Post(
      members + "/$ref",
      {{"@odata.id", "https://graph.microsoft.com/v1.0/directoryObjects/" + Guid(7, 5)}});
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  auto missing_ref = admin.Post(members + "/$ref", json::object());
  EXPECT_EQ(missing_ref.status, 400);
  EXPECT_EQ(BodyOf(missing_ref)["errors"][0]["pointer"], "/@odata.id");

  auto listed = admin.Get(members);
  ASSERT_EQ(listed.status, 200) << listed.body;
  json value = BodyOf(listed)["value"];
  ASSERT_EQ(value.size(), 2u) << listed.body;
  EXPECT_EQ(value[0]["id"], user_id);
  EXPECT_EQ(value[0]["@odata.type"], "#microsoft.graph.user");
  EXPECT_EQ(value[0]["userPrincipalName"], "member@contoso.example");
  EXPECT_EQ(value[1]["id"], nested_id);
  EXPECT_EQ(value[1]["@odata.type"], "#microsoft.graph.group");

  EXPECT_EQ(admin.Delete(members + "/" + user_id + "/$ref").status, 204);
  EXPECT_EQ(admin.Delete(members + "/" + user_id + "/$ref").status, 404);
  value = BodyOf(admin.Get(members))["value"];
  ASSERT_EQ(value.size(), 1u);
  EXPECT_EQ(value[0]["id"], nested_id);
  EXPECT_EQ(admin.Get("/v1.0/groups/" + Guid(8, 5) + "/members").status, 404);
}

}  // namespace
}  // namespace gatehouse::integration
