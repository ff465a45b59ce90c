// Measurements around the load (process memory and CPU from /proc) and the final report,
// as JSON for scripts and as a short summary for people.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "load_state.hpp"

namespace loadgen {

// Resident memory and CPU time of a process; -1 where /proc could not be read.
struct ProcessSample {
  std::int64_t rss_kib = -1;
  double cpu_seconds = -1;
};

// Samples process `pid` (0: none, every field -1).
ProcessSample sample_process(int pid);

// CPU seconds (user + system) this process has used so far.
double own_cpu_seconds();

// Facts gathered by main around the steps.
struct RunFacts {
  int connections_wanted = 0;
  int connections_open = 0;  // right before the first step
  double connect_seconds = 0;
  ProcessSample server_before;     // after setup, before any WebSocket connection
  ProcessSample server_connected;  // after all connections and the settle pause
  ProcessSample server_after;      // after the last step's drain
  struct StepCost {
    double wall_seconds = 0;  // from the step's measure_start to its measure_end
    double loadgen_cpu = 0;   // CPU seconds of chat-loadgen in the measured window
    double server_cpu = -1;   // CPU seconds of the server in the measured window
  };
  std::vector<StepCost> costs;  // one per step
  std::uint64_t unacknowledged_at_end = 0;
};

// The percentile q (0..1) of `values` in milliseconds, sorting them in place; -1 if empty.
double percentile_ms(std::vector<std::int64_t>& values, double q);

boost::json::object build_report(const Options& options, Shared& shared, const RunFacts& facts);

// A few lines for a terminal, from a report made by build_report.
std::string human_summary(const boost::json::object& report);

}  // namespace loadgen
