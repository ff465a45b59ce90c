// Prometheus metrics: counters, gauges and histograms that are cheap to update
// from any thread (relaxed atomics), and a registry that renders them in the
// text exposition format for GET /metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace waypost::core {

class Counter {
 public:
  void increment(std::uint64_t by = 1) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(std::int64_t value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void add(std::int64_t delta) noexcept { value_.fetch_add(delta, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Observations in seconds, counted into fixed upper bounds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double seconds) noexcept;

  // Appends the _bucket, _sum and _count lines for `name{labels}`.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

  // Latency buckets from 50 µs to 10 s, suited to request and query timings.
  static std::vector<double> latency_buckets();

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // one per bound, plus +Inf
  std::atomic<std::uint64_t> sum_nanoseconds_{0};
};

// Owns every metric of a process. Registration takes a lock and belongs at
// start-up; the returned references stay valid for the registry's lifetime.
class MetricsRegistry {
 public:
  // `labels` is the rendered label set without braces, e.g. `route="redirect"`.
  Counter& counter(const std::string& name, const std::string& help,
                   const std::string& labels = "");
  Gauge& gauge(const std::string& name, const std::string& help, const std::string& labels = "");
  Histogram& histogram(const std::string& name, const std::string& help,
                       const std::string& labels = "",
                       std::vector<double> upper_bounds = Histogram::latency_buckets());

  // Adds a gauge whose value is read when /metrics is rendered.
  void gauge_callback(const std::string& name, const std::string& help,
                      std::function<double()> read);

  // The whole registry in Prometheus text format 0.0.4.
  std::string render() const;

 private:
  struct Family {
    std::string name;
    std::string help;
    std::string type;
  };
  struct Series {
    std::size_t family;
    std::string labels;
    Counter* counter = nullptr;
    Gauge* gauge = nullptr;
    Histogram* histogram = nullptr;
    std::function<double()> read{};
  };

  std::size_t family_index(const std::string& name, const std::string& help,
                           const std::string& type);

  mutable std::mutex mutex_;
  std::vector<Family> families_;      // guarded by mutex_
  std::vector<Series> series_;        // guarded by mutex_
  std::deque<Counter> counters_;      // guarded by mutex_; deque keeps addresses stable
  std::deque<Gauge> gauges_;          // guarded by mutex_
  std::deque<Histogram> histograms_;  // guarded by mutex_
};

}  // namespace waypost::core
