// chat-server: the real-time chat service's process. Parses configuration,
// migrates and opens the database, serves REST and WebSockets until SIGTERM or
// SIGINT, then closes every WebSocket with 1001 and shuts down gracefully.
#include <CLI/CLI.hpp>
#include <iostream>

#include "chat/context.hpp"
#include "chat/notifier.hpp"
#include "chat/schema.hpp"
#include "chat/service.hpp"
#include "core/blocking_pool.hpp"
#include "core/http_server.hpp"
#include "core/logging.hpp"
#include "core/migrations.hpp"
#include "core/router.hpp"
#include "core/server_flags.hpp"

namespace {

using namespace waypost;

struct Settings {
  core::CommonServerSettings server;
  chat::ChatOptions chat;
  chat::AccountConfig accounts;
  chat::NotificationConfig notifications;
  chat::NotifierOptions notifier;
  std::string webhook_url;
  int password_threads = 2;
  bool prune_only = false;       // the `prune` subcommand was given
  long prune_older_than_ms = 0;  // its --older-than-ms
};

void define_chat_options(CLI::App& app, Settings& s) {
  app.add_option("--password-threads", s.password_threads,
                 "Argon2id hashes running at once (each takes the memory limit)")
      ->envname("CHAT_PASSWORD_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  core::add_milliseconds_flag(app, "--heartbeat-timeout-ms", s.chat.heartbeat_timeout,
                              "CHAT_HEARTBEAT_TIMEOUT_MS",
                              "Drop a WebSocket silent this long; it is pinged at half of it");
  core::add_milliseconds_flag(app, "--handshake-timeout-ms", s.chat.handshake_timeout,
                              "CHAT_HANDSHAKE_TIMEOUT_MS",
                              "Time allowed for WebSocket open and close");
  core::add_milliseconds_flag(app, "--last-seen-interval-ms", s.chat.last_seen_interval,
                              "CHAT_LAST_SEEN_INTERVAL_MS",
                              "How often a connected user's last_seen is refreshed (0: only on "
                              "connect and disconnect)");
  app.add_option("--max-message-bytes", s.chat.max_text_bytes, "Longest message text, in bytes")
      ->envname("CHAT_MAX_MESSAGE_BYTES")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--max-frame-bytes", s.chat.max_frame_bytes,
                 "Largest client WebSocket message; larger ones close the connection with 1009")
      ->envname("CHAT_MAX_FRAME_BYTES")
      ->check(CLI::Range(256, 1 << 24))
      ->capture_default_str();
  app.add_option("--max-queued-frames", s.chat.max_outgoing_frames,
                 "Frames queued for one slow client before it is closed with 1008")
      ->envname("CHAT_MAX_QUEUED_FRAMES")
      ->check(CLI::Range(16, 1 << 20))
      ->capture_default_str();
  app.add_option("--send-rate", s.chat.send_limit.per_second, "Messages per second per user")
      ->envname("CHAT_SEND_RATE")
      ->capture_default_str();
  app.add_option("--send-burst", s.chat.send_limit.burst, "Messages a user may send at once")
      ->envname("CHAT_SEND_BURST")
      ->capture_default_str();
  app.add_option("--typing-rate", s.chat.typing_limit.per_second,
                 "Typing notices per second per user")
      ->envname("CHAT_TYPING_RATE")
      ->capture_default_str();
  core::add_milliseconds_flag(app, "--token-lifetime-ms", s.accounts.token_lifetime,
                              "CHAT_TOKEN_LIFETIME_MS", "How long a login token stays valid");
  app.add_option("--argon2-ops", s.accounts.password_ops_limit, "Argon2id operations limit")
      ->envname("CHAT_ARGON2_OPS")
      ->check(CLI::Range(static_cast<unsigned long long>(crypto_pwhash_OPSLIMIT_MIN),
                         static_cast<unsigned long long>(crypto_pwhash_OPSLIMIT_MAX)))
      ->capture_default_str();
  app.add_option("--argon2-memory", s.accounts.password_mem_limit, "Argon2id memory limit in bytes")
      ->envname("CHAT_ARGON2_MEMORY")
      ->check(CLI::Range(static_cast<std::size_t>(crypto_pwhash_MEMLIMIT_MIN),
                         static_cast<std::size_t>(1) << 32))
      ->capture_default_str();
}

void define_notification_options(CLI::App& app, Settings& s) {
  app.add_option("--webhook-url", s.webhook_url,
                 "http:// URL that receives offline notifications as JSON POSTs "
                 "(default: write them to the log)")
      ->envname("CHAT_WEBHOOK_URL");
  app.add_option("--notify-max-attempts", s.notifications.max_attempts,
                 "Delivery attempts before a notification is dead-lettered")
      ->envname("CHAT_NOTIFY_MAX_ATTEMPTS")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  core::add_milliseconds_flag(app, "--notify-backoff-ms", s.notifications.first_backoff,
                              "CHAT_NOTIFY_BACKOFF_MS",
                              "Wait after the first failure; doubles each time");
  core::add_milliseconds_flag(app, "--notify-max-backoff-ms", s.notifications.max_backoff,
                              "CHAT_NOTIFY_MAX_BACKOFF_MS", "Longest wait between attempts");
  core::add_milliseconds_flag(app, "--notify-coalesce-ms", s.notifications.coalesce_delay,
                              "CHAT_NOTIFY_COALESCE_MS",
                              "Delay that lets a burst become one notification");
  core::add_milliseconds_flag(app, "--notify-poll-ms", s.notifier.poll_interval,
                              "CHAT_NOTIFY_POLL_MS",
                              "How often the worker looks for due notifications");
}

std::unique_ptr<chat::NotificationSink> make_sink(const Settings& s) {
  if (s.webhook_url.empty()) {
    return std::make_unique<chat::LogSink>();
  }
  return std::make_unique<chat::WebhookSink>(s.webhook_url);
}

int serve(Settings& s) {
  auto log = core::logger("chat");
  core::sqlite::ConnectionPool pool(s.server.database_path,
                                    s.server.storage_threads + s.password_threads + 2);
  chat::migrate_chat_schema(pool);
  log->info("database {} ready", s.server.database_path);

  chat::SystemClock clock;
  chat::SqliteAccountStore accounts(pool, clock, s.accounts);
  chat::SqliteConversationStore conversations(pool, clock);
  chat::SqliteMessageStore messages(pool, clock, {.max_text_bytes = s.chat.max_text_bytes});
  chat::SqliteNotificationQueue queue(pool, clock, s.notifications);
  chat::SqliteContactDirectory contacts(pool);
  core::BlockingPool storage_threads(s.server.storage_threads);
  core::BlockingPool password_threads(s.password_threads);

  core::MetricsRegistry metrics;
  chat::ChatMetrics chat_metrics(metrics);
  chat::Hub hub;
  metrics.gauge_callback("chat_online_users", "Users with at least one open session.",
                         [&hub] { return static_cast<double>(hub.online_users()); });
  chat::MessageWriter writer(messages, conversations, queue, hub, metrics);
  chat::RateLimiter send_limiter(s.chat.send_limit);
  chat::RateLimiter typing_limiter(s.chat.typing_limit);
  chat::ChatContext context{s.chat,   accounts,        conversations,    messages,
                            contacts, storage_threads, password_threads, hub,
                            writer,   send_limiter,    typing_limiter,   chat_metrics};

  auto sink = make_sink(s);
  chat::Notifier notifier(queue, accounts, storage_threads, *sink, metrics, s.notifier);

  core::Router router(metrics);
  chat::ChatService service(context, metrics);
  service.register_routes(router);
  core::HttpServer server(s.server.http, router.handler(), metrics);
  server.set_upgrade_handler([&service](auto& stream, auto& request, const auto& connection) {
    return service.upgrade(stream, request, connection);
  });
  server.on_stop([&hub] { hub.close_all(); });
  server.listen();

  notifier.start();
  server.start();
  if (!s.server.port_file.empty()) {
    core::write_port_file(s.server.port_file, server.port());
  }

  int signal = core::wait_for_termination_signal();
  log->info("signal {} received", signal);
  server.stop();
  server.wait();
  notifier.stop();
  writer.stop();
  storage_threads.stop();
  password_threads.stop();
  log->info("stopped");
  return 0;
}

// Retention: `prune --older-than-ms N` deletes messages sent more than N ms
// ago and exits. Clients that later ask for deleted history are told so with
// a `gap` frame (or `gap: true` in history pages) rather than silently.
void add_prune_subcommand(CLI::App& app, Settings& s) {
  auto* prune = app.add_subcommand("prune", "Delete messages older than an age and exit");
  prune->add_option("--older-than-ms", s.prune_older_than_ms, "Age of the oldest message kept")
      ->required()
      ->check(CLI::NonNegativeNumber);
  prune->callback([&s] { s.prune_only = true; });
}

int prune(const Settings& s) {
  core::sqlite::ConnectionPool pool(s.server.database_path, 1);
  chat::migrate_chat_schema(pool);
  chat::SystemClock clock;
  chat::SqliteMessageStore messages(pool, clock);
  auto cutoff = clock.now() - std::chrono::milliseconds(s.prune_older_than_ms);
  auto report = messages.prune_older_than(cutoff);
  std::cout << "deleted " << report.messages_deleted << " messages in "
            << report.conversations_pruned << " conversations\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  settings.server.http.port = 8090;
  settings.server.database_path = "data/chat.db";
  CLI::App app{"chat-server: real-time chat over WebSockets with a REST API"};
  core::add_common_server_flags(app, "CHAT", settings.server);
  define_chat_options(app, settings);
  define_notification_options(app, settings);
  core::add_migrate_subcommand(app, settings.server);
  add_prune_subcommand(app, settings);
  CLI11_PARSE(app, argc, argv);

  return core::run_server(settings.server, "chat", chat::chat_migrations(), [&settings] {
    return settings.prune_only ? prune(settings) : serve(settings);
  });
}
