#include "chat/schema.hpp"

#include <gtest/gtest.h>

#include "core/migrations.hpp"
#include "test_support.hpp"

namespace waypost::chat {
namespace {

using testing::ChatHarness;
using testing::TempDir;

int count_chat_tables(core::sqlite::Database& db) {
  auto query = db.prepare(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', "
      "'auth_tokens', 'conversations', 'members', 'messages', 'notifications', "
      "'notification_dead_letters')");
  (void)query.step();
  return static_cast<int>(query.column_int(0));
}

TEST(ChatSchema, MigratesUpDownToZeroAndUpAgain) {
  core::sqlite::Database db(":memory:");
  const auto& migrations = chat_migrations();
  int latest = static_cast<int>(migrations.size());

  core::migrate_to_latest(db, migrations);
  EXPECT_EQ(core::current_schema_version(db), latest);
  EXPECT_EQ(count_chat_tables(db), 7);

  core::migrate_to(db, migrations, 0);
  EXPECT_EQ(core::current_schema_version(db), 0);
  EXPECT_EQ(count_chat_tables(db), 0);

  core::migrate_to_latest(db, migrations);
  EXPECT_EQ(core::current_schema_version(db), latest);
  EXPECT_EQ(count_chat_tables(db), 7);
}

// Queues one notification and deletes it, as a delivery does; returns its id.
std::int64_t queue_and_deliver_one(core::sqlite::Database& db) {
  db.execute(
      "INSERT INTO notifications (recipient_id, conversation_id, latest_seq, message_count, "
      "state, next_attempt_at, created_at) VALUES (1, 1, 1, 1, 'pending', 0, 0)");
  auto id = db.last_insert_rowid();
  db.execute("DELETE FROM notifications");
  return id;
}

void add_user_and_group(core::sqlite::Database& db) {
  db.execute(
      "INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'alice', 'x', 0);"
      "INSERT INTO conversations (id, kind, name, created_by, created_at) "
      "VALUES (1, 'group', 'g', 1, 0)");
}

TEST(ChatSchema, NotificationIdIsNotReusedAfterTheQueueEmpties) {
  core::sqlite::Database db(":memory:");
  core::migrate_to_latest(db, chat_migrations());
  add_user_and_group(db);

  auto first = queue_and_deliver_one(db);
  auto second = queue_and_deliver_one(db);
  EXPECT_GT(second, first);
}

TEST(ChatSchema, NotificationIdMigrationKeepsQueuedRowsBothWays) {
  core::sqlite::Database db(":memory:");
  const auto& migrations = chat_migrations();
  core::migrate_to(db, migrations, 3);
  add_user_and_group(db);
  db.execute(
      "INSERT INTO notifications (id, recipient_id, conversation_id, latest_seq, message_count, "
      "state, next_attempt_at, created_at) VALUES (7, 1, 1, 4, 2, 'pending', 0, 0)");

  core::migrate_to(db, migrations, 4);
  core::migrate_to(db, migrations, 3);
  core::migrate_to(db, migrations, 4);
  auto query = db.prepare("SELECT id, latest_seq, message_count FROM notifications");
  ASSERT_EQ(query.step(), core::sqlite::StepResult::kRow);
  EXPECT_EQ(query.column_int(0), 7);
  EXPECT_EQ(query.column_int(1), 4);
  EXPECT_EQ(query.column_int(2), 2);
  EXPECT_EQ(query.step(), core::sqlite::StepResult::kDone);
}

TEST(ChatSchema, EachStepDownRemovesOnlyItsOwnTables) {
  core::sqlite::Database db(":memory:");
  const auto& migrations = chat_migrations();
  core::migrate_to_latest(db, migrations);

  core::migrate_to(db, migrations, 3);
  EXPECT_EQ(count_chat_tables(db), 7);
  core::migrate_to(db, migrations, 2);
  EXPECT_EQ(count_chat_tables(db), 5);
  core::migrate_to(db, migrations, 1);
  EXPECT_EQ(count_chat_tables(db), 2);
}

TEST(ChatSchema, DataSurvivesReopeningTheFile) {
  TempDir dir;
  std::string path = dir.file("chat.db");
  ConversationId group{};
  Ack ack;
  {
    ChatHarness first(path);
    auto alice = first.add_user("alice");
    group = first.add_group(alice);
    ack = first.send(group, alice, "m-1", "persisted");
  }

  ChatHarness reopened(path);
  auto alice = reopened.accounts.find_user_by_name("alice");
  ASSERT_TRUE(alice);
  EXPECT_TRUE(reopened.accounts.verify_login("alice", ChatHarness::kPassword));
  auto page = reopened.messages.history(alice->id, group, PageRequest::latest(10)).value();
  ASSERT_EQ(page.messages.size(), 1u);
  EXPECT_EQ(page.messages[0].text, "persisted");
  EXPECT_EQ(page.messages[0].id, ack.id);
}

}  // namespace
}  // namespace waypost::chat
