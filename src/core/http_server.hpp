// The HTTP/1.1 server both services run on: Boost.Beast over Asio, one I/O
// thread per core, each connection a C++20 coroutine pinned to one thread.
//
// Protects itself from slow and oversized clients with header, idle and
// request timeouts, header and body size limits and a connection limit, and
// shuts down gracefully: stop() stops accepting, closes idle keep-alive
// connections at once and lets requests in flight finish within a grace period.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/http.hpp"
#include "core/logging.hpp"
#include "core/metrics.hpp"

namespace waypost::core {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port; port() tells which
  int io_threads = 0;         // 0 means one per core
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds header_timeout{10'000};   // first byte to complete header
  std::chrono::milliseconds idle_timeout{60'000};     // keep-alive wait for the next request
  std::chrono::milliseconds request_timeout{30'000};  // reading the body, writing the answer
  std::size_t max_connections = 10'000;
  std::chrono::milliseconds shutdown_grace{10'000};
};

// Takes over a connection whose request asked for a WebSocket upgrade: the
// handler may move `stream` and `request` out and owns the connection from
// here on; the server forgets it. (References rather than values because GCC
// 12 mishandles by-value arguments in a co_await expression.)
using UpgradeHandler = std::function<boost::asio::awaitable<void>(
    boost::beast::tcp_stream& stream, Request& request, const RequestContext& context)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler, MetricsRegistry& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Requests with `Upgrade: websocket` go here instead of to the handler.
  // Without one they are answered by the handler like any other. Call before start().
  void set_upgrade_handler(UpgradeHandler handler);

  // Called from stop(), on the thread that called it, so that owners of
  // upgraded connections can close them. Call before start().
  void on_stop(std::function<void()> hook);

  // Binds the listening socket without accepting yet, so the caller can learn
  // port() before serving. Throws boost::system::system_error when the address
  // cannot be bound.
  void listen();

  // Starts accepting and the I/O threads (binding first if listen() was not called).
  void start();

  // The bound port (after listen()).
  std::uint16_t port() const noexcept { return port_; }

  // Begins a graceful shutdown and returns at once. Thread-safe, idempotent.
  void stop();

  // Blocks until every I/O thread has finished: all connections closed, or the
  // shutdown grace period passed after stop().
  void wait();

 private:
  struct Worker;
  struct Connection;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(Worker& worker, boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> reject_busy(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> sweep_deadlines(Worker& worker);
  // Writes `response` (completed with version, keep-alive and, for HEAD,
  // headers only); true when the connection may carry another request.
  boost::asio::awaitable<bool> answer(Connection& connection, Response& response,
                                      const Request* request);
  void forget(Worker& worker, Connection& connection);

  HttpServerOptions options_;
  Handler handler_;
  std::shared_ptr<spdlog::logger> log_;
  UpgradeHandler upgrade_handler_;
  std::vector<std::function<void()>> stop_hooks_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;  // lives on workers_[0]
  std::size_t next_worker_ = 0;                               // used by the accept loop only
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> next_connection_id_{1};

  Gauge& open_connections_;
  Counter& rejected_connections_;
  Counter& malformed_requests_;
  Counter& handler_failures_;
};

// Blocks the calling thread until SIGINT or SIGTERM arrives; returns its number.
// When `on_hangup` is given, each SIGHUP calls it on this thread (to reload
// configuration files) and the wait goes on.
int wait_for_termination_signal(const std::function<void()>& on_hangup = {});

}  // namespace waypost::core
