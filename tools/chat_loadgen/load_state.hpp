// The state that all connections of the load generator share. Everything runs on one
// io_context thread, so nothing here is synchronised.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "options.hpp"
#include "population.hpp"

namespace loadgen {

using Clock = std::chrono::steady_clock;

inline std::int64_t to_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// One rate step: sending runs from `start` to `measure_end`; only messages sent inside
// [measure_start, measure_end) are counted, wherever their acks and deliveries fall.
struct Step {
  double rate = 0;  // target msgs/s over all connections
  Clock::time_point start{}, measure_start{}, measure_end{};

  std::uint64_t sends_total = 0;  // including the warm-up
  std::uint64_t sent = 0;         // inside the measured window
  std::uint64_t acked = 0;
  std::uint64_t send_errors = 0;               // error frames naming one of the window's sends
  std::uint64_t skipped = 0;                   // ticks skipped: too many unacknowledged sends
  std::uint64_t expected_deliveries = 0;       // receptions the window's sends should cause
  std::uint64_t delivered = 0;                 // receptions of the window's sends
  std::uint64_t received_in_window = 0;        // receptions of any of our sends during the window
  std::vector<std::int64_t> latency_ns{};      // send -> reception, one per reception
  std::vector<std::int64_t> ack_latency_ns{};  // send -> ack

  bool measures(std::int64_t sent_ns) const {
    return sent_ns >= to_ns(measure_start) && sent_ns < to_ns(measure_end);
  }
};

struct Shared {
  const Options& options;
  const Population& population;
  const std::string& run_tag;
  boost::asio::ip::tcp::endpoint server;

  std::vector<int> sessions{};  // user index -> connections open now
  std::vector<Step> steps{};    // reserved up front: connections keep pointers into it
  std::mt19937_64 random{};
  std::uint64_t sends_all_steps = 0;  // for --max-messages

  std::uint64_t connect_failures = 0;
  std::uint64_t disconnects = 0;            // connections lost while the load ran
  std::uint64_t unmeasured_deliveries = 0;  // warm-up messages and drain stragglers
  std::uint64_t foreign_messages = 0;       // message frames without our timestamp
  std::uint64_t unknown_acks = 0;           // acks naming no send of ours
  std::uint64_t malformed_frames = 0;
  std::uint64_t other_frames = 0;                      // presence, typing, read, pongs
  std::map<std::string, std::uint64_t> error_codes{};  // error frames and failures, by kind
  std::map<std::string, std::uint64_t> close_reasons{};

  // The step whose window contains `sent_ns` (a send or arrival time), or null.
  Step* step_measuring(std::int64_t sent_ns) {
    for (auto& step : steps) {
      if (step.measures(sent_ns)) {
        return &step;
      }
    }
    return nullptr;
  }
};

}  // namespace loadgen
