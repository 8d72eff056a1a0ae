// The sign-in server end to end over plain HTTP (issue 5): OIDC authorization
// code + PKCE, password, TOTP, device registration and device proofs,
// Conditional Access, remediation, tokens, refresh rotation, and the negative
// cases.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "core/iso_time.h"
#include "crypto/crypto.h"
#include "idp/device_proof.h"
#include "idp/pkce.h"
#include "idp/totp.h"
#include "integration/admin_client.h"
#include "integration/sign_in_client.h"

namespace gatehouse::integration {
namespace {

constexpr const char *kAppId = "77770000-0000-4000-8000-000000000001";
constexpr const char *kRedirect = "http://127.0.0.1:9/callback";
constexpr const char *kPassword = "Correct-Horse-Battery-1";

struct Device {
  std::string id;
  std::string private_pem;
};

class SignInTest : public ServerTest {
protected:
  void SetUp() override {
    StartDemoServer();
    // A relying party covered by CA001 (MFA for all users) and by a policy
    // requiring a compliant device for it.
    ASSERT_EQ(admin
                  .Post("/v1.0/applications",
                        {{"appId", kAppId},
                         {"displayName", "Test RP"},
                         {"web", {{"redirectUris", {kRedirect}}}}})
                  .status,
              201);
    json policy = {
        {"displayName", "Test RP needs a compliant device"},
        {"state", "enabled"},
        {"conditions",
         {{"users",
           {{"includeUsers", {"All"}}, {"excludeGroups", {kEmergencyGroup}}}},
          {"applications", {{"includeApplications", {kAppId}}}},
          {"clientAppTypes", {"all"}}}},
        {"grantControls",
         {{"operator", "OR"}, {"builtInControls", {"compliantDevice"}}}}};
    auto created = admin.Post(kPolicies, policy);
    ASSERT_EQ(created.status, 201) << created.body;
    user_id_ = CreateUser("carol@contoso.example");
  }

  std::string CreateUser(const std::string &upn) {
    auto created = admin.Post("/v1.0/users",
                              {{"userPrincipalName", upn},
                               {"displayName", "Test " + upn},
                               {"passwordProfile", {{"password", kPassword}}}});
    EXPECT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.body.find(kPassword), std::string::npos);
    return BodyOf(created).value("id", "");
  }

  // Registers a device for `user` with a fresh key (through an admin-issued
  // code).
  Device RegisterDevice(const std::string &user,
                        const std::string &code_in = "") {
    Device device;
    auto key = crypto::SigningKey::Generate("device");
    EXPECT_TRUE(key.ok());
    device.private_pem = key->PrivatePem();
    std::string code = code_in;
    if (code.empty()) {
      auto issued = admin.Post("/v1.0/gatehouse/deviceRegistrationCodes",
                               {{"userId", user}});
      EXPECT_EQ(issued.status, 201) << issued.body;
      code = BodyOf(issued).value("code", "");
    }
    AdminClient anonymous(server().port());
    auto nonce = anonymous.Send("POST", "/idp/v1/deviceRegistrations/nonce",
                                json{{"code", code}}.dump(), {}, false);
    EXPECT_EQ(nonce.status, 200) << nonce.body;
    json n = BodyOf(nonce);
    auto signature = idp::SignDeviceProof(
        device.private_pem, n.value("nonce", ""), n.value("binding", ""));
    EXPECT_TRUE(signature.ok());
    json body = {{"code", code},
                 {"nonce", n.value("nonce", "")},
                 {"signature", signature.ok() ? *signature : ""},
                 {"publicKey", json::parse(key->PublicJwk())},
                 {"displayName", "CAROL-LAPTOP"},
                 {"operatingSystem", "Linux"},
                 {"operatingSystemVersion", "6.1"}};
    auto registered = anonymous.Send("POST", "/idp/v1/deviceRegistrations",
                                     body.dump(), {}, false);
    EXPECT_EQ(registered.status, 201) << registered.body;
    json r = BodyOf(registered);
    EXPECT_EQ(r.value("trustType", ""), "Workplace");
    EXPECT_EQ(r.value("registeredOwnerId", ""), user);
    device.id = r.value("deviceId", "");
    return device;
  }

  void MarkCompliant(const Device &device, bool compliant = true) {
    auto patched =
        admin.Patch("/v1.0/devices/" + device.id, {{"isCompliant", compliant}});
    ASSERT_EQ(patched.status, 204) << patched.body;
  }

  static std::string Proof(const Device &device, const std::string &page) {
    const std::string nonce = AttributeValue(page, "data-device-nonce");
    const std::string binding = AttributeValue(page, "data-device-binding");
    auto signature = idp::SignDeviceProof(device.private_pem, nonce, binding);
    EXPECT_TRUE(signature.ok()) << signature.status();
    return json{{"deviceId", device.id},
                {"nonce", nonce},
                {"binding", binding},
                {"signature", signature.ok() ? *signature : ""}}
        .dump();
  }

  struct Flow {
    std::string verifier = crypto::RandomToken(40);
    std::string state = crypto::RandomToken(8);
    std::string nonce = crypto::RandomToken(8);
    std::string page; // the last HTML page
    http::HttpResponse last;
  };

  // GET /authorize → the sign-in page.
  Flow Start(Browser &browser, const std::string &redirect = kRedirect) {
    Flow flow;
    std::string target =
        "/authorize?client_id=" + FormEncode(kAppId) +
        "&redirect_uri=" + FormEncode(redirect) + "&response_type=code&scope=" +
        FormEncode("openid profile offline_access") + "&state=" + flow.state +
        "&nonce=" + flow.nonce +
        "&code_challenge=" + idp::PkceS256Challenge(flow.verifier) +
        "&code_challenge_method=S256";
    auto authorize = browser.Get(target);
    EXPECT_EQ(authorize.status, 302) << authorize.body;
    auto page = browser.Get(HeaderOf(authorize, "Location"));
    EXPECT_EQ(page.status, 200) << page.body;
    flow.page = page.body;
    flow.last = page;
    return flow;
  }

  http::HttpResponse SubmitPassword(Browser &browser, Flow &flow,
                                    const std::string &username,
                                    const std::string &password,
                                    const std::string &proof = "") {
    auto response = browser.Post(
        "/idp/signin", {{"csrf_token", InputValue(flow.page, "csrf_token")},
                        {"request", InputValue(flow.page, "request")},
                        {"username", username},
                        {"password", password},
                        {"device_proof", proof}});
    flow.last = response;
    if (!response.body.empty())
      flow.page = response.body;
    return response;
  }

  // Answers the TOTP page (enrolment or verification) with the current code.
  http::HttpResponse SubmitTotp(Browser &browser, Flow &flow) {
    std::string secret_text = ElementText(flow.page, "totp-secret");
    if (!secret_text.empty())
      secret_ = *idp::Base32Decode(secret_text);
    EXPECT_FALSE(secret_.empty()) << flow.page;
    auto response = browser.Post(
        "/idp/mfa", {{"csrf_token", InputValue(flow.page, "csrf_token")},
                     {"request", InputValue(flow.page, "request")},
                     {"code", idp::TotpCode(secret_, absl::Now())}});
    flow.last = response;
    if (!response.body.empty())
      flow.page = response.body;
    return response;
  }

  http::HttpResponse Recheck(Browser &browser, Flow &flow,
                             const std::string &proof) {
    auto response =
        browser.Post("/idp/signin/continue",
                     {{"csrf_token", InputValue(flow.page, "csrf_token")},
                      {"request", InputValue(flow.page, "request")},
                      {"device_proof", proof}});
    flow.last = response;
    if (!response.body.empty())
      flow.page = response.body;
    return response;
  }

  http::HttpResponse RedeemCode(const std::string &code,
                                const std::string &verifier,
                                const std::string &redirect = kRedirect) {
    return admin.Send("POST", "/token",
                      FormBody({{"grant_type", "authorization_code"},
                                {"code", code},
                                {"redirect_uri", redirect},
                                {"code_verifier", verifier},
                                {"client_id", kAppId}}),
                      {{"Content-Type", "application/x-www-form-urlencoded"}},
                      false);
  }
  http::HttpResponse Refresh(const std::string &refresh_token) {
    return admin.Send("POST", "/token",
                      FormBody({{"grant_type", "refresh_token"},
                                {"refresh_token", refresh_token},
                                {"client_id", kAppId}}),
                      {{"Content-Type", "application/x-www-form-urlencoded"}},
                      false);
  }

  // The full sign-in with a registered, compliant device; returns the token
  // response.
  json SignInWithDevice(const Device &device) {
    Browser browser(server().port());
    Flow flow = Start(browser);
    auto after_password = SubmitPassword(browser, flow, "carol@contoso.example",
                                         kPassword, Proof(device, flow.page));
    EXPECT_EQ(PageOf(after_password.body), "mfa-enroll") << after_password.body;
    auto after_mfa = SubmitTotp(browser, flow);
    EXPECT_EQ(after_mfa.status, 302) << after_mfa.body;
    const std::string location = HeaderOf(after_mfa, "Location");
    EXPECT_TRUE(absl::StartsWith(location, std::string(kRedirect) + "?code="))
        << location;
    EXPECT_EQ(QueryParam(location, "state"), flow.state);
    auto tokens = RedeemCode(QueryParam(location, "code"), flow.verifier);
    EXPECT_EQ(tokens.status, 200) << tokens.body;
    last_nonce_ = flow.nonce;
    return BodyOf(tokens);
  }

  json VerifiedClaims(const std::string &jwt) {
    auto jwks = admin.Send("GET", "/.well-known/jwks.json", "", {}, false);
    crypto::JwtVerifier verifier;
    const json set = BodyOf(
        jwks); // (a temporary in the range-for would die before the loop)
    for (const auto &key : set["keys"])
      EXPECT_TRUE(verifier.AddJwk(key.dump()).ok());
    auto payload = verifier.Verify(jwt);
    if (!payload.ok())
      return json();
    return json::parse(*payload);
  }

  std::vector<json> SignInRecords(const std::string &user_id) {
    auto response = admin.Get("/v1.0/auditLogs/signIns?$top=100&$filter=" +
                              FormEncode("userId eq '" + user_id + "'"));
    EXPECT_EQ(response.status, 200) << response.body;
    std::vector<json> out;
    const json body = BodyOf(response);
    for (const auto &r : body["value"])
      out.push_back(r);
    return out;
  }

  std::string user_id_;
  std::string secret_; // TOTP secret once enrolled
  std::string last_nonce_;
};

TEST_F(SignInTest,
       DiscoveryAdvertisesCodeFlowWithPkceAndTheJwksHasActiveAndNextKeys) {
  auto discovery =
      admin.Send("GET", "/.well-known/openid-configuration", "", {}, false);
  ASSERT_EQ(discovery.status, 200);
  json doc = BodyOf(discovery);
  const std::string issuer =
      "http://127.0.0.1:" + std::to_string(server().port());
  EXPECT_EQ(doc["issuer"], issuer);
  EXPECT_EQ(doc["authorization_endpoint"], issuer + "/authorize");
  EXPECT_EQ(doc["response_types_supported"], json::array({"code"}));
  EXPECT_EQ(doc["code_challenge_methods_supported"], json::array({"S256"}));
  auto jwks = admin.Send("GET", "/.well-known/jwks.json", "", {}, false);
  ASSERT_EQ(jwks.status, 200);
  EXPECT_EQ(BodyOf(jwks)["keys"].size(), 2u); // active + next
}

TEST_F(SignInTest,
       HappyPathPasswordTotpDeviceProofCodePkceTokensUserinfoAndRefresh) {
  Device device = RegisterDevice(user_id_);
  MarkCompliant(device);
  json tokens = SignInWithDevice(device);
  ASSERT_TRUE(tokens.contains("id_token")) << tokens;
  EXPECT_EQ(tokens["token_type"], "Bearer");
  json claims = VerifiedClaims(tokens["id_token"]);
  EXPECT_EQ(claims["sub"], user_id_);
  EXPECT_EQ(claims["aud"], kAppId);
  EXPECT_EQ(claims["nonce"], last_nonce_);
  EXPECT_EQ(claims["deviceid"], device.id);
  EXPECT_EQ(claims["amr"], json::array({"pwd", "otp", "mfa"}));
  EXPECT_EQ(claims["preferred_username"], "carol@contoso.example");

  auto userinfo =
      admin.Send("GET", "/userinfo", "",
                 {{"Authorization",
                   "Bearer " + tokens["access_token"].get<std::string>()}},
                 false);
  ASSERT_EQ(userinfo.status, 200) << userinfo.body;
  EXPECT_EQ(BodyOf(userinfo)["sub"], user_id_);

  auto refreshed = Refresh(tokens["refresh_token"]);
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  json second = BodyOf(refreshed);
  EXPECT_NE(second["refresh_token"], tokens["refresh_token"]);
  EXPECT_EQ(VerifiedClaims(second["id_token"])["deviceid"], device.id);
}

TEST_F(SignInTest,
       RefreshReRunsConditionalAccessAndRevokesTheFamilyWhenTheDeviceFallsOut) {
  Device device = RegisterDevice(user_id_);
  MarkCompliant(device);
  json tokens = SignInWithDevice(device);
  MarkCompliant(device, false);
  auto refused = Refresh(tokens["refresh_token"]);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(BodyOf(refused)["error"], "invalid_grant");
  EXPECT_EQ(BodyOf(refused)["error_codes"], json::array({53000}));
  MarkCompliant(device, true);
  // The family is gone even though the device is compliant again.
  EXPECT_EQ(Refresh(tokens["refresh_token"]).status, 400);
}

TEST_F(SignInTest, RefreshTokenReuseRevokesTheWholeFamily) {
  Device device = RegisterDevice(user_id_);
  MarkCompliant(device);
  json tokens = SignInWithDevice(device);
  auto rotated = Refresh(tokens["refresh_token"]);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  auto replay = Refresh(tokens["refresh_token"]);
  EXPECT_EQ(replay.status, 400);
  json error = BodyOf(replay);
  EXPECT_EQ(error["error"], "invalid_grant");
  EXPECT_NE(error["error_description"].get<std::string>().find("reuse"),
            std::string::npos);
  EXPECT_FALSE(error["trace_id"].get<std::string>().empty());
  EXPECT_FALSE(error["correlation_id"].get<std::string>().empty());
  EXPECT_TRUE(error["error_codes"].is_array());
  // The legitimate holder's newer token is revoked too.
  EXPECT_EQ(Refresh(BodyOf(rotated)["refresh_token"]).status, 400);
}

TEST_F(SignInTest,
       WithoutDeviceIdentityTheRemediationPageExplainsAndRecheckLetsTheUserIn) {
  Browser browser(server().port());
  Flow flow = Start(browser);
  ASSERT_EQ(PageOf(flow.page), "sign-in");
  SubmitPassword(browser, flow, "carol@contoso.example", kPassword);
  ASSERT_EQ(PageOf(flow.page), "mfa-enroll") << flow.page;
  EXPECT_FALSE(ElementText(flow.page, "totp-uri").empty());
  auto remediation = SubmitTotp(browser, flow);
  ASSERT_EQ(remediation.status, 403) << remediation.body;
  ASSERT_EQ(PageOf(remediation.body), "remediation") << remediation.body;
  EXPECT_EQ(ElementText(remediation.body, "error-code"), "530003");
  EXPECT_EQ(ElementText(remediation.body, "app-id"), kAppId);
  EXPECT_EQ(ElementText(remediation.body, "app-name"), "Test RP");
  EXPECT_NE(ElementText(remediation.body, "no-device")
                .find("No device identity was presented"),
            std::string::npos);
  const std::string request_id = ElementText(remediation.body, "request-id");
  EXPECT_FALSE(ElementText(remediation.body, "correlation-id").empty());
  EXPECT_FALSE(ElementText(remediation.body, "timestamp").empty());
  const std::string code = ElementText(remediation.body, "registration-code");
  ASSERT_EQ(code.size(), 14u) << remediation.body;
  EXPECT_NE(ElementText(remediation.body, "register-command")
                .find("gatehouse-agent register"),
            std::string::npos);

  // Admins find the record by the request id, with its per-policy trace.
  auto record = admin.Get("/v1.0/auditLogs/signIns?$filter=" +
                          FormEncode("id eq '" + request_id + "'"));
  ASSERT_EQ(record.status, 200);
  ASSERT_EQ(BodyOf(record)["value"].size(), 1u) << record.body;
  json r = BodyOf(record)["value"][0];
  EXPECT_EQ(r["status"]["errorCode"], 530003);
  EXPECT_EQ(r["conditionalAccessStatus"], "failure");
  EXPECT_GT(r["appliedConditionalAccessPolicies"].size(), 1u);

  // Register with the code from the page, get compliant, re-check.
  Device device = RegisterDevice(user_id_, code);
  auto not_compliant = Recheck(browser, flow, Proof(device, flow.page));
  ASSERT_EQ(PageOf(not_compliant.body), "remediation") << not_compliant.body;
  EXPECT_EQ(ElementText(not_compliant.body, "error-code"), "53000");
  EXPECT_EQ(ElementText(not_compliant.body, "device-name"), "CAROL-LAPTOP");
  EXPECT_EQ(ElementText(not_compliant.body, "device-short-id"),
            device.id.substr(0, 8));
  // The compliance partner's failing settings, with their remediation text, are
  // shown.
  ASSERT_EQ(
      admin
          .Patch("/v1.0/devices/" + device.id,
                 {{"isCompliant", false},
                  {"gatehouseCompliance",
                   {{"complianceState", "nonCompliant"},
                    {"observedAt", core::FormatIsoDateTime(absl::Now())},
                    {"failingSettings",
                     {{{"setting", "osMinimumVersion"},
                       {"state", "nonCompliant"},
                       {"reason", "6.1 is older than 6.5"},
                       {"remediation",
                        "Update the operating system to 6.5 or later."}}}}}}})
          .status,
      204);
  auto with_settings = Recheck(browser, flow, Proof(device, flow.page));
  ASSERT_EQ(PageOf(with_settings.body), "remediation") << with_settings.body;
  EXPECT_NE(with_settings.body.find("data-setting=\"osMinimumVersion\""),
            std::string::npos);
  EXPECT_NE(
      with_settings.body.find("Update the operating system to 6.5 or later."),
      std::string::npos);
  EXPECT_EQ(ElementText(with_settings.body, "device-compliance"),
            "nonCompliant");
  MarkCompliant(device);
  auto allowed = Recheck(browser, flow, Proof(device, flow.page));
  ASSERT_EQ(allowed.status, 302) << allowed.body;
  const std::string location = HeaderOf(allowed, "Location");
  auto tokens = RedeemCode(QueryParam(location, "code"), flow.verifier);
  ASSERT_EQ(tokens.status, 200) << tokens.body;
  EXPECT_EQ(VerifiedClaims(BodyOf(tokens)["id_token"])["deviceid"], device.id);
  // The registration code was one-time.
  AdminClient anonymous(server().port());
  EXPECT_EQ(anonymous
                .Send("POST", "/idp/v1/deviceRegistrations/nonce",
                      json{{"code", code}}.dump(), {}, false)
                .status,
            401);
}

TEST_F(SignInTest,
       SessionCookieIsHttpOnlyLaxAndPersistentOnlyWhenAPolicySaysAlways) {
  Device device = RegisterDevice(user_id_);
  MarkCompliant(device);
  // Each sign-in by a new user (a fresh TOTP enrolment, no wait for the next
  // TOTP step).
  auto cookie_of_sign_in = [&](const std::string &upn) {
    Browser browser(server().port());
    Flow flow = Start(browser);
    SubmitPassword(browser, flow, upn, kPassword, Proof(device, flow.page));
    EXPECT_EQ(PageOf(flow.page), "mfa-enroll") << flow.page;
    SubmitTotp(browser, flow);
    EXPECT_EQ(flow.last.status, 302) << flow.last.body;
    return HeaderOf(flow.last, "Set-Cookie");
  };
  const std::string plain = cookie_of_sign_in("carol@contoso.example");
  EXPECT_TRUE(absl::StartsWith(plain, "gh_session=")) << plain;
  EXPECT_NE(plain.find("HttpOnly"), std::string::npos);
  EXPECT_NE(plain.find("SameSite=Lax"), std::string::npos);
  EXPECT_EQ(plain.find("Max-Age"), std::string::npos);
  EXPECT_EQ(plain.find("Secure"), std::string::npos); // no TLS here
  json persistent = {
      {"displayName", "Stay signed in"},
      {"state", "enabled"},
      {"conditions",
       {{"users", {{"includeUsers", {"All"}}}},
        {"applications", {{"includeApplications", {"All"}}}},
        {"clientAppTypes", {"all"}}}},
      {"sessionControls",
       {{"persistentBrowser", {{"isEnabled", true}, {"mode", "always"}}}}}};
  auto created = admin.Post(kPolicies, persistent);
  ASSERT_EQ(created.status, 201) << created.body;
  CreateUser("dave@contoso.example");
  const std::string kept = cookie_of_sign_in("dave@contoso.example");
  EXPECT_NE(kept.find("Max-Age=7776000"), std::string::npos) << kept;
}

TEST_F(SignInTest, PasswordsAreSetThroughTheAdminApiValidatedAndNeverReturned) {
  auto short_password =
      admin.Post("/v1.0/users", {{"userPrincipalName", "erin@contoso.example"},
                                 {"passwordProfile", {{"password", "short"}}}});
  EXPECT_EQ(short_password.status, 400);
  EXPECT_EQ(BodyOf(short_password)["errors"][0]["pointer"],
            "/passwordProfile/password");
  auto changed = admin.Patch("/v1.0/users/" + user_id_,
                             {{"passwordProfile",
                               {{"password", "Another-Password-2"},
                                {"forceChangePasswordNextSignIn", false}}}});
  ASSERT_EQ(changed.status, 204) << changed.body;
  auto stored = admin.Get("/v1.0/users/" + user_id_);
  EXPECT_EQ(stored.body.find("Another-Password-2"), std::string::npos);
  EXPECT_EQ(BodyOf(stored)["passwordProfile"]["forceChangePasswordNextSignIn"],
            false);
  Browser browser(server().port());
  Flow flow = Start(browser);
  SubmitPassword(browser, flow, "carol@contoso.example", kPassword);
  EXPECT_EQ(ElementText(flow.page, "error-message"),
            "Your username or password is incorrect.");
  SubmitPassword(browser, flow, "CAROL@contoso.example ", "Another-Password-2");
  EXPECT_EQ(PageOf(flow.page), "mfa-enroll") << flow.page;
}

TEST_F(SignInTest, PromptNoneNeverShowsAPage) {
  auto silent = [&](Browser &browser) {
    return browser.Get("/authorize?client_id=" + FormEncode(kAppId) +
                       "&redirect_uri=" + FormEncode(kRedirect) +
                       "&response_type=code&scope=openid&state=s2" +
                       "&prompt=none&code_challenge=" +
                       idp::PkceS256Challenge(crypto::RandomToken(40)) +
                       "&code_challenge_method=S256");
  };
  Browser browser(server().port());
  auto anonymous = silent(browser);
  ASSERT_EQ(anonymous.status, 302);
  EXPECT_EQ(QueryParam(HeaderOf(anonymous, "Location"), "error"),
            "login_required");
  // Signed in (password + TOTP) but without a device proof a silent request
  // cannot satisfy the device policy: interaction_required, not a page.
  Flow flow = Start(browser);
  SubmitPassword(browser, flow, "carol@contoso.example", kPassword);
  SubmitTotp(browser, flow);
  ASSERT_EQ(PageOf(flow.page), "remediation");
  auto interactive = silent(browser);
  ASSERT_EQ(interactive.status, 302) << interactive.body;
  EXPECT_EQ(QueryParam(HeaderOf(interactive, "Location"), "error"),
            "interaction_required");
  EXPECT_EQ(QueryParam(HeaderOf(interactive, "Location"), "state"), "s2");
}

TEST_F(SignInTest, ABlockPolicyEndsOnTheBlockedPageWithTheRequestId) {
  json block = {
      {"displayName", "Block carol from Test RP"},
      {"state", "enabled"},
      {"conditions",
       {{"users", {{"includeUsers", {user_id_}}}},
        {"applications", {{"includeApplications", {kAppId}}}},
        {"clientAppTypes", {"all"}}}},
      {"grantControls", {{"operator", "OR"}, {"builtInControls", {"block"}}}}};
  ASSERT_EQ(admin.Post(kPolicies, block).status, 201);
  Browser browser(server().port());
  Flow flow = Start(browser);
  auto blocked =
      SubmitPassword(browser, flow, "carol@contoso.example", kPassword);
  EXPECT_EQ(blocked.status, 403);
  ASSERT_EQ(PageOf(blocked.body), "blocked") << blocked.body;
  EXPECT_EQ(ElementText(blocked.body, "error-code"), "53003");
  auto records = SignInRecords(user_id_);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["id"], ElementText(blocked.body, "request-id"));
  EXPECT_EQ(records[0]["status"]["errorCode"], 53003);
}

TEST_F(SignInTest, AReplayedDeviceProofIsRefusedAndLogged) {
  Device device = RegisterDevice(user_id_);
  MarkCompliant(device);
  Browser browser(server().port());
  Flow flow = Start(browser);
  const std::string proof = Proof(device, flow.page);
  SubmitPassword(browser, flow, "carol@contoso.example", kPassword, proof);
  ASSERT_EQ(PageOf(flow.page), "mfa-enroll") << flow.page;
  auto first = SignInRecords(user_id_);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["gatehouse"]["deviceProof"], "verified");
  EXPECT_EQ(first[0]["deviceDetail"]["deviceId"], device.id);
  // The same proof again, for the same authorization request: its nonce is
  // spent.
  Recheck(browser, flow, proof);
  auto records = SignInRecords(user_id_);
  ASSERT_EQ(records.size(), 2u);
  const std::string logged =
      records[0]["gatehouse"]["deviceProof"]; // newest first
  EXPECT_TRUE(absl::StartsWith(logged, "refused")) << logged;
  EXPECT_EQ(records[0]["deviceDetail"]["deviceId"], "");
  // And for another authorization request (a foreign nonce) it is refused as
  // well.
  Flow other = Start(browser);
  SubmitPassword(browser, other, "carol@contoso.example", kPassword, proof);
  records = SignInRecords(user_id_);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(absl::StartsWith(
      records[0]["gatehouse"]["deviceProof"].get<std::string>(), "refused"));
}

TEST_F(SignInTest, AProofSignedByAnotherDevicesKeyIsRefused) {
  Device mine = RegisterDevice(user_id_);
  Device other = RegisterDevice(user_id_);
  MarkCompliant(mine);
  Browser browser(server().port());
  Flow flow = Start(browser);
  Device forged{
      mine.id, other.private_pem}; // claims my device, signs with the other key
  SubmitPassword(browser, flow, "carol@contoso.example", kPassword,
                 Proof(forged, flow.page));
  SubmitTotp(browser, flow);
  ASSERT_EQ(PageOf(flow.page), "remediation") << flow.page;
  EXPECT_EQ(ElementText(flow.page, "error-code"), "530003");
  auto records = SignInRecords(user_id_);
  ASSERT_FALSE(records.empty());
  EXPECT_TRUE(absl::StartsWith(
      records.front()["gatehouse"]["deviceProof"].get<std::string>(),
      "refused"));
}

TEST_F(SignInTest, ATamperedTokenIsRefused) {
  Device device = RegisterDevice(user_id_);
  MarkCompliant(device);
  json tokens = SignInWithDevice(device);
  std::string access = tokens["access_token"];
  // Change the payload (sub) but keep the signature.
  auto first_dot = access.find('.');
  auto second_dot = access.find('.', first_dot + 1);
  std::string payload = *crypto::Base64UrlDecode(
      access.substr(first_dot + 1, second_dot - first_dot - 1));
  json claims = json::parse(payload);
  claims["sub"] = "11111111-0000-4000-8000-000000000002";
  std::string tampered = access.substr(0, first_dot + 1) +
                         crypto::Base64UrlEncode(claims.dump()) +
                         access.substr(second_dot);
  auto userinfo = admin.Send("GET", "/userinfo", "",
                             {{"Authorization", "Bearer " + tampered}}, false);
  EXPECT_EQ(userinfo.status, 401);
  EXPECT_NE(HeaderOf(userinfo, "WWW-Authenticate").find("invalid_token"),
            std::string::npos);
  EXPECT_TRUE(VerifiedClaims(tampered).is_null());
  std::string id_token = tokens["id_token"];
  id_token.back() = id_token.back() == 'A' ? 'B' : 'A';
  EXPECT_TRUE(VerifiedClaims(id_token).is_null());
}

TEST_F(SignInTest,
       AWrongRedirectUriOrUnknownClientGetsAnErrorPageNotARedirect) {
  Browser browser(server().port());
  std::string target =
      "/authorize?client_id=" + FormEncode(kAppId) +
      "&redirect_uri=" + FormEncode("http://127.0.0.1:9/callback/") +
      "&response_type=code&scope=openid&code_challenge=" +
      idp::PkceS256Challenge(crypto::RandomToken(40)) +
      "&code_challenge_method=S256";
  auto wrong = browser.Get(target);
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(HeaderOf(wrong, "Location"), "");
  EXPECT_EQ(PageOf(wrong.body), "error");
  EXPECT_EQ(ElementText(wrong.body, "error-code"), "50011");
  auto unknown = browser.Get(
      "/authorize?client_id=nobody&redirect_uri=" + FormEncode(kRedirect) +
      "&response_type=code&scope=openid");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(ElementText(unknown.body, "error-code"), "700016");
  // Once client and redirect are valid, protocol errors go back to the client.
  auto plain = browser.Get("/authorize?client_id=" + FormEncode(kAppId) +
                           "&redirect_uri=" + FormEncode(kRedirect) +
                           "&response_type=code&scope=openid&state=s1" +
                           "&code_challenge=abc&code_challenge_method=plain");
  EXPECT_EQ(plain.status, 302);
  const std::string location = HeaderOf(plain, "Location");
  EXPECT_EQ(QueryParam(location, "error"), "invalid_request") << location;
  EXPECT_EQ(QueryParam(location, "state"), "s1");
}

TEST_F(SignInTest, APkceMismatchIsInvalidGrantAndBurnsTheCode) {
  Device device = RegisterDevice(user_id_);
  MarkCompliant(device);
  Browser browser(server().port());
  Flow flow = Start(browser);
  SubmitPassword(browser, flow, "carol@contoso.example", kPassword,
                 Proof(device, flow.page));
  auto redirect = SubmitTotp(browser, flow);
  ASSERT_EQ(redirect.status, 302) << redirect.body;
  const std::string code = QueryParam(HeaderOf(redirect, "Location"), "code");
  auto wrong = RedeemCode(code, crypto::RandomToken(40));
  EXPECT_EQ(wrong.status, 400);
  json error = BodyOf(wrong);
  EXPECT_EQ(error["error"], "invalid_grant");
  EXPECT_EQ(error["error_codes"], json::array({501481}));
  EXPECT_EQ(error["trace_id"], HeaderOf(wrong, "X-Request-Id"));
  EXPECT_EQ(RedeemCode(code, flow.verifier).status,
            400); // single use, even after a failure
}

TEST_F(SignInTest, UnknownUserAndWrongPasswordGetIdenticalAnswers) {
  auto normalize = [](std::string html) {
    html = std::regex_replace(
        html, std::regex("<script[^>]*>[\\s\\S]*?</script>"), "");
    html = std::regex_replace(
        html,
        std::regex(
            "(value|nonce|data-device-nonce|data-device-binding)=\"[^\"]*\""),
        "");
    return html;
  };
  Browser browser(server().port());
  Flow flow = Start(browser);
  auto unknown = SubmitPassword(browser, flow, "nobody1@contoso.example",
                                "Wrong-Password-1");
  auto wrong = SubmitPassword(browser, flow, "carol@contoso.example",
                              "Wrong-Password-1");
  EXPECT_EQ(unknown.status, wrong.status);
  EXPECT_EQ(ElementText(unknown.body, "error-message"),
            "Your username or password is incorrect.");
  EXPECT_EQ(ElementText(unknown.body, "error-message"),
            ElementText(wrong.body, "error-message"));
  EXPECT_EQ(normalize(unknown.body), normalize(wrong.body));
  // The log (admins only) tells them apart.
  auto records = SignInRecords(user_id_);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["status"]["errorCode"], 50126);
  auto by_code = admin.Get("/v1.0/auditLogs/signIns?$filter=" +
                           FormEncode("status/errorCode eq 50034"));
  EXPECT_EQ(BodyOf(by_code)["value"].size(), 1u);
}

TEST_F(SignInTest, APasswordSprayAcrossAccountsIsThrottledPerAddress) {
  Browser browser(server().port());
  Flow flow = Start(browser);
  int attempts = 0;
  http::HttpResponse last;
  for (; attempts < 40; ++attempts) {
    last = SubmitPassword(
        browser, flow, "user" + std::to_string(attempts) + "@contoso.example",
        "Spring2026!");
    if (last.status == 429)
      break;
  }
  ASSERT_EQ(last.status, 429) << "never throttled";
  EXPECT_GE(attempts, 20); // 20 free failures per address
  EXPECT_FALSE(HeaderOf(last, "Retry-After").empty());
  // While the address is locked even the right password is not checked.
  auto right =
      SubmitPassword(browser, flow, "carol@contoso.example", kPassword);
  EXPECT_EQ(right.status, 429);
  EXPECT_EQ(PageOf(right.body), "sign-in");
  auto locked = admin.Get("/v1.0/auditLogs/signIns?$filter=" +
                          FormEncode("status/errorCode eq 50053"));
  EXPECT_GE(BodyOf(locked)["value"].size(), 2u);
}

TEST_F(SignInTest, EveryAttemptIsInTheSignInLogWithItsTrace) {
  Device device = RegisterDevice(user_id_);
  MarkCompliant(device);
  Browser browser(server().port());
  Flow flow = Start(browser);
  SubmitPassword(browser, flow, "carol@contoso.example",
                 "Wrong-Password-1"); // 50126
  SubmitPassword(browser, flow, "carol@contoso.example", kPassword,
                 Proof(device, flow.page)); // 50076
  SubmitTotp(browser, flow);                // allowed
  ASSERT_EQ(flow.last.status, 302);
  auto records = SignInRecords(user_id_);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2]["status"]["errorCode"], 50126);
  EXPECT_EQ(records[2]["conditionalAccessStatus"], "notApplied");
  EXPECT_EQ(records[1]["status"]["errorCode"], 50076);
  EXPECT_EQ(records[0]["status"]["errorCode"], 0);
  EXPECT_EQ(records[0]["conditionalAccessStatus"], "success");
  EXPECT_EQ(records[0]["deviceDetail"]["deviceId"], device.id);
  EXPECT_EQ(records[0]["correlationId"], records[1]["correlationId"]);
  for (int i = 0; i < 2; ++i) {
    bool traced = false;
    for (const auto &p : records[i]["appliedConditionalAccessPolicies"]) {
      traced = traced || p["displayName"] == "Test RP needs a compliant device";
    }
    EXPECT_TRUE(traced) << records[i];
  }
}

TEST_F(SignInTest, FormsWithoutTheCsrfTokenAreRefused) {
  Browser browser(server().port());
  Flow flow = Start(browser);
  auto missing = browser.Post("/idp/signin",
                              {{"request", InputValue(flow.page, "request")},
                               {"username", "carol@contoso.example"},
                               {"password", kPassword}});
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(ElementText(missing.body, "error-code"), "csrf");
  auto wrong = browser.Post("/idp/signin",
                            {{"csrf_token", "forged"},
                             {"request", InputValue(flow.page, "request")},
                             {"username", "carol@contoso.example"},
                             {"password", kPassword}});
  EXPECT_EQ(wrong.status, 403);
  Browser stranger(server().port()); // right token, but no session cookie
  auto no_cookie = stranger.Post(
      "/idp/signin", {{"csrf_token", InputValue(flow.page, "csrf_token")},
                      {"request", InputValue(flow.page, "request")},
                      {"username", "carol@contoso.example"},
                      {"password", kPassword}});
  EXPECT_EQ(no_cookie.status, 403);
  EXPECT_TRUE(SignInRecords(user_id_).empty()); // nothing was even tried
}

TEST_F(
    SignInTest,
    ConfidentialClientsAuthenticateWithTheirSecretAndSecretsStayOutOfExports) {
  auto secret =
      admin.Post(std::string("/v1.0/applications/") + kAppId + "/addPassword",
                 {{"passwordCredential", {{"displayName", "ci"}}}});
  ASSERT_EQ(secret.status, 200) << secret.body;
  const std::string secret_text = BodyOf(secret)["secretText"];
  EXPECT_GE(secret_text.size(), 32u);
  auto app = admin.Get(std::string("/v1.0/applications/") + kAppId);
  EXPECT_EQ(app.body.find(secret_text), std::string::npos);
  auto user = admin.Get("/v1.0/users/" + user_id_);
  EXPECT_EQ(user.body.find("password\""), std::string::npos) << user.body;
  // Without the secret the client is refused.
  auto anonymous = RedeemCode("whatever", crypto::RandomToken(40));
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(BodyOf(anonymous)["error"], "invalid_client");
  auto basic = admin.Send(
      "POST", "/token",
      FormBody({{"grant_type", "authorization_code"}, {"code", "x"}}),
      {{"Content-Type", "application/x-www-form-urlencoded"},
       {"Authorization",
        "Basic " +
            crypto::Base64UrlEncode(std::string(kAppId) + ":" + secret_text)}},
      false);
  EXPECT_EQ(basic.status, 400); // authenticated; the code is what is wrong
  EXPECT_EQ(BodyOf(basic)["error"], "invalid_grant");

  server().Stop(); // (exit status is the shutdown tests' business)
  TempDir out;
  CommandResult exported = RunGatehouse(
      {"export", "--out", out.Sub("bundle"), "--data-dir", DataDir()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  for (const auto &entry :
       std::filesystem::recursive_directory_iterator(out.Sub("bundle"))) {
    if (!entry.is_regular_file())
      continue;
    std::string text = ReadWholeFile(entry.path());
    EXPECT_EQ(text.find(kPassword), std::string::npos) << entry.path();
    EXPECT_EQ(text.find(secret_text), std::string::npos) << entry.path();
    EXPECT_EQ(text.find("$argon2id$"), std::string::npos) << entry.path();
  }
}

TEST_F(SignInTest, KeysRotateByTheCliTakesEffectInTheRunningServer) {
  auto before = BodyOf(
      admin.Send("GET", "/.well-known/jwks.json", "", {}, false))["keys"];
  ASSERT_EQ(before.size(), 2u);
  const std::string next_kid = before[1]["kid"];
  CommandResult rotated =
      RunGatehouse({"keys", "rotate", "--data-dir", DataDir(),
                    "--min-next-publication-seconds", "0"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  json after;
  for (int i = 0; i < 50; ++i) {
    after = BodyOf(
        admin.Send("GET", "/.well-known/jwks.json", "", {}, false))["keys"];
    if (after.size() == 3u)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(after.size(), 3u); // active (old next), new next, retired
  EXPECT_EQ(after[0]["kid"], next_kid);
  Device device = RegisterDevice(user_id_);
  MarkCompliant(device);
  json tokens = SignInWithDevice(device);
  std::string header =
      *crypto::Base64UrlDecode(tokens["id_token"].get<std::string>().substr(
          0, tokens["id_token"].get<std::string>().find('.')));
  EXPECT_EQ(json::parse(header)["kid"], next_kid);
}

} // namespace
} // namespace gatehouse::integration
