#include "http/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "fmt/format.h"

namespace gatehouse::http {

namespace {

struct FamilyData {
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;                          // counter or gauge
    std::vector<std::uint64_t> bucket_counts;  // histogram, not cumulative; one per bound
    double sum = 0;
    std::uint64_t count = 0;
  };

  Type type = Type::kCounter;
  std::string help;
  std::vector<double> bounds;  // ascending, finite; +Inf is implicit
  std::map<Labels, Series> series;
};

// Default buckets for a histogram observed before it was declared (seconds, like Prometheus').
const std::vector<double>& DefaultBuckets() {
  static const std::vector<double> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,    2.5,   5,    10};
  return kBuckets;
}

bool IsValidMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string EscapeHelp(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeLabelValue(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

// `{a="x",b="y"}` (or "" for no labels); `le` is appended for histogram buckets.
std::string FormatLabels(const Labels& labels, const std::string* le = nullptr) {
  if (labels.empty() && le == nullptr) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ",";
    first = false;
    out += name + "=\"" + EscapeLabelValue(value) + "\"";
  }
  if (le != nullptr) {
    if (!first) out += ",";
    out += "le=\"" + *le + "\"";
  }
  out += "}";
  return out;
}

void Configure(FamilyData& family, FamilyData::Type type, const std::string& help,
               std::vector<double> bounds = {}) {
  family.type = type;
  family.help = help;
  bounds.erase(
      std::remove_if(bounds.begin(), bounds.end(), [](double b) { return !std::isfinite(b); }),
      bounds.end());
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  family.bounds = std::move(bounds);
}

}  // namespace

struct MetricsRegistry::Family : FamilyData {};

// Declarations of an invalid name are ignored (names are compile-time constants of our code).
void MetricsRegistry::DeclareCounter(const std::string& name, const std::string& help) {
  if (!IsValidMetricName(name)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name, nullptr);
  if (inserted) Configure(*(it->second = std::make_shared<Family>()), Family::Type::kCounter, help);
}

void MetricsRegistry::DeclareGauge(const std::string& name, const std::string& help) {
  if (!IsValidMetricName(name)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name, nullptr);
  if (inserted) Configure(*(it->second = std::make_shared<Family>()), Family::Type::kGauge, help);
}

void MetricsRegistry::DeclareHistogram(const std::string& name, const std::string& help,
                                       std::vector<double> bucket_upper_bounds) {
  if (!IsValidMetricName(name)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name, nullptr);
  if (inserted) {
    Configure(*(it->second = std::make_shared<Family>()), Family::Type::kHistogram, help,
              std::move(bucket_upper_bounds));
  }
}

// Recording into an undeclared name declares it with the matching type (help = name); recording
// into a family of another type is ignored.
void MetricsRegistry::Increment(const std::string& name, const Labels& labels, double by) {
  if (!IsValidMetricName(name)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name, nullptr);
  if (inserted) Configure(*(it->second = std::make_shared<Family>()), Family::Type::kCounter, name);
  if (it->second->type != Family::Type::kCounter || !(by >= 0)) return;  // counters only grow
  it->second->series[labels].value += by;
}

void MetricsRegistry::Set(const std::string& name, const Labels& labels, double value) {
  if (!IsValidMetricName(name)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name, nullptr);
  if (inserted) Configure(*(it->second = std::make_shared<Family>()), Family::Type::kGauge, name);
  if (it->second->type != Family::Type::kGauge) return;
  it->second->series[labels].value = value;
}

void MetricsRegistry::Observe(const std::string& name, const Labels& labels, double value) {
  if (!IsValidMetricName(name) || std::isnan(value)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name, nullptr);
  if (inserted) {
    Configure(*(it->second = std::make_shared<Family>()), Family::Type::kHistogram, name,
              DefaultBuckets());
  }
  Family& family = *it->second;
  if (family.type != Family::Type::kHistogram) return;
  Family::Series& series = family.series[labels];
  if (series.bucket_counts.empty()) series.bucket_counts.assign(family.bounds.size(), 0);
  const auto bucket = std::lower_bound(family.bounds.begin(), family.bounds.end(), value);
  if (bucket != family.bounds.end()) ++series.bucket_counts[bucket - family.bounds.begin()];
  series.sum += value;
  ++series.count;
}

std::string MetricsRegistry::Render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    const char* type = family->type == Family::Type::kCounter ? "counter"
                       : family->type == Family::Type::kGauge ? "gauge"
                                                              : "histogram";
    out += "# HELP " + name + " " + EscapeHelp(family->help) + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, series] : family->series) {
      if (family->type != Family::Type::kHistogram) {
        out += name + FormatLabels(labels) + " " + FormatValue(series.value) + "\n";
        continue;
      }
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < family->bounds.size(); ++i) {
        cumulative += series.bucket_counts[i];
        const std::string le = FormatValue(family->bounds[i]);
        out +=
            name + "_bucket" + FormatLabels(labels, &le) + " " + std::to_string(cumulative) + "\n";
      }
      const std::string inf = "+Inf";
      out +=
          name + "_bucket" + FormatLabels(labels, &inf) + " " + std::to_string(series.count) + "\n";
      out += name + "_sum" + FormatLabels(labels) + " " + FormatValue(series.sum) + "\n";
      out += name + "_count" + FormatLabels(labels) + " " + std::to_string(series.count) + "\n";
    }
  }
  return out;
}

}  // namespace gatehouse::http
