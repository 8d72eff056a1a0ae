#include "agent/proof_responder.h"

#include <memory>
#include <string>

#include "crypto/crypto.h"
#include "gtest/gtest.h"
#include "http/http_server.h"
#include "idp/device_proof.h"
#include "nlohmann/json.hpp"

namespace gatehouse::agent {
namespace {

constexpr char kOrigin[] = "http://127.0.0.1:8080";
constexpr char kDeviceId[] = "2f7c1a4e-0000-4000-8000-000000000001";

struct Fixture {
  std::shared_ptr<const crypto::SigningKey> key =
      std::make_shared<const crypto::SigningKey>(*crypto::SigningKey::Generate("device"));
  http::Handler handler = DeviceProofHandler({kOrigin, kDeviceId, key});

  http::HttpResponse Send(const std::string& method, const std::string& origin,
                          std::map<std::string, std::string> query) {
    http::HttpRequest request;
    request.method = method;
    request.path = "/v1/device-proof";
    request.target = "/v1/device-proof";
    request.query = std::move(query);
    if (!origin.empty()) request.headers["origin"] = origin;
    return handler(request);
  }
};

std::string HeaderOf(const http::HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(DeviceProofResponder, SignsNonceDotBindingForTheIdpOrigin) {
  Fixture f;
  const http::HttpResponse response =
      f.Send("GET", kOrigin, {{"nonce", "n0nce-abc_123"}, {"binding", "authz-1.x"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Origin"), kOrigin);
  EXPECT_EQ(HeaderOf(response, "Vary"), "Origin");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-store");
  const nlohmann::json body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["deviceId"], kDeviceId);
  EXPECT_EQ(body["nonce"], "n0nce-abc_123");
  EXPECT_EQ(body["binding"], "authz-1.x");
  const std::string signature = body["signature"];
  EXPECT_EQ(signature.size(), 86u);
  const auto public_key = idp::DevicePublicKey::FromJwk(f.key->PublicJwk());
  ASSERT_TRUE(public_key.ok());
  EXPECT_TRUE(public_key->VerifySignature(idp::DeviceProofPayload("n0nce-abc_123", "authz-1.x"),
                                          signature));
  EXPECT_FALSE(public_key->VerifySignature(idp::DeviceProofPayload("n0nce-abc_123", "authz-2"),
                                           signature));
}

TEST(DeviceProofResponder, ProofPassesTheIdpVerifier) {
  Fixture f;
  const absl::Time now = absl::FromUnixSeconds(1714557600);
  idp::DeviceProofVerifier verifier;
  const std::string nonce = *verifier.IssueNonce(idp::DeviceProofPurpose::kSignIn, "authz-7", now);
  const http::HttpResponse response =
      f.Send("GET", kOrigin, {{"nonce", nonce}, {"binding", "authz-7"}});
  ASSERT_EQ(response.status, 200);
  const nlohmann::json body = nlohmann::json::parse(response.body);
  const auto key = idp::DevicePublicKey::FromJwk(f.key->PublicJwk());
  const std::string signature = body["signature"];
  EXPECT_TRUE(verifier.VerifySignInProof(*key, nonce, "authz-7", signature, now).ok());
}

TEST(DeviceProofResponder, RefusesOtherOriginsWithoutCorsHeaders) {
  Fixture f;
  for (const std::string origin :
       {"http://evil.example", "http://127.0.0.1:8081", "https://127.0.0.1:8080", "null",
        "http://127.0.0.1:8080/", ""}) {
    const http::HttpResponse response =
        f.Send("GET", origin, {{"nonce", "abc"}, {"binding", "authz-1"}});
    EXPECT_EQ(response.status, 403) << origin;
    EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Origin"), "") << origin;
    EXPECT_EQ(response.body.find("signature"), std::string::npos);
  }
}

TEST(DeviceProofResponder, AnswersThePreflightWithPrivateNetworkAccess) {
  Fixture f;
  const http::HttpResponse preflight = f.Send("OPTIONS", kOrigin, {});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(HeaderOf(preflight, "Access-Control-Allow-Origin"), kOrigin);
  EXPECT_EQ(HeaderOf(preflight, "Access-Control-Allow-Private-Network"), "true");
  EXPECT_EQ(HeaderOf(preflight, "Access-Control-Allow-Methods"), "GET");
  EXPECT_EQ(HeaderOf(preflight, "Vary"), "Origin");
  EXPECT_EQ(f.Send("OPTIONS", "http://evil.example", {}).status, 403);
}

TEST(DeviceProofResponder, RefusesMalformedNoncesAndBindings) {
  Fixture f;
  EXPECT_EQ(f.Send("GET", kOrigin, {{"binding", "authz-1"}}).status, 400);
  EXPECT_EQ(f.Send("GET", kOrigin, {{"nonce", "abc"}}).status, 400);
  EXPECT_EQ(f.Send("GET", kOrigin, {{"nonce", "a.b"}, {"binding", "authz-1"}}).status, 400);
  EXPECT_EQ(f.Send("GET", kOrigin, {{"nonce", std::string(129, 'a')}, {"binding", "x"}}).status,
            400);
  EXPECT_EQ(f.Send("GET", kOrigin, {{"nonce", "abc"}, {"binding", "has space"}}).status, 400);
  EXPECT_EQ(f.Send("GET", kOrigin, {{"nonce", "abc"}, {"binding", std::string(513, 'b')}}).status,
            400);
  EXPECT_EQ(f.Send("POST", kOrigin, {{"nonce", "abc"}, {"binding", "x"}}).status, 405);
}

TEST(DeviceProofResponder, RefusesWhileTheDeviceIsNotRegistered) {
  Fixture f;
  f.handler = DeviceProofHandler({kOrigin, "", f.key});
  const http::HttpResponse response =
      f.Send("GET", kOrigin, {{"nonce", "abc"}, {"binding", "authz-1"}});
  EXPECT_EQ(response.status, 409);
  EXPECT_NE(response.body.find("register"), std::string::npos);
}

TEST(DeviceProofResponder, ServesOnLoopback) {
  Fixture f;
  absl::StatusOr<std::unique_ptr<http::HttpServer>> server =
      StartProofResponder({kOrigin, kDeviceId, f.key}, 0);
  ASSERT_TRUE(server.ok()) << server.status();
  http::ClientRequest request;
  request.target = "/v1/device-proof?nonce=abc123&binding=authz-9";
  request.headers = {{"Origin", kOrigin}};
  const absl::StatusOr<http::HttpResponse> response =
      http::Fetch("127.0.0.1", (*server)->port(), request);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->status, 200) << response->body;
  const nlohmann::json body = nlohmann::json::parse(response->body);
  const auto key = idp::DevicePublicKey::FromJwk(f.key->PublicJwk());
  EXPECT_TRUE(key->VerifySignature("abc123.authz-9", body["signature"].get<std::string>()));
  request.headers = {{"Origin", "http://evil.example"}};
  EXPECT_EQ(http::Fetch("127.0.0.1", (*server)->port(), request)->status, 403);
  (*server)->Shutdown(std::chrono::seconds(1));
}

}  // namespace
}  // namespace gatehouse::agent
