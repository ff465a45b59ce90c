// A ShortenerService in-process, on a scratch SQLite file, with a clock the
// test controls and without click recording; for tests that call handlers or
// inspect the route table without starting the server binary.
#pragma once

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "shortener/analytics/sqlite_click_store.hpp"
#include "shortener/service.hpp"
#include "shortener/sqlite_api_key_store.hpp"
#include "shortener/sqlite_link_store.hpp"

namespace waypost::shortener::testing {

// The ua-parser rules, loaded once per test binary.
inline std::shared_ptr<const UserAgentParser> user_agents() {
  static auto parser = UserAgentParser::load(WAYPOST_UA_REGEXES);
  return parser;
}

class ServiceHarness {
 protected:
  // `name` tells this binary's scratch database apart from other binaries'.
  ServiceHarness(const std::string& name, Timestamp now)
      : database_(std::filesystem::temp_directory_path() /
                  (name + "-" + std::to_string(::getpid()) + ".db")),
        store_(database_.string(), 2),
        api_keys_(database_.string(), 1),
        clicks_(database_.string(), 1),
        blocklist_(""),
        storage_threads_(2),
        clock_(now),
        router_(metrics_),
        service_(ShortenerOptions{}, parts(store_, metrics_)) {
    service_.register_routes(router_);
  }

  ~ServiceHarness() {
    storage_threads_.stop();
    for (auto suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(database_.string() + suffix);
    }
  }

  ServiceHarness(const ServiceHarness&) = delete;
  ServiceHarness& operator=(const ServiceHarness&) = delete;

  // The service's parts around `links` and `metrics`, without click recording.
  ShortenerParts parts(LinkStore& links, core::MetricsRegistry& metrics) {
    return ShortenerParts{.links = links,
                          .api_keys = api_keys_,
                          .clicks = clicks_,
                          .recorder = nullptr,
                          .user_agents = user_agents(),
                          .blocklist = blocklist_,
                          .storage_threads = storage_threads_,
                          .clock = clock_,
                          .metrics = metrics};
  }

  // Runs `request` through the router to its answer.
  core::Response dispatch(core::Request request) {
    boost::asio::io_context io;
    core::RequestContext context;
    auto answer =
        boost::asio::co_spawn(io, router_.dispatch(request, context), boost::asio::use_future);
    io.run();
    return answer.get();
  }

  std::filesystem::path database_;
  SqliteLinkStore store_;
  SqliteApiKeyStore api_keys_;
  SqliteClickStore clicks_;
  BlocklistHolder blocklist_;
  core::BlockingPool storage_threads_;
  ManualClock clock_;
  core::MetricsRegistry metrics_;
  core::Router router_;
  ShortenerService service_;
};

}  // namespace waypost::shortener::testing
