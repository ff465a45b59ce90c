#include "core/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <optional>
#include <unordered_set>

#include "core/logging.hpp"

namespace waypost::core {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// How often each I/O thread looks for connections past their deadline. One
// periodic sweep instead of a timer per read and write keeps timer system
// calls off the request path; timeouts are exact to within this interval.
constexpr std::chrono::milliseconds kDeadlineSweepInterval{100};

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

Response parse_error_response(const beast::error_code& ec) {
  if (ec == http::error::header_limit) {
    return error_response(http::status::request_header_fields_too_large, "headers_too_large",
                          "The request headers exceed the server's limit.");
  }
  if (ec == http::error::body_limit) {
    return error_response(http::status::payload_too_large, "body_too_large",
                          "The request body exceeds the server's limit.");
  }
  return error_response(http::status::bad_request, "malformed_request",
                        "The request is not valid HTTP/1.1: " + ec.message() + ".");
}

bool has_unsupported_transfer_coding(const http::request_parser<http::string_body>& parser) {
  return parser.get().count(http::field::transfer_encoding) > 0 && !parser.chunked();
}

bool expects_continue(const Request& header) {
  return beast::iequals(header[http::field::expect], "100-continue");
}

}  // namespace

struct HttpServer::Worker {
  asio::io_context io{1};
  // Keeps run() going while the worker has no connection yet; released at stop.
  asio::executor_work_guard<asio::io_context::executor_type> keep_running{io.get_executor()};
  std::unordered_set<Connection*> connections;  // touched only on this worker's thread
  std::unique_ptr<asio::steady_timer> grace_timer;
  bool stopping = false;  // touched only on this worker's thread
  std::thread thread;
};

struct HttpServer::Connection {
  tcp::socket socket;
  RequestContext context;
  bool idle = true;  // waiting for the first byte of a request
  // When the current read or write must have finished; the worker's sweep
  // closes the socket once it passes. max() while no I/O is outstanding.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

  void arm(std::chrono::milliseconds limit) { deadline = std::chrono::steady_clock::now() + limit; }
  void disarm() { deadline = std::chrono::steady_clock::time_point::max(); }
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler, MetricsRegistry& metrics)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      log_(logger("http")),
      open_connections_(metrics.gauge("http_open_connections", "Connections open now.")),
      rejected_connections_(metrics.counter("http_rejected_connections_total",
                                            "Connections refused with 503 at the limit.")),
      malformed_requests_(metrics.counter("http_malformed_requests_total",
                                          "Requests refused before routing as invalid HTTP.")),
      handler_failures_(metrics.counter("http_handler_failures_total",
                                        "Requests whose handler failed unexpectedly (500).")) {
  int threads = options_.io_threads > 0 ? options_.io_threads
                                        : static_cast<int>(std::thread::hardware_concurrency());
  for (int i = 0; i < std::max(threads, 1); ++i) {
    workers_.push_back(std::make_unique<Worker>());
  }
}

HttpServer::~HttpServer() {
  stop();
  wait();
}

void HttpServer::set_upgrade_handler(UpgradeHandler handler) {
  upgrade_handler_ = std::move(handler);
}

void HttpServer::on_stop(std::function<void()> hook) {
  stop_hooks_.push_back(std::move(hook));
}

void HttpServer::listen() {
  auto address = asio::ip::make_address(options_.address);
  acceptor_ = std::make_unique<tcp::acceptor>(workers_[0]->io);
  tcp::endpoint endpoint(address, options_.port);
  acceptor_->open(endpoint.protocol());
  acceptor_->set_option(asio::socket_base::reuse_address(true));
  acceptor_->bind(endpoint);
  acceptor_->listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_->local_endpoint().port();
}

void HttpServer::start() {
  if (!acceptor_) {
    listen();
  }
  asio::co_spawn(workers_[0]->io, accept_loop(), asio::detached);
  for (auto& worker : workers_) {
    asio::co_spawn(worker->io, sweep_deadlines(*worker), asio::detached);
  }
  for (auto& worker : workers_) {
    worker->thread = std::thread([&io = worker->io] { io.run(); });
  }
  log_->info("listening on {}:{} with {} I/O threads", options_.address, port_, workers_.size());
}

void HttpServer::stop() {
  if (stopping_.exchange(true) || !acceptor_) {
    return;
  }
  log_->info("shutting down: no new connections, finishing requests in flight");

  asio::post(workers_[0]->io, [this] { acceptor_->close(); });
  for (auto& worker : workers_) {
    asio::post(worker->io, [this, &worker = *worker] {
      worker.stopping = true;
      worker.keep_running.reset();
      for (auto* connection : worker.connections) {
        // Idle means no byte of a request has been read; bytes already waiting
        // in the socket are a request in flight and get served.
        beast::error_code ignored;
        if (connection->idle && connection->socket.available(ignored) == 0) {
          connection->socket.cancel(ignored);
        }
      }
      if (worker.connections.empty()) {
        return;
      }
      worker.grace_timer = std::make_unique<asio::steady_timer>(worker.io);
      worker.grace_timer->expires_after(options_.shutdown_grace);
      worker.grace_timer->async_wait([&worker](beast::error_code ec) {
        if (!ec) {
          worker.io.stop();
        }
      });
    });
  }
  for (auto& hook : stop_hooks_) {
    hook();
  }
}

void HttpServer::wait() {
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) {
      worker->thread.join();
    }
  }
}

asio::awaitable<void> HttpServer::accept_loop() {
  while (true) {
    auto& worker = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();

    auto [ec, socket] = co_await acceptor_->async_accept(worker.io, kNoThrow);
    if (stopping_ || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      // Typically out of file descriptors: back off briefly instead of spinning.
      log_->warn("accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor_->get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }

    if (static_cast<std::size_t>(open_connections_.value()) >= options_.max_connections) {
      rejected_connections_.increment();
      asio::co_spawn(worker.io, reject_busy(std::move(socket)), asio::detached);
      continue;
    }
    open_connections_.add(1);
    asio::co_spawn(worker.io, serve(worker, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::sweep_deadlines(Worker& worker) {
  asio::steady_timer tick(worker.io);
  while (!worker.stopping || !worker.connections.empty()) {
    tick.expires_after(kDeadlineSweepInterval);
    co_await tick.async_wait(kNoThrow);

    auto now = std::chrono::steady_clock::now();
    for (auto* connection : worker.connections) {
      if (now >= connection->deadline) {
        connection->disarm();
        beast::error_code ignored;
        connection->socket.close(ignored);  // the pending operation ends with an error
      }
    }
  }
}

asio::awaitable<void> HttpServer::reject_busy(tcp::socket socket) {
  auto response = error_response(http::status::service_unavailable, "too_many_connections",
                                 "The server is at its connection limit; retry shortly.");
  response.keep_alive(false);
  response.set(http::field::retry_after, "1");
  response.prepare_payload();
  co_await http::async_write(socket, response, kNoThrow);
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<bool> HttpServer::answer(Connection& connection, Response& response,
                                         const Request* request) {
  bool keep_alive = request != nullptr && request->keep_alive();
  response.version(request != nullptr ? request->version() : 11);
  response.keep_alive(keep_alive);
  response.set(http::field::server, "waypost");
  if (request != nullptr && request->method() == http::verb::head) {
    // A HEAD answer states the length the GET would have, without the bytes.
    response.content_length(response.body().size());
    response.body().clear();
    http::response_serializer<http::string_body> serializer(response);
    serializer.split(true);
    connection.arm(options_.request_timeout);
    auto [ec, bytes] = co_await http::async_write_header(connection.socket, serializer, kNoThrow);
    connection.disarm();
    co_return !ec && keep_alive;
  }

  response.prepare_payload();
  connection.arm(options_.request_timeout);
  auto [ec, bytes] = co_await http::async_write(connection.socket, response, kNoThrow);
  connection.disarm();
  co_return !ec && keep_alive;
}

asio::awaitable<void> HttpServer::serve(Worker& worker, tcp::socket socket) {
  Connection connection{std::move(socket), {}};
  beast::error_code ignored;
  connection.socket.set_option(tcp::no_delay(true), ignored);
  connection.context.remote = connection.socket.remote_endpoint(ignored);
  connection.context.connection_id = next_connection_id_.fetch_add(1);
  worker.connections.insert(&connection);

  beast::flat_buffer buffer;
  std::optional<Request> upgrade_request;
  bool first_request = true;
  while (!worker.stopping) {
    // Wait for the next request. A new connection must start its request
    // within the header timeout; between keep-alive requests the client may
    // pause for the (longer) idle timeout.
    if (buffer.size() == 0) {
      connection.idle = true;
      connection.arm(first_request ? options_.header_timeout : options_.idle_timeout);
      auto [ec, bytes] = co_await connection.socket.async_read_some(buffer.prepare(4096), kNoThrow);
      connection.idle = false;
      if (ec) {
        break;
      }
      buffer.commit(bytes);
    }

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser.body_limit(options_.max_body_bytes);
    connection.arm(options_.header_timeout);
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(connection.socket, buffer, parser, kNoThrow);
    connection.disarm();
    if (header_ec) {
      if (is_parse_error(header_ec)) {
        malformed_requests_.increment();
        auto refusal = parse_error_response(header_ec);
        co_await answer(connection, refusal, nullptr);
      }
      log_->debug("connection {}: header read ended: {}", connection.context.connection_id,
                  header_ec.message());
      break;
    }

    first_request = false;
    if (has_unsupported_transfer_coding(parser)) {
      // Anything but a final "chunked" leaves the body's end unknowable; reading
      // on would let body bytes pass for another request (request smuggling).
      malformed_requests_.increment();
      auto refusal = error_response(http::status::bad_request, "malformed_request",
                                    "Only the chunked transfer coding is supported.");
      co_await answer(connection, refusal, nullptr);
      break;
    }

    if (!parser.is_done()) {
      if (expects_continue(parser.get())) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        co_await http::async_write(connection.socket, go_on, kNoThrow);
      }
      connection.arm(options_.request_timeout);
      auto [body_ec, body_bytes] =
          co_await http::async_read(connection.socket, buffer, parser, kNoThrow);
      connection.disarm();
      if (body_ec) {
        if (is_parse_error(body_ec)) {
          malformed_requests_.increment();
          auto refusal = parse_error_response(body_ec);
          co_await answer(connection, refusal, nullptr);
        }
        break;
      }
    }

    Request request = parser.release();
    if (upgrade_handler_ && beast::websocket::is_upgrade(request)) {
      upgrade_request = std::move(request);
      break;
    }

    Response response;
    try {
      response = co_await handler_(request, connection.context);
    } catch (const std::exception& error) {
      handler_failures_.increment();
      log_->error("connection {}: {} {} failed: {}", connection.context.connection_id,
                  std::string(request.method_string()), std::string(request.target()),
                  error.what());
      response = error_response(http::status::internal_server_error, "internal_error",
                                "The server failed to answer this request.");
    }

    if (worker.stopping) {
      request.keep_alive(false);
    }
    if (!co_await answer(connection, response, &request)) {
      break;
    }
  }

  forget(worker, connection);
  if (upgrade_request) {
    beast::tcp_stream stream(std::move(connection.socket));
    co_await upgrade_handler_(stream, *upgrade_request, connection.context);
    co_return;
  }
  connection.socket.shutdown(tcp::socket::shutdown_send, ignored);
  connection.socket.close(ignored);
}

void HttpServer::forget(Worker& worker, Connection& connection) {
  worker.connections.erase(&connection);
  open_connections_.add(-1);
  if (worker.stopping && worker.connections.empty() && worker.grace_timer) {
    worker.grace_timer->cancel();
  }
}

int wait_for_termination_signal(const std::function<void()>& on_hangup) {
  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  if (on_hangup) {
    signals.add(SIGHUP);
  }
  int received = 0;
  std::function<void(const beast::error_code&, int)> wait_again;
  wait_again = [&](const beast::error_code& error, int number) {
    if (!error && number == SIGHUP) {
      on_hangup();
      signals.async_wait(wait_again);
      return;
    }
    received = number;
  };
  signals.async_wait(wait_again);
  io.run();
  return received;
}

}  // namespace waypost::core
