// Maps method and path to a handler, answers 404 and 405 (with Allow) for
// everything else, and counts requests by route and status.
#pragma once

#include <array>
#include <atomic>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/http.hpp"
#include "core/metrics.hpp"

namespace waypost::core {

// Values captured by `{name}` segments of a route pattern.
class PathParams {
 public:
  void add(std::string name, std::string value);
  // The captured value, or an empty string when the pattern has no such name.
  const std::string& get(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

using RouteHandler = std::function<boost::asio::awaitable<Response>(Request&, const RequestContext&,
                                                                    const PathParams&)>;

class Router {
 public:
  explicit Router(MetricsRegistry& metrics);
  ~Router();

  // Registers `handler` for `methods` on `pattern`, a path such as
  // "/api/v1/links/{code}" where a `{name}` segment matches any one non-empty
  // segment. Routes are tried in the order they were added. `name` labels the
  // route in metrics. Call before the server starts.
  void add(std::string name, std::initializer_list<http::verb> methods, std::string pattern,
           RouteHandler handler);

  // What a route serves, for documentation checks and tooling.
  struct RouteInfo {
    std::string name;
    std::vector<http::verb> methods;
    std::string pattern;  // as given to add(), e.g. "/api/v1/links/{code}"
  };

  // Every registered route, in the order they are tried.
  std::vector<RouteInfo> routes() const;

  // Routes one request. Never throws for bad input: unknown paths answer 404,
  // known paths with another method 405 with `Allow`.
  boost::asio::awaitable<Response> dispatch(Request& request, const RequestContext& context);

  // This router as the server's request handler. The router must outlive the server.
  Handler handler();

 private:
  struct Route;
  struct Match {
    Route* route = nullptr;
    PathParams params;
    std::string allow;  // methods of routes whose pattern matched, for 405
  };

  Match match(http::verb method, std::string_view path) const;
  void count(Route& route, unsigned status, double seconds);

  MetricsRegistry& metrics_;
  std::vector<std::unique_ptr<Route>> routes_;
  std::unique_ptr<Route> unmatched_;
};

}  // namespace waypost::core
