// Command-line flags and environment variables that every server binary
// shares, so both services are configured the same way.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/http_server.hpp"
#include "core/migrations.hpp"

namespace waypost::core {

struct CommonServerSettings {
  HttpServerOptions http{};
  std::string database_path{};  // the binary sets its own default
  std::string port_file{};
  std::string log_level = "info";
  int storage_threads = 4;
  bool migrate_only = false;  // the `migrate` subcommand was given
  int migrate_to = -1;        // its --to; -1 means the latest version
};

// Adds a flag given in milliseconds that sets a duration of any unit, also
// read from the environment variable `env`.
template <typename Duration>
void add_milliseconds_flag(CLI::App& app, const std::string& flag, Duration& target,
                           const std::string& env, const std::string& help) {
  using std::chrono::milliseconds;
  app.add_option_function<long>(
         flag,
         [&target](long value) {
           target = std::chrono::duration_cast<Duration>(milliseconds(value));
         },
         help)
      ->envname(env)
      ->check(CLI::NonNegativeNumber)
      ->default_str(std::to_string(std::chrono::duration_cast<milliseconds>(target).count()));
}

// Adds --address, --port, --port-file, --database, --io-threads,
// --storage-threads, --max-connections, --max-body-bytes, --max-header-bytes,
// the timeouts and --log-level, each also read from `env_prefix` + "_" + NAME
// (for example SHORTENER_PORT). `settings` must outlive parsing.
void add_common_server_flags(CLI::App& app, const std::string& env_prefix,
                             CommonServerSettings& settings);

// Adds the `migrate [--to N]` subcommand, which moves the database schema to
// version N (default: the latest) and exits.
void add_migrate_subcommand(CLI::App& app, CommonServerSettings& settings);

// The body of a server's main() after parsing: configures logging, creates the
// database's directory, then runs the `migrate` subcommand against
// `migrations` or else `serve`. Returns the process exit code: 2 for a bad log
// level, 1 (after a critical log line from `component`) when anything throws.
int run_server(const CommonServerSettings& settings, const std::string& component,
               const std::vector<Migration>& migrations, const std::function<int()>& serve);

// Creates the directory that will hold `file_path`, if it has one.
void create_parent_directory(const std::string& file_path);

// Writes `port` to `path` atomically (write, then rename), for supervisors and
// tests that start a server on port 0.
void write_port_file(const std::string& path, std::uint16_t port);

}  // namespace waypost::core
