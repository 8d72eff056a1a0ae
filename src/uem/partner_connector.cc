#include "uem/partner_connector.h"

#include <random>

#include "absl/strings/numbers.h"
#include "core/status_macros.h"
#include "core/text.h"
#include "http/http_server.h"
#include "http/metrics.h"
#include "nlohmann/json.hpp"
#include "uem/partner_update.h"

namespace gatehouse::uem {

using nlohmann::json;

namespace {


}  // namespace

absl::StatusOr<ParsedUrl> ParseHttpUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    return absl::InvalidArgumentError(
        "partner IdP URL " + url + ": https is not supported by the connector yet; reach the IdP "
        "over http on a private network or loopback (see docs/uem.md)");
  }
  if (url.rfind(scheme, 0) != 0) return absl::InvalidArgumentError("partner IdP URL " + url + ": expected http://host:port");
  std::string rest = url.substr(scheme.size());
  ParsedUrl parsed;
  auto slash = rest.find('/');
  if (slash != std::string::npos) {
    parsed.base_path = rest.substr(slash);
    while (!parsed.base_path.empty() && parsed.base_path.back() == '/') parsed.base_path.pop_back();
    rest = rest.substr(0, slash);
  }
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']') == std::string::npos) {
    int port = 0;
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port <= 0 || port > 65535) {
      return absl::InvalidArgumentError("partner IdP URL " + url + ": bad port");
    }
    parsed.port = static_cast<std::uint16_t>(port);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return absl::InvalidArgumentError("partner IdP URL " + url + ": no host");
  parsed.host = rest;
  return parsed;
}

std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max, double unit) {
  double cap = static_cast<double>(initial.count());
  for (int i = 0; i < attempt && cap < static_cast<double>(max.count()); ++i) cap *= 2;
  cap = std::min(cap, static_cast<double>(max.count()));
  return std::chrono::milliseconds(std::max<std::int64_t>(10, static_cast<std::int64_t>(cap * unit)));
}

absl::StatusOr<std::unique_ptr<PartnerConnector>> PartnerConnector::Create(UemService& service,
                                                                           ConnectorOptions options) {
  GH_ASSIGN_OR_RETURN(ParsedUrl url, ParseHttpUrl(options.idp_url));
  if (options.client_id.empty() || options.client_secret.empty()) {
    return absl::InvalidArgumentError("the partner connector needs a client id and secret");
  }
  if (auto* m = options.metrics) {
    m->DeclareGauge("gatehouse_partner_outbox_backlog", "Partner outbox rows not yet delivered");
    m->DeclareGauge("gatehouse_partner_outbox_oldest_age_seconds",
                    "Age of the oldest undelivered partner outbox row");
    m->DeclareHistogram("gatehouse_partner_delivery_lag_seconds",
                        "Time from a verdict's commit to the IdP's acknowledgement",
                        {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300});
    m->DeclareCounter("gatehouse_partner_deliveries_total", "Partner API calls by result");
    m->DeclareCounter("gatehouse_partner_delivered_updates_total",
                      "Updates acknowledged by the IdP, by status");
  }
  return std::unique_ptr<PartnerConnector>(
      new PartnerConnector(service, std::move(options), std::move(url)));
}

PartnerConnector::PartnerConnector(UemService& service, ConnectorOptions options, ParsedUrl url)
    : service_(service), options_(std::move(options)), url_(std::move(url)) {}

PartnerConnector::~PartnerConnector() { Stop(); }

void PartnerConnector::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void PartnerConnector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PartnerConnector::Wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

absl::StatusOr<std::string> PartnerConnector::Token() {
  if (!token_.empty() && std::chrono::steady_clock::now() < token_expires_) return token_;
  http::ClientRequest request;
  request.method = "POST";
  request.target = url_.base_path + "/oauth2/v2.0/token";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = "grant_type=client_credentials&client_id=" + core::PercentEncode(options_.client_id) +
                 "&client_secret=" + core::PercentEncode(options_.client_secret) +
                 "&scope=" + core::PercentEncode(kPartnerScope);
  GH_ASSIGN_OR_RETURN(http::HttpResponse response,
                      http::Fetch(url_.host, url_.port, request, options_.request_timeout));
  json body = json::parse(response.body, nullptr, false);
  if (response.status != 200 || !body.is_object() || !body.contains("access_token")) {
    return absl::UnavailableError("token request answered " + std::to_string(response.status) +
                                  ": " + response.body.substr(0, 300));
  }
  token_ = body["access_token"].get<std::string>();
  const int lifetime = body.value("expires_in", 3600);
  token_expires_ = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(30, lifetime - 60));
  return token_;
}

void PartnerConnector::UpdateBacklogMetrics() {
  if (!options_.metrics) return;
  if (auto backlog = service_.OutboxBacklog(); backlog.ok()) {
    options_.metrics->Set("gatehouse_partner_outbox_backlog", {}, static_cast<double>(*backlog));
  }
  if (auto oldest = service_.OldestOutboxRow(); oldest.ok()) {
    options_.metrics->Set("gatehouse_partner_outbox_oldest_age_seconds", {},
                          *oldest ? absl::ToDoubleSeconds(service_.Now() - **oldest) : 0.0);
  }
}

absl::StatusOr<int> PartnerConnector::DeliverOnce() {
  GH_ASSIGN_OR_RETURN(std::vector<OutboxRow> rows, service_.PeekOutbox(options_.batch_size));
  if (rows.empty()) return 0;
  GH_ASSIGN_OR_RETURN(std::string token, Token());
  json value = json::array();
  for (const auto& row : rows) {
    json item = json::parse(row.body, nullptr, false);
    value.push_back(item.is_discarded() ? json::object() : item);
  }
  http::ClientRequest request;
  request.method = "POST";
  request.target = url_.base_path + kPartnerCompliancePath;
  request.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}};
  request.body = json{{"value", value}}.dump();
  auto response = http::Fetch(url_.host, url_.port, request, options_.request_timeout);
  auto count = [&](const std::string& result) {
    if (options_.metrics) options_.metrics->Increment("gatehouse_partner_deliveries_total", {{"result", result}});
  };
  if (!response.ok()) {
    count("unreachable");
    return response.status();
  }
  if (response->status == 401) token_.clear();
  if (response->status != 200) {
    count(std::to_string(response->status));
    return absl::UnavailableError("partner API answered " + std::to_string(response->status) +
                                  ": " + response->body.substr(0, 300));
  }
  json body = json::parse(response->body, nullptr, false);
  if (!body.is_object() || !body.contains("value") || !body["value"].is_array() ||
      body["value"].size() != rows.size()) {
    count("badAnswer");
    return absl::UnavailableError("partner API answer does not list one result per update");
  }
  std::vector<std::int64_t> acked;
  const absl::Time now = service_.Now();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    acked.push_back(rows[i].seq);
    if (options_.metrics) {
      options_.metrics->Increment("gatehouse_partner_delivered_updates_total",
                                  {{"status", body["value"][i].value("status", "unknown")}});
      options_.metrics->Observe("gatehouse_partner_delivery_lag_seconds", {},
                                absl::ToDoubleSeconds(now - rows[i].created));
    }
  }
  GH_RETURN_IF_ERROR(service_.AckOutbox(acked));
  count("ok");
  return static_cast<int>(acked.size());
}

void PartnerConnector::Loop() {
  std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int failures = 0;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      woken_ = false;
    }
    auto delivered = DeliverOnce();
    UpdateBacklogMetrics();
    std::chrono::milliseconds wait{1000};
    if (!delivered.ok()) {
      wait = BackoffDelay(failures++, options_.initial_backoff, options_.max_backoff, unit(rng));
    } else {
      failures = 0;
      if (*delivered > 0) continue;  // more may be waiting
    }
    std::unique_lock<std::mutex> lock(mutex_);
    // After a failure only Stop interrupts the backoff; otherwise new rows wake us at once.
    const bool failed = !delivered.ok();
    wake_.wait_for(lock, wait, [&] { return stopping_ || (!failed && woken_); });
    if (stopping_) return;
  }
}

}  // namespace gatehouse::uem
