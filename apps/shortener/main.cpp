// shortener-server: the URL shortener's process. Parses configuration, opens
// the store, serves HTTP until SIGTERM or SIGINT, then shuts down gracefully.
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <boost/url/parse.hpp>
#include <iostream>

#include "core/blocking_pool.hpp"
#include "core/http_server.hpp"
#include "core/logging.hpp"
#include "core/router.hpp"
#include "core/server_flags.hpp"
#include "shortener/analytics/sqlite_click_store.hpp"
#include "shortener/key_admin.hpp"
#include "shortener/schema.hpp"
#include "shortener/service.hpp"
#include "shortener/sqlite_api_key_store.hpp"
#include "shortener/sqlite_link_store.hpp"

namespace {

using namespace waypost;

struct Settings {
  core::CommonServerSettings server;
  shortener::ShortenerOptions shortener;
  std::string public_url;  // empty: derived from the bound address and port
  std::vector<std::string> own_hosts;

  bool require_api_key = false;
  bool analytics = true;
  shortener::ClickRecorderOptions clicks;
  std::string user_agent_regexes = WAYPOST_DEFAULT_UA_REGEXES;
  std::string geoip_v4 = shortener::CountryLookup::kDefaultV4Path;
  std::string geoip_v6 = shortener::CountryLookup::kDefaultV6Path;
  std::string blocklist;
  std::vector<std::string> exempt_addresses;
  std::vector<std::string> trusted_proxies;

  shortener::KeyCommand key_command;
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
                 "Extra host names of this service that links may not point to (repeatable, or "
                 "comma-separated)")
      ->envname("SHORTENER_OWN_HOSTS")
      ->delimiter(',');
}

void add_rate_flags(CLI::App& app, const std::string& name, const std::string& env,
                    const std::string& what, shortener::RateLimit& limit) {
  app.add_option("--" + name + "-rate", limit.per_second,
                 what + ": tokens per second (0: no limit)")
      ->envname("SHORTENER_" + env + "_RATE")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--" + name + "-burst", limit.burst, what + ": bucket size")
      ->envname("SHORTENER_" + env + "_BURST")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

void define_management_flags(CLI::App& app, Settings& s) {
  app.add_flag("--require-api-key", s.require_api_key, "Create links only for API key holders")
      ->envname("SHORTENER_REQUIRE_API_KEY");
  app.add_option("--max-bulk-links", s.shortener.max_bulk_links,
                 "Links in one bulk request at most")
      ->envname("SHORTENER_MAX_BULK_LINKS")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--blocklist", s.blocklist,
                 "File of blocked destination domains, one per line; reloaded on SIGHUP")
      ->envname("SHORTENER_BLOCKLIST");

  auto& abuse = s.shortener.abuse;
  add_rate_flags(app, "create", "CREATE", "Anonymous creations per client address",
                 abuse.anonymous_creation);
  add_rate_flags(app, "api-key", "API_KEY", "API requests per key", abuse.api_key);
  add_rate_flags(app, "not-found", "NOT_FOUND", "Unknown codes per client address",
                 abuse.not_found);
  add_rate_flags(app, "password", "PASSWORD", "Password attempts per address and link",
                 abuse.password_attempts);
  app.add_option("--rate-limit-exempt", s.exempt_addresses,
                 "Client addresses or CIDR ranges that the per-address limits (creation, "
                 "unknown codes, passwords) skip (repeatable, or comma-separated)")
      ->envname("SHORTENER_RATE_LIMIT_EXEMPT")
      ->delimiter(',');
  app.add_option("--rate-limit-exempt-owner", abuse.exempt_owners,
                 "Key owners the per-key limit does not apply to (repeatable, or comma-separated)")
      ->envname("SHORTENER_RATE_LIMIT_EXEMPT_OWNERS")
      ->delimiter(',');
  app.add_option("--trusted-proxy", s.trusted_proxies,
                 "Proxy addresses or CIDR ranges whose X-Forwarded-For is believed (repeatable, or "
                 "comma-separated)")
      ->envname("SHORTENER_TRUSTED_PROXIES")
      ->delimiter(',');
}

void define_analytics_flags(CLI::App& app, Settings& s) {
  app.add_flag("--analytics,!--no-analytics", s.analytics,
               "Record clicks for statistics (default: on)")
      ->envname("SHORTENER_ANALYTICS");
  app.add_option("--click-queue-size", s.clicks.queue_capacity,
                 "Clicks waiting to be stored at most; more are dropped and counted")
      ->envname("SHORTENER_CLICK_QUEUE_SIZE")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--click-batch-size", s.clicks.batch_size, "Clicks stored in one transaction")
      ->envname("SHORTENER_CLICK_BATCH_SIZE")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  core::add_milliseconds_flag(app, "--click-flush-ms", s.clicks.flush_interval,
                              "SHORTENER_CLICK_FLUSH_MS",
                              "Longest a click waits in memory before it is stored");
  core::add_milliseconds_flag(app, "--click-rollup-ms", s.clicks.rollup_interval,
                              "SHORTENER_CLICK_ROLLUP_MS",
                              "Shortest time between two roll-ups of stored clicks into the "
                              "stats; under load they grow rarer, up to a minute apart (or "
                              "this interval, if longer)");
  app.add_flag("--store-client-addresses", s.clicks.store_addresses,
               "Store visitors' IP addresses with their clicks (off: only daily hashes)")
      ->envname("SHORTENER_STORE_CLIENT_ADDRESSES");
  app.add_option("--ua-regexes", s.user_agent_regexes, "ua-parser regexes.yaml (uap-core)")
      ->envname("SHORTENER_UA_REGEXES")
      ->capture_default_str();
  app.add_option("--geoip-v4", s.geoip_v4, "GeoIP country database for IPv4 (empty: none)")
      ->envname("SHORTENER_GEOIP_V4")
      ->capture_default_str();
  app.add_option("--geoip-v6", s.geoip_v6, "GeoIP country database for IPv6 (empty: none)")
      ->envname("SHORTENER_GEOIP_V6")
      ->capture_default_str();
}

void add_keys_subcommand(CLI::App& app, Settings& s) {
  using Action = shortener::KeyCommand::Action;
  auto* keys = app.add_subcommand("keys", "Manage API keys in the database and exit");
  keys->require_subcommand(1);
  auto* create = keys->add_subcommand("create", "Create a key and print it (shown only once)");
  create->add_option("--owner", s.key_command.owner, "Owner of the links made with the key")
      ->required();
  create->add_option("--label", s.key_command.label, "A note about the key");
  create->callback([&s] { s.key_command.action = Action::kCreate; });
  keys->add_subcommand("list", "List keys: id, owner, created, state, label")->callback([&s] {
    s.key_command.action = Action::kList;
  });
  auto* revoke = keys->add_subcommand("revoke", "Revoke a key by its id");
  revoke->add_option("id", s.key_command.id, "Key id (see keys list)")->required();
  revoke->callback([&s] { s.key_command.action = Action::kRevoke; });
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

std::unique_ptr<shortener::CountryLookup> open_country_lookup(const Settings& s) {
  if (!s.analytics || (s.geoip_v4.empty() && s.geoip_v6.empty())) {
    return nullptr;
  }
  return std::make_unique<shortener::CountryLookup>(s.geoip_v4, s.geoip_v6);
}

// Logs the size of the blocklist in force and every line of its file that was skipped.
void report_blocklist(const shortener::DomainBlocklist& list, std::string_view how) {
  auto log = core::logger("shortener");
  log->info("blocklist {}: {} domains", how, list.size());
  for (const auto& skipped : list.skipped()) {
    log->warn("blocklist entry skipped: {}", skipped);
  }
}

int serve(Settings& s) {
  auto log = core::logger("shortener");
  shortener::SqliteLinkStore store(s.server.database_path, s.server.storage_threads);
  shortener::SqliteApiKeyStore api_keys(s.server.database_path, s.server.storage_threads);
  shortener::SqliteClickStore clicks(s.server.database_path, s.server.storage_threads);
  log->info("database {} ready", s.server.database_path);

  auto user_agents = shortener::UserAgentParser::load(s.user_agent_regexes);
  auto countries = open_country_lookup(s);
  shortener::BlocklistHolder blocklist(s.blocklist);
  report_blocklist(*blocklist.current(), "loaded");
  s.shortener.anonymous_creation = !s.require_api_key;
  s.shortener.abuse.exempt_addresses = shortener::AddressSet::parse(s.exempt_addresses);
  s.shortener.abuse.trusted_proxies = shortener::AddressSet::parse(s.trusted_proxies);

  core::BlockingPool storage_threads(s.server.storage_threads);
  core::MetricsRegistry metrics;
  std::unique_ptr<shortener::ClickRecorder> recorder;
  if (s.analytics) {
    recorder = std::make_unique<shortener::ClickRecorder>(s.clicks, clicks, user_agents,
                                                          countries.get(), metrics);
  }
  core::Router router(metrics);
  core::HttpServer server(s.server.http, router.handler(), metrics);
  server.listen();

  s.shortener.public_base_url =
      s.public_url.empty() ? default_public_url(s, server.port()) : s.public_url;
  s.shortener.url_policy.own_hosts = own_hosts(s);
  shortener::SystemClock clock;
  shortener::ShortenerService service(s.shortener,
                                      shortener::ShortenerParts{.links = store,
                                                                .api_keys = api_keys,
                                                                .clicks = clicks,
                                                                .recorder = recorder.get(),
                                                                .user_agents = user_agents,
                                                                .blocklist = blocklist,
                                                                .storage_threads = storage_threads,
                                                                .clock = clock,
                                                                .metrics = metrics});
  service.register_routes(router);

  server.start();
  log->info("short links start with {}; analytics {}", s.shortener.public_base_url,
            s.analytics ? "on" : "off");
  if (!s.server.port_file.empty()) {
    core::write_port_file(s.server.port_file, server.port());
  }

  int signal = core::wait_for_termination_signal([&blocklist, &log] {
    try {
      blocklist.reload();
      report_blocklist(*blocklist.current(), "reloaded");
    } catch (const std::exception& error) {
      log->error("blocklist reload failed, keeping the previous list: {}", error.what());
    }
  });
  log->info("signal {} received", signal);
  server.stop();
  server.wait();
  storage_threads.stop();
  if (recorder) {
    recorder->stop();  // stores the clicks still queued
  }
  log->info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Visitor keys, API keys and link passwords all come from libsodium.
  if (sodium_init() < 0) {
    std::cerr << "shortener-server: libsodium cannot be initialised\n";
    return 1;
  }
  Settings settings;
  settings.server.database_path = "data/shortener.db";
  settings.server.http.max_body_bytes = 2 * 1024 * 1024;  // room for bulk creation
  CLI::App app{"shortener-server: a URL shortener with a REST API and fast redirects"};
  core::add_common_server_flags(app, "SHORTENER", settings.server);
  define_shortener_flags(app, settings);
  define_management_flags(app, settings);
  define_analytics_flags(app, settings);
  core::add_migrate_subcommand(app, settings.server);
  add_keys_subcommand(app, settings);
  app.fallthrough();
  CLI11_PARSE(app, argc, argv);

  return core::run_server(
      settings.server, "shortener", shortener::shortener_schema_migrations(), [&settings] {
        if (settings.key_command.action != shortener::KeyCommand::Action::kNone) {
          return shortener::run_key_command(settings.key_command, settings.server.database_path,
                                            std::cout);
        }
        return serve(settings);
      });
}
