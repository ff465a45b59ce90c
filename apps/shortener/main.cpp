// shortener-server: the URL shortener's process. Parses configuration, opens
// the store, serves HTTP until SIGTERM or SIGINT, then shuts down gracefully.
#include <CLI/CLI.hpp>
#include <boost/url/parse.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/blocking_pool.hpp"
#include "core/http_server.hpp"
#include "core/logging.hpp"
#include "core/router.hpp"
#include "shortener/service.hpp"
#include "shortener/sqlite_link_store.hpp"

namespace {

using namespace waypost;

struct Settings {
  core::HttpServerOptions http;
  shortener::ShortenerOptions shortener;
  std::string public_url;  // empty: derived from the bound address and port
  std::string database_path = "data/shortener.db";
  std::string port_file;
  std::string log_level = "info";
  int storage_threads = 4;
  std::vector<std::string> own_hosts;
  int migrate_to = -1;
  bool migrate_only = false;
};

// An option given in milliseconds for a duration of any unit.
template <typename Duration>
void add_duration_ms(CLI::App& app, const std::string& flag, Duration& target,
                     const std::string& env, const std::string& help) {
  using std::chrono::milliseconds;
  app.add_option_function<long>(
         flag,
         [&target](long value) {
           target = std::chrono::duration_cast<Duration>(milliseconds(value));
         },
         help)
      ->envname(env)
      ->check(CLI::PositiveNumber)
      ->default_str(std::to_string(std::chrono::duration_cast<milliseconds>(target).count()));
}

void define_options(CLI::App& app, Settings& s) {
  app.add_option("--address", s.http.address, "Address to listen on")
      ->envname("SHORTENER_ADDRESS")
      ->capture_default_str();
  app.add_option("--port", s.http.port, "TCP port to listen on (0 picks a free one)")
      ->envname("SHORTENER_PORT")
      ->capture_default_str();
  app.add_option("--public-url", s.public_url,
                 "Base URL of short links in API answers, e.g. https://sho.rt "
                 "(default: http://ADDRESS:PORT)")
      ->envname("SHORTENER_PUBLIC_URL");
  app.add_option("--database", s.database_path, "SQLite database file (created if absent)")
      ->envname("SHORTENER_DATABASE")
      ->capture_default_str();
  app.add_option("--io-threads", s.http.io_threads, "I/O threads (0: one per core)")
      ->envname("SHORTENER_IO_THREADS")
      ->capture_default_str();
  app.add_option("--storage-threads", s.storage_threads, "Threads and connections for storage")
      ->envname("SHORTENER_STORAGE_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--cache-size", s.shortener.cache.capacity, "Links kept in the redirect cache")
      ->envname("SHORTENER_CACHE_SIZE")
      ->capture_default_str();
  add_duration_ms(app, "--cache-ttl-ms", s.shortener.cache.ttl, "SHORTENER_CACHE_TTL_MS",
                  "How long a cached link is trusted before the store is asked again");
  add_duration_ms(app, "--negative-cache-ttl-ms", s.shortener.cache.absent_ttl,
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
  app.add_option("--max-body-bytes", s.http.max_body_bytes, "Largest request body")
      ->envname("SHORTENER_MAX_BODY_BYTES")
      ->capture_default_str();
  app.add_option("--max-header-bytes", s.http.max_header_bytes, "Largest request header block")
      ->envname("SHORTENER_MAX_HEADER_BYTES")
      ->capture_default_str();
  app.add_option("--max-connections", s.http.max_connections, "Open connections at most")
      ->envname("SHORTENER_MAX_CONNECTIONS")
      ->capture_default_str();
  add_duration_ms(app, "--header-timeout-ms", s.http.header_timeout, "SHORTENER_HEADER_TIMEOUT_MS",
                  "Time allowed for a request's headers");
  add_duration_ms(app, "--idle-timeout-ms", s.http.idle_timeout, "SHORTENER_IDLE_TIMEOUT_MS",
                  "Keep-alive wait for the next request");
  add_duration_ms(app, "--request-timeout-ms", s.http.request_timeout,
                  "SHORTENER_REQUEST_TIMEOUT_MS",
                  "Time allowed to read a body and write an answer");
  add_duration_ms(app, "--shutdown-grace-ms", s.http.shutdown_grace, "SHORTENER_SHUTDOWN_GRACE_MS",
                  "Time requests in flight get at shutdown");
  app.add_option("--log-level", s.log_level, "trace, debug, info, warn, error or off")
      ->envname("SHORTENER_LOG_LEVEL")
      ->capture_default_str();
  app.add_option("--port-file", s.port_file, "Write the bound port to this file once listening")
      ->envname("SHORTENER_PORT_FILE");

  auto* migrate = app.add_subcommand("migrate", "Move the database schema to a version and exit");
  migrate->add_option("--to", s.migrate_to, "Target schema version (default: latest)");
  migrate->callback([&s] { s.migrate_only = true; });
}

}  // namespace

namespace {

bool is_wildcard(const std::string& address) {
  return address == "0.0.0.0" || address == "::" || address.empty();
}

// Host names under which this process is reachable; destinations there would loop.
std::vector<std::string> own_hosts(const Settings& s) {
  std::vector<std::string> hosts = s.own_hosts;
  if (auto url = boost::urls::parse_absolute_uri(s.shortener.public_base_url)) {
    hosts.emplace_back(url->encoded_host());
  }
  if (!is_wildcard(s.http.address)) {
    hosts.push_back(s.http.address);
  }
  return hosts;
}

int migrate(const Settings& s) {
  core::sqlite::Database db(s.database_path);
  const auto& migrations = shortener::link_schema_migrations();
  int target = s.migrate_to >= 0 ? s.migrate_to : static_cast<int>(migrations.size());
  core::migrate_to(db, migrations, target);
  std::cout << "schema version " << core::current_schema_version(db) << "\n";
  return 0;
}

void write_port_file(const std::string& path, std::uint16_t port) {
  std::ofstream out(path + ".tmp");
  out << port << "\n";
  out.close();
  std::filesystem::rename(path + ".tmp", path);
}

int serve(Settings& s) {
  auto log = core::logger("shortener");
  shortener::SqliteLinkStore store(s.database_path, s.storage_threads);
  log->info("database {} ready", s.database_path);

  core::BlockingPool storage_threads(s.storage_threads);
  core::MetricsRegistry metrics;
  core::Router router(metrics);
  core::HttpServer server(s.http, router.handler(), metrics);
  server.listen();

  s.shortener.public_base_url =
      s.public_url.empty()
          ? "http://" + (is_wildcard(s.http.address) ? std::string("localhost") : s.http.address) +
                ":" + std::to_string(server.port())
          : s.public_url;
  s.shortener.url_policy.own_hosts = own_hosts(s);
  shortener::SystemClock clock;
  shortener::ShortenerService service(s.shortener, store, storage_threads, clock, metrics);
  service.register_routes(router);

  server.start();
  log->info("short links start with {}", s.shortener.public_base_url);
  if (!s.port_file.empty()) {
    write_port_file(s.port_file, server.port());
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
  CLI::App app{"shortener-server: a URL shortener with a REST API and fast redirects"};
  define_options(app, settings);
  CLI11_PARSE(app, argc, argv);

  if (!core::configure_logging(settings.log_level)) {
    std::cerr << "unknown --log-level '" << settings.log_level << "'\n";
    return 2;
  }

  try {
    auto parent = std::filesystem::path(settings.database_path).parent_path();
    if (!parent.empty()) {
      std::filesystem::create_directories(parent);
    }
    return settings.migrate_only ? migrate(settings) : serve(settings);
  } catch (const std::exception& error) {
    core::logger("shortener")->critical("cannot run: {}", error.what());
    return 1;
  }
}
