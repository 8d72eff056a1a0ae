#include "agent/fleet_simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>

#include "core/iso_time.h"
#include "crypto/crypto.h"
#include "nlohmann/json.hpp"

namespace gatehouse::agent {
namespace {

using Clock = std::chrono::steady_clock;

struct VirtualDevice {
  int index = 0;
  std::string uem_device_id;
  std::string secret;
  std::string directory_device_id;
  std::int64_t next_sequence = 1;
  bool posture_good = true;
  std::string last_state;  // "" until the first accepted answer
  Clock::time_point due;
};

nlohmann::json PostureOf(const VirtualDevice& device, absl::Time now) {
  nlohmann::json posture = {
      {"deviceId", device.directory_device_id.empty() ? device.uem_device_id
                                                      : device.directory_device_id},
      {"operatingSystem", "Linux"},
      {"osVersion", "12"},
      {"osDistribution", "debian"},
      {"kernelVersion", "6.1.0-18-amd64"},
      {"manufacturer", "Gatehouse"},
      {"model", "Simulated device"},
      {"storageEncrypted", device.posture_good},
      {"firewallEnabled", device.posture_good},
      {"secureBootEnabled", true},
      {"pendingSecurityUpdates", 0},
      {"observedDateTime", core::FormatIsoDateTime(now)}};
  return posture;
}

// What one worker thread accumulates; merged at the end.
struct WorkerResult {
  int enrolled = 0;
  int linked = 0;
  std::int64_t sent = 0, accepted = 0, not_accepted = 0, errors = 0, posture_changes = 0;
  std::vector<double> latencies_ms;
  std::vector<std::string> error_samples;
  std::vector<SimulatedTransition> transitions;

  void Error(const absl::Status& status) {
    ++errors;
    if (error_samples.size() < 5) error_samples.emplace_back(status.message());
  }
};

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = p * static_cast<double>(sorted.size() - 1);
  return sorted[static_cast<std::size_t>(std::llround(rank))];
}

void EnrollDevices(const SimulationOptions& options, std::vector<VirtualDevice*>& devices,
                   WorkerResult& result) {
  for (VirtualDevice* device : devices) {
    absl::StatusOr<crypto::SigningKey> key =
        crypto::SigningKey::Generate("sim-" + std::to_string(device->index));
    if (!key.ok()) {
      result.Error(key.status());
      continue;
    }
    EnrollRequest request;
    request.enrollment_token = options.enrollment_token;
    request.public_jwk = key->PublicJwk();
    request.hostname = "sim-" + std::to_string(device->index);
    request.os_version = "12";
    absl::StatusOr<Enrollment> enrollment = Enroll(options.uem, request);
    if (!enrollment.ok()) {
      result.Error(enrollment.status());
      continue;
    }
    device->uem_device_id = enrollment->device_id;
    device->secret = enrollment->device_secret;
    ++result.enrolled;
    const auto index = static_cast<std::size_t>(device->index);
    if (index < options.directory_ids.size() && !options.directory_ids[index].empty()) {
      const absl::Status link = PostDirectoryLink(options.uem, device->uem_device_id,
                                                  device->secret, options.directory_ids[index]);
      if (link.ok()) {
        device->directory_device_id = options.directory_ids[index];
        ++result.linked;
      } else {
        result.Error(link);
      }
    }
  }
}

void CheckInDevices(const SimulationOptions& options, std::vector<VirtualDevice*>& devices,
                    Clock::time_point end, std::uint64_t seed, WorkerResult& result) {
  std::mt19937_64 random(seed);
  std::bernoulli_distribution flip(options.drift);
  const auto interval = absl::ToChronoMicroseconds(options.interval);
  std::vector<VirtualDevice*> active;
  for (VirtualDevice* device : devices) {
    if (!device->uem_device_id.empty()) active.push_back(device);
  }
  if (active.empty()) return;
  // Stagger the first check-ins over one interval.
  const Clock::time_point start = Clock::now();
  for (std::size_t i = 0; i < active.size(); ++i) {
    active[i]->due = start + interval * static_cast<long>(i) / static_cast<long>(active.size());
  }
  std::size_t next = 0;
  while (true) {
    VirtualDevice& device = *active[next];
    next = (next + 1) % active.size();
    Clock::time_point now = Clock::now();
    if (device.due > now) {
      if (device.due >= end) break;
      std::this_thread::sleep_until(device.due);
      now = Clock::now();
    }
    if (now >= end) break;
    device.due = std::max(device.due + interval, now);
    if (flip(random)) {
      device.posture_good = !device.posture_good;
      ++result.posture_changes;
    }
    const std::int64_t sequence = device.next_sequence++;
    const nlohmann::json posture = PostureOf(device, absl::Now());
    const Clock::time_point sent_at = Clock::now();
    absl::StatusOr<CheckInAnswer> answer =
        CheckIn(options.uem, device.uem_device_id, device.secret, sequence, posture);
    result.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - sent_at).count());
    ++result.sent;
    if (!answer.ok()) {
      result.Error(answer.status());
      continue;
    }
    if (!answer->accepted) {
      ++result.not_accepted;
      continue;
    }
    ++result.accepted;
    const std::string observed =
        answer->compliance_state + (answer->compliant.value_or(false) ? "+" : "-");
    if (observed != device.last_state) {
      device.last_state = observed;
      SimulatedTransition transition;
      transition.uem_device_id = device.uem_device_id;
      transition.directory_device_id = device.directory_device_id;
      transition.sequence = sequence;
      transition.compliance_state = answer->compliance_state;
      transition.compliant = answer->compliant.value_or(
          answer->compliance_state == "compliant" || answer->compliance_state == "inGracePeriod");
      transition.posture_good = device.posture_good;
      result.transitions.push_back(std::move(transition));
    }
  }
}

}  // namespace

absl::StatusOr<SimulationSummary> RunSimulation(const SimulationOptions& options) {
  if (options.devices < 1 || options.devices > 1000000) {
    return absl::InvalidArgumentError("--devices must be between 1 and 1000000");
  }
  if (!(options.drift >= 0 && options.drift <= 1)) {
    return absl::InvalidArgumentError("--drift must be a probability between 0 and 1");
  }
  if (options.duration < absl::ZeroDuration() || options.interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--duration and --interval must not be negative");
  }
  if (options.concurrency < 1 || options.concurrency > 256) {
    return absl::InvalidArgumentError("--concurrency must be between 1 and 256");
  }
  std::vector<VirtualDevice> devices(static_cast<std::size_t>(options.devices));
  const int workers = std::min(options.concurrency, options.devices);
  std::vector<std::vector<VirtualDevice*>> partitions(static_cast<std::size_t>(workers));
  for (std::size_t i = 0; i < devices.size(); ++i) {
    devices[i].index = static_cast<int>(i);
    partitions[i % partitions.size()].push_back(&devices[i]);
  }
  std::vector<WorkerResult> results(partitions.size());

  auto run_all = [&](auto&& body) {
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < partitions.size(); ++w) {
      threads.emplace_back([&, w] { body(w); });
    }
    for (std::thread& thread : threads) thread.join();
  };

  SimulationSummary summary;
  summary.devices = options.devices;
  const Clock::time_point enroll_start = Clock::now();
  run_all([&](std::size_t w) { EnrollDevices(options, partitions[w], results[w]); });
  const Clock::time_point checkin_start = Clock::now();
  summary.enroll_seconds = std::chrono::duration<double>(checkin_start - enroll_start).count();
  const Clock::time_point end = checkin_start + absl::ToChronoMicroseconds(options.duration);
  run_all([&](std::size_t w) {
    CheckInDevices(options, partitions[w], end, options.seed * 1000003u + w, results[w]);
  });
  summary.checkin_seconds =
      std::chrono::duration<double>(Clock::now() - checkin_start).count();

  std::vector<double> latencies;
  for (WorkerResult& result : results) {
    summary.enrolled += result.enrolled;
    summary.linked += result.linked;
    summary.checkins_sent += result.sent;
    summary.accepted += result.accepted;
    summary.not_accepted += result.not_accepted;
    summary.errors += result.errors;
    summary.posture_changes += result.posture_changes;
    latencies.insert(latencies.end(), result.latencies_ms.begin(), result.latencies_ms.end());
    for (std::string& sample : result.error_samples) {
      if (summary.error_samples.size() < 5) summary.error_samples.push_back(std::move(sample));
    }
    for (SimulatedTransition& transition : result.transitions) {
      summary.transitions.push_back(std::move(transition));
    }
  }
  std::sort(latencies.begin(), latencies.end());
  summary.latency_ms_p50 = Percentile(latencies, 0.50);
  summary.latency_ms_p90 = Percentile(latencies, 0.90);
  summary.latency_ms_p99 = Percentile(latencies, 0.99);
  summary.latency_ms_max = latencies.empty() ? 0 : latencies.back();
  return summary;
}

std::string SummaryJson(const SimulationSummary& summary) {
  auto round3 = [](double value) { return std::round(value * 1000) / 1000; };
  const nlohmann::json json = {
      {"devices", summary.devices},
      {"enrolled", summary.enrolled},
      {"linked", summary.linked},
      {"checkinsSent", summary.checkins_sent},
      {"accepted", summary.accepted},
      {"notAccepted", summary.not_accepted},
      {"errors", summary.errors},
      {"postureChanges", summary.posture_changes},
      {"transitions", summary.transitions.size()},
      {"enrollSeconds", round3(summary.enroll_seconds)},
      {"checkinSeconds", round3(summary.checkin_seconds)},
      {"checkinsPerSecond",
       summary.checkin_seconds > 0
           ? round3(static_cast<double>(summary.checkins_sent) / summary.checkin_seconds)
           : 0.0},
      {"latencyMs",
       {{"p50", round3(summary.latency_ms_p50)},
        {"p90", round3(summary.latency_ms_p90)},
        {"p99", round3(summary.latency_ms_p99)},
        {"max", round3(summary.latency_ms_max)}}},
      {"errorSamples", summary.error_samples}};
  return json.dump(2);
}

std::string TransitionsJsonLines(const SimulationSummary& summary) {
  std::string out;
  for (const SimulatedTransition& t : summary.transitions) {
    const nlohmann::json line = {{"uemDeviceId", t.uem_device_id},
                                 {"directoryDeviceId", t.directory_device_id},
                                 {"sequence", t.sequence},
                                 {"complianceState", t.compliance_state},
                                 {"compliant", t.compliant},
                                 {"postureGood", t.posture_good}};
    out += line.dump();
    out += '\n';
  }
  return out;
}

}  // namespace gatehouse::agent
