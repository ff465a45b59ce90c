#include "core/router.hpp"

#include <chrono>

namespace waypost::core {

struct Router::Route {
  std::string name;
  std::vector<http::verb> methods;
  std::vector<std::string> segments;
  RouteHandler handler;
  Histogram* latency = nullptr;
  std::array<std::atomic<Counter*>, 600> by_status{};  // filled on first use of a status
};

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') {
    return segments;
  }
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool segments_match(const std::vector<std::string>& pattern,
                    const std::vector<std::string_view>& path, PathParams& params) {
  if (pattern.size() != path.size()) {
    return false;
  }
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (is_parameter(pattern[i])) {
      if (path[i].empty()) {
        return false;
      }
      params.add(pattern[i].substr(1, pattern[i].size() - 2), std::string(path[i]));
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}

void append_allow(std::string& allow, const std::vector<http::verb>& methods) {
  for (auto method : methods) {
    auto name = http::to_string(method);
    if (allow.find(name) != std::string::npos) {
      continue;
    }
    if (!allow.empty()) {
      allow += ", ";
    }
    allow += name;
  }
}

}  // namespace

void PathParams::add(std::string name, std::string value) {
  values_.emplace_back(std::move(name), std::move(value));
}

const std::string& PathParams::get(std::string_view name) const {
  static const std::string empty;
  for (const auto& [key, value] : values_) {
    if (key == name) {
      return value;
    }
  }
  return empty;
}

Router::Router(MetricsRegistry& metrics)
    : metrics_(metrics), unmatched_(std::make_unique<Route>()) {
  unmatched_->name = "unmatched";
  unmatched_->latency =
      &metrics_.histogram("http_request_duration_seconds",
                          "Time from a complete request to its response.", "route=\"unmatched\"");
}

Router::~Router() = default;

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> infos;
  for (const auto& route : routes_) {
    std::string pattern;
    for (const auto& segment : route->segments) {
      pattern += "/" + segment;
    }
    infos.push_back({route->name, route->methods, pattern.empty() ? "/" : pattern});
  }
  return infos;
}

void Router::add(std::string name, std::initializer_list<http::verb> methods, std::string pattern,
                 RouteHandler handler) {
  auto route = std::make_unique<Route>();
  route->latency = &metrics_.histogram("http_request_duration_seconds",
                                       "Time from a complete request to its response.",
                                       "route=\"" + name + "\"");
  route->name = std::move(name);
  route->methods = methods;
  for (auto segment : split_path(pattern)) {
    route->segments.emplace_back(segment);
  }
  route->handler = std::move(handler);
  routes_.push_back(std::move(route));
}

Router::Match Router::match(http::verb method, std::string_view path) const {
  Match result;
  auto segments = split_path(path);
  for (const auto& route : routes_) {
    PathParams params;
    if (!segments_match(route->segments, segments, params)) {
      continue;
    }
    for (auto allowed : route->methods) {
      if (allowed == method) {
        result.route = route.get();
        result.params = std::move(params);
        return result;
      }
    }
    append_allow(result.allow, route->methods);
  }
  return result;
}

boost::asio::awaitable<Response> Router::dispatch(Request& request, const RequestContext& context) {
  auto started = std::chrono::steady_clock::now();
  std::string_view target = request.target();
  auto path = target.substr(0, target.find_first_of("?#"));

  auto found = match(request.method(), path);
  Response response;
  if (found.route != nullptr) {
    response = co_await found.route->handler(request, context, found.params);
  } else if (!found.allow.empty()) {
    response =
        error_response(http::status::method_not_allowed, "method_not_allowed",
                       "This path does not accept " + std::string(request.method_string()) + ".");
    response.set(http::field::allow, found.allow);
  } else {
    response = error_response(http::status::not_found, "route_not_found",
                              "No resource lives at this path.");
  }

  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  count(found.route != nullptr ? *found.route : *unmatched_, response.result_int(),
        elapsed.count());
  co_return response;
}

void Router::count(Route& route, unsigned status, double seconds) {
  route.latency->observe(seconds);
  if (status >= route.by_status.size()) {
    return;
  }

  auto& slot = route.by_status[status];
  auto* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter =
        &metrics_.counter("http_requests_total", "Requests answered, by route and status.",
                          "route=\"" + route.name + "\",status=\"" + std::to_string(status) + "\"");
    slot.store(counter, std::memory_order_release);
  }
  counter->increment();
}

Handler Router::handler() {
  return [this](Request& request, const RequestContext& context) {
    return dispatch(request, context);
  };
}

}  // namespace waypost::core
