// Following short links: GET|HEAD /{code}, and POST /{code} for the password
// form of protected links. The hot path (a cached link, no limit, no
// password) answers without suspending and without touching any store.
#include <boost/beast/core/string.hpp>

#include "shortener/codes.hpp"
#include "shortener/link_password.hpp"
#include "shortener/pages.hpp"
#include "shortener/service.hpp"

namespace waypost::shortener {

namespace http = core::http;
using core::error_response;
using core::Request;
using core::Response;

namespace {

bool contains_ignoring_case(std::string_view text, std::string_view word) {
  if (word.size() > text.size()) {
    return false;
  }
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
    if (boost::beast::iequals(text.substr(i, word.size()), word)) {
      return true;
    }
  }
  return false;
}

// Browsers announce speculative loads (link prefetch, prerender, preview
// panes); such loads are not visits.
bool is_prefetch(const Request& request) {
  for (auto header : {"Purpose", "Sec-Purpose", "X-Purpose", "X-Moz"}) {
    auto value = request[header];
    if (contains_ignoring_case(value, "prefetch") || contains_ignoring_case(value, "preview") ||
        contains_ignoring_case(value, "prerender")) {
      return true;
    }
  }
  return false;
}

// The `password` field of an application/x-www-form-urlencoded body.
std::optional<std::string> form_password(const Request& request) {
  auto fields = core::parse_form(request.body());
  auto password = fields.find("password");
  return password == fields.end() ? std::nullopt : std::optional(password->second);
}

Response html_page(http::status status, std::string body) {
  Response response{status, 11};
  response.set(http::field::content_type, "text/html; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

}  // namespace

boost::asio::awaitable<std::shared_ptr<const Link>> ShortenerService::load(const std::string& code,
                                                                           Timestamp now) {
  cache_misses_.increment();
  auto lookup = [this, &code] {
    auto started = std::chrono::steady_clock::now();
    auto link = parts_.links.find(code);
    store_latency_.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return link;
  };
  auto found = co_await parts_.storage_threads.run(std::move(lookup));
  auto link = found ? std::make_shared<const Link>(std::move(*found)) : nullptr;
  cache_.put(code, link, now);
  co_return link;
}

boost::asio::awaitable<std::shared_ptr<const Link>> ShortenerService::cached_or_loaded(
    const std::string& code, Timestamp now) {
  if (auto cached = cache_.lookup(code, now)) {
    cache_hits_.increment();
    co_return std::move(cached->link);
  }
  co_return co_await load(code, now);
}

ShortenerService::Awaitable ShortenerService::redirect(Request& request, const Context& context,
                                                       const Params& params) {
  const auto& code = params.get("code");
  if (is_reserved_name(code)) {
    co_return error_response(http::status::not_found, "route_not_found",
                             "No resource lives at this path.");
  }

  // A hit (the common case) is answered without suspending.
  auto now = parts_.clock.now();
  std::shared_ptr<const Link> link;
  if (auto cached = could_be_code(code) ? cache_.lookup(code, now) : std::nullopt) {
    cache_hits_.increment();
    link = std::move(cached->link);
  } else {
    // Someone probing for codes runs out of budget before the store is asked.
    auto prober = client_address(request, context);
    if (!exempt(prober) && !not_found_limiter_.unlimited()) {
      auto budget = not_found_limiter_.take(prober.to_string(), RateLimiter::Clock::now(), 0);
      if (budget.remaining < 1) {
        co_return *over_limit(not_found_limiter_, "not_found", prober.to_string(), budget);
      }
    }
    if (could_be_code(code)) {
      link = co_await load(code, now);
    }
  }

  if (!link) {
    auto asker = client_address(request, context);
    RateDecision decision;
    if (!exempt(asker)) {
      if (auto refusal = over_limit(not_found_limiter_, "not_found", asker.to_string(), decision)) {
        co_return std::move(*refusal);
      }
    }
    co_return missing_link_response(request, false);
  }
  if (link->expired_at(now)) {
    co_return missing_link_response(request, true);
  }
  if (parts_.blocklist.current()->blocks(destination_host(link->long_url))) {
    blocked_redirects_.increment();
    co_return blocked_link_response(request);
  }
  if (link->password_protected()) {
    // The form is not worth filling in for a link that is used up.
    if (link->visit_limited() && co_await used_up_in_store(link->code)) {
      cache_.erase(link->code);
      co_return used_up_response(request);
    }
    co_return html_page(http::status::ok, password_page(code, ""));
  }

  // Without trusted proxies the visitor is the TCP peer: no header parsing.
  auto visitor = options_.abuse.trusted_proxies.empty() ? context.remote.address()
                                                        : client_address(request, context);
  bool counts = request.method() == http::verb::get && !is_prefetch(request);
  co_return co_await follow(request, visitor, *link, now, counts);
}

ShortenerService::Awaitable ShortenerService::unlock(Request& request, const Context& context,
                                                     const Params& params) {
  const auto& code = params.get("code");
  auto now = parts_.clock.now();
  std::shared_ptr<const Link> link;
  if (could_be_code(code) && !is_reserved_name(code)) {
    link = co_await cached_or_loaded(code, now);
  }
  if (!link || !link->password_protected()) {
    auto response = error_response(http::status::method_not_allowed, "method_not_allowed",
                                   "Only password-protected links accept a form.");
    response.set(http::field::allow, "GET, HEAD");
    co_return response;
  }
  if (link->expired_at(now)) {
    co_return missing_link_response(request, true);
  }
  if (parts_.blocklist.current()->blocks(destination_host(link->long_url))) {
    blocked_redirects_.increment();
    co_return blocked_link_response(request);
  }

  // Guessing is slowed per visitor and link, before any hashing.
  auto visitor = client_address(request, context);
  RateDecision decision;
  if (!exempt(visitor)) {
    if (auto refusal =
            over_limit(password_limiter_, "password", visitor.to_string() + " " + code, decision)) {
      auto page = html_page(
          http::status::too_many_requests,
          password_page(code, "Too many attempts. Try again in " +
                                  std::to_string(decision.retry_after_seconds) + " seconds."));
      page.set(http::field::retry_after, std::to_string(decision.retry_after_seconds));
      co_return page;
    }
  }

  auto password = form_password(request);
  auto check = [&hash = *link->password_hash, &password] {
    return password && verify_link_password(hash, *password);
  };
  if (!co_await parts_.storage_threads.run(std::move(check))) {
    co_return html_page(http::status::forbidden, password_page(code, "Wrong password."));
  }

  auto response = co_await follow(request, visitor, *link, now, !is_prefetch(request));
  if (response.result_int() / 100 == 3) {
    // After a form, 303 makes the browser GET the destination (307 and 308 would re-POST
    // the password there), and nothing may cache the way around the form.
    response.result(http::status::see_other);
    response.set(http::field::cache_control, "no-store");
  }
  co_return response;
}

ShortenerService::Awaitable ShortenerService::follow(const Request& request,
                                                     const boost::asio::ip::address& visitor,
                                                     const Link& link, Timestamp now, bool counts) {
  auto user_agent =
      std::string_view(request[http::field::user_agent]).substr(0, kMaxClickUserAgentBytes);
  std::optional<bool> bot;
  bool visit_counted = false;

  if (link.visit_limited()) {
    // The limit is checked and counted in the store, so that it holds across
    // processes; bots and non-visits only look.
    auto check = [this, &link, &user_agent, counts] {
      bool is_bot = parts_.user_agents->parse(user_agent).bot;
      if (counts && !is_bot) {
        return std::pair{is_bot, parts_.links.take_visit(link.code)};
      }
      auto fresh = parts_.links.find(link.code);
      return std::pair{is_bot, fresh && !fresh->used_up()};
    };
    auto [is_bot, allowed] = co_await parts_.storage_threads.run(std::move(check));
    if (!allowed) {
      cache_.erase(link.code);
      co_return used_up_response(request);
    }
    bot = is_bot;
    visit_counted = counts && !is_bot;
  }

  if (counts && parts_.recorder != nullptr) {
    parts_.recorder->record(RawClick{
        .code = link.code,
        .at = now,
        .address = visitor,
        .user_agent = user_agent,
        .referrer = request[http::field::referer],
        .bot = bot,
        .visit_already_counted = visit_counted,
    });
  }
  auto response = redirect_response(link);
  if (link.visit_limited()) {
    response.set(http::field::cache_control, "no-store");  // every visit must reach us
  }
  co_return response;
}

boost::asio::awaitable<bool> ShortenerService::used_up_in_store(const std::string& code) {
  auto check = [this, &code] {
    auto fresh = parts_.links.find(code);
    return fresh && fresh->used_up();
  };
  co_return co_await parts_.storage_threads.run(std::move(check));
}

Response ShortenerService::used_up_response(const Request& request) const {
  auto response = core::prefers_html(request)
                      ? html_page(http::status::gone, missing_link_page(true))
                      : error_response(http::status::gone, "link_used_up",
                                       "This short link has reached its visit limit.");
  response.set(http::field::cache_control, "no-store");
  return response;
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
    response = html_page(status, missing_link_page(expired));
  } else if (expired) {
    response = error_response(status, "link_expired", "This short link has expired.");
  } else {
    response = error_response(status, "link_not_found", "No short link has this code.");
  }
  response.set(http::field::cache_control, "no-store");
  return response;
}

Response ShortenerService::blocked_link_response(const Request& request) const {
  auto response = core::prefers_html(request)
                      ? html_page(http::status::forbidden, blocked_link_page())
                      : error_response(http::status::forbidden, "destination_blocked",
                                       "This short link points to a blocked domain.");
  response.set(http::field::cache_control, "no-store");
  return response;
}

}  // namespace waypost::shortener
