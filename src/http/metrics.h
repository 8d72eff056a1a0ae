// Prometheus metrics: counters and histograms with labels, rendered in the text exposition
// format (checked with `promtool check metrics`). Thread-safe; recording is lock-free or takes a
// short mutex per series.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gatehouse::http {

using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
 public:
  // Declares a metric family once; later calls with the same name return the same family.
  void DeclareCounter(const std::string& name, const std::string& help);
  void DeclareGauge(const std::string& name, const std::string& help);
  void DeclareHistogram(const std::string& name, const std::string& help,
                        std::vector<double> bucket_upper_bounds);

  void Increment(const std::string& name, const Labels& labels = {}, double by = 1);
  void Set(const std::string& name, const Labels& labels, double value);
  void Observe(const std::string& name, const Labels& labels, double value);

  // The text exposition format (version 0.0.4).
  std::string Render() const;

 private:
  struct Family;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Family>> families_;
};

}  // namespace gatehouse::http
