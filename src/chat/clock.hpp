// Time as the chat stores see it, and the clock they read it from.
//
// Every store takes a `const Clock&` instead of reading the system clock, so
// tests move time forward by hand (token expiry, back-off, retention) and
// never sleep.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace waypost::chat {

// Wall-clock time with millisecond resolution; stored in SQLite as INTEGER
// milliseconds since the Unix epoch.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// Source of "now" for the stores. Implementations must be safe to call from
// several threads at once.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

// The system's real-time clock.
class SystemClock final : public Clock {
 public:
  Timestamp now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
};

// A clock that only moves when told to; for tests. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : millis_(start.time_since_epoch().count()) {}

  Timestamp now() const override { return Timestamp(std::chrono::milliseconds(millis_.load())); }

  void advance(std::chrono::milliseconds by) { millis_ += by.count(); }

 private:
  std::atomic<std::int64_t> millis_;
};

}  // namespace waypost::chat
