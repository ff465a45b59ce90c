#include "shortener/service.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include "core/logging.hpp"
#include "shortener/codes.hpp"

namespace waypost::shortener {

namespace http = core::http;
namespace json = boost::json;
using core::error_response;
using core::Request;
using core::Response;

namespace {

// Generated codes are random, so a collision means the code space is filling
// up; a handful of retries hides rare ones, more would hide a real problem.
constexpr int kGeneratedCodeAttempts = 8;

constexpr std::size_t kMaxUserIdLength = 128;

bool is_json_content_type(std::string_view content_type) {
  auto media_type = content_type.substr(0, content_type.find(';'));
  while (!media_type.empty() && media_type.back() == ' ') {
    media_type.remove_suffix(1);
  }
  return boost::beast::iequals(media_type, "application/json");
}

// A field of the creation request, or the 400 explaining what is wrong with it.
struct CreationRequest {
  std::string long_url;
  std::string custom_alias;
  std::optional<std::string> expiry_date;
  std::optional<std::string> user_id;
  std::optional<int> redirect_status;
};

std::optional<Response> read_optional_string(const json::object& body, std::string_view field,
                                             std::optional<std::string>& out) {
  auto* value = body.if_contains(field);
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    return error_response(http::status::bad_request, "invalid_field",
                          "The field '" + std::string(field) + "' must be a string.");
  }
  out = std::string(value->get_string());
  return std::nullopt;
}

// Reads the JSON body of POST /api/v1/shorten into `out`; returns the error
// response when the body is not what the API documents.
std::optional<Response> read_creation_request(const Request& request, CreationRequest& out) {
  if (!is_json_content_type(request[http::field::content_type])) {
    return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                          "Send the request body as application/json.");
  }

  boost::system::error_code ec;
  auto parsed = json::parse(request.body(), ec);
  if (ec) {
    return error_response(http::status::bad_request, "malformed_json",
                          "The request body is not valid JSON: " + ec.message() + ".");
  }
  if (!parsed.is_object()) {
    return error_response(http::status::bad_request, "malformed_json",
                          "The request body must be a JSON object.");
  }
  const auto& body = parsed.get_object();

  std::optional<std::string> long_url;
  std::optional<std::string> alias;
  for (auto [field, target] :
       {std::pair{"long_url", &long_url}, std::pair{"custom_alias", &alias},
        std::pair{"expiry_date", &out.expiry_date}, std::pair{"user_id", &out.user_id}}) {
    if (auto problem = read_optional_string(body, field, *target)) {
      return problem;
    }
  }
  if (!long_url) {
    return error_response(http::status::bad_request, "missing_field",
                          "The field 'long_url' is required.");
  }
  out.long_url = std::move(*long_url);
  out.custom_alias = alias.value_or("");
  if (out.user_id && out.user_id->size() > kMaxUserIdLength) {
    return error_response(http::status::bad_request, "invalid_field",
                          "The field 'user_id' is longer than 128 bytes.");
  }

  if (auto* status = body.if_contains("redirect_status"); status != nullptr && !status->is_null()) {
    if (!status->is_int64() || !is_redirect_status(static_cast<int>(status->get_int64()))) {
      return error_response(http::status::bad_request, "invalid_redirect_status",
                            "The field 'redirect_status' must be 301, 302, 307 or 308.");
    }
    out.redirect_status = static_cast<int>(status->get_int64());
  }
  return std::nullopt;
}

json::value optional_time(const std::optional<Timestamp>& instant) {
  return instant ? json::value(format_rfc3339(*instant)) : json::value(nullptr);
}

std::string missing_link_page(bool expired) {
  std::string_view title = expired ? "This link has expired" : "Link not found";
  std::string_view text = expired ? "The short link you followed is no longer active."
                                  : "There is no short link at this address. Check for typos.";
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
         std::string(title) + "</title></head>\n<body><h1>" + std::string(title) + "</h1><p>" +
         std::string(text) + "</p></body></html>\n";
}

}  // namespace

ShortenerService::ShortenerService(ShortenerOptions options, LinkStore& store,
                                   core::BlockingPool& storage_threads, const Clock& clock,
                                   core::MetricsRegistry& metrics)
    : options_(std::move(options)),
      store_(store),
      storage_threads_(storage_threads),
      clock_(clock),
      metrics_(metrics),
      cache_(options_.cache),
      cache_control_("private, max-age=" + std::to_string(options_.redirect_max_age.count())),
      cache_hits_(metrics.counter("shortener_cache_hits_total",
                                  "Redirect lookups answered from the in-process cache.")),
      cache_misses_(metrics.counter("shortener_cache_misses_total",
                                    "Redirect lookups that had to ask the store.")),
      links_created_(metrics.counter("shortener_links_created_total", "Links created.")),
      code_collisions_(metrics.counter("shortener_code_collisions_total",
                                       "Generated codes that were taken and drawn again.")),
      store_latency_(metrics.histogram("shortener_store_duration_seconds",
                                       "Time of one store call on a storage thread.")) {
  while (options_.public_base_url.ends_with('/')) {
    options_.public_base_url.pop_back();
  }
  metrics.gauge_callback("shortener_cache_entries", "Entries in the redirect cache.",
                         [this] { return static_cast<double>(cache_.size()); });
}

void ShortenerService::register_routes(core::Router& router) {
  using V = http::verb;
  router.add("shorten", {V::post}, "/api/v1/shorten",
             [this](Request& request, auto&, auto&) { return shorten(request); });
  router.add("describe", {V::get, V::head}, "/api/v1/links/{code}",
             [this](Request&, auto&, const core::PathParams& params) { return describe(params); });
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
             [this](Request& request, auto&, const core::PathParams& params) {
               return redirect(request, params);
             });
}

boost::asio::awaitable<std::shared_ptr<const Link>> ShortenerService::load(const std::string& code,
                                                                           Timestamp now) {
  cache_misses_.increment();
  auto lookup = [this, &code] {
    auto started = std::chrono::steady_clock::now();
    auto link = store_.find(code);
    store_latency_.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return link;
  };
  auto found = co_await storage_threads_.run(std::move(lookup));
  auto link = found ? std::make_shared<const Link>(std::move(*found)) : nullptr;
  cache_.put(code, link, now);
  co_return link;
}

ShortenerService::Awaitable ShortenerService::redirect(Request& request,
                                                       const core::PathParams& params) {
  const auto& code = params.get("code");
  if (is_reserved_name(code)) {
    co_return error_response(http::status::not_found, "route_not_found",
                             "No resource lives at this path.");
  }
  if (!could_be_code(code)) {
    co_return missing_link_response(request, false);
  }

  // A hit (the common case) is answered without suspending.
  auto now = clock_.now();
  std::shared_ptr<const Link> link;
  if (auto cached = cache_.lookup(code, now)) {
    cache_hits_.increment();
    link = std::move(cached->link);
  } else {
    link = co_await load(code, now);
  }

  if (!link) {
    co_return missing_link_response(request, false);
  }
  if (link->expired_at(now)) {
    co_return missing_link_response(request, true);
  }
  co_return redirect_response(*link);
}

Response ShortenerService::redirect_response(const Link& link) const {
  auto status = link.redirect_status.value_or(options_.default_redirect_status);
  Response response{static_cast<http::status>(status), 11};
  response.set(http::field::location, link.long_url);
  response.set(http::field::cache_control, cache_control_);
  return response;
}

Response ShortenerService::missing_link_response(const Request& request, bool expired) const {
  auto status = expired ? http::status::gone : http::status::not_found;
  Response response;
  if (core::prefers_html(request)) {
    response = Response{status, 11};
    response.set(http::field::content_type, "text/html; charset=utf-8");
    response.body() = missing_link_page(expired);
  } else if (expired) {
    response = error_response(status, "link_expired", "This short link has expired.");
  } else {
    response = error_response(status, "link_not_found", "No short link has this code.");
  }
  response.set(http::field::cache_control, "no-store");
  return response;
}

boost::asio::awaitable<bool> ShortenerService::create(Link& link) {
  int attempts = link.custom_alias ? 1 : kGeneratedCodeAttempts;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (!link.custom_alias) {
      link.code = generate_code(options_.code_length);
    }
    auto insert = [this, &link] { return store_.insert(link); };
    if (co_await storage_threads_.run(std::move(insert)) == InsertOutcome::kInserted) {
      co_return true;
    }
    if (!link.custom_alias) {
      code_collisions_.increment();
    }
  }
  co_return false;
}

ShortenerService::Awaitable ShortenerService::shorten(Request& request) {
  CreationRequest fields;
  if (auto problem = read_creation_request(request, fields)) {
    co_return std::move(*problem);
  }

  auto normalized = normalize_destination(fields.long_url, options_.url_policy);
  if (!normalized) {
    co_return error_response(http::status::bad_request, error_code(normalized.error().error),
                             normalized.error().message);
  }

  if (!fields.custom_alias.empty()) {
    if (auto problem = check_alias(fields.custom_alias)) {
      co_return error_response(http::status::bad_request, alias_problem_code(*problem),
                               alias_problem_message(*problem));
    }
  }

  auto now = clock_.now();
  Link link{.code = fields.custom_alias,
            .long_url = std::move(*normalized),
            .created_at = now,
            .expires_at = std::nullopt,
            .redirect_status = fields.redirect_status,
            .user_id = std::move(fields.user_id),
            .custom_alias = !fields.custom_alias.empty()};
  if (fields.expiry_date) {
    link.expires_at = parse_rfc3339(*fields.expiry_date);
    if (!link.expires_at) {
      co_return error_response(http::status::bad_request, "invalid_expiry_date",
                               "The field 'expiry_date' must be an RFC 3339 date-time with an "
                               "offset, such as 2030-01-01T10:00:00Z.");
    }
    if (*link.expires_at <= now) {
      co_return error_response(http::status::bad_request, "expiry_in_past",
                               "The field 'expiry_date' must lie in the future.");
    }
  }

  if (!co_await create(link)) {
    if (!fields.custom_alias.empty()) {
      co_return error_response(http::status::conflict, "alias_taken",
                               "This custom alias is already in use.");
    }
    core::logger("shortener")->error("no free code after {} attempts", kGeneratedCodeAttempts);
    co_return error_response(http::status::service_unavailable, "code_space_exhausted",
                             "No free short code was found; try again or raise the code length.");
  }

  links_created_.increment();
  cache_.erase(link.code);  // drop a cached "absent" for a code that now exists
  json::object body{{"short_url", short_url(link.code)},
                    {"code", link.code},
                    {"long_url", link.long_url},
                    {"expiry_date", optional_time(link.expires_at)},
                    {"created_at", format_rfc3339(link.created_at)}};
  auto response = core::json_response(http::status::created, body);
  response.set(http::field::location, "/api/v1/links/" + link.code);
  co_return response;
}

ShortenerService::Awaitable ShortenerService::describe(const core::PathParams& params) {
  const auto& code = params.get("code");
  std::optional<Link> link;
  if (could_be_code(code)) {
    auto lookup = [this, &code] { return store_.find(code); };
    link = co_await storage_threads_.run(std::move(lookup));
  }
  if (!link) {
    auto missing =
        error_response(http::status::not_found, "link_not_found", "No short link has this code.");
    missing.set(http::field::cache_control, "no-store");
    co_return missing;
  }

  json::object body{
      {"code", link->code},
      {"short_url", short_url(link->code)},
      {"long_url", link->long_url},
      {"created_at", format_rfc3339(link->created_at)},
      {"expiry_date", optional_time(link->expires_at)},
      {"expired", link->expired_at(clock_.now())},
      {"redirect_status", link->redirect_status.value_or(options_.default_redirect_status)},
      {"custom_alias", link->custom_alias},
      {"user_id", link->user_id ? json::value(*link->user_id) : json::value(nullptr)}};
  co_return core::json_response(http::status::ok, body);
}

ShortenerService::Awaitable ShortenerService::ready() {
  try {
    auto check = [this] { store_.check_ready(); };
    co_await storage_threads_.run(std::move(check));
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
  response.body() = metrics_.render();
  return response;
}

std::string ShortenerService::short_url(const std::string& code) const {
  return options_.public_base_url + "/" + code;
}

}  // namespace waypost::shortener
