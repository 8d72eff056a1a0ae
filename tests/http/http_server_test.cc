#include "http/http_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/metrics.h"
#include "http/promtool.h"
#include "http/raw_connection.h"
#include "nlohmann/json.hpp"

namespace gatehouse::http {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::RawConnection;

constexpr char kLocalhost[] = "127.0.0.1";

std::string HeaderOf(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return value;
    }
  }
  return "";
}

HttpServerOptions TestOptions() {
  HttpServerOptions options;
  options.host = kLocalhost;
  options.port = 0;
  options.io_threads = 2;
  options.rate_limit_per_second = 0;
  return options;
}

Router TestRouter() {
  Router router;
  router.Add("GET", "/v1.0/users/{id}", [](HttpRequest& request) {
    return HttpResponse::Json(200, nlohmann::json{{"id", request.path_params["id"]}}.dump());
  });
  router.Add("POST", "/echo", [](HttpRequest& request) {
    nlohmann::json echo = {{"method", request.method},
                           {"path", request.path},
                           {"query", request.query},
                           {"body", request.body},
                           {"remote", request.remote_address},
                           {"request_id", request.request_id},
                           {"custom", request.Header("X-Custom")}};
    return HttpResponse::Json(200, echo.dump());
  });
  router.Add("GET", "/ping", [](HttpRequest&) { return HttpResponse::Text(200, "pong"); });
  router.Add("GET", "/throw", [](HttpRequest&) -> HttpResponse {
    throw std::runtime_error("secret internal detail");
  });
  return router;
}

std::unique_ptr<HttpServer> StartServer(HttpServerOptions options, Handler handler) {
  auto server = HttpServer::Start(std::move(options), std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

std::unique_ptr<HttpServer> StartRoutedServer(HttpServerOptions options = TestOptions()) {
  auto router = std::make_shared<Router>(TestRouter());
  return StartServer(std::move(options),
                     [router](HttpRequest& request) { return router->Dispatch(request); });
}

absl::StatusOr<HttpResponse> Get(const HttpServer& server, std::string target,
                                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  ClientRequest request;
  request.target = std::move(target);
  request.headers = std::move(headers);
  return Fetch(kLocalhost, server.port(), request);
}

TEST(HttpServer, ServesRoutedRequestsWithPathParameters) {
  auto server = StartRoutedServer();
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 0);
  auto response = Get(*server, "/v1.0/users/u%201");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"id":"u 1"})");
  EXPECT_EQ(HeaderOf(*response, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(*response, "Server"), "gatehouse");
}

TEST(HttpServer, AnswersUnknownPathsWith404AndOtherMethodsWith405) {
  auto server = StartRoutedServer();
  auto missing = Get(*server, "/nowhere");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(HeaderOf(*missing, "Content-Type"), "application/problem+json");

  ClientRequest request;
  request.method = "DELETE";
  request.target = "/ping";
  auto wrong_method = Fetch(kLocalhost, server->port(), request);
  ASSERT_TRUE(wrong_method.ok());
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(HeaderOf(*wrong_method, "Allow"), "GET");
}

TEST(HttpServer, PassesDecodedQueryBodyHeadersAndPeerAddressToTheHandler) {
  auto server = StartRoutedServer();
  ClientRequest request;
  request.method = "POST";
  request.target = "/echo?%24top=5&name=a+b%26c";
  request.headers = {{"X-Custom", "yes"}, {"Content-Type", "text/plain"}};
  request.body = "hello body";
  auto response = Fetch(kLocalhost, server->port(), request);
  ASSERT_TRUE(response.ok()) << response.status();
  auto echo = nlohmann::json::parse(response->body);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["path"], "/echo");
  EXPECT_EQ(echo["query"]["$top"], "5");
  EXPECT_EQ(echo["query"]["name"], "a b&c");
  EXPECT_EQ(echo["body"], "hello body");
  EXPECT_EQ(echo["remote"], "127.0.0.1");
  EXPECT_EQ(echo["custom"], "yes");
  EXPECT_EQ(echo["request_id"], HeaderOf(*response, "X-Request-Id"));
}

TEST(HttpServer, KeepsAConnectionAliveAcrossRequests) {
  auto server = StartRoutedServer();
  auto connection = RawConnection::Connect(server->port());
  ASSERT_NE(connection, nullptr);
  std::set<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(connection->Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.has_value()) << "request " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "pong");
    ids.insert(response->headers["x-request-id"]);
  }
  EXPECT_EQ(ids.size(), 2u);
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
  auto server = StartRoutedServer();
  auto connection = RawConnection::Connect(server->port());
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(
      connection->Send("GET /v1.0/users/first HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /v1.0/users/second HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = connection->ReadResponse();
  auto second = connection->ReadResponse();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->body, R"({"id":"first"})");
  EXPECT_EQ(second->body, R"({"id":"second"})");
}

TEST(HttpServer, ClosesTheConnectionWhenTheClientAsksForIt) {
  auto server = StartRoutedServer();
  auto connection = RawConnection::Connect(server->port());
  ASSERT_TRUE(connection->Send("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->headers["connection"], "close");
  EXPECT_TRUE(connection->SeesClose());
}

TEST(HttpServer, AnswersExpectContinueBeforeReadingTheBody) {
  auto server = StartRoutedServer();
  auto connection = RawConnection::Connect(server->port());
  ASSERT_TRUE(connection->Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = connection->ReadResponse();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(connection->Send("abcde"));
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(nlohmann::json::parse(response->body)["body"], "abcde");
}

TEST(HttpServer, Answers413ForABodyOverTheLimit) {
  HttpServerOptions options = TestOptions();
  options.max_body_bytes = 1024;
  auto server = StartRoutedServer(options);
  ClientRequest request;
  request.method = "POST";
  request.target = "/echo";
  request.body = std::string(64 * 1024, 'x');
  auto response = Fetch(kLocalhost, server->port(), request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(HeaderOf(*response, "Content-Type"), "application/problem+json");
  EXPECT_THAT(response->body, HasSubstr("1024 bytes"));
  EXPECT_FALSE(HeaderOf(*response, "X-Request-Id").empty());

  request.body = std::string(1024, 'x');  // exactly at the limit
  auto accepted = Fetch(kLocalhost, server->port(), request);
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->status, 200);
}

TEST(HttpServer, Answers431ForHeadersOverTheLimit) {
  auto server = StartRoutedServer();  // 16 KiB of header by default
  auto response = Get(*server, "/ping", {{"X-Big", std::string(32 * 1024, 'h')}});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(HeaderOf(*response, "Content-Type"), "application/problem+json");
}

TEST(HttpServer, Answers400ForAMalformedRequestAndCloses) {
  auto server = StartRoutedServer();
  auto connection = RawConnection::Connect(server->port());
  ASSERT_TRUE(connection->Send("G\x01T /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->headers["content-type"], "application/problem+json");
  EXPECT_TRUE(connection->SeesClose());
}

TEST(HttpServer, Answers400ForAMalformedPercentEscape) {
  auto server = StartRoutedServer();
  auto response = Get(*server, "/v1.0/users/a%zz");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 400);
}

TEST(HttpServer, Answers429WithRetryAfterWhenAClientExceedsItsRate) {
  HttpServerOptions options = TestOptions();
  options.rate_limit_per_second = 0.001;  // no refill within the test
  options.rate_limit_burst = 2;
  auto server = StartRoutedServer(options);
  EXPECT_EQ(Get(*server, "/ping")->status, 200);
  EXPECT_EQ(Get(*server, "/ping")->status, 200);
  auto limited = Get(*server, "/ping");
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(HeaderOf(*limited, "Retry-After"), "1000");
  EXPECT_EQ(HeaderOf(*limited, "Content-Type"), "application/problem+json");
}

TEST(HttpServer, GeneratesAUniqueRequestIdForEveryResponse) {
  auto server = StartRoutedServer();
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto response = Get(*server, i % 2 == 0 ? "/ping" : "/nowhere");
    ASSERT_TRUE(response.ok());
    const std::string id = HeaderOf(*response, "X-Request-Id");
    EXPECT_THAT(id, MatchesRegex("[0-9a-f]{16}-[0-9a-f]+"));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 5u);
}

TEST(HttpServer, KeepsASaneRequestIdSentByTheClient) {
  auto server = StartRoutedServer();
  auto response = Get(*server, "/ping", {{"X-Request-Id", "trace-abc_123.4:5"}});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(HeaderOf(*response, "X-Request-Id"), "trace-abc_123.4:5");
}

TEST(HttpServer, ReplacesAClientRequestIdThatIsTooLongOrHasOddCharacters) {
  auto server = StartRoutedServer();
  for (const std::string& sent :
       {std::string(129, 'a'), std::string("a b"), std::string("<script>")}) {
    auto response = Get(*server, "/ping", {{"X-Request-Id", sent}});
    ASSERT_TRUE(response.ok());
    EXPECT_THAT(HeaderOf(*response, "X-Request-Id"), MatchesRegex("[0-9a-f]{16}-[0-9a-f]+"));
  }
}

TEST(HttpServer, AnswersAThrowingHandlerWith500AndKeepsServing) {
  auto server = StartRoutedServer();
  auto failed = Get(*server, "/throw");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(HeaderOf(*failed, "Content-Type"), "application/problem+json");
  EXPECT_THAT(failed->body, ::testing::Not(HasSubstr("secret")));
  auto next = Get(*server, "/ping");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->status, 200);
}

TEST(HttpServer, DropsHandlerHeadersThatWouldBreakFraming) {
  auto server = StartServer(TestOptions(), [](HttpRequest&) {
    HttpResponse response = HttpResponse::Text(200, "ok");
    response.headers.emplace_back("Content-Length", "999");
    response.headers.emplace_back("X-Injected", "a\r\nSet-Cookie: evil=1");
    response.headers.emplace_back("X-Fine", "1");
    return response;
  });
  auto connection = RawConnection::Connect(server->port());
  ASSERT_TRUE(connection->Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "ok");
  EXPECT_EQ(response->headers["x-fine"], "1");
  EXPECT_EQ(response->headers.count("x-injected"), 0u);
  EXPECT_EQ(response->headers.count("set-cookie"), 0u);
}

TEST(HttpServer, AnswersHeadWithTheLengthButWithoutTheBody) {
  auto server =
      StartServer(TestOptions(), [](HttpRequest&) { return HttpResponse::Text(200, "abc"); });
  ClientRequest request;
  request.method = "HEAD";
  auto response = Fetch(kLocalhost, server->port(), request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(HeaderOf(*response, "Content-Length"), "3");
  EXPECT_EQ(response->body, "");
  // The connection stays usable: the next response is not mistaken for a body.
  auto connection = RawConnection::Connect(server->port());
  ASSERT_TRUE(
      connection->Send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  // Read the HEAD answer's header only, then the GET answer.
  auto head = connection->ReadResponseWithoutBody();
  ASSERT_TRUE(head.has_value());
  auto get = connection->ReadResponse();
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->body, "abc");
}

TEST(HttpServer, SendsNoBodyWithA204EvenIfTheHandlerGaveOne) {
  auto server =
      StartServer(TestOptions(), [](HttpRequest&) { return HttpResponse::Text(204, "ignored"); });
  auto connection = RawConnection::Connect(server->port());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(connection->Send("DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 204);
    EXPECT_EQ(response->body, "");
  }
}

TEST(HttpServer, AnswersAnInvalidHandlerStatusWith500) {
  auto server = StartServer(TestOptions(), [](HttpRequest&) {
    HttpResponse response;
    response.status = 42;
    return response;
  });
  auto response = Fetch(kLocalhost, server->port(), ClientRequest{});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 500);
}

TEST(HttpServer, ShutdownLetsAnInFlightRequestFinishAndThenRefusesConnections) {
  std::promise<void> entered;
  auto entered_future = entered.get_future();
  auto server = StartServer(TestOptions(), [&entered](HttpRequest&) {
    entered.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return HttpResponse::Text(200, "slow done");
  });
  ASSERT_NE(server, nullptr);
  const std::uint16_t port = server->port();
  auto in_flight =
      std::async(std::launch::async, [port] { return Fetch(kLocalhost, port, ClientRequest{}); });
  auto waiter = std::async(std::launch::async, [&server] { server->Wait(); });
  entered_future.wait();
  server->Shutdown(std::chrono::seconds(10));

  auto response = in_flight.get();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slow done");
  waiter.get();  // Wait() has returned
  auto refused = Fetch(kLocalhost, port, ClientRequest{}, std::chrono::seconds(2));
  EXPECT_FALSE(refused.ok());
}

TEST(HttpServer, ShutdownClosesIdleKeepAliveConnections) {
  auto server = StartRoutedServer();
  auto connection = RawConnection::Connect(server->port());
  ASSERT_TRUE(connection->Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(connection->ReadResponse().has_value());
  server->Shutdown(std::chrono::seconds(10));
  EXPECT_TRUE(connection->SeesClose());
}

TEST(HttpServer, ShutdownTwiceAndDestructionAfterShutdownAreSafe) {
  auto server = StartRoutedServer();
  server->Shutdown();
  server->Shutdown();
  server->Wait();
  server.reset();
  SUCCEED();
}

TEST(HttpServer, ClosesAConnectionIdleLongerThanTheIdleTimeout) {
  HttpServerOptions options = TestOptions();
  options.idle_timeout = std::chrono::seconds(1);
  auto server = StartRoutedServer(options);
  auto connection = RawConnection::Connect(server->port());
  ASSERT_TRUE(connection->Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(connection->ReadResponse().has_value());
  EXPECT_TRUE(connection->SeesClose());  // blocks until the server closes (recv timeout 10 s)
}

TEST(HttpServer, RecordsRequestCountsAndLatenciesInPrometheusFormat) {
  MetricsRegistry metrics;
  HttpServerOptions options = TestOptions();
  options.metrics = &metrics;
  auto server = StartRoutedServer(options);
  ASSERT_EQ(Get(*server, "/ping")->status, 200);
  ASSERT_EQ(Get(*server, "/ping")->status, 200);
  ASSERT_EQ(Get(*server, "/nowhere")->status, 404);
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("gatehouse_http_requests_total{method=\"GET\",status=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("gatehouse_http_requests_total{method=\"GET\",status=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE gatehouse_http_request_duration_seconds histogram\n"));
  EXPECT_THAT(
      text,
      HasSubstr("gatehouse_http_request_duration_seconds_bucket{method=\"GET\",le=\"0.0005\"}"));
  EXPECT_THAT(text, HasSubstr("gatehouse_http_request_duration_seconds_count{method=\"GET\"} 3\n"));
  const auto check = testing::CheckWithPromtool(text);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << text;
}

TEST(HttpServer, LabelsUnknownMethodsAsOtherInMetrics) {
  MetricsRegistry metrics;
  HttpServerOptions options = TestOptions();
  options.metrics = &metrics;
  auto server = StartRoutedServer(options);
  ClientRequest request;
  request.method = "BREW";
  request.target = "/ping";
  ASSERT_EQ(Fetch(kLocalhost, server->port(), request)->status, 405);
  EXPECT_THAT(metrics.Render(),
              HasSubstr("gatehouse_http_requests_total{method=\"other\",status=\"405\"} 1\n"));
}

TEST(HttpServer, ReportsAnAddressInUse) {
  auto first = StartRoutedServer();
  HttpServerOptions options = TestOptions();
  options.port = first->port();
  auto second = HttpServer::Start(options, [](HttpRequest&) { return HttpResponse{}; });
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(HttpServer, RefusesTlsWithOnlyOneFileOrUnreadableFiles) {
  HttpServerOptions options = TestOptions();
  options.tls_certificate_file = "/nonexistent/cert.pem";
  auto one_file = HttpServer::Start(options, [](HttpRequest&) { return HttpResponse{}; });
  EXPECT_EQ(one_file.status().code(), absl::StatusCode::kInvalidArgument);
  options.tls_private_key_file = "/nonexistent/key.pem";
  auto missing = HttpServer::Start(options, [](HttpRequest&) { return HttpResponse{}; });
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/cert.pem"));
}

// A self-signed certificate for 127.0.0.1, made with the openssl command.
struct TestCertificate {
  std::filesystem::path directory;
  std::string certificate;
  std::string key;
};

TestCertificate MakeSelfSignedCertificate() {
  TestCertificate files;
  files.directory =
      std::filesystem::temp_directory_path() / ("gatehouse_tls_" + std::to_string(::getpid()));
  std::filesystem::create_directories(files.directory);
  files.certificate = (files.directory / "cert.pem").string();
  files.key = (files.directory / "key.pem").string();
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
      " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
      files.key + "' -out '" + files.certificate + "' >/dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0);
  return files;
}

// One GET over TLS with OpenSSL directly, verifying the server against `ca_file`; returns the raw
// response text or "" on failure.
std::string TlsGet(std::uint16_t port, const std::string& ca_file, const std::string& target) {
  auto connection = RawConnection::Connect(port);
  if (!connection) return "";
  std::string text;
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(context, ca_file.c_str(), nullptr) == 1) {
    SSL* ssl = SSL_new(context);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
    SSL_set_fd(ssl, connection->fd());
    if (SSL_connect(ssl) == 1) {
      const std::string request =
          "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
      SSL_write(ssl, request.data(), static_cast<int>(request.size()));
      char chunk[4096];
      int n;
      while ((n = SSL_read(ssl, chunk, sizeof chunk)) > 0) text.append(chunk, n);
    }
    SSL_free(ssl);
  }
  SSL_CTX_free(context);
  return text;
}

TEST(HttpServer, ServesOverTlsWithACertificateAndKey) {
  const TestCertificate files = MakeSelfSignedCertificate();
  HttpServerOptions options = TestOptions();
  options.tls_certificate_file = files.certificate;
  options.tls_private_key_file = files.key;
  auto server = StartRoutedServer(options);
  ASSERT_NE(server, nullptr);
  const std::string response = TlsGet(server->port(), files.certificate, "/ping");
  EXPECT_THAT(response, HasSubstr("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\n\r\npong"));
  // Plain HTTP against the TLS port gets no HTTP answer.
  auto plain = Get(*server, "/ping");
  EXPECT_FALSE(plain.ok());
  server->Shutdown();
  std::filesystem::remove_all(files.directory);
}

TEST(Fetch, ReportsARefusedConnectionAsUnavailable) {
  std::uint16_t port;
  {
    auto server = StartRoutedServer();
    port = server->port();
  }
  auto response = Fetch(kLocalhost, port, ClientRequest{}, std::chrono::seconds(2));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
}

TEST(Fetch, TimesOutWhenTheServerNeverAnswers) {
  // A listening socket that never accepts: connect succeeds (kernel backlog), no answer comes.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  auto response =
      Fetch(kLocalhost, ntohs(address.sin_port), ClientRequest{}, std::chrono::milliseconds(200));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  ::close(listener);
}

}  // namespace
}  // namespace gatehouse::http
