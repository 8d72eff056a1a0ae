// The HTTP/1.1 server (Boost.Beast/Asio behind a pimpl): asynchronous, keep-alive, one io thread
// per core (configurable), limits on header and body size and on request rate per client IP,
// a request id on every response, and graceful shutdown (stop accepting, let in-flight requests
// finish, then close). Optional TLS with a PEM certificate and key.
//
// The handler runs on an io thread; it must not block for long (CPU-heavy work such as password
// hashing belongs on a bounded pool).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "http/http_types.h"

namespace gatehouse::http {

class MetricsRegistry;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 = pick a free port (see HttpServer::port())
  int io_threads = 0;         // 0 = one per core
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::seconds idle_timeout{60};      // keep-alive connections idle longer are closed
  std::chrono::seconds request_timeout{30};   // reading one request may take at most this long
  double rate_limit_per_second = 100;  // per client IP, token bucket; 0 disables
  double rate_limit_burst = 200;
  std::string tls_certificate_file;  // PEM; TLS is on when both files are set
  std::string tls_private_key_file;
  MetricsRegistry* metrics = nullptr;  // when set, request counts and latencies are recorded
};

class HttpServer {
 public:
  // Binds and starts serving. Errors: address in use, bad TLS files, ...
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           Handler handler);
  ~HttpServer();  // Shutdown() if still running

  std::uint16_t port() const;
  // Stops accepting, waits up to `grace` for in-flight requests, then closes everything.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Blocks until Shutdown() has completed (from another thread or a signal handler thread).
  void Wait();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A small blocking HTTP/1.1 client for tests, tools and the partner connector.
struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
absl::StatusOr<HttpResponse> Fetch(const std::string& host, std::uint16_t port,
                                   const ClientRequest& request,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace gatehouse::http
