#include "core/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace waypost::core {
namespace {

std::string with_braces(const std::string& labels) {
  return labels.empty() ? std::string() : "{" + labels + "}";
}

std::string join_labels(const std::string& labels, const std::string& extra) {
  return labels.empty() ? extra : labels + "," + extra;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<std::uint64_t>[upper_bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
    counts_[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::observe(double seconds) noexcept {
  auto bucket = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), seconds);
  counts_[static_cast<std::size_t>(bucket - upper_bounds_.begin())].fetch_add(
      1, std::memory_order_relaxed);
  auto nanoseconds = static_cast<std::uint64_t>(std::llround(std::max(seconds, 0.0) * 1e9));
  sum_nanoseconds_.fetch_add(nanoseconds, std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    auto le = fmt::format("le=\"{}\"", upper_bounds_[i]);
    out += fmt::format("{}_bucket{{{}}} {}\n", name, join_labels(labels, le), cumulative);
  }
  cumulative += counts_[upper_bounds_.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{{}}} {}\n", name, join_labels(labels, "le=\"+Inf\""), cumulative);
  double sum = static_cast<double>(sum_nanoseconds_.load(std::memory_order_relaxed)) / 1e9;
  out += fmt::format("{}_sum{} {}\n", name, with_braces(labels), sum);
  out += fmt::format("{}_count{} {}\n", name, with_braces(labels), cumulative);
}

std::vector<double> Histogram::latency_buckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5,   10};
}

std::size_t MetricsRegistry::family_index(const std::string& name, const std::string& help,
                                          const std::string& type) {
  for (std::size_t i = 0; i < families_.size(); ++i) {
    if (families_[i].name == name) {
      return i;
    }
  }
  families_.push_back({name, help, type});
  return families_.size() - 1;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  const std::string& labels) {
  std::lock_guard lock(mutex_);
  auto family = family_index(name, help, "counter");
  for (auto& series : series_) {
    if (series.family == family && series.labels == labels && series.counter != nullptr) {
      return *series.counter;
    }
  }
  auto& created = counters_.emplace_back();
  series_.push_back({.family = family, .labels = labels, .counter = &created});
  return created;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                              const std::string& labels) {
  std::lock_guard lock(mutex_);
  auto family = family_index(name, help, "gauge");
  for (auto& series : series_) {
    if (series.family == family && series.labels == labels && series.gauge != nullptr) {
      return *series.gauge;
    }
  }
  auto& created = gauges_.emplace_back();
  series_.push_back({.family = family, .labels = labels, .gauge = &created});
  return created;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      const std::string& labels, std::vector<double> upper_bounds) {
  std::lock_guard lock(mutex_);
  auto family = family_index(name, help, "histogram");
  for (auto& series : series_) {
    if (series.family == family && series.labels == labels && series.histogram != nullptr) {
      return *series.histogram;
    }
  }
  auto& created = histograms_.emplace_back(std::move(upper_bounds));
  series_.push_back({.family = family, .labels = labels, .histogram = &created});
  return created;
}

void MetricsRegistry::gauge_callback(const std::string& name, const std::string& help,
                                     std::function<double()> read) {
  std::lock_guard lock(mutex_);
  auto family = family_index(name, help, "gauge");
  series_.push_back({.family = family, .labels = "", .read = std::move(read)});
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (std::size_t f = 0; f < families_.size(); ++f) {
    const auto& family = families_[f];
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", family.name, family.help, family.name,
                       family.type);
    for (const auto& series : series_) {
      if (series.family != f) {
        continue;
      }
      auto labels = with_braces(series.labels);
      if (series.counter != nullptr) {
        out += fmt::format("{}{} {}\n", family.name, labels, series.counter->value());
      } else if (series.gauge != nullptr) {
        out += fmt::format("{}{} {}\n", family.name, labels, series.gauge->value());
      } else if (series.histogram != nullptr) {
        series.histogram->render(out, family.name, series.labels);
      } else if (series.read) {
        out += fmt::format("{}{} {}\n", family.name, labels, series.read());
      }
    }
  }
  return out;
}

}  // namespace waypost::core
