// Delivers queued push notifications for offline users: a coroutine on its own
// thread wakes on a timer, claims due jobs from the NotificationQueue (on the
// storage pool), hands each to a NotificationSink and reports the outcome, so
// the queue backs off, retries and dead-letters as configured.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "chat/accounts.hpp"
#include "chat/notifications.hpp"
#include "core/blocking_pool.hpp"
#include "core/metrics.hpp"

namespace waypost::chat {

// One push, as a sink sees it.
struct Push {
  NotificationJob job;
  std::string recipient;  // username
};

// Where pushes go. deliver() runs on the notifier's thread; it returns nothing
// on success, or a short reason for the failure (kept with dead letters).
class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  virtual boost::asio::awaitable<std::optional<std::string>> deliver(const Push& push) = 0;
};

// Writes each push to the "notify" log at info; it never fails. The default
// when no webhook is configured.
class LogSink final : public NotificationSink {
 public:
  boost::asio::awaitable<std::optional<std::string>> deliver(const Push& push) override;
};

// POSTs each push as JSON to an http:// URL with a Beast client; any 2xx
// answer is success. https is not supported (put a local relay in front).
class WebhookSink final : public NotificationSink {
 public:
  // Throws std::invalid_argument when `url` is not an absolute http:// URL.
  explicit WebhookSink(const std::string& url,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));
  boost::asio::awaitable<std::optional<std::string>> deliver(const Push& push) override;

 private:
  std::string host_;
  std::string port_;
  std::string target_;
  std::chrono::milliseconds timeout_;
};

struct NotifierOptions {
  std::chrono::milliseconds poll_interval{1000};
  int claim_limit = 50;
};

class Notifier {
 public:
  // Every reference must outlive the notifier.
  Notifier(NotificationQueue& queue, AccountStore& accounts, core::BlockingPool& storage,
           NotificationSink& sink, core::MetricsRegistry& metrics, NotifierOptions options);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void start();

  // Stops the thread; a push in flight is abandoned and comes back when its
  // claim lease runs out. Call before stopping `storage`. Idempotent.
  void stop();

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> deliver(const NotificationJob& job);

  NotificationQueue& queue_;
  AccountStore& accounts_;
  core::BlockingPool& storage_;
  NotificationSink& sink_;
  NotifierOptions options_;
  boost::asio::io_context io_;
  std::thread thread_;

  core::Counter& sent_;
  core::Counter& failed_;
  core::Counter& dead_lettered_;
};

}  // namespace waypost::chat
