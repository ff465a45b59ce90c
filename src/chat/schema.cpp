#include "chat/schema.hpp"

#include "chat/storage_support.hpp"

namespace waypost::chat {
namespace {

core::Migration accounts() {
  return {
      .version = 1,
      .name = "chat accounts and tokens",
      .up_sql = R"sql(
        CREATE TABLE users (
          id INTEGER PRIMARY KEY,
          username TEXT NOT NULL UNIQUE CHECK (username = lower(username)),
          password_hash TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          last_seen INTEGER
        );
        CREATE TABLE auth_tokens (
          token_hash TEXT PRIMARY KEY,
          user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        );
        CREATE INDEX auth_tokens_by_user ON auth_tokens (user_id);
        CREATE INDEX auth_tokens_by_expiry ON auth_tokens (expires_at);
      )sql",
      .down_sql = "DROP TABLE auth_tokens; DROP TABLE users;",
  };
}

core::Migration conversations_and_messages() {
  return {
      .version = 2,
      .name = "chat conversations, members and messages",
      .up_sql = R"sql(
        CREATE TABLE conversations (
          id INTEGER PRIMARY KEY,
          kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
          name TEXT,
          access TEXT NOT NULL DEFAULT 'invite_only' CHECK (access IN ('open', 'invite_only')),
          created_by INTEGER NOT NULL REFERENCES users (id),
          created_at INTEGER NOT NULL,
          direct_low INTEGER REFERENCES users (id),
          direct_high INTEGER REFERENCES users (id),
          last_seq INTEGER NOT NULL DEFAULT 0,
          first_seq INTEGER NOT NULL DEFAULT 1,
          pruned_through_id INTEGER NOT NULL DEFAULT 0,
          UNIQUE (direct_low, direct_high),
          CHECK ((kind = 'direct') = (direct_low IS NOT NULL AND direct_low < direct_high))
        );
        CREATE TABLE members (
          conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
          user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
          joined_at INTEGER NOT NULL,
          last_read_seq INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (conversation_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX members_by_user ON members (user_id, conversation_id);
        CREATE TABLE messages (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
          seq INTEGER NOT NULL,
          sender_id INTEGER NOT NULL REFERENCES users (id),
          client_message_id TEXT NOT NULL,
          text TEXT NOT NULL,
          sent_at INTEGER NOT NULL,
          UNIQUE (conversation_id, seq),
          UNIQUE (sender_id, client_message_id)
        );
        CREATE INDEX messages_by_conversation_id ON messages (conversation_id, id);
      )sql",
      .down_sql = "DROP TABLE messages; DROP TABLE members; DROP TABLE conversations;",
  };
}

core::Migration notification_queue() {
  return {
      .version = 3,
      .name = "chat notification queue",
      .up_sql = R"sql(
        CREATE TABLE notifications (
          id INTEGER PRIMARY KEY,
          recipient_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
          conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
          latest_seq INTEGER NOT NULL,
          message_count INTEGER NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL,
          last_error TEXT,
          created_at INTEGER NOT NULL,
          UNIQUE (recipient_id, conversation_id)
        );
        CREATE INDEX notifications_due ON notifications (next_attempt_at);
        CREATE TABLE notification_dead_letters (
          id INTEGER PRIMARY KEY,
          recipient_id INTEGER NOT NULL,
          conversation_id INTEGER NOT NULL,
          latest_seq INTEGER NOT NULL,
          message_count INTEGER NOT NULL,
          attempts INTEGER NOT NULL,
          reason TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          dead_at INTEGER NOT NULL
        );
      )sql",
      .down_sql = "DROP TABLE notification_dead_letters; DROP TABLE notifications;",
  };
}

}  // namespace

const std::vector<core::Migration>& chat_migrations() {
  static const std::vector<core::Migration> migrations = {
      accounts(),
      conversations_and_messages(),
      notification_queue(),
  };
  return migrations;
}

void migrate_chat_schema(core::sqlite::ConnectionPool& pool) {
  auto db = pool.lease();
  core::migrate_to_latest(*db, chat_migrations());
  detail::logger().info("chat storage at schema version {}", core::current_schema_version(*db));
}

}  // namespace waypost::chat
