// The shortener's HTTP surface: creating and managing links, redirecting,
// click statistics, QR codes, health and metrics. Holds no state of its own
// beyond the redirect cache and the rate limiters; links, keys and clicks
// live in their stores.
//
// Request paths (see docs/ARCHITECTURE.md):
//   GET|HEAD /{code}            cache, then store on a miss; 301/302/307/308, 404, 410,
//                               a password form, or a warning for blocked destinations
//   POST /{code}                the password form's answer
//   POST /api/v1/shorten        validate, normalise, insert (retrying generated codes)
//   /api/v1/links...            metadata, listing, edits, deletion, bulk creation,
//                               stats and QR codes (see README.md for the whole API)
//
// Files: service.cpp (routes, authentication, rate limits), link_creation.cpp,
// redirects.cpp, link_management.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/blocking_pool.hpp"
#include "core/metrics.hpp"
#include "core/router.hpp"
#include "shortener/abuse/address_set.hpp"
#include "shortener/abuse/domain_blocklist.hpp"
#include "shortener/abuse/rate_limiter.hpp"
#include "shortener/analytics/click_recorder.hpp"
#include "shortener/analytics/click_store.hpp"
#include "shortener/api_keys.hpp"
#include "shortener/clock.hpp"
#include "shortener/link_cache.hpp"
#include "shortener/link_store.hpp"
#include "shortener/url_normalizer.hpp"

namespace waypost::shortener {

// Token-bucket limits and who is exempt from them.
struct AbuseOptions {
  RateLimit anonymous_creation{.per_second = 1, .burst = 20};  // per client address
  RateLimit api_key{.per_second = 20, .burst = 100};           // per key, every API call
  RateLimit not_found{.per_second = 1, .burst = 30};           // unknown codes per address
  RateLimit password_attempts{.per_second = 0.1, .burst = 5};  // per address and link
  AddressSet exempt_addresses;                                 // no limit applies to these clients
  std::vector<std::string> exempt_owners;                      // nor to these owners' keys
  AddressSet trusted_proxies;                                  // whose X-Forwarded-For is believed
};

struct ShortenerOptions {
  std::string public_base_url = "http://localhost:8080";  // prefix of every short_url
  std::size_t code_length = 7;
  int default_redirect_status = 301;
  std::chrono::seconds redirect_max_age{90};  // Cache-Control max-age on redirects
  UrlPolicy url_policy;
  LinkCacheOptions cache;
  bool anonymous_creation = true;  // false: POST /api/v1/shorten needs an API key
  std::size_t max_bulk_links = 1000;
  AbuseOptions abuse;
};

// What the service works with. Everything must outlive the service.
struct ShortenerParts {
  LinkStore& links;
  ApiKeyStore& api_keys;
  ClickStore& clicks;
  ClickRecorder* recorder;  // null: clicks are not recorded (analytics off)
  std::shared_ptr<const UserAgentParser> user_agents;  // tells bots from people
  const BlocklistHolder& blocklist;
  core::BlockingPool& storage_threads;
  const Clock& clock;
  core::MetricsRegistry& metrics;
};

class ShortenerService {
 public:
  ShortenerService(ShortenerOptions options, ShortenerParts parts);

  // Adds every route of the service to `router`.
  void register_routes(core::Router& router);

  const ShortenerOptions& options() const { return options_; }

 private:
  using Awaitable = boost::asio::awaitable<core::Response>;
  using Context = core::RequestContext;
  using Params = core::PathParams;

  // The caller of an API request: anonymous, an owner's key, or an answer
  // (401 for a bad key, 429 over the key's limit) to send instead. With
  // `key_needed` (why the request needs one), an anonymous caller gets a 401
  // refusal too, so a caller without a refusal then always has a key.
  struct Caller {
    std::optional<ApiKey> key;
    std::optional<core::Response> refusal;
    RateDecision limit{};  // of the key's bucket; for the RateLimit-* headers
  };

  // service.cpp
  boost::asio::awaitable<Caller> identify(const core::Request& request,
                                          std::optional<std::string_view> key_needed = {});
  // 401 asking for an API key, `message` saying why one is needed.
  static core::Response key_required(std::string_view message);
  boost::asio::ip::address client_address(const core::Request& request,
                                          const Context& context) const;
  std::optional<core::Response> over_limit(RateLimiter& limiter, std::string_view limit_name,
                                           const std::string& key, RateDecision& decision,
                                           double cost = 1);
  bool exempt(const boost::asio::ip::address& address) const;
  Awaitable ready();
  core::Response metrics_page() const;
  std::string short_url(const std::string& code) const;

  // link_creation.cpp
  Awaitable shorten(core::Request& request, const Context& context);
  Awaitable create_in_bulk(core::Request& request);
  // Turns one creation request into a link ready to insert, or the error answer.
  boost::asio::awaitable<std::variant<Link, core::Response>> prepare_link(
      const boost::json::object& fields, const std::optional<ApiKey>& key);
  // Inserts `link`, drawing its code first unless it is a custom alias; false
  // when the alias (or every drawn code) was taken.
  boost::asio::awaitable<bool> insert_link(Link& link);
  std::optional<core::Response> refuse_blocked(const std::string& normalized_url);

  // redirects.cpp
  Awaitable redirect(core::Request& request, const Context& context, const Params& params);
  Awaitable unlock(core::Request& request, const Context& context, const Params& params);
  // Reads `code` from the store on a storage thread and caches the answer
  // (including its absence) as of `now`.
  boost::asio::awaitable<std::shared_ptr<const Link>> load(const std::string& code, Timestamp now);
  boost::asio::awaitable<std::shared_ptr<const Link>> cached_or_loaded(const std::string& code,
                                                                       Timestamp now);
  // Counts the click when `counts` (or refuses a visit-limited link that is
  // used up) and answers with the redirect.
  Awaitable follow(const core::Request& request, const boost::asio::ip::address& visitor,
                   const Link& link, Timestamp now, bool counts);
  // Whether link `code`, as stored now, has a visit limit and has reached it.
  boost::asio::awaitable<bool> used_up_in_store(const std::string& code);
  core::Response redirect_response(const Link& link) const;
  core::Response used_up_response(const core::Request& request) const;
  core::Response missing_link_response(const core::Request& request, bool expired) const;
  core::Response blocked_link_response(const core::Request& request) const;

  // link_management.cpp
  Awaitable describe(core::Request& request, const Context& context, const Params& params);
  Awaitable list_links(core::Request& request);
  Awaitable update_link(core::Request& request, const Params& params);
  Awaitable delete_link(core::Request& request, const Params& params);
  Awaitable link_stats(core::Request& request, const Params& params);
  Awaitable qr_code(core::Request& request, const Params& params);
  // The link `code` if `caller` may see it (owned links only by their
  // owner), else nullopt.
  boost::asio::awaitable<std::optional<Link>> visible_link(const std::string& code,
                                                           const std::optional<ApiKey>& key,
                                                           bool owner_only);
  boost::json::object link_json(const Link& link) const;

  ShortenerOptions options_;
  ShortenerParts parts_;
  LinkCache cache_;
  std::string cache_control_;
  RateLimiter creation_limiter_;
  RateLimiter api_key_limiter_;
  RateLimiter not_found_limiter_;
  RateLimiter password_limiter_;

  core::Counter& cache_hits_;
  core::Counter& cache_misses_;
  core::Counter& links_created_;
  core::Counter& code_collisions_;
  core::Counter& blocked_creations_;
  core::Counter& blocked_redirects_;
  core::Histogram& store_latency_;
};

}  // namespace waypost::shortener
