// Reading and managing links through the API: metadata, an owner's list,
// edits, deletion, click statistics and QR codes. Links that have an owner
// are changed (and their stats read) only with that owner's key; to anybody
// else they answer 404, exactly like a code that does not exist, so codes
// cannot be probed.
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <tuple>

#include "shortener/codes.hpp"
#include "shortener/link_fields.hpp"
#include "shortener/link_password.hpp"
#include "shortener/qr_code.hpp"
#include "shortener/service.hpp"

namespace waypost::shortener {

namespace http = core::http;
namespace json = boost::json;
using core::error_response;
using core::Request;
using core::Response;

namespace {

constexpr std::size_t kDefaultPageSize = 50;
constexpr std::size_t kMaxPageSize = 1000;
constexpr std::size_t kMaxSeriesPoints = 10'000;

constexpr std::string_view kSendAKey = "Send an API key as 'Authorization: Bearer <key>'.";

Response link_not_found() {
  auto response =
      error_response(http::status::not_found, "link_not_found", "No short link has this code.");
  response.set(http::field::cache_control, "no-store");
  return response;
}

Response bad_parameter(std::string_view code, const std::string& message) {
  return error_response(http::status::bad_request, code, message);
}

std::optional<long> whole_number(std::string_view text) {
  long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// List cursors are "<created_at micros>.<code>": the last link of a page.
std::string list_cursor(const Link& link) {
  return std::to_string(link.created_at.time_since_epoch().count()) + "." + link.code;
}

std::optional<std::pair<Timestamp, std::string>> read_list_cursor(std::string_view cursor) {
  auto dot = cursor.find('.');
  auto micros = whole_number(cursor.substr(0, dot));
  if (dot == std::string_view::npos || !micros || dot + 1 == cursor.size()) {
    return std::nullopt;
  }
  return std::pair{Timestamp(std::chrono::microseconds(*micros)),
                   std::string(cursor.substr(dot + 1))};
}

json::array top_json(const std::vector<TopEntry>& entries) {
  json::array out;
  for (const auto& entry : entries) {
    out.push_back(json::object{{"value", entry.value}, {"clicks", entry.clicks}});
  }
  return out;
}

json::object counts_json(const ClickCounts& counts) {
  return {{"human", counts.human}, {"unique_human", counts.unique_human}, {"bot", counts.bot}};
}

// The parameters of GET /api/v1/links: limit, cursor and q. Parsing lives in
// plain functions rather than in the coroutines (GCC 12 mixes up same-named
// locals of sibling scopes inside a coroutine frame).
std::optional<Response> read_list_query(std::string_view target, LinkListQuery& query) {
  auto parameters = core::query_parameters(target);
  if (auto limit_text = parameters.find("limit"); limit_text != parameters.end()) {
    auto limit = whole_number(limit_text->second);
    if (!limit || *limit < 1 || *limit > static_cast<long>(kMaxPageSize)) {
      return bad_parameter("invalid_parameter", "'limit' must be a whole number from 1 to 1000.");
    }
    query.limit = static_cast<std::size_t>(*limit);
  }
  if (auto cursor = parameters.find("cursor");
      cursor != parameters.end() && !cursor->second.empty()) {
    query.after = read_list_cursor(cursor->second);
    if (!query.after) {
      return bad_parameter("invalid_parameter", "'cursor' is not a cursor this API gave out.");
    }
  }
  if (auto text = parameters.find("q"); text != parameters.end()) {
    query.text = text->second;
  }
  return std::nullopt;
}

// from, to and interval of the stats endpoint, over the defaults in `query`.
std::optional<Response> read_stats_query(std::string_view target, StatsQuery& query) {
  auto parameters = core::query_parameters(target);
  for (auto [name, instant] : {std::pair{"from", &query.from}, std::pair{"to", &query.to}}) {
    if (auto text = parameters.find(name); text != parameters.end()) {
      auto parsed = parse_rfc3339(text->second);
      if (!parsed) {
        return bad_parameter("invalid_parameter",
                             "'" + std::string(name) + "' must be an RFC 3339 date-time.");
      }
      *instant = *parsed;
    }
  }
  if (auto interval = parameters.find("interval"); interval != parameters.end()) {
    if (interval->second != "hour" && interval->second != "day") {
      return bad_parameter("invalid_parameter", "'interval' must be 'hour' or 'day'.");
    }
    query.interval = interval->second == "hour" ? StatsInterval::kHour : StatsInterval::kDay;
  }

  if (query.to <= query.from) {
    return bad_parameter("invalid_range", "'from' must lie before 'to'.");
  }
  if (buckets_of(query).bucket_count > static_cast<std::int64_t>(kMaxSeriesPoints)) {
    return bad_parameter("range_too_large",
                         "The range holds more than 10,000 intervals; narrow it or use days.");
  }
  return std::nullopt;
}

// format, size and margin of the QR endpoint.
std::optional<Response> read_qr_query(std::string_view target, QrOptions& options, bool& png) {
  auto parameters = core::query_parameters(target);
  if (auto format = parameters.find("format"); format != parameters.end()) {
    if (format->second != "svg" && format->second != "png") {
      return bad_parameter("invalid_parameter", "'format' must be 'svg' or 'png'.");
    }
    png = format->second == "png";
  }
  for (auto [name, field, low, high] : {std::tuple{"size", &options.size, kMinQrSize, kMaxQrSize},
                                        std::tuple{"margin", &options.margin, 0, kMaxQrMargin}}) {
    if (auto text = parameters.find(name); text != parameters.end()) {
      auto value = whole_number(text->second);
      if (!value || *value < low || *value > high) {
        return bad_parameter("invalid_parameter",
                             "'" + std::string(name) + "' must be a whole number from " +
                                 std::to_string(low) + " to " + std::to_string(high) + ".");
      }
      *field = static_cast<int>(*value);
    }
  }
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<std::optional<Link>> ShortenerService::visible_link(
    const std::string& code, const std::optional<ApiKey>& key, bool owner_only) {
  std::optional<Link> link;
  if (could_be_code(code)) {
    auto lookup = [this, &code] { return parts_.links.find(code); };
    link = co_await parts_.storage_threads.run(std::move(lookup));
  }
  bool owned_by_caller = link && link->owner && key && key->owner == *link->owner;
  bool allowed = link && (owned_by_caller || (!owner_only && !link->owner));
  co_return allowed ? link : std::nullopt;
}

json::object ShortenerService::link_json(const Link& link) const {
  auto optional_int = [](const auto& value) {
    return value ? json::value(*value) : json::value(nullptr);
  };
  return {{"code", link.code},
          {"short_url", short_url(link.code)},
          {"long_url", link.long_url},
          {"created_at", format_rfc3339(link.created_at)},
          {"updated_at", optional_time_json(link.updated_at)},
          {"expiry_date", optional_time_json(link.expires_at)},
          {"expired", link.expired_at(parts_.clock.now())},
          {"redirect_status", link.redirect_status.value_or(options_.default_redirect_status)},
          {"custom_alias", link.custom_alias},
          {"user_id", link.user_id ? json::value(*link.user_id) : json::value(nullptr)},
          {"owner", link.owner ? json::value(*link.owner) : json::value(nullptr)},
          {"max_visits", optional_int(link.max_visits)},
          {"visits", link.visits},
          {"password_protected", link.password_protected()}};
}

ShortenerService::Awaitable ShortenerService::describe(Request& request, const Context& context,
                                                       const Params& params) {
  auto caller = co_await identify(request);
  if (caller.refusal) {
    co_return std::move(*caller.refusal);
  }
  auto link = co_await visible_link(params.get("code"), caller.key, false);
  if (!link) {
    // Unknown codes asked for through the API spend the same budget as redirects.
    auto visitor = client_address(request, context);
    RateDecision decision;
    if (!exempt(visitor)) {
      if (auto refusal =
              over_limit(not_found_limiter_, "not_found", visitor.to_string(), decision)) {
        co_return std::move(*refusal);
      }
    }
    co_return link_not_found();
  }
  co_return core::json_response(http::status::ok, link_json(*link));
}

ShortenerService::Awaitable ShortenerService::list_links(Request& request) {
  auto caller = co_await identify(request, kSendAKey);
  if (caller.refusal) {
    co_return std::move(*caller.refusal);
  }

  LinkListQuery query{.owner = caller.key->owner, .limit = kDefaultPageSize};
  if (auto problem = read_list_query(request.target(), query)) {
    co_return std::move(*problem);
  }

  // One more than asked tells whether another page follows.
  ++query.limit;
  auto lookup = [this, &query] { return parts_.links.list(query); };
  auto links = co_await parts_.storage_threads.run(std::move(lookup));
  bool more = links.size() == query.limit;
  if (more) {
    links.pop_back();
  }

  json::array page;
  for (const auto& link : links) {
    page.push_back(link_json(link));
  }
  co_return core::json_response(
      http::status::ok,
      {{"links", page},
       {"next_cursor", more ? json::value(list_cursor(links.back())) : json::value(nullptr)}});
}

ShortenerService::Awaitable ShortenerService::update_link(Request& request, const Params& params) {
  auto caller = co_await identify(request, kSendAKey);
  if (caller.refusal) {
    co_return std::move(*caller.refusal);
  }
  json::object body;
  if (auto problem = read_json_object(request, body)) {
    co_return std::move(*problem);
  }
  LinkFields changes;
  if (auto field_problem = read_link_fields(body, changes, FieldMode::kUpdate)) {
    co_return std::move(*field_problem);
  }
  auto link = co_await visible_link(params.get("code"), caller.key, true);
  if (!link) {
    co_return link_not_found();
  }

  // Apply the changes to the stored link, checking each as creation would.
  auto now = parts_.clock.now();
  if (changes.long_url) {
    auto normalized = normalize_destination(*changes.long_url, options_.url_policy);
    if (!normalized) {
      co_return error_response(http::status::bad_request, error_code(normalized.error().error),
                               normalized.error().message);
    }
    if (auto blocked = refuse_blocked(*normalized)) {
      co_return std::move(*blocked);
    }
    link->long_url = std::move(*normalized);
  }
  if (changes.expires_at) {
    if (*changes.expires_at && **changes.expires_at <= now) {
      co_return error_response(http::status::bad_request, "expiry_in_past",
                               "The field 'expiry_date' must lie in the future.");
    }
    link->expires_at = *changes.expires_at;
  }
  if (changes.redirect_status) {
    link->redirect_status = *changes.redirect_status;
  }
  if (changes.max_visits) {
    link->max_visits = *changes.max_visits;
  }
  if (changes.password) {
    link->password_hash.reset();
    if (*changes.password) {
      auto hash = [&password = **changes.password] { return hash_link_password(password); };
      link->password_hash = co_await parts_.storage_threads.run(std::move(hash));
    }
  }
  link->updated_at = now;

  auto update = [this, &link] { return parts_.links.update(*link); };
  if (!co_await parts_.storage_threads.run(std::move(update))) {
    co_return link_not_found();  // deleted in the meantime
  }
  cache_.erase(link->code);
  co_return core::json_response(http::status::ok, link_json(*link));
}

ShortenerService::Awaitable ShortenerService::delete_link(Request& request, const Params& params) {
  auto caller = co_await identify(request, kSendAKey);
  if (caller.refusal) {
    co_return std::move(*caller.refusal);
  }
  const auto& code = params.get("code");
  auto remove = [this, &code, &owner = caller.key->owner] {
    return could_be_code(code) && parts_.links.remove(code, owner, parts_.clock.now());
  };
  if (!co_await parts_.storage_threads.run(std::move(remove))) {
    co_return link_not_found();
  }
  cache_.erase(code);
  co_return Response{http::status::no_content, 11};
}

ShortenerService::Awaitable ShortenerService::link_stats(Request& request, const Params& params) {
  auto caller = co_await identify(request);
  if (caller.refusal) {
    co_return std::move(*caller.refusal);
  }
  auto link = co_await visible_link(params.get("code"), caller.key, false);
  if (!link) {
    co_return link_not_found();
  }

  StatsQuery query{.code = link->code, .from = link->created_at, .to = parts_.clock.now()};
  if (auto problem = read_stats_query(request.target(), query)) {
    co_return std::move(*problem);
  }

  auto read = [this, &query] { return parts_.clicks.stats(query); };
  auto stats = co_await parts_.storage_threads.run(std::move(read));
  json::array series;
  for (const auto& point : stats.series) {
    auto entry = counts_json(point.counts);
    entry["start"] = format_rfc3339(point.start);
    series.push_back(std::move(entry));
  }
  co_return core::json_response(
      http::status::ok, {{"code", link->code},
                         {"from", format_rfc3339(query.from)},
                         {"to", format_rfc3339(query.to)},
                         {"interval", query.interval == StatsInterval::kHour ? "hour" : "day"},
                         {"clicks", counts_json(stats.total)},
                         {"series", series},
                         {"top",
                          {{"referrers", top_json(stats.referrers)},
                           {"countries", top_json(stats.countries)},
                           {"browsers", top_json(stats.browsers)},
                           {"operating_systems", top_json(stats.operating_systems)},
                           {"devices", top_json(stats.devices)}}}});
}

ShortenerService::Awaitable ShortenerService::qr_code(Request& request, const Params& params) {
  QrOptions options;
  bool png = false;
  if (auto problem = read_qr_query(request.target(), options, png)) {
    co_return std::move(*problem);
  }

  // Every link's QR code is public, as the short URL it encodes is. A large
  // PNG takes milliseconds to encode, so it is drawn beside the lookup, off
  // the I/O thread.
  const auto& code = params.get("code");
  auto draw = [this, &code, &options, png]() -> std::optional<std::string> {
    auto link = could_be_code(code) ? parts_.links.find(code) : std::nullopt;
    if (!link) {
      return std::nullopt;
    }
    auto text = short_url(link->code);
    return png ? render_qr_png(text, options) : render_qr_svg(text, options);
  };
  auto image = co_await parts_.storage_threads.run(std::move(draw));
  if (!image) {
    co_return link_not_found();
  }

  Response response{http::status::ok, 11};
  response.body() = std::move(*image);
  response.set(http::field::content_type, png ? "image/png" : "image/svg+xml");
  response.set(http::field::cache_control, "public, max-age=86400");
  co_return response;
}

}  // namespace waypost::shortener
