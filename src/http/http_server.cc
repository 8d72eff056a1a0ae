// The Beast/Asio server and client. This is the only translation unit that includes Beast (see
// internal/asio.h).
//
// Threading: every connection (Session) runs on its own strand, so a session's handlers never run
// concurrently; the request handler runs synchronously on that strand. Shutdown() talks to
// sessions only by posting to their strand.
//
// Connection life cycle:
//   [TLS handshake] -> read (idle_timeout until the first byte, then request_timeout for the
//   rest of the request) -> handle -> write -> read ... until the client closes, asks for
//   Connection: close, a limit is hit (error response, then a lingering close), or the server
//   shuts down (idle connections are closed at once; busy ones after their current response).
#include "http/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "http/internal/asio.h"  // all Beast/Asio; it includes <utility> before Asio itself
#include "http/internal/rate_limiter.h"
#include "http/internal/request_target.h"
#include "http/internal/status_text.h"
#include "http/metrics.h"

namespace gatehouse::http {

namespace asio = internal::asio;
namespace beast = internal::beast;
namespace bhttp = internal::bhttp;
using internal::tcp;

namespace {

constexpr char kRequestsTotal[] = "gatehouse_http_requests_total";
constexpr char kRequestDuration[] = "gatehouse_http_request_duration_seconds";
constexpr std::size_t kMaxRequestIdLength = 128;
// How long a closing connection keeps draining unread input so that the peer sees our response
// rather than a reset.
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr std::size_t kLingerMaxBytes = 64 * 1024 * 1024;

using Clock = std::chrono::steady_clock;

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == ':';
  });
}

// Method label for metrics: a fixed set, so clients cannot explode the series count.
std::string MethodLabel(std::string_view method) {
  static constexpr std::string_view kKnown[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                "PATCH", "DELETE", "OPTIONS"};
  for (std::string_view known : kKnown) {
    if (method == known) return std::string(known);
  }
  return "other";
}

bool IsToken(std::string_view text) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecials.find(c) != kSpecials.npos;
  });
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

bool IsBenignReadError(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::bad_descriptor || ec == asio::ssl::error::stream_truncated ||
         ec == beast::error::timeout;
}

bool IsParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

}  // namespace

// What Shutdown() needs from a connection, independent of its stream type.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Both post to the session's strand.
  virtual void BeginShutdown() = 0;
  virtual void ForceClose() = 0;
};

struct HttpServer::Impl {
  Impl(HttpServerOptions opts, Handler h)
      : options(std::move(opts)),
        handler(std::move(h)),
        limiter(options.rate_limit_per_second, options.rate_limit_burst),
        ssl_context(asio::ssl::context::tls_server),
        thread_count(options.io_threads > 0
                         ? options.io_threads
                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
        io_context(thread_count),
        acceptor(asio::make_strand(io_context)),
        accept_retry_timer(acceptor.get_executor()) {
    std::random_device random;
    request_id_prefix = fmt::format("{:08x}{:08x}", random(), random());
  }

  absl::Status Listen();
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void RunThreads();

  std::uint64_t Register(std::weak_ptr<SessionBase> session) {
    std::lock_guard<std::mutex> lock(mutex);
    const std::uint64_t id = next_session_id++;
    sessions.emplace(id, std::move(session));
    return id;
  }
  void Unregister(std::uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex);
    sessions.erase(id);
    if (sessions.empty()) sessions_cv.notify_all();
  }
  std::vector<std::shared_ptr<SessionBase>> LiveSessions() {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::shared_ptr<SessionBase>> live;
    for (auto& [id, weak] : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    return live;
  }

  std::string NextRequestId() {
    return fmt::format("{}-{:x}", request_id_prefix, request_counter.fetch_add(1) + 1);
  }

  // Order matters for destruction: everything sessions touch in their destructors (the session
  // table, the TLS context) is declared before the io_context, so it outlives the handlers the
  // io_context destroys.
  HttpServerOptions options;
  Handler handler;
  internal::TokenBucketLimiter limiter;
  bool tls = false;
  asio::ssl::context ssl_context;
  std::string request_id_prefix;
  std::atomic<std::uint64_t> request_counter{0};
  std::atomic<bool> stopping{false};
  int thread_count;

  std::mutex mutex;
  std::condition_variable sessions_cv;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
  std::uint64_t next_session_id = 1;

  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool shutdown_started = false;
  bool done = false;

  asio::io_context io_context;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry_timer;
  std::uint16_t bound_port = 0;
  std::vector<std::thread> threads;
};

namespace {

template <bool kTls>
using StreamFor = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

template <bool kTls>
class Session : public SessionBase, public std::enable_shared_from_this<Session<kTls>> {
 public:
  Session(HttpServer::Impl& server, tcp::socket socket, std::string remote_address)
      : server_(server),
        stream_(MakeStream(server, std::move(socket))),
        remote_address_(std::move(remote_address)) {}

  ~Session() override {
    if (id_ != 0) server_.Unregister(id_);
  }

  void Start() {
    id_ = server_.Register(this->weak_from_this());
    asio::dispatch(Executor(), [self = this->shared_from_this()] { self->Begin(); });
  }

  void BeginShutdown() override {
    asio::post(Executor(), [self = this->shared_from_this()] { self->OnShutdown(); });
  }

  void ForceClose() override {
    asio::post(Executor(), [self = this->shared_from_this()] { self->CloseNow(); });
  }

 private:
  enum class State { kHandshake, kReading, kBusy, kClosing };

  static StreamFor<kTls> MakeStream(HttpServer::Impl& server, tcp::socket socket) {
    if constexpr (kTls) {
      return StreamFor<kTls>(std::move(socket), server.ssl_context);
    } else {
      (void)server;
      return StreamFor<kTls>(std::move(socket));
    }
  }

  auto Executor() { return stream_.get_executor(); }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void Begin() {
    if constexpr (kTls) {
      state_ = State::kHandshake;
      Tcp().expires_after(server_.options.request_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->CloseNow();
                                self->Read();
                              });
    } else {
      Read();
    }
  }

  // True when no byte of a next request has arrived: such a connection can be closed at
  // shutdown without losing anything.
  bool NothingReceived() {
    beast::error_code ec;
    const std::size_t available = Tcp().socket().available(ec);
    return buffer_.size() == 0 && (!parser_ || !parser_->got_some()) && !ec && available == 0;
  }

  void OnShutdown() {
    if (state_ == State::kReading && NothingReceived()) CloseNow();
    if (state_ == State::kHandshake) CloseNow();
    // Busy sessions see `stopping` when their response is written and close then.
  }

  void Read() {
    if (server_.stopping && NothingReceived()) return CloseNow();
    state_ = State::kReading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(server_.options.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(server_.options.max_body_bytes);
    if (buffer_.size() > 0) {  // pipelined bytes are already here
      read_started_ = Clock::now();
      return ReadHeader();
    }
    Tcp().expires_after(server_.options.idle_timeout);
    bhttp::async_read_some(stream_, buffer_, *parser_,
                           [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) return self->OnReadError(ec);
                             self->read_started_ = Clock::now();
                             self->ReadHeader();
                           });
  }

  void ReadHeader() {
    Tcp().expires_after(server_.options.request_timeout);
    if (parser_->is_header_done()) return OnHeader();
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec) return self->OnReadError(ec);
                               self->OnHeader();
                             });
  }

  void OnHeader() {
    if (parser_->is_done()) return OnRequest();
    const auto& header = parser_->get();
    if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
      continue_.emplace(bhttp::status::continue_, header.version());
      return bhttp::async_write(
          stream_, *continue_,
          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->CloseNow();
            self->ReadBody();
          });
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->OnReadError(ec);
                        self->OnRequest();
                      });
  }

  void OnReadError(const beast::error_code& ec) {
    // A timeout has already closed the socket (beast::tcp_stream), so no 408 can be written.
    if (IsBenignReadError(ec) || !IsParseError(ec)) return CloseNow();
    state_ = State::kBusy;
    const std::string method =
        parser_ && parser_->is_header_done() ? std::string(parser_->get().method_string()) : "";
    if (ec == bhttp::error::body_limit) {
      return SendError(method, Problem(413, internal::ReasonPhrase(413),
                                       fmt::format("the request body exceeds {} bytes",
                                                   server_.options.max_body_bytes)));
    }
    if (ec == bhttp::error::header_limit) {
      return SendError(method, Problem(431, internal::ReasonPhrase(431),
                                       fmt::format("the request header exceeds {} bytes",
                                                   server_.options.max_header_bytes)));
    }
    SendError(method,
              Problem(400, internal::ReasonPhrase(400), "malformed HTTP request: " + ec.message()));
  }

  // An answer to a request we could not read completely: always closes the connection.
  void SendError(const std::string& method, HttpResponse response) {
    if (!read_started_) read_started_ = Clock::now();
    const std::string request_id = server_.NextRequestId();
    Write(method, request_id, std::move(response), /*keep_alive=*/false, /*version=*/11);
  }

  void OnRequest() {
    state_ = State::kBusy;
    auto message = parser_->release();
    const std::string method(message.method_string());

    HttpRequest request;
    request.method = method;
    request.target = std::string(message.target());
    request.remote_address = remote_address_;
    for (const auto& field : message) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      auto [it, inserted] = request.headers.try_emplace(std::move(name), field.value());
      if (!inserted) {
        it->second += ", ";
        it->second.append(field.value().data(), field.value().size());
      }
    }
    auto sent_id = request.headers.find("x-request-id");
    request.request_id = sent_id != request.headers.end() && IsSaneRequestId(sent_id->second)
                             ? sent_id->second
                             : server_.NextRequestId();
    request.body = std::move(message.body());
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();

    auto target = internal::ParseRequestTarget(request.target);
    if (!target.ok()) {
      return Write(
          method, request.request_id,
          Problem(400, internal::ReasonPhrase(400), std::string(target.status().message())), false,
          version);
    }
    request.path = std::move(target->path);
    request.query = std::move(target->query);

    const auto decision = server_.limiter.Acquire(remote_address_, Clock::now());
    if (!decision.allowed) {
      HttpResponse response = Problem(429, internal::ReasonPhrase(429),
                                      "too many requests from this client; retry later");
      response.SetHeader("Retry-After", std::to_string(decision.retry_after_seconds));
      return Write(method, request.request_id, std::move(response), keep_alive, version);
    }

    HttpResponse response;
    try {
      response = server_.handler(request);
    } catch (const std::exception&) {
      response = Problem(500, internal::ReasonPhrase(500), "the request could not be completed");
    } catch (...) {
      response = Problem(500, internal::ReasonPhrase(500), "the request could not be completed");
    }
    Write(method, request.request_id, std::move(response), keep_alive, version);
  }

  void Write(const std::string& method, const std::string& request_id, HttpResponse response,
             bool keep_alive, unsigned version) {
    state_ = State::kBusy;
    if (response.status < 200 || response.status > 599) {
      response =
          Problem(500, internal::ReasonPhrase(500), "the handler produced an invalid status");
    }
    keep_alive = keep_alive && !server_.stopping;
    response_.emplace();
    response_->version(version == 10 ? 10 : 11);
    response_->result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) {
      // Framing headers are ours; header text with line breaks would split the response.
      if (!IsToken(name) || HasLineBreak(value) || beast::iequals(name, "content-length") ||
          beast::iequals(name, "transfer-encoding") || beast::iequals(name, "connection")) {
        continue;
      }
      response_->insert(name, value);
    }
    response_->set(bhttp::field::server, "gatehouse");
    response_->set("X-Request-Id", request_id);
    response_->keep_alive(keep_alive);
    if (response.status == 204 || response.status == 304) {
      response.body.clear();  // these statuses have no body
    }
    if (method == "HEAD") {
      // The length of the body a GET would have had, and no body.
      response_->content_length(response.body.size());
    } else {
      response_->body() = std::move(response.body);
      response_->prepare_payload();
    }
    keep_alive_ = keep_alive;

    if (MetricsRegistry* metrics = server_.options.metrics) {
      const std::string label = MethodLabel(method);
      const double seconds =
          std::chrono::duration<double>(Clock::now() - read_started_.value_or(Clock::now()))
              .count();
      metrics->Increment(kRequestsTotal,
                         {{"method", label}, {"status", std::to_string(response.status)}});
      metrics->Observe(kRequestDuration, {{"method", label}}, seconds);
    }
    read_started_.reset();

    Tcp().expires_after(server_.options.request_timeout);
    bhttp::async_write(stream_, *response_,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         self->response_.reset();
                         if (ec) return self->CloseNow();
                         if (!self->keep_alive_ || self->server_.stopping) {
                           return self->LingerClose();
                         }
                         self->Read();
                       });
  }

  // Half-closes and drains what the peer still sends, so that it reads our last response instead
  // of a reset caused by unread input; gives up after kLingerTimeout or kLingerMaxBytes.
  void LingerClose() {
    state_ = State::kClosing;
    if constexpr (kTls) {
      // close_notify, then wait (bounded) for the peer's before closing the socket.
      Tcp().expires_after(kLingerTimeout);
      return stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->CloseNow(); });
    }
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Tcp().expires_after(kLingerTimeout);
    Drain();
  }

  void Drain() {
    Tcp().async_read_some(asio::buffer(drain_buffer_),
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->drained_ += n;
                            if (ec || self->drained_ > kLingerMaxBytes) return self->CloseNow();
                            self->Drain();
                          });
  }

  void CloseNow() {
    state_ = State::kClosing;
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Tcp().socket().close(ignored);
  }

  HttpServer::Impl& server_;
  StreamFor<kTls> stream_;
  std::string remote_address_;
  std::uint64_t id_ = 0;
  State state_ = State::kReading;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  std::optional<Clock::time_point> read_started_;
  bool keep_alive_ = false;
  std::array<char, 16 * 1024> drain_buffer_{};
  std::size_t drained_ = 0;
};

}  // namespace

absl::Status HttpServer::Impl::Listen() {
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) {
    tcp::resolver resolver(io_context);
    auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("cannot resolve listen host '{}': {}", options.host, ec.message()));
    }
    address = results.begin()->endpoint().address();
  }
  const tcp::endpoint endpoint(address, options.port);
  const std::string where = fmt::format("{}:{}", options.host, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return absl::UnavailableError(fmt::format("cannot listen on {}: {}", where, ec.message()));
  bound_port = acceptor.local_endpoint(ec).port();
  return absl::OkStatus();
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept(
      asio::make_strand(io_context),
      [this](beast::error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping || ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    // Out of descriptors and similar: back off briefly instead of spinning.
    accept_retry_timer.expires_after(std::chrono::milliseconds(50));
    accept_retry_timer.async_wait([this](beast::error_code timer_ec) {
      if (!timer_ec && !stopping) Accept();
    });
    return;
  }
  beast::error_code endpoint_ec;
  const auto remote = socket.remote_endpoint(endpoint_ec);
  std::string address = endpoint_ec ? "" : remote.address().to_string();
  if (tls) {
    std::make_shared<Session<true>>(*this, std::move(socket), std::move(address))->Start();
  } else {
    std::make_shared<Session<false>>(*this, std::move(socket), std::move(address))->Start();
  }
  Accept();
}

void HttpServer::Impl::RunThreads() {
  for (int i = 0; i < thread_count; ++i) {
    threads.emplace_back([this] {
      // Handlers catch their own exceptions; anything escaping here is a bug in this file, and
      // the io loop keeps running rather than taking the process down.
      for (;;) {
        try {
          io_context.run();
          return;
        } catch (...) {
        }
      }
    });
  }
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                              Handler handler) {
  if (!handler) return absl::InvalidArgumentError("HttpServer needs a handler");
  const bool want_tls =
      !options.tls_certificate_file.empty() || !options.tls_private_key_file.empty();
  if (want_tls && (options.tls_certificate_file.empty() || options.tls_private_key_file.empty())) {
    return absl::InvalidArgumentError("TLS needs both a certificate file and a private key file");
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  if (want_tls) {
    beast::error_code ec;
    impl->ssl_context.set_options(asio::ssl::context::default_workarounds |
                                  asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                                  asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                                  asio::ssl::context::single_dh_use);
    impl->ssl_context.use_certificate_chain_file(impl->options.tls_certificate_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          fmt::format("TLS certificate {}: {}", impl->options.tls_certificate_file, ec.message()));
    }
    impl->ssl_context.use_private_key_file(impl->options.tls_private_key_file,
                                           asio::ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          fmt::format("TLS private key {}: {}", impl->options.tls_private_key_file, ec.message()));
    }
    impl->tls = true;
  }
  if (MetricsRegistry* metrics = impl->options.metrics) {
    metrics->DeclareCounter(kRequestsTotal, "HTTP requests answered, by method and status code.");
    metrics->DeclareHistogram(
        kRequestDuration, "Time from reading an HTTP request to handing over its response.",
        {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  }
  if (absl::Status status = impl->Listen(); !status.ok()) return status;
  impl->Accept();
  impl->RunThreads();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

std::uint16_t HttpServer::port() const { return impl_->bound_port; }

// Must not be called from a handler (it joins the io threads).
void HttpServer::Shutdown(std::chrono::milliseconds grace) {
  Impl& server = *impl_;
  {
    std::unique_lock<std::mutex> lock(server.done_mutex);
    if (server.shutdown_started) {
      server.done_cv.wait(lock, [&server] { return server.done; });
      return;
    }
    server.shutdown_started = true;
  }
  server.stopping = true;
  asio::post(server.acceptor.get_executor(), [&server] {
    beast::error_code ignored;
    server.acceptor.close(ignored);
    server.accept_retry_timer.cancel();
  });
  for (auto& session : server.LiveSessions()) session->BeginShutdown();
  {
    std::unique_lock<std::mutex> lock(server.mutex);
    server.sessions_cv.wait_for(lock, grace, [&server] { return server.sessions.empty(); });
  }
  // Past the grace period: close whatever is left (a handler still running finishes first, as it
  // cannot be interrupted; its response then fails to write).
  for (auto& session : server.LiveSessions()) session->ForceClose();
  {
    std::unique_lock<std::mutex> lock(server.mutex);
    server.sessions_cv.wait_for(lock, std::chrono::seconds(1),
                                [&server] { return server.sessions.empty(); });
  }
  server.io_context.stop();
  for (std::thread& thread : server.threads) {
    if (thread.joinable()) thread.join();
  }
  server.threads.clear();
  beast::error_code ignored;
  server.acceptor.close(ignored);  // the io threads are gone: no concurrent access
  {
    std::lock_guard<std::mutex> lock(server.done_mutex);
    server.done = true;
  }
  server.done_cv.notify_all();
}

void HttpServer::Wait() {
  std::unique_lock<std::mutex> lock(impl_->done_mutex);
  impl_->done_cv.wait(lock, [this] { return impl_->done; });
}

// A blocking client: one connection per call, plain TCP.
absl::StatusOr<HttpResponse> Fetch(const std::string& host, std::uint16_t port,
                                   const ClientRequest& request,
                                   std::chrono::milliseconds timeout) {
  asio::io_context io_context;
  beast::error_code ec;
  tcp::resolver resolver(io_context);
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return absl::UnavailableError(fmt::format("resolve {}: {}", host, ec.message()));

  bhttp::request<bhttp::string_body> message;
  message.version(11);
  message.method_string(request.method);
  message.target(request.target);
  message.set(bhttp::field::host, fmt::format("{}:{}", host, port));
  message.set(bhttp::field::user_agent, "gatehouse");
  for (const auto& [name, value] : request.headers) message.insert(name, value);
  message.body() = request.body;
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    message.prepare_payload();
  }

  beast::tcp_stream stream(io_context);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(256 * 1024 * 1024);
  parser.skip(request.method == "HEAD");  // a HEAD response announces a body it does not carry
  beast::error_code result;
  std::string stage = "connect";
  const auto deadline = Clock::now() + timeout;

  stream.expires_at(deadline);
  stream.async_connect(endpoints, [&](beast::error_code connect_ec, const tcp::endpoint&) {
    if (connect_ec) {
      result = connect_ec;
      return;
    }
    stage = "write";
    stream.expires_at(deadline);
    bhttp::async_write(stream, message, [&](beast::error_code write_ec, std::size_t) {
      // The server may answer (413, 431) and close before reading everything; still read.
      stage = "read";
      stream.expires_at(deadline);
      bhttp::async_read(stream, buffer, parser, [&](beast::error_code read_ec, std::size_t) {
        result = read_ec ? read_ec : beast::error_code();
        if (read_ec && write_ec) result = write_ec;
      });
    });
  });
  io_context.run();
  stream.socket().close(ec);

  if (result) {
    const std::string text = fmt::format("{} {}:{}: {}", stage, host, port, result.message());
    if (result == beast::error::timeout) return absl::DeadlineExceededError(text);
    return absl::UnavailableError(text);
  }
  auto& message_in = parser.get();
  HttpResponse response;
  response.status = static_cast<int>(message_in.result_int());
  for (const auto& field : message_in) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message_in.body());
  return response;
}

}  // namespace gatehouse::http
