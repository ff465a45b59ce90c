// Shared fixtures for the chat tests: a temporary database file, a manual
// clock, and every store wired to one connection pool.
#pragma once

#include <sodium.h>

#include <filesystem>
#include <random>
#include <string>

#include "chat/accounts.hpp"
#include "chat/clock.hpp"
#include "chat/conversations.hpp"
#include "chat/messages.hpp"
#include "chat/notifications.hpp"
#include "chat/schema.hpp"
#include "core/sqlite.hpp"

namespace waypost::chat::testing {

inline constexpr Timestamp kStart{std::chrono::milliseconds(1'700'000'000'000)};

// A directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    std::string suffix = std::to_string(random()) + "-" + std::to_string(random());
    path_ = std::filesystem::temp_directory_path() / ("waypost-chat-" + suffix);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The cheapest Argon2id settings libsodium allows, so tests register quickly.
inline AccountConfig fast_account_config() {
  AccountConfig config;
  config.password_ops_limit = crypto_pwhash_OPSLIMIT_MIN;
  config.password_mem_limit = crypto_pwhash_MEMLIMIT_MIN;
  return config;
}

// No coalescing delay, so enqueued rows are due at once unless a test says otherwise.
inline NotificationConfig immediate_notifications() {
  NotificationConfig config;
  config.coalesce_delay = std::chrono::milliseconds(0);
  return config;
}

// Every store over one migrated database file.
struct ChatHarness {
  explicit ChatHarness(const std::string& path, int connections = 4,
                       NotificationConfig notification_config = immediate_notifications())
      : clock(kStart),
        pool(path, connections),
        accounts(pool, clock, fast_account_config()),
        conversations(pool, clock),
        messages(pool, clock),
        notifications(pool, clock, notification_config) {
    migrate_chat_schema(pool);
  }

  User add_user(const std::string& name) { return accounts.register_user(name, kPassword).value(); }

  ConversationId add_group(const User& creator, const std::string& name = "team") {
    return conversations.create_group(creator.id, name).value().id;
  }

  Ack send(ConversationId conversation, const User& sender, const std::string& client_id,
           const std::string& text = "hello") {
    return messages.append({conversation, sender.id, client_id, text}).value();
  }

  static constexpr const char* kPassword = "correct horse battery";

  ManualClock clock;
  core::sqlite::ConnectionPool pool;
  SqliteAccountStore accounts;
  SqliteConversationStore conversations;
  SqliteMessageStore messages;
  SqliteNotificationQueue notifications;
};

}  // namespace waypost::chat::testing
