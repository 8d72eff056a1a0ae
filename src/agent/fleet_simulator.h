// `gatehouse-agent simulate`: N virtual Linux devices against a UEM, for load and end-to-end
// tests. Each device has its own P-256 key and device secret, in memory only. It enrols
// (POST /uem/v1/enroll), optionally hands a directory device id to the UEM (directoryLink), then
// checks in every `interval` for `duration` with strictly increasing sequence numbers. Before each
// check-in the device's posture flips between "good" (storage encrypted, firewall and Secure Boot
// on) and "bad" (storage not encrypted, firewall off) with probability `drift`; devices start good.
//
// A *transition* is recorded whenever an accepted check-in's complianceState or compliant flag
// differs from the device's previous answer (the first accepted answer counts): (uemDeviceId,
// directoryDeviceId, sequence, complianceState, compliant = the answer's "compliant", or when
// absent complianceState compliant|inGracePeriod). The e2e test uses the last
// transition of every device to check what the IdP finally holds.
//
// Work is spread over `concurrency` threads (devices are partitioned, so each device's check-ins
// stay in order). Randomness is seeded (`seed`); timings are not deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/server_client.h"

namespace gatehouse::agent {

struct SimulationOptions {
  ServerUrl uem;
  std::string enrollment_token;
  int devices = 10;
  double drift = 0.1;  // probability that a device's posture flips before a check-in
  absl::Duration duration = absl::Seconds(10);
  absl::Duration interval = absl::Seconds(1);  // per device; 0 = as fast as possible
  int concurrency = 4;
  std::uint64_t seed = 1;
  // Device i (0-based) links to directory_ids[i] when present.
  std::vector<std::string> directory_ids;
};

struct SimulatedTransition {
  std::string uem_device_id;
  std::string directory_device_id;
  std::int64_t sequence = 0;
  std::string compliance_state;
  bool compliant = false;
  bool posture_good = false;
};

struct SimulationSummary {
  int devices = 0;
  int enrolled = 0;
  int linked = 0;
  std::int64_t checkins_sent = 0;
  std::int64_t accepted = 0;
  std::int64_t not_accepted = 0;  // answered 200 with "accepted": false
  std::int64_t errors = 0;        // transport errors and non-200 answers (enrolment included)
  std::int64_t posture_changes = 0;
  double enroll_seconds = 0;
  double checkin_seconds = 0;
  double latency_ms_p50 = 0, latency_ms_p90 = 0, latency_ms_p99 = 0, latency_ms_max = 0;
  std::vector<std::string> error_samples;  // the first few error messages
  std::vector<SimulatedTransition> transitions;
};

// InvalidArgument for bad options (devices < 1, drift outside [0,1], ...). Server errors are
// counted, not returned.
absl::StatusOr<SimulationSummary> RunSimulation(const SimulationOptions& options);

// {"devices", "enrolled", "linked", "checkinsSent", "accepted", "notAccepted", "errors",
//  "postureChanges", "transitions", "enrollSeconds", "checkinSeconds", "checkinsPerSecond",
//  "latencyMs": {"p50","p90","p99","max"}, "errorSamples": [...]}
std::string SummaryJson(const SimulationSummary& summary);
// One JSON object per line: {"uemDeviceId","directoryDeviceId","sequence","complianceState",
// "compliant","postureGood"}, in the order they happened per device.
std::string TransitionsJsonLines(const SimulationSummary& summary);

}  // namespace gatehouse::agent
