#include "core/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace waypost::core {
namespace {

std::shared_ptr<spdlog::sinks::stderr_sink_mt> shared_sink() {
  static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

}  // namespace

bool configure_logging(std::string_view level_name) {
  auto level = spdlog::level::from_str(std::string(level_name));
  bool known = level != spdlog::level::off || level_name == "off";
  if (!known) {
    return false;
  }

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  spdlog::set_level(level);
  return true;
}

std::shared_ptr<spdlog::logger> logger(const std::string& component) {
  if (auto existing = spdlog::get(component)) {
    return existing;
  }

  auto created = std::make_shared<spdlog::logger>(component, shared_sink());
  created->set_level(spdlog::get_level());
  created->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  try {
    spdlog::register_logger(created);
  } catch (const spdlog::spdlog_ex&) {
    // Another thread registered the same name first; use that one.
    return spdlog::get(component);
  }
  return created;
}

}  // namespace waypost::core
