#include "report.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace loadgen {

namespace json = boost::json;

namespace {

std::int64_t read_rss_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::int64_t kib = -1;
      status >> kib;
      return kib;
    }
    status.ignore(4096, '\n');
  }
  return -1;
}

// Fields 14 and 15 of /proc/PID/stat (utime, stime in clock ticks), counted after the
// command name, which is in parentheses and may itself hold spaces.
double read_cpu_seconds(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) {
    return -1;
  }
  auto close = line.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index >= 14) {
      ticks += std::stod(field);
    }
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double round_to(double value, int digits) {
  double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

json::object latency_summary(std::vector<std::int64_t>& values) {
  json::object out;
  out["count"] = values.size();
  out["p50_ms"] = round_to(percentile_ms(values, 0.50), 3);
  out["p90_ms"] = round_to(percentile_ms(values, 0.90), 3);
  out["p99_ms"] = round_to(percentile_ms(values, 0.99), 3);
  out["p999_ms"] = round_to(percentile_ms(values, 0.999), 3);
  out["max_ms"] = round_to(percentile_ms(values, 1.0), 3);
  return out;
}

json::object step_report(Step& step, const RunFacts::StepCost& cost) {
  double seconds = std::max(cost.wall_seconds, 1e-9);
  json::object out;
  out["target_rate"] = step.rate;
  out["measured_seconds"] = round_to(seconds, 3);
  out["sends_including_warmup"] = step.sends_total;
  out["sent"] = step.sent;
  out["sent_per_second"] = round_to(static_cast<double>(step.sent) / seconds, 1);
  out["acked"] = step.acked;
  out["send_errors"] = step.send_errors;
  out["skipped_ticks"] = step.skipped;
  out["expected_deliveries"] = step.expected_deliveries;
  out["delivered"] = step.delivered;
  out["missing_deliveries"] = static_cast<std::int64_t>(step.expected_deliveries) -
                              static_cast<std::int64_t>(step.delivered);
  out["delivered_per_second"] = round_to(static_cast<double>(step.delivered) / seconds, 1);
  // Arrivals inside the window, whenever sent: the server's delivery throughput even when it
  // falls behind and the window's own messages arrive during the drain.
  out["received_in_window"] = step.received_in_window;
  out["received_per_second"] = round_to(static_cast<double>(step.received_in_window) / seconds, 1);
  out["delivery_latency"] = latency_summary(step.latency_ns);
  out["ack_latency"] = latency_summary(step.ack_latency_ns);
  out["loadgen_cpu_percent"] = round_to(100 * cost.loadgen_cpu / seconds, 1);
  out["server_cpu_percent"] = cost.server_cpu < 0
                                  ? json::value(nullptr)
                                  : json::value(round_to(100 * cost.server_cpu / seconds, 1));
  return out;
}

json::object counts(const std::map<std::string, std::uint64_t>& by_kind) {
  json::object out;
  for (const auto& [kind, count] : by_kind) {
    out[kind] = count;
  }
  return out;
}

json::value memory_per_connection(const RunFacts& facts) {
  if (facts.server_before.rss_kib < 0 || facts.server_connected.rss_kib < 0 ||
      facts.connections_open == 0) {
    return nullptr;
  }
  auto grown = facts.server_connected.rss_kib - facts.server_before.rss_kib;
  return round_to(static_cast<double>(grown) / facts.connections_open, 2);
}

std::string number(const json::value& value) {
  if (value.is_null()) {
    return "n/a";
  }
  std::ostringstream out;
  if (value.is_double()) {
    out << value.get_double();
  } else {
    out << json::serialize(value);
  }
  return out.str();
}

}  // namespace

ProcessSample sample_process(int pid) {
  if (pid <= 0) {
    return {};
  }
  return {.rss_kib = read_rss_kib(pid), .cpu_seconds = read_cpu_seconds(pid)};
}

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double percentile_ms(std::vector<std::int64_t>& values, double q) {
  if (values.empty()) {
    return -1;
  }
  std::sort(values.begin(), values.end());
  // The nearest-rank definition: the smallest value with at least q of the values at or below.
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  auto index = std::clamp<std::size_t>(rank, 1, values.size()) - 1;
  return static_cast<double>(values[index]) / 1e6;
}

json::object build_report(const Options& options, Shared& shared, const RunFacts& facts) {
  json::object report;
  report["protocol"] = options.protocol == Protocol::waypost ? "waypost" : "socketio";
  report["server"] = options.host + ":" + std::to_string(options.port);
  report["users"] = options.users;
  report["groups"] = options.groups;
  report["group_size"] = options.group_size;
  report["private_share"] = options.private_share;
  report["connections_wanted"] = facts.connections_wanted;
  report["connections_established"] = facts.connections_open;
  report["connect_seconds"] = round_to(facts.connect_seconds, 3);

  json::array steps;
  for (std::size_t i = 0; i < shared.steps.size(); ++i) {
    steps.push_back(step_report(shared.steps[i], facts.costs[i]));
  }
  report["steps"] = std::move(steps);

  json::object memory;
  memory["server_rss_kib_before_connect"] = facts.server_before.rss_kib;
  memory["server_rss_kib_connected"] = facts.server_connected.rss_kib;
  memory["server_rss_kib_after_load"] = facts.server_after.rss_kib;
  memory["kib_per_connection"] = memory_per_connection(facts);
  report["memory"] = std::move(memory);

  json::object errors;
  errors["connect_failures"] = shared.connect_failures;
  errors["disconnects"] = shared.disconnects;
  errors["unacknowledged_at_end"] = facts.unacknowledged_at_end;
  errors["unknown_acks"] = shared.unknown_acks;
  errors["malformed_frames"] = shared.malformed_frames;
  errors["foreign_messages"] = shared.foreign_messages;
  errors["by_kind"] = counts(shared.error_codes);
  errors["close_reasons"] = counts(shared.close_reasons);
  report["errors"] = std::move(errors);
  report["unmeasured_deliveries"] = shared.unmeasured_deliveries;
  report["other_frames"] = shared.other_frames;
  return report;
}

std::string human_summary(const json::object& report) {
  std::ostringstream out;
  out << "chat-loadgen " << json::value_to<std::string>(report.at("protocol")) << " at "
      << json::value_to<std::string>(report.at("server")) << ": "
      << number(report.at("connections_established")) << "/"
      << number(report.at("connections_wanted")) << " connections in "
      << number(report.at("connect_seconds")) << " s, "
      << number(report.at("memory").at("kib_per_connection")) << " KiB RSS per connection\n";
  for (const auto& entry : report.at("steps").as_array()) {
    const auto& step = entry.as_object();
    const auto& latency = step.at("delivery_latency").as_object();
    out << "  target " << number(step.at("target_rate")) << " msg/s: sent "
        << number(step.at("sent")) << " (" << number(step.at("sent_per_second")) << "/s), acked "
        << number(step.at("acked")) << ", errors " << number(step.at("send_errors")) << ", skipped "
        << number(step.at("skipped_ticks")) << "\n"
        << "    delivered " << number(step.at("delivered")) << " of "
        << number(step.at("expected_deliveries")) << " (" << number(step.at("delivered_per_second"))
        << "/s), received in window " << number(step.at("received_per_second"))
        << "/s; latency ms p50 " << number(latency.at("p50_ms")) << " p99 "
        << number(latency.at("p99_ms")) << " p999 " << number(latency.at("p999_ms")) << " max "
        << number(latency.at("max_ms")) << "\n"
        << "    ack p50 " << number(step.at("ack_latency").at("p50_ms")) << " ms; cpu loadgen "
        << number(step.at("loadgen_cpu_percent")) << "% server "
        << number(step.at("server_cpu_percent")) << "%\n";
  }
  const auto& errors = report.at("errors").as_object();
  out << "  errors: disconnects " << number(errors.at("disconnects")) << ", unacknowledged at end "
      << number(errors.at("unacknowledged_at_end")) << ", by kind "
      << json::serialize(errors.at("by_kind")) << "\n";
  return out.str();
}

}  // namespace loadgen
