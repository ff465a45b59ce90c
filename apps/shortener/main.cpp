// shortener-server: the URL shortener's process. Parses configuration, opens
// the store, serves HTTP until SIGTERM or SIGINT, then shuts down gracefully.
#include <CLI/CLI.hpp>
#include <boost/url/parse.hpp>

#include "core/blocking_pool.hpp"
#include "core/http_server.hpp"
#include "core/logging.hpp"
#include "core/router.hpp"
#include "core/server_flags.hpp"
#include "shortener/service.hpp"
#include "shortener/sqlite_link_store.hpp"

namespace {

using namespace waypost;

struct Settings {
  core::CommonServerSettings server;
  shortener::ShortenerOptions shortener;
  std::string public_url;  // empty: derived from the bound address and port
  std::vector<std::string> own_hosts;
};

void define_shortener_flags(CLI::App& app, Settings& s) {
  app.add_option("--public-url", s.public_url,
                 "Base URL of short links in API answers, e.g. https://sho.rt "
                 "(default: http://ADDRESS:PORT)")
      ->envname("SHORTENER_PUBLIC_URL");
  app.add_option("--cache-size", s.shortener.cache.capacity, "Links kept in the redirect cache")
      ->envname("SHORTENER_CACHE_SIZE")
      ->capture_default_str();
  core::add_milliseconds_flag(app, "--cache-ttl-ms", s.shortener.cache.ttl,
                              "SHORTENER_CACHE_TTL_MS",
                              "How long a cached link is trusted before the store is asked again");
  core::add_milliseconds_flag(app, "--negative-cache-ttl-ms", s.shortener.cache.absent_ttl,
                              "SHORTENER_NEGATIVE_CACHE_TTL_MS",
                              "How long an unknown code is remembered as absent");
  app.add_option("--code-length", s.shortener.code_length, "Length of generated codes")
      ->envname("SHORTENER_CODE_LENGTH")
      ->check(CLI::Range(4, 32))
      ->capture_default_str();
  app.add_option("--redirect-status", s.shortener.default_redirect_status,
                 "Default redirect status: 301, 302, 307 or 308")
      ->envname("SHORTENER_REDIRECT_STATUS")
      ->check(CLI::IsMember({301, 302, 307, 308}))
      ->capture_default_str();
  app.add_option_function<long>(
         "--redirect-max-age",
         [&s](long seconds) { s.shortener.redirect_max_age = std::chrono::seconds(seconds); },
         "Cache-Control max-age of redirects, in seconds")
      ->envname("SHORTENER_REDIRECT_MAX_AGE")
      ->check(CLI::NonNegativeNumber)
      ->default_str("90");
  app.add_option("--max-url-length", s.shortener.url_policy.max_length,
                 "Longest destination URL accepted, in bytes")
      ->envname("SHORTENER_MAX_URL_LENGTH")
      ->capture_default_str();
  app.add_flag("--allow-credentials", s.shortener.url_policy.allow_credentials,
               "Accept destinations with user:password@")
      ->envname("SHORTENER_ALLOW_CREDENTIALS");
  app.add_flag("--allow-private-addresses", s.shortener.url_policy.allow_private_addresses,
               "Accept loopback, private and link-local destinations")
      ->envname("SHORTENER_ALLOW_PRIVATE_ADDRESSES");
  app.add_option("--own-host", s.own_hosts,
                 "Extra host names of this service that links may not point to (repeatable)")
      ->envname("SHORTENER_OWN_HOSTS");
}

bool is_wildcard(const std::string& address) {
  return address == "0.0.0.0" || address == "::" || address.empty();
}

// Host names under which this process is reachable; destinations there would loop.
std::vector<std::string> own_hosts(const Settings& s) {
  std::vector<std::string> hosts = s.own_hosts;
  if (auto url = boost::urls::parse_absolute_uri(s.shortener.public_base_url)) {
    hosts.emplace_back(url->encoded_host());
  }
  if (!is_wildcard(s.server.http.address)) {
    hosts.push_back(s.server.http.address);
  }
  return hosts;
}

std::string default_public_url(const Settings& s, std::uint16_t port) {
  auto host = is_wildcard(s.server.http.address) ? std::string("localhost") : s.server.http.address;
  return "http://" + host + ":" + std::to_string(port);
}

int serve(Settings& s) {
  auto log = core::logger("shortener");
  shortener::SqliteLinkStore store(s.server.database_path, s.server.storage_threads);
  log->info("database {} ready", s.server.database_path);

  core::BlockingPool storage_threads(s.server.storage_threads);
  core::MetricsRegistry metrics;
  core::Router router(metrics);
  core::HttpServer server(s.server.http, router.handler(), metrics);
  server.listen();

  s.shortener.public_base_url =
      s.public_url.empty() ? default_public_url(s, server.port()) : s.public_url;
  s.shortener.url_policy.own_hosts = own_hosts(s);
  shortener::SystemClock clock;
  shortener::ShortenerService service(s.shortener, store, storage_threads, clock, metrics);
  service.register_routes(router);

  server.start();
  log->info("short links start with {}", s.shortener.public_base_url);
  if (!s.server.port_file.empty()) {
    core::write_port_file(s.server.port_file, server.port());
  }

  int signal = core::wait_for_termination_signal();
  log->info("signal {} received", signal);
  server.stop();
  server.wait();
  storage_threads.stop();
  log->info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  settings.server.database_path = "data/shortener.db";
  CLI::App app{"shortener-server: a URL shortener with a REST API and fast redirects"};
  core::add_common_server_flags(app, "SHORTENER", settings.server);
  define_shortener_flags(app, settings);
  core::add_migrate_subcommand(app, settings.server);
  CLI11_PARSE(app, argc, argv);

  return core::run_server(settings.server, "shortener", shortener::link_schema_migrations(),
                          [&settings] { return serve(settings); });
}
