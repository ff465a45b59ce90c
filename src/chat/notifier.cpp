#include "chat/notifier.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <stdexcept>

#include "core/logging.hpp"

namespace waypost::chat {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::string payload(const Push& push) {
  return json::serialize(json::object{{"type", "message_notification"},
                                      {"recipient", push.recipient},
                                      {"recipient_id", to_int(push.job.recipient)},
                                      {"conversation_id", to_int(push.job.conversation)},
                                      {"latest_seq", push.job.latest_seq},
                                      {"message_count", push.job.message_count},
                                      {"notification_id", static_cast<std::int64_t>(push.job.id)},
                                      {"attempt", push.job.attempt}});
}

}  // namespace

asio::awaitable<std::optional<std::string>> LogSink::deliver(const Push& push) {
  core::logger("notify")->info("push for {}: {}", push.recipient, payload(push));
  co_return std::nullopt;
}

WebhookSink::WebhookSink(const std::string& url, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->host().empty()) {
    throw std::invalid_argument("webhook URL must be an absolute http:// URL: " + url);
  }
  host_ = parsed->host();
  port_ = parsed->has_port() ? std::string(parsed->port()) : "80";
  target_ = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) {
    target_ += "?" + std::string(parsed->encoded_query());
  }
}

asio::awaitable<std::optional<std::string>> WebhookSink::deliver(const Push& push) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(host_, port_, kNoThrow);
  if (resolve_ec) {
    co_return "resolve: " + resolve_ec.message();
  }

  beast::tcp_stream stream(executor);
  stream.expires_after(timeout_);
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, kNoThrow);
  if (connect_ec) {
    co_return "connect: " + connect_ec.message();
  }

  http::request<http::string_body> request{http::verb::post, target_, 11};
  request.set(http::field::host, host_);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::user_agent, "waypost-chat");
  request.body() = payload(push);
  request.prepare_payload();
  auto [write_ec, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_ec) {
    co_return "write: " + write_ec.message();
  }

  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  auto [read_ec, read] = co_await http::async_read(stream, buffer, response, kNoThrow);
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  if (read_ec) {
    co_return "read: " + read_ec.message();
  }
  if (response.result_int() < 200 || response.result_int() > 299) {
    co_return "HTTP " + std::to_string(response.result_int());
  }
  co_return std::nullopt;
}

Notifier::Notifier(NotificationQueue& queue, AccountStore& accounts, core::BlockingPool& storage,
                   NotificationSink& sink, core::MetricsRegistry& metrics, NotifierOptions options)
    : queue_(queue),
      accounts_(accounts),
      storage_(storage),
      sink_(sink),
      options_(options),
      sent_(metrics.counter("chat_notifications_sent_total", "Push notifications delivered.")),
      failed_(metrics.counter("chat_notifications_failed_total",
                              "Push attempts that failed and were scheduled again.")),
      dead_lettered_(metrics.counter("chat_notifications_dead_lettered_total",
                                     "Pushes given up after their last attempt.")) {
  metrics.gauge_callback("chat_notifications_queued", "Rows in the notification queue.",
                         [this] { return static_cast<double>(queue_.queued_count()); });
}

Notifier::~Notifier() {
  stop();
}

void Notifier::start() {
  asio::co_spawn(io_, loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void Notifier::stop() {
  io_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

asio::awaitable<void> Notifier::loop() {
  auto log = core::logger("notify");
  asio::steady_timer timer(io_);
  while (true) {
    try {
      auto claim = [this] { return queue_.claim_due(options_.claim_limit); };
      auto jobs = co_await storage_.run(std::move(claim));
      for (const auto& job : jobs) {
        co_await deliver(job);
      }
    } catch (const std::exception& error) {
      log->error("notification round failed: {}", error.what());
    }

    timer.expires_after(options_.poll_interval);
    co_await timer.async_wait(kNoThrow);
  }
}

asio::awaitable<void> Notifier::deliver(const NotificationJob& job) {
  auto find = [this, &job] { return accounts_.find_user(job.recipient); };
  auto recipient = co_await storage_.run(std::move(find));
  Push push{job, recipient ? recipient->username : std::string()};

  auto failure = co_await sink_.deliver(push);
  if (!failure) {
    auto report = [this, &job] { return queue_.mark_delivered(job); };
    co_await storage_.run(std::move(report));
    sent_.increment();
    co_return;
  }

  auto report = [this, &job, &failure] { return queue_.mark_failed(job, *failure); };
  auto outcome = co_await storage_.run(std::move(report));
  if (outcome == FailureOutcome::kDeadLettered) {
    dead_lettered_.increment();
    core::logger("notify")->warn("push {} to {} dead-lettered: {}",
                                 static_cast<std::int64_t>(job.id), push.recipient, *failure);
  } else {
    failed_.increment();
    core::logger("notify")->debug("push {} attempt {} failed: {}",
                                  static_cast<std::int64_t>(job.id), job.attempt, *failure);
  }
}

}  // namespace waypost::chat
