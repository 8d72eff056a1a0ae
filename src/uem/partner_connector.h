// The partner connector: delivers the UEM's outbox (uem_service.h) to the IdP's partner
// compliance API (POST /partner/v1/deviceCompliance) over HTTP with a client-credentials token
// holding DeviceCompliance.ReadWrite.Partner.
//
// Delivery is at-least-once and in outbox order: rows are sent in batches (oldest first) and
// deleted only after the IdP answered 200 for the batch (applied, duplicate and outOfOrder all
// mean the IdP has that update or a newer one; unknownDevice and invalid are counted and dropped
// so one bad row cannot block the queue). Any other answer (connection refused, 5xx, 429, 401)
// keeps the rows and retries after an exponential backoff with full jitter; a 401 also drops the
// cached token. The outbox is in uem.db, so a restart of either side loses nothing.
//
// Metrics: gatehouse_partner_outbox_backlog, gatehouse_partner_outbox_oldest_age_seconds,
// gatehouse_partner_delivery_lag_seconds (created → acknowledged), gatehouse_partner_deliveries_total
// {result}, gatehouse_partner_delivered_updates_total{status}.
//
// Thread-safety: Start/Stop/Wake from any thread; delivery runs on one thread of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "uem/uem_service.h"

namespace gatehouse::http {
class MetricsRegistry;
}

namespace gatehouse::uem {

struct ConnectorOptions {
  std::string idp_url;  // http://host:port (plain HTTP; TLS terminates in front for now)
  std::string client_id;
  std::string client_secret;
  int batch_size = 200;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds request_timeout{10000};
  http::MetricsRegistry* metrics = nullptr;
};

struct ParsedUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string base_path;  // without a trailing slash
};
// Accepts http://host[:port][/path]; InvalidArgument otherwise (https is refused with a reason).
absl::StatusOr<ParsedUrl> ParseHttpUrl(const std::string& url);

// Delay before retry number `attempt` (0-based): uniform in [0, min(max, initial * 2^attempt)]
// ("full jitter"), at least 10 ms. `unit` in [0, 1) is the random draw.
std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max, double unit);

class PartnerConnector {
 public:
  static absl::StatusOr<std::unique_ptr<PartnerConnector>> Create(UemService& service,
                                                                  ConnectorOptions options);
  ~PartnerConnector();

  void Start();
  void Stop();
  void Wake();  // new outbox rows

  // One delivery attempt of the oldest batch (the thread's step; tests call it directly).
  // Returns the number of rows acknowledged; an error when the IdP could not take the batch.
  absl::StatusOr<int> DeliverOnce();

 private:
  PartnerConnector(UemService& service, ConnectorOptions options, ParsedUrl url);
  void Loop();
  absl::StatusOr<std::string> Token();
  void UpdateBacklogMetrics();

  UemService& service_;
  ConnectorOptions options_;
  ParsedUrl url_;
  std::string token_;
  std::chrono::steady_clock::time_point token_expires_{};

  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gatehouse::uem
