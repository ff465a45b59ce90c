// Logging policy: one named spdlog logger per component, all writing to
// standard error. Milestones at info, per-request and per-connection events at
// debug, anomalies at warn or error (and counted in a metric by the caller).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace waypost::core {

// Sets the level of every logger, present and future. Accepts spdlog's names
// (trace, debug, info, warn, error, critical, off); returns false for others.
[[nodiscard]] bool configure_logging(std::string_view level_name);

// The logger for `component`, created on first use. Thread-safe.
std::shared_ptr<spdlog::logger> logger(const std::string& component);

}  // namespace waypost::core
