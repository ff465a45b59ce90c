#include "core/server_flags.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/logging.hpp"

namespace waypost::core {

void add_common_server_flags(CLI::App& app, const std::string& env_prefix,
                             CommonServerSettings& s) {
  auto env = [&env_prefix](const std::string& name) { return env_prefix + "_" + name; };

  app.add_option("--address", s.http.address, "Address to listen on")
      ->envname(env("ADDRESS"))
      ->capture_default_str();
  app.add_option("--port", s.http.port, "TCP port to listen on (0 picks a free one)")
      ->envname(env("PORT"))
      ->capture_default_str();
  app.add_option("--port-file", s.port_file, "Write the bound port to this file once listening")
      ->envname(env("PORT_FILE"));
  app.add_option("--database", s.database_path, "SQLite database file (created if absent)")
      ->envname(env("DATABASE"))
      ->capture_default_str();
  app.add_option("--io-threads", s.http.io_threads, "I/O threads (0: one per core)")
      ->envname(env("IO_THREADS"))
      ->capture_default_str();
  app.add_option("--storage-threads", s.storage_threads, "Threads and connections for storage")
      ->envname(env("STORAGE_THREADS"))
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--max-connections", s.http.max_connections, "Open connections at most")
      ->envname(env("MAX_CONNECTIONS"))
      ->capture_default_str();
  app.add_option("--max-body-bytes", s.http.max_body_bytes, "Largest request body")
      ->envname(env("MAX_BODY_BYTES"))
      ->capture_default_str();
  app.add_option("--max-header-bytes", s.http.max_header_bytes, "Largest request header block")
      ->envname(env("MAX_HEADER_BYTES"))
      ->capture_default_str();
  add_milliseconds_flag(app, "--header-timeout-ms", s.http.header_timeout, env("HEADER_TIMEOUT_MS"),
                        "Time allowed for a request's headers");
  add_milliseconds_flag(app, "--idle-timeout-ms", s.http.idle_timeout, env("IDLE_TIMEOUT_MS"),
                        "Keep-alive wait for the next request");
  add_milliseconds_flag(app, "--request-timeout-ms", s.http.request_timeout,
                        env("REQUEST_TIMEOUT_MS"),
                        "Time allowed to read a body and write an answer");
  add_milliseconds_flag(app, "--shutdown-grace-ms", s.http.shutdown_grace, env("SHUTDOWN_GRACE_MS"),
                        "Time requests in flight get at shutdown");
  app.add_option("--log-level", s.log_level, "trace, debug, info, warn, error or off")
      ->envname(env("LOG_LEVEL"))
      ->capture_default_str();
}

void add_migrate_subcommand(CLI::App& app, CommonServerSettings& s) {
  auto* migrate = app.add_subcommand("migrate", "Move the database schema to a version and exit");
  migrate->add_option("--to", s.migrate_to, "Target schema version (default: latest)");
  migrate->callback([&s] { s.migrate_only = true; });
}

namespace {

int migrate(const CommonServerSettings& s, const std::vector<Migration>& migrations) {
  sqlite::Database db(s.database_path);
  int target = s.migrate_to >= 0 ? s.migrate_to : static_cast<int>(migrations.size());
  migrate_to(db, migrations, target);
  std::cout << "schema version " << current_schema_version(db) << "\n";
  return 0;
}

}  // namespace

int run_server(const CommonServerSettings& settings, const std::string& component,
               const std::vector<Migration>& migrations, const std::function<int()>& serve) {
  if (!configure_logging(settings.log_level)) {
    std::cerr << "unknown --log-level '" << settings.log_level << "'\n";
    return 2;
  }

  try {
    create_parent_directory(settings.database_path);
    return settings.migrate_only ? migrate(settings, migrations) : serve();
  } catch (const std::exception& error) {
    logger(component)->critical("cannot run: {}", error.what());
    return 1;
  }
}

void create_parent_directory(const std::string& file_path) {
  auto parent = std::filesystem::path(file_path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent);
  }
}

void write_port_file(const std::string& path, std::uint16_t port) {
  auto staging = path + ".tmp";
  {
    std::ofstream out(staging);
    out << port << "\n";
  }
  std::filesystem::rename(staging, path);
}

}  // namespace waypost::core
