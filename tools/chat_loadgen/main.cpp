// chat-loadgen: opens many WebSocket connections to a chat server, sends private and group
// messages at a paced total rate and measures end-to-end delivery latency. It speaks the
// waypost protocol (docs/chat-protocol.md) or a minimal Socket.IO v4 client subset, so one
// load generator drives both chat-server and the reference in bench/socketio.
//
// Prints a JSON report on stdout (and to --json-out) and a summary on stderr. Exit status:
// 0 when the load ran, 1 when setup or every connection failed, 2 for bad flags.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "connection.hpp"
#include "latch.hpp"
#include "report.hpp"

namespace {

using namespace loadgen;
namespace asio = boost::asio;
using std::chrono::duration_cast;
using Seconds = std::chrono::duration<double>;

Clock::duration seconds(double s) {
  return duration_cast<Clock::duration>(Seconds(s));
}

void define_flags(CLI::App& app, Options& o) {
  std::map<std::string, Protocol> protocols{{"waypost", Protocol::waypost},
                                            {"socketio", Protocol::socketio}};
  app.add_option("--host", o.host, "Server address (IPv4 or IPv6 literal)")->capture_default_str();
  app.add_option("--port", o.port, "Server port")->capture_default_str();
  app.add_option("--protocol", o.protocol, "waypost or socketio")
      ->transform(CLI::CheckedTransformer(protocols, CLI::ignore_case));
  app.add_option("--connections", o.connections, "WebSocket connections")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--users", o.users, "Users; connection i belongs to user i % users")
      ->check(CLI::Range(2, 100000))
      ->capture_default_str();
  app.add_option("--groups", o.groups, "Group conversations")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--group-size", o.group_size, "Members per group")
      ->check(CLI::Range(2, 10000))
      ->capture_default_str();
  app.add_option("--contacts", o.contacts, "Private peers per user (nearest user indices)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--private-share", o.private_share, "Fraction of sends that are private")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--rate", o.rates, "Target msgs/s over all connections; a list runs steps")
      ->delimiter(',')
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "Seconds of unmeasured sending before each step")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  app.add_option("--duration", o.duration_s, "Measured seconds of each step")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--drain", o.drain_s, "Longest wait for late acks and deliveries per step")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  app.add_option("--max-messages", o.max_messages, "Stop sending after this many (0: no cap)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--max-inflight", o.max_inflight, "Unacknowledged sends per connection")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--text-bytes", o.text_bytes, "Length of every message text")
      ->check(CLI::Range(32, 4096))
      ->capture_default_str();
  app.add_flag("--skip-register", o.skip_register, "Users exist: log in without registering");
  app.add_option("--users-file", o.users_file, "Usernames, one a line (default: generated)");
  app.add_option("--user-prefix", o.user_prefix, "Generated usernames are PREFIX<index>");
  app.add_option("--password", o.password, "Password of every user")->capture_default_str();
  app.add_option("--setup-concurrency", o.setup_concurrency, "REST connections for setup")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--connect-concurrency", o.connect_concurrency, "Handshakes in flight at once")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--connect-timeout", o.connect_timeout_s, "Seconds allowed to open them all")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  app.add_option("--settle", o.settle_s, "Pause after connecting, before the memory sample")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  app.add_option("--server-pid", o.server_pid, "Sample this process's RSS and CPU from /proc");
  app.add_option("--json-out", o.json_out, "Also write the JSON report to this file");
  app.add_option("--seed", o.seed, "Seed of the random choices")->capture_default_str();
}

std::string random_run_tag() {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 35);
  std::string tag;
  for (int i = 0; i < 5; ++i) {
    int d = digit(device);
    tag += static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
  }
  return tag;
}

asio::awaitable<void> sleep_until(Clock::time_point when) {
  asio::steady_timer timer(co_await asio::this_coro::executor, when);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

using Connections = std::vector<std::unique_ptr<Connection>>;

// Opens connections[next], connections[next+1], ... one at a time, shared with other workers.
asio::awaitable<void> connect_worker(Shared& shared, Connections& connections, std::size_t& next,
                                     Latch& done) {
  while (next < connections.size()) {
    auto& connection = *connections[next++];
    if (!co_await connection.open()) {
      ++shared.connect_failures;
    }
  }
  done.count_down();
}

asio::awaitable<void> connect_all(Shared& shared, Connections& connections, RunFacts& facts) {
  auto executor = co_await asio::this_coro::executor;
  const auto& options = shared.options;
  for (int i = 0; i < options.connections; ++i) {
    connections.push_back(std::make_unique<Connection>(executor, shared, i));
  }
  auto started = Clock::now();
  std::size_t next = 0;
  int workers = std::min(options.connect_concurrency, options.connections);
  Latch done(executor, workers);
  for (int worker = 0; worker < workers; ++worker) {
    asio::co_spawn(executor, connect_worker(shared, connections, next, done), asio::detached);
  }
  if (!co_await done.wait(started + seconds(options.connect_timeout_s))) {
    // Workers still run and reference `next`: stop the whole load instead of going on.
    throw std::runtime_error("connections not all open within --connect-timeout");
  }
  facts.connect_seconds = Seconds(Clock::now() - started).count();
}

int open_count(const Connections& connections) {
  int open = 0;
  for (const auto& connection : connections) {
    open += connection->is_open() ? 1 : 0;
  }
  return open;
}

std::uint64_t unacknowledged(const Connections& connections) {
  std::uint64_t total = 0;
  for (const auto& connection : connections) {
    total += connection->is_open() ? connection->unacknowledged() : 0;
  }
  return total;
}

asio::awaitable<void> pace_and_count_down(Connection& connection, Step& step, double sending,
                                          Latch& done) {
  co_await connection.pace(step, sending);
  done.count_down();
}

// Waits until every send of the step is acknowledged and every expected reception arrived,
// or --drain seconds passed. Sends to a closed connection never complete: the wait ends then.
asio::awaitable<void> drain(const Connections& connections, const Step& step, double limit_s) {
  auto deadline = Clock::now() + seconds(limit_s);
  while (Clock::now() < deadline) {
    if (unacknowledged(connections) == 0 && step.delivered >= step.expected_deliveries) {
      co_return;
    }
    co_await sleep_until(Clock::now() + std::chrono::milliseconds(50));
  }
}

asio::awaitable<void> run_step(Shared& shared, Connections& connections, Step& step,
                               RunFacts::StepCost& cost) {
  auto executor = co_await asio::this_coro::executor;
  const auto& options = shared.options;
  step.start = Clock::now() + std::chrono::milliseconds(100);
  step.measure_start = step.start + seconds(options.warmup_s);
  step.measure_end = step.measure_start + seconds(options.duration_s);

  int sending = open_count(connections);
  Latch pacers_done(executor, sending);
  for (auto& connection : connections) {
    if (connection->is_open()) {
      asio::co_spawn(executor, pace_and_count_down(*connection, step, sending, pacers_done),
                     asio::detached);
    }
  }

  co_await sleep_until(step.measure_start);
  auto loadgen_cpu = own_cpu_seconds();
  auto server = sample_process(options.server_pid);
  co_await sleep_until(step.measure_end);
  cost.wall_seconds = Seconds(step.measure_end - step.measure_start).count();
  cost.loadgen_cpu = own_cpu_seconds() - loadgen_cpu;
  auto server_end = sample_process(options.server_pid);
  if (server.cpu_seconds >= 0 && server_end.cpu_seconds >= 0) {
    cost.server_cpu = server_end.cpu_seconds - server.cpu_seconds;
  }

  co_await pacers_done.wait(Clock::now() + std::chrono::seconds(5));
  co_await drain(connections, step, options.drain_s);
}

asio::awaitable<void> close_one(Connection& connection, Latch& done) {
  co_await connection.close();
  done.count_down();
}

asio::awaitable<void> close_all(Connections& connections) {
  auto executor = co_await asio::this_coro::executor;
  Latch done(executor, static_cast<int>(connections.size()));
  for (auto& connection : connections) {
    asio::co_spawn(executor, close_one(*connection, done), asio::detached);
  }
  co_await done.wait(Clock::now() + std::chrono::seconds(3));
}

struct Run {
  Shared& shared;
  Population& population;
  Connections connections;
  RunFacts facts;
  std::string failure;  // set when the load could not run at all
};

asio::awaitable<void> run_load(Run& run) {
  auto& shared = run.shared;
  const auto& options = shared.options;
  if (options.protocol == Protocol::waypost) {
    std::cerr << "setting up " << options.users << " users and " << options.groups << " groups\n";
    run.failure =
        co_await provision_waypost(options, shared.server, shared.run_tag, run.population);
    if (!run.failure.empty()) {
      co_return;
    }
  }

  run.facts.connections_wanted = options.connections;
  run.facts.server_before = sample_process(options.server_pid);
  std::cerr << "opening " << options.connections << " connections\n";
  co_await connect_all(shared, run.connections, run.facts);
  co_await sleep_until(Clock::now() + seconds(options.settle_s));
  run.facts.connections_open = open_count(run.connections);
  run.facts.server_connected = sample_process(options.server_pid);
  if (run.facts.connections_open == 0) {
    run.failure = "no connection could be opened";
    co_return;
  }

  run.facts.costs.resize(shared.steps.size());
  for (std::size_t i = 0; i < shared.steps.size(); ++i) {
    std::cerr << "step " << i + 1 << ": " << shared.steps[i].rate << " msg/s for "
              << options.warmup_s << " + " << options.duration_s << " s\n";
    co_await run_step(shared, run.connections, shared.steps[i], run.facts.costs[i]);
  }
  run.facts.server_after = sample_process(options.server_pid);
  run.facts.unacknowledged_at_end = unacknowledged(run.connections);
  co_await close_all(run.connections);
}

void write_report(const Options& options, const boost::json::object& report) {
  auto text = boost::json::serialize(report);
  std::cout << text << std::endl;
  if (!options.json_out.empty()) {
    std::ofstream(options.json_out) << text << "\n";
  }
  std::cerr << human_summary(report);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"chat-loadgen: paced WebSocket chat load with end-to-end latency"};
  define_flags(app, options);
  CLI11_PARSE(app, argc, argv);

  auto run_tag = random_run_tag();
  boost::system::error_code address_ec;
  auto address = asio::ip::make_address(options.host, address_ec);
  if (address_ec) {
    std::cerr << "chat-loadgen: --host must be an IP address, got '" << options.host << "'\n";
    return 2;
  }
  Population population;
  try {
    population = plan_population(options, run_tag);
  } catch (const std::exception& error) {
    std::cerr << "chat-loadgen: " << error.what() << "\n";
    return 2;
  }

  Shared shared{options, population, run_tag, {address, options.port}};
  shared.sessions.resize(options.users);
  shared.random.seed(options.seed);
  shared.steps.reserve(options.rates.size());
  for (double rate : options.rates) {
    shared.steps.push_back(Step{.rate = rate});
  }

  asio::io_context io(1);
  Run run{shared, population, {}, {}, {}};
  auto finished = [&io, &run](std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        run.failure = e.what();
      }
    }
    io.stop();
  };
  asio::co_spawn(io, run_load(run), finished);
  io.run();

  if (!run.failure.empty()) {
    std::cerr << "chat-loadgen: " << run.failure << "\n";
    return 1;
  }
  write_report(options, build_report(options, shared, run.facts));
  return 0;
}
