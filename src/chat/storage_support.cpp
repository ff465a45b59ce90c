#include "chat/storage_support.hpp"

#include <spdlog/spdlog.h>

#include <memory>

namespace waypost::chat::detail {
namespace {

std::shared_ptr<spdlog::logger> make_logger() {
  if (auto existing = spdlog::get("chat")) {
    return existing;
  }
  auto created = spdlog::default_logger()->clone("chat");
  try {
    spdlog::register_logger(created);
  } catch (const spdlog::spdlog_ex&) {
    // Another library registered "chat" first; use theirs.
    return spdlog::get("chat");
  }
  return created;
}

}  // namespace

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = make_logger();
  return *instance;
}

int changed_rows(core::sqlite::Database& db) {
  return sqlite3_changes(db.handle());
}

bool has_row(core::sqlite::Statement& statement) {
  return statement.step() == core::sqlite::StepResult::kRow;
}

namespace {

constexpr std::string_view kCheckMemberSql =
    "SELECT EXISTS (SELECT 1 FROM members WHERE conversation_id = ?1 AND user_id = ?2) "
    "FROM conversations WHERE id = ?1";

Result<void> membership_of(core::sqlite::Statement& query, UserId user,
                           ConversationId conversation) {
  query.bind(1, to_int(conversation)).bind(2, to_int(user));
  if (!has_row(query)) {
    return Errc::kNoSuchConversation;
  }
  if (query.column_int(0) == 0) {
    return Errc::kNotAMember;
  }
  return {};
}

}  // namespace

Result<void> check_member(core::sqlite::Database& db, UserId user, ConversationId conversation) {
  auto query = db.prepare(kCheckMemberSql);
  return membership_of(query, user, conversation);
}

Result<void> check_member(StatementCache& cache, core::sqlite::Database& db, UserId user,
                          ConversationId conversation) {
  auto query = cache.get(db, kCheckMemberSql);
  return membership_of(*query, user, conversation);
}

Message read_message(const core::sqlite::Statement& statement, int first) {
  return Message{
      .id = MessageId{statement.column_int(first)},
      .conversation = ConversationId{statement.column_int(first + 1)},
      .seq = statement.column_int(first + 2),
      .sender = UserId{statement.column_int(first + 3)},
      .client_message_id = statement.column_text(first + 4),
      .text = statement.column_text(first + 5),
      .sent_at = from_millis(statement.column_int(first + 6)),
  };
}

ReadTransaction::ReadTransaction(core::sqlite::Database& db) : db_(db) {
  db_.execute("BEGIN DEFERRED");
}

ReadTransaction::~ReadTransaction() {
  try {
    db_.execute("ROLLBACK");
  } catch (const core::sqlite::DatabaseError&) {
    // Nothing to undo: SQLite already ended the transaction after an error.
  }
}

}  // namespace waypost::chat::detail
