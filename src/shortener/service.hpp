// The shortener's HTTP surface: creating links, redirecting, link metadata,
// health and metrics. Holds no state of its own beyond the cache; links live
// in the LinkStore.
//
// Request paths (see docs/ARCHITECTURE.md):
//   GET|HEAD /{code}          cache, then store on a miss; 301/302/307/308, 404 or 410
//   POST /api/v1/shorten      validate, normalise, insert (retrying generated codes)
//   GET /api/v1/links/{code}  metadata from the store
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/blocking_pool.hpp"
#include "core/metrics.hpp"
#include "core/router.hpp"
#include "shortener/clock.hpp"
#include "shortener/link_cache.hpp"
#include "shortener/link_store.hpp"
#include "shortener/url_normalizer.hpp"

namespace waypost::shortener {

struct ShortenerOptions {
  std::string public_base_url = "http://localhost:8080";  // prefix of every short_url
  std::size_t code_length = 7;
  int default_redirect_status = 301;
  std::chrono::seconds redirect_max_age{90};  // Cache-Control max-age on redirects
  UrlPolicy url_policy;
  LinkCacheOptions cache;
};

class ShortenerService {
 public:
  // `store`, `storage_threads`, `clock` and `metrics` must outlive the service.
  ShortenerService(ShortenerOptions options, LinkStore& store, core::BlockingPool& storage_threads,
                   const Clock& clock, core::MetricsRegistry& metrics);

  // Adds every route of the service to `router`.
  void register_routes(core::Router& router);

  const ShortenerOptions& options() const { return options_; }

 private:
  using Awaitable = boost::asio::awaitable<core::Response>;

  Awaitable redirect(core::Request& request, const core::PathParams& params);
  Awaitable shorten(core::Request& request);
  Awaitable describe(const core::PathParams& params);
  Awaitable ready();
  core::Response metrics_page() const;

  // Reads `code` from the store on a storage thread and caches the answer
  // (including its absence) as of `now`.
  boost::asio::awaitable<std::shared_ptr<const Link>> load(const std::string& code, Timestamp now);
  // Inserts `link`, drawing its code first unless it is a custom alias; false
  // when the alias (or every drawn code) was taken.
  boost::asio::awaitable<bool> create(Link& link);
  core::Response redirect_response(const Link& link) const;
  core::Response missing_link_response(const core::Request& request, bool expired) const;
  std::string short_url(const std::string& code) const;

  ShortenerOptions options_;
  LinkStore& store_;
  core::BlockingPool& storage_threads_;
  const Clock& clock_;
  core::MetricsRegistry& metrics_;
  LinkCache cache_;
  std::string cache_control_;

  core::Counter& cache_hits_;
  core::Counter& cache_misses_;
  core::Counter& links_created_;
  core::Counter& code_collisions_;
  core::Histogram& store_latency_;
};

}  // namespace waypost::shortener
