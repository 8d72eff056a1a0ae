// The risk engine in the sign-in flow end to end (issue 7): a user with a stable history (same
// address, country, device) signs in through a trusted reverse proxy (X-Forwarded-For from
// loopback); a sign-in from a new country, new address prefix, without the device is rated at
// least medium with its reasons in the sign-in log, and a Conditional Access policy on
// signInRiskLevels blocks it. The learned state survives a restart, and the Graph-shaped
// risky-users API lists, confirms and dismisses.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "crypto/crypto.h"
#include "idp/device_proof.h"
#include "idp/pkce.h"
#include "integration/admin_client.h"
#include "integration/sign_in_client.h"

namespace gatehouse::integration {
namespace {

constexpr const char* kAppId = "77770000-0000-4000-8000-000000000007";
constexpr const char* kRedirect = "http://127.0.0.1:9/callback";
constexpr const char* kPassword = "Correct-Horse-Battery-7";
constexpr const char* kRiskyUsers = "/v1.0/identityProtection/riskyUsers";
// The GeoIP fixture (tests/location/testdata/make_test_mmdb.pl): 203.0.113.0/24 is DE,
// 198.51.100.0/24 is US.
constexpr const char* kHome = "203.0.113.10";
constexpr const char* kAttacker = "198.51.100.7";
// Enough history for three new properties (prefix, country, device) to reach medium with full
// confidence: 3 · log10(26 + 1) ≥ mediumScore 4.0, confidence min(1, 0.5 + n/40) = 1.
constexpr int kHistory = 26;

class RiskFlowTest : public ServerTest {
 protected:
  void SetUp() override {
    // Every threshold as shipped, except the maturity: the history here is seconds old, not
    // 12 hours (docs/risk.md §2).
    risk_config_ = temp_.Sub("risk.json");
    std::ofstream(risk_config_) << R"({"unfamiliarFeatures": {"maturityHours": 0}})";
    Start();
    ASSERT_EQ(admin
                  .Post("/v1.0/applications",
                        {{"appId", kAppId},
                         {"displayName", "Risk RP"},
                         {"web", {{"redirectUris", {kRedirect}}}}})
                  .status,
              201);
    auto created = admin.Post("/v1.0/users", {{"userPrincipalName", "dave@contoso.example"},
                                              {"displayName", "Dave"},
                                              {"passwordProfile", {{"password", kPassword}}}});
    ASSERT_EQ(created.status, 201) << created.body;
    user_id_ = BodyOf(created).value("id", "");
    json policy = {
        {"displayName", "Block medium and high sign-in risk"},
        {"state", "enabled"},
        {"conditions",
         {{"users", {{"includeUsers", {user_id_}}}},
          {"applications", {{"includeApplications", {kAppId}}}},
          {"clientAppTypes", {"all"}},
          {"signInRiskLevels", {"medium", "high"}}}},
        {"grantControls", {{"operator", "OR"}, {"builtInControls", {"block"}}}}};
    auto added = admin.Post(kPolicies, policy);
    ASSERT_EQ(added.status, 201) << added.body;
  }

  void Start() {
    StartServer({"--rate-limit", "0", "--geoip", GATEHOUSE_TEST_MMDB, "--trusted-proxies",
                 "127.0.0.1/32,::1/128", "--risk-config", risk_config_});
  }

  std::string RegisterDevice() {
    auto key = crypto::SigningKey::Generate("device");
    EXPECT_TRUE(key.ok());
    device_pem_ = key->PrivatePem();
    auto issued =
        admin.Post("/v1.0/gatehouse/deviceRegistrationCodes", {{"userId", user_id_}});
    EXPECT_EQ(issued.status, 201) << issued.body;
    const std::string code = BodyOf(issued).value("code", "");
    AdminClient anonymous(server().port());
    auto nonce = anonymous.Send("POST", "/idp/v1/deviceRegistrations/nonce",
                                json{{"code", code}}.dump(), {}, false);
    EXPECT_EQ(nonce.status, 200) << nonce.body;
    json n = BodyOf(nonce);
    auto signature =
        idp::SignDeviceProof(device_pem_, n.value("nonce", ""), n.value("binding", ""));
    EXPECT_TRUE(signature.ok());
    json body = {{"code", code},
                 {"nonce", n.value("nonce", "")},
                 {"signature", signature.ok() ? *signature : ""},
                 {"publicKey", json::parse(key->PublicJwk())},
                 {"displayName", "DAVE-LAPTOP"},
                 {"operatingSystem", "Linux"},
                 {"operatingSystemVersion", "6.1"}};
    auto registered =
        anonymous.Send("POST", "/idp/v1/deviceRegistrations", body.dump(), {}, false);
    EXPECT_EQ(registered.status, 201) << registered.body;
    return BodyOf(registered).value("deviceId", "");
  }

  // One password sign-in in a fresh browser, every request through the proxy with
  // `forwarded_for`; with `device_id` the device proof of the registered key is posted.
  http::HttpResponse SignIn(const std::string& forwarded_for, const std::string& device_id) {
    Browser browser(server().port());
    const std::vector<std::pair<std::string, std::string>> via = {
        {"X-Forwarded-For", forwarded_for}};
    const std::string verifier = crypto::RandomToken(40);
    auto authorize = browser.Get(
        "/authorize?client_id=" + FormEncode(kAppId) + "&redirect_uri=" + FormEncode(kRedirect) +
            "&response_type=code&scope=openid&state=s1&nonce=n1&code_challenge=" +
            idp::PkceS256Challenge(verifier) + "&code_challenge_method=S256",
        via);
    EXPECT_EQ(authorize.status, 302) << authorize.body;
    auto page = browser.Get(HeaderOf(authorize, "Location"), via);
    EXPECT_EQ(page.status, 200) << page.body;
    std::string proof;
    if (!device_id.empty()) {
      const std::string nonce = AttributeValue(page.body, "data-device-nonce");
      const std::string binding = AttributeValue(page.body, "data-device-binding");
      auto signature = idp::SignDeviceProof(device_pem_, nonce, binding);
      EXPECT_TRUE(signature.ok()) << signature.status();
      proof = json{{"deviceId", device_id},
                   {"nonce", nonce},
                   {"binding", binding},
                   {"signature", signature.ok() ? *signature : ""}}
                  .dump();
    }
    return browser.Post("/idp/signin",
                        {{"csrf_token", InputValue(page.body, "csrf_token")},
                         {"request", InputValue(page.body, "request")},
                         {"username", "dave@contoso.example"},
                         {"password", kPassword},
                         {"device_proof", proof}},
                        via);
  }

  std::vector<json> SignInRecords() {
    auto response = admin.Get("/v1.0/auditLogs/signIns?$top=200&$filter=" +
                              FormEncode("userId eq '" + user_id_ + "'"));
    EXPECT_EQ(response.status, 200) << response.body;
    std::vector<json> out;
    const json body = BodyOf(response);  // alive for the loop
    for (const auto& r : body["value"]) out.push_back(r);
    return out;
  }

  json RiskyUser() {
    auto listed = admin.Get(kRiskyUsers);
    EXPECT_EQ(listed.status, 200) << listed.body;
    const json body = BodyOf(listed);  // alive for the loop
    for (const auto& u : body["value"]) {
      if (u.value("id", "") == user_id_) return u;
    }
    return nullptr;
  }

  std::string risk_config_;
  std::string user_id_;
  std::string device_pem_;
};

bool Contains(const json& array, const std::string& value) {
  for (const auto& v : array) {
    if (v == value) return true;
  }
  return false;
}

TEST_F(RiskFlowTest, ATakeoverFromANewCountryAndNetworkIsMediumRiskAndBlocked) {
  const std::string device_id = RegisterDevice();
  ASSERT_FALSE(device_id.empty());
  for (int i = 0; i < kHistory; ++i) {
    // The last one carries a client-supplied hop in front of the proxy's entry: only the entry
    // the trusted proxy added counts.
    const std::string via = i + 1 == kHistory ? std::string("198.51.100.99, ") + kHome : kHome;
    auto done = SignIn(via, device_id);
    ASSERT_EQ(done.status, 302) << "sign-in " << i << ": " << done.body;
    ASSERT_TRUE(HeaderOf(done, "Location").rfind(kRedirect, 0) == 0) << HeaderOf(done, "Location");
  }
  std::vector<json> history = SignInRecords();
  ASSERT_EQ(history.size(), static_cast<std::size_t>(kHistory));
  for (const json& r : history) {
    EXPECT_EQ(r["ipAddress"], kHome);
    EXPECT_EQ(r["location"]["countryOrRegion"], "DE");
    EXPECT_EQ(r["riskLevelDuringSignIn"], "none") << r.dump();
    EXPECT_EQ(r["status"]["errorCode"], 0);
  }
  EXPECT_EQ(RiskyUser(), nullptr);

  // The right password from another country and network, without the device.
  auto blocked = SignIn(kAttacker, "");
  EXPECT_EQ(blocked.status, 403);
  ASSERT_EQ(PageOf(blocked.body), "blocked") << blocked.body;
  EXPECT_EQ(ElementText(blocked.body, "error-code"), "53003");
  json attack;
  for (const json& r : SignInRecords()) {
    if (r["ipAddress"] == kAttacker) attack = r;
  }
  ASSERT_TRUE(attack.is_object());
  EXPECT_EQ(attack["id"], ElementText(blocked.body, "request-id"));
  EXPECT_EQ(attack["location"]["countryOrRegion"], "US");
  EXPECT_TRUE(attack["riskLevelDuringSignIn"] == "medium" ||
              attack["riskLevelDuringSignIn"] == "high")
      << attack.dump();
  EXPECT_TRUE(Contains(attack["riskEventTypes_v2"], "unfamiliarFeatures")) << attack.dump();
  const std::string detail = attack.value("riskDetail", "");
  EXPECT_NE(detail.find("new country US"), std::string::npos) << detail;
  EXPECT_NE(detail.find("new ipPrefix 198.51.100.0/24"), std::string::npos) << detail;
  EXPECT_NE(detail.find("new device"), std::string::npos) << detail;
  EXPECT_EQ(attack["status"]["errorCode"], 53003);
  EXPECT_EQ(attack["conditionalAccessStatus"], "failure");

  // The password was right: the user is at risk.
  json risky = RiskyUser();
  ASSERT_TRUE(risky.is_object());
  EXPECT_EQ(risky["riskState"], "atRisk");
  EXPECT_NE(risky["riskLevel"], "none");
  EXPECT_EQ(risky["userPrincipalName"], "dave@contoso.example");

  // The learned state is in the store: after a restart the same attempt is still rated (a lost
  // profile would put the user back in the learning period, rated none) and the user still at
  // risk.
  Start();
  EXPECT_EQ(RiskyUser().value("riskState", ""), "atRisk");
  auto again = SignIn(kAttacker, "");
  EXPECT_EQ(again.status, 403);
  EXPECT_EQ(ElementText(again.body, "error-code"), "53003");
  auto home = SignIn(kHome, device_id);
  EXPECT_EQ(home.status, 302) << home.body;
}

TEST_F(RiskFlowTest, AdminsConfirmAndDismissRiskyUsers) {
  // Scopes: a token without IdentityRiskyUser.* is refused.
  AdminClient reader(server().port());
  reader.set_token(admin.TokenFor(secret(), "Directory.Read.All"));
  EXPECT_EQ(reader.Get(kRiskyUsers).status, 403);
  EXPECT_EQ(reader.Post(std::string(kRiskyUsers) + "/dismiss", {{"userIds", {user_id_}}}).status,
            403);
  AdminClient anonymous(server().port());
  EXPECT_EQ(anonymous.Send("GET", kRiskyUsers, "", {}, false).status, 401);

  // Bad bodies get precise errors; unknown users are 404 and change nothing.
  auto empty = admin.Post(std::string(kRiskyUsers) + "/confirmCompromised", {{"userIds", json::array()}});
  EXPECT_EQ(empty.status, 400);
  EXPECT_NE(empty.body.find("/userIds"), std::string::npos) << empty.body;
  auto wrong = admin.Post(std::string(kRiskyUsers) + "/confirmCompromised", {{"userIds", {42}}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("/userIds/0"), std::string::npos) << wrong.body;
  EXPECT_EQ(admin
                .Post(std::string(kRiskyUsers) + "/confirmCompromised",
                      {{"userIds", {user_id_, "00000000-0000-4000-8000-00000000dead"}}})
                .status,
            404);
  EXPECT_EQ(RiskyUser(), nullptr);

  auto confirmed =
      admin.Post(std::string(kRiskyUsers) + "/confirmCompromised", {{"userIds", {user_id_}}});
  EXPECT_EQ(confirmed.status, 204) << confirmed.body;
  json risky = RiskyUser();
  ASSERT_TRUE(risky.is_object());
  EXPECT_EQ(risky["riskLevel"], "high");
  EXPECT_EQ(risky["riskState"], "confirmedCompromised");
  EXPECT_EQ(risky["riskDetail"], "adminConfirmedUserCompromised");

  // Persisted and audited.
  Start();
  EXPECT_EQ(RiskyUser().value("riskState", ""), "confirmedCompromised");
  auto audits = admin.Get("/v1.0/auditLogs/directoryAudits?$top=50");
  EXPECT_EQ(audits.status, 200);
  EXPECT_NE(audits.body.find("Confirm user compromised"), std::string::npos);

  auto dismissed = admin.Post(std::string(kRiskyUsers) + "/dismiss", {{"userIds", {user_id_}}});
  EXPECT_EQ(dismissed.status, 204) << dismissed.body;
  risky = RiskyUser();
  EXPECT_EQ(risky["riskLevel"], "none");
  EXPECT_EQ(risky["riskState"], "dismissed");
  EXPECT_EQ(risky["riskDetail"], "adminDismissedAllRiskForUser");
}

}  // namespace
}  // namespace gatehouse::integration
