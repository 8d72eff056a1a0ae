#include "uem/partner_connector.h"

#include <mutex>

#include "gtest/gtest.h"
#include "http/http_server.h"
#include "uem_test_util.h"

namespace gatehouse::uem {
namespace {

using namespace gatehouse::uem::testing;  // NOLINT

TEST(Backoff, GrowsExponentiallyWithFullJitterUpToTheCap) {
  using std::chrono::milliseconds;
  EXPECT_EQ(BackoffDelay(0, milliseconds(200), milliseconds(5000), 0.999).count(), 199);
  EXPECT_EQ(BackoffDelay(3, milliseconds(200), milliseconds(5000), 0.5).count(), 800);
  EXPECT_EQ(BackoffDelay(30, milliseconds(200), milliseconds(5000), 0.5).count(), 2500);
  EXPECT_EQ(BackoffDelay(2, milliseconds(200), milliseconds(5000), 0.0).count(), 10);
}

TEST(ParseHttpUrl, AcceptsHostPortAndPathAndRefusesHttps) {
  auto url = ParseHttpUrl("http://127.0.0.1:8080/base/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->base_path, "/base");
  EXPECT_EQ(ParseHttpUrl("http://idp.example")->port, 80);
  EXPECT_EQ(ParseHttpUrl("https://idp.example").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHttpUrl("ftp://x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHttpUrl("http://x:99999").status().code(), absl::StatusCode::kInvalidArgument);
}

// A stand-in IdP: issues tokens, answers the partner API with a settable status, records updates.
class FakeIdp {
 public:
  FakeIdp() {
    router_.Add("POST", "/oauth2/v2.0/token", [this](http::HttpRequest&) {
      std::lock_guard<std::mutex> lock(mu_);
      ++tokens_;
      return http::HttpResponse::Json(200, R"({"access_token":"t)" + std::to_string(tokens_) +
                                               R"(","expires_in":3600})");
    });
    router_.Add("POST", "/partner/v1/deviceCompliance", [this](http::HttpRequest& r) {
      std::lock_guard<std::mutex> lock(mu_);
      if (answer_ != 200) return http::HttpResponse::Json(answer_, "{}");
      json body = json::parse(r.body);
      json results = json::array();
      for (const auto& u : body["value"]) {
        received_.push_back(u);
        results.push_back({{"deviceId", u["deviceId"]}, {"status", "applied"}});
      }
      authorizations_.push_back(r.Header("authorization"));
      return http::HttpResponse::Json(200, json{{"value", results}}.dump());
    });
    http::HttpServerOptions options;
    options.port = 0;
    options.io_threads = 1;
    options.rate_limit_per_second = 0;
    auto server = http::HttpServer::Start(options, [this](http::HttpRequest& r) { return router_.Dispatch(r); });
    EXPECT_TRUE(server.ok());
    server_ = std::move(*server);
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void set_answer(int status) {
    std::lock_guard<std::mutex> lock(mu_);
    answer_ = status;
  }
  std::vector<json> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  int tokens() {
    std::lock_guard<std::mutex> lock(mu_);
    return tokens_;
  }

 private:
  http::Router router_;
  std::mutex mu_;
  int answer_ = 200;
  int tokens_ = 0;
  std::vector<json> received_;
  std::vector<std::string> authorizations_;
  std::unique_ptr<http::HttpServer> server_;
};

class ConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UemOptions options;
    options.data_dir = dir_.path();
    options.clock = [this] { return clock_.Now(); };
    options.start_sweeper = false;
    service_ = std::move(*UemService::Open(options));
    ASSERT_TRUE(service_->PutPolicy(LinuxPolicy("linux", 0), std::nullopt, true).ok());
    ASSERT_TRUE(service_->AssignPolicy("linux", AllDevices()).ok());
    auto token = service_->CreateEnrollmentToken({});
    auto enrolled = service_->Enroll({{"enrollmentToken", (*token)["token"]}, {"publicKey", PublicJwk()}});
    id_ = (*enrolled)["deviceId"];
    ASSERT_TRUE(service_->LinkDirectoryDevice(id_, "dir-1").ok());
    ConnectorOptions c;
    c.idp_url = idp_.Url();
    c.client_id = "partner";
    c.client_secret = "secret";
    c.batch_size = 3;
    connector_ = std::move(*PartnerConnector::Create(*service_, c));
  }

  TempDir dir_;
  FakeClock clock_;
  FakeIdp idp_;
  std::unique_ptr<UemService> service_;
  std::string id_;
  std::unique_ptr<PartnerConnector> connector_;
};

TEST_F(ConnectorTest, RowsStayUntilTheIdpTakesThemAndArriveInOrder) {
  for (int seq = 1; seq <= 5; ++seq) {
    ASSERT_TRUE(service_->CheckIn(id_, CheckInBody(seq, seq % 2 == 0, true)).ok());
  }
  idp_.set_answer(503);
  EXPECT_FALSE(connector_->DeliverOnce().ok());
  EXPECT_EQ(*service_->OutboxBacklog(), 5);
  idp_.set_answer(200);
  EXPECT_EQ(*connector_->DeliverOnce(), 3);  // one batch
  EXPECT_EQ(*connector_->DeliverOnce(), 2);
  EXPECT_EQ(*connector_->DeliverOnce(), 0);
  EXPECT_EQ(*service_->OutboxBacklog(), 0);
  auto received = idp_.received();
  ASSERT_EQ(received.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(received[i]["sequence"], i + 1);
    EXPECT_EQ(received[i]["deviceId"], "dir-1");
    EXPECT_EQ(received[i]["compliant"], (i + 1) % 2 == 0);
  }
  EXPECT_EQ(idp_.tokens(), 1);  // the token is cached
}

TEST_F(ConnectorTest, AnUnauthorizedAnswerFetchesANewToken) {
  ASSERT_TRUE(service_->CheckIn(id_, CheckInBody(1, true, true)).ok());
  EXPECT_EQ(*connector_->DeliverOnce(), 1);
  ASSERT_TRUE(service_->CheckIn(id_, CheckInBody(2, false, true)).ok());
  idp_.set_answer(401);
  EXPECT_FALSE(connector_->DeliverOnce().ok());
  idp_.set_answer(200);
  EXPECT_EQ(*connector_->DeliverOnce(), 1);
  EXPECT_EQ(idp_.tokens(), 2);
}

TEST_F(ConnectorTest, TheThreadDeliversWhenWokenAndAfterTheIdpComesBack) {
  idp_.set_answer(503);
  connector_->Start();
  service_->SetOutboxListener([this] { connector_->Wake(); });
  ASSERT_TRUE(service_->CheckIn(id_, CheckInBody(1, true, true)).ok());
  ASSERT_TRUE(service_->CheckIn(id_, CheckInBody(2, false, true)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(idp_.received().empty());
  idp_.set_answer(200);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (idp_.received().size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  connector_->Stop();
  ASSERT_EQ(idp_.received().size(), 2u);
  EXPECT_EQ(idp_.received()[1]["sequence"], 2);
}

}  // namespace
}  // namespace gatehouse::uem
