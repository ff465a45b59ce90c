#include "shortener/service.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/range/iterator_range.hpp>

#include "core/logging.hpp"
#include "shortener/abuse/client_address.hpp"

namespace waypost::shortener {

namespace http = core::http;
using core::error_response;
using core::Request;
using core::Response;

ShortenerService::ShortenerService(ShortenerOptions options, ShortenerParts parts)
    : options_(std::move(options)),
      parts_(parts),
      cache_(options_.cache),
      cache_control_("private, max-age=" + std::to_string(options_.redirect_max_age.count())),
      creation_limiter_(options_.abuse.anonymous_creation),
      api_key_limiter_(options_.abuse.api_key),
      not_found_limiter_(options_.abuse.not_found),
      password_limiter_(options_.abuse.password_attempts),
      cache_hits_(parts.metrics.counter("shortener_cache_hits_total",
                                        "Redirect lookups answered from the in-process cache.")),
      cache_misses_(parts.metrics.counter("shortener_cache_misses_total",
                                          "Redirect lookups that had to ask the store.")),
      links_created_(parts.metrics.counter("shortener_links_created_total", "Links created.")),
      code_collisions_(parts.metrics.counter("shortener_code_collisions_total",
                                             "Generated codes that were taken and drawn again.")),
      blocked_creations_(parts.metrics.counter("shortener_blocked_total",
                                               "Requests refused by the domain blocklist.",
                                               "at=\"creation\"")),
      blocked_redirects_(parts.metrics.counter("shortener_blocked_total",
                                               "Requests refused by the domain blocklist.",
                                               "at=\"redirect\"")),
      store_latency_(parts.metrics.histogram("shortener_store_duration_seconds",
                                             "Time of one link lookup on a storage thread.")) {
  while (options_.public_base_url.ends_with('/')) {
    options_.public_base_url.pop_back();
  }
  parts.metrics.gauge_callback("shortener_cache_entries", "Entries in the redirect cache.",
                               [this] { return static_cast<double>(cache_.size()); });
  parts.metrics.gauge_callback("shortener_blocklist_domains", "Domains on the blocklist.", [this] {
    return static_cast<double>(parts_.blocklist.current()->size());
  });
}

void ShortenerService::register_routes(core::Router& router) {
  using V = http::verb;
  router.add("shorten", {V::post}, "/api/v1/shorten",
             [this](Request& request, const Context& context, auto&) {
               return shorten(request, context);
             });
  router.add("bulk", {V::post}, "/api/v1/links/bulk",
             [this](Request& request, auto&, auto&) { return create_in_bulk(request); });
  router.add("list", {V::get, V::head}, "/api/v1/links",
             [this](Request& request, auto&, auto&) { return list_links(request); });
  router.add("stats", {V::get, V::head}, "/api/v1/links/{code}/stats",
             [this](Request& request, auto&, const Params& params) {
               return link_stats(request, params);
             });
  router.add(
      "qr", {V::get, V::head}, "/api/v1/links/{code}/qr",
      [this](Request& request, auto&, const Params& params) { return qr_code(request, params); });
  router.add("describe", {V::get, V::head}, "/api/v1/links/{code}",
             [this](Request& request, const Context& context, const Params& params) {
               return describe(request, context, params);
             });
  router.add("update", {V::patch}, "/api/v1/links/{code}",
             [this](Request& request, auto&, const Params& params) {
               return update_link(request, params);
             });
  router.add("delete", {V::delete_}, "/api/v1/links/{code}",
             [this](Request& request, auto&, const Params& params) {
               return delete_link(request, params);
             });
  router.add("healthz", {V::get, V::head}, "/healthz", [](Request&, auto&, auto&) -> Awaitable {
    co_return core::json_response(http::status::ok, {{"status", "ok"}});
  });
  router.add("readyz", {V::get, V::head}, "/readyz",
             [this](Request&, auto&, auto&) { return ready(); });
  router.add("metrics", {V::get, V::head}, "/metrics",
             [this](Request&, auto&, auto&) -> Awaitable { co_return metrics_page(); });
  router.add("robots", {V::get, V::head}, "/robots.txt", [](Request&, auto&, auto&) -> Awaitable {
    Response response{http::status::ok, 11};
    response.set(http::field::content_type, "text/plain");
    response.body() = "User-agent: *\nDisallow: /api/\n";
    co_return response;
  });
  router.add("favicon", {V::get, V::head}, "/favicon.ico", [](Request&, auto&, auto&) -> Awaitable {
    co_return Response{http::status::no_content, 11};
  });
  router.add("redirect", {V::get, V::head}, "/{code}",
             [this](Request& request, const Context& context, const Params& params) {
               return redirect(request, context, params);
             });
  router.add("unlock", {V::post}, "/{code}",
             [this](Request& request, const Context& context, const Params& params) {
               return unlock(request, context, params);
             });
}

boost::asio::awaitable<ShortenerService::Caller> ShortenerService::identify(
    const Request& request, std::optional<std::string_view> key_needed) {
  Caller caller;
  if (request.find(http::field::authorization) == request.end()) {
    // Anonymous; an empty header is a malformed one, below.
    if (key_needed) {
      caller.refusal = key_required(*key_needed);
    }
    co_return caller;
  }
  auto authorization = request[http::field::authorization];

  constexpr std::string_view kScheme = "Bearer ";
  auto unauthorized = [](std::string_view message) {
    auto response = error_response(http::status::unauthorized, "invalid_api_key", message);
    response.set(http::field::www_authenticate, "Bearer");
    return response;
  };
  if (authorization.size() <= kScheme.size() ||
      !boost::beast::iequals(authorization.substr(0, kScheme.size()), kScheme)) {
    caller.refusal = unauthorized("Send the API key as 'Authorization: Bearer <key>'.");
    co_return caller;
  }

  auto secret_hash = hash_api_key_secret(authorization.substr(kScheme.size()));
  auto lookup = [this, &secret_hash] { return parts_.api_keys.find_active(secret_hash); };
  caller.key = co_await parts_.storage_threads.run(std::move(lookup));
  if (!caller.key) {
    caller.refusal = unauthorized("The API key is unknown or was revoked.");
    co_return caller;
  }

  const auto& exempt_owners = options_.abuse.exempt_owners;
  if (std::find(exempt_owners.begin(), exempt_owners.end(), caller.key->owner) ==
      exempt_owners.end()) {
    caller.refusal = over_limit(api_key_limiter_, "api_key",
                                "key:" + std::to_string(caller.key->id), caller.limit);
  }
  co_return caller;
}

Response ShortenerService::key_required(std::string_view message) {
  auto response = error_response(http::status::unauthorized, "api_key_required", message);
  response.set(http::field::www_authenticate, "Bearer");
  return response;
}

boost::asio::ip::address ShortenerService::client_address(const Request& request,
                                                          const Context& context) const {
  // Proxies may each add a header line; together they are one list, in order.
  std::string forwarded_for;
  for (const auto& line : boost::make_iterator_range(request.equal_range("X-Forwarded-For"))) {
    forwarded_for += (forwarded_for.empty() ? "" : ",") + std::string(line.value());
  }
  return shortener::client_address(context.remote.address(), forwarded_for,
                                   options_.abuse.trusted_proxies);
}

bool ShortenerService::exempt(const boost::asio::ip::address& address) const {
  return options_.abuse.exempt_addresses.contains(address);
}

std::optional<Response> ShortenerService::over_limit(RateLimiter& limiter,
                                                     std::string_view limit_name,
                                                     const std::string& key, RateDecision& decision,
                                                     double cost) {
  if (limiter.unlimited()) {
    return std::nullopt;
  }
  decision = limiter.take(key, RateLimiter::Clock::now(), cost);
  if (decision.allowed) {
    return std::nullopt;
  }

  parts_.metrics
      .counter("shortener_rate_limited_total", "Requests refused by a rate limit.",
               "limit=\"" + std::string(limit_name) + "\"")
      .increment();
  auto response = error_response(
      http::status::too_many_requests, "rate_limited",
      "Too many requests; retry after " + std::to_string(decision.retry_after_seconds) + " s.");
  response.set(http::field::retry_after, std::to_string(decision.retry_after_seconds));
  response.set("RateLimit-Limit", std::to_string(decision.limit));
  response.set("RateLimit-Remaining", std::to_string(decision.remaining));
  response.set("RateLimit-Reset", std::to_string(decision.reset_seconds));
  return response;
}

ShortenerService::Awaitable ShortenerService::ready() {
  try {
    auto check = [this] { parts_.links.check_ready(); };
    co_await parts_.storage_threads.run(std::move(check));
  } catch (const std::exception& error) {
    core::logger("shortener")->warn("readiness check failed: {}", error.what());
    co_return error_response(http::status::service_unavailable, "store_unavailable",
                             "The database does not answer.");
  }
  co_return core::json_response(http::status::ok, {{"status", "ready"}});
}

Response ShortenerService::metrics_page() const {
  Response response{http::status::ok, 11};
  response.set(http::field::content_type, "text/plain; version=0.0.4");
  response.body() = parts_.metrics.render();
  return response;
}

std::string ShortenerService::short_url(const std::string& code) const {
  return options_.public_base_url + "/" + code;
}

}  // namespace waypost::shortener
