// The shortener's source of "now", injected so tests can stand at an exact
// instant (an expiry boundary) instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>

#include "shortener/rfc3339.hpp"

namespace waypost::shortener {

// Implementations must be safe to call from several threads at once.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
};

// Stands still until set; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : micros_(start.time_since_epoch().count()) {}
  Timestamp now() const override { return Timestamp(std::chrono::microseconds(micros_.load())); }
  void set(Timestamp instant) { micros_ = instant.time_since_epoch().count(); }

 private:
  std::atomic<std::int64_t> micros_;
};

}  // namespace waypost::shortener
