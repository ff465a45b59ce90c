#include "chat/schema.hpp"

#include <string>
#include <string_view>

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

// The notification queue's columns after `id`, as version 3 created them.
constexpr std::string_view kQueueColumns = R"sql(
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
)sql";

constexpr std::string_view kQueueCopy = R"sql(
        INSERT INTO notifications_rebuilt (id, recipient_id, conversation_id, latest_seq,
            message_count, state, attempts, next_attempt_at, last_error, created_at)
          SELECT id, recipient_id, conversation_id, latest_seq, message_count, state, attempts,
            next_attempt_at, last_error, created_at FROM notifications;
        DROP TABLE notifications;
        ALTER TABLE notifications_rebuilt RENAME TO notifications;
        CREATE INDEX notifications_due ON notifications (next_attempt_at);
)sql";

// Rebuilds the notification queue with `id_key` as the definition of its id
// column, keeping every queued row: SQLite cannot change a key in place.
std::string rebuild_notifications(std::string_view id_key) {
  std::string sql = "CREATE TABLE notifications_rebuilt (id ";
  sql += id_key;
  sql += ",";
  sql += kQueueColumns;
  sql += kQueueCopy;
  return sql;
}

// A plain INTEGER PRIMARY KEY hands out max(id) + 1, so once the queue is
// empty the next notification got the id of one already delivered, and
// webhook receivers could not tell the two apart. AUTOINCREMENT never reuses
// an id. Ids deleted before this migration ran may be handed out once more.
core::Migration unique_notification_ids() {
  return {
      .version = 4,
      .name = "chat notification ids never reused",
      .up_sql = rebuild_notifications("INTEGER PRIMARY KEY AUTOINCREMENT"),
      .down_sql = rebuild_notifications("INTEGER PRIMARY KEY"),
  };
}

}  // namespace

const std::vector<core::Migration>& chat_migrations() {
  static const std::vector<core::Migration> migrations = {
      accounts(),
      conversations_and_messages(),
      notification_queue(),
      unique_notification_ids(),
  };
  return migrations;
}

void migrate_chat_schema(core::sqlite::ConnectionPool& pool) {
  auto db = pool.lease();
  core::migrate_to_latest(*db, chat_migrations());
  detail::logger().info("chat storage at schema version {}", core::current_schema_version(*db));
}

}  // namespace waypost::chat
