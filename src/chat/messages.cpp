#include "chat/messages.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "chat/storage_support.hpp"
#include "chat/validation.hpp"

namespace waypost::chat {
namespace {

using core::sqlite::Database;
using core::sqlite::Statement;
using core::sqlite::StepResult;

struct ConversationBounds {
  Seq first_seq = 1;
  Seq last_seq = 0;
};

// The append path's SQL, compiled once per connection through the store's cache.
constexpr std::string_view kTakeSeqSql =
    "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq";
constexpr std::string_view kInsertMessageSql =
    "INSERT INTO messages (conversation_id, seq, sender_id, client_message_id, text, sent_at) "
    "VALUES (?, ?, ?, ?, ?, ?)";
constexpr std::string_view kMarkReadSql =
    "UPDATE members SET last_read_seq = MAX(last_read_seq, ?) "
    "WHERE conversation_id = ? AND user_id = ?";
constexpr std::string_view kFindOriginalSql =
    "SELECT id, conversation_id, seq, sent_at FROM messages "
    "WHERE sender_id = ? AND client_message_id = ?";

// Takes the conversation's next seq. Inside the write transaction, so no
// other writer can take the same number, and a rollback gives it back.
Seq take_next_seq(detail::StatementCache& cache, Database& db, ConversationId conversation) {
  auto update = cache.get(db, kTakeSeqSql);
  update->bind(1, to_int(conversation));
  (void)update->step();
  Seq seq = update->column_int(0);
  (void)update->step();
  return seq;
}

// The acknowledgement of an earlier copy of this (sender, client_message_id),
// if one is stored. Runs inside the write transaction, which holds SQLite's
// write lock: no other connection can store a copy between this check and
// the insert, so UNIQUE (sender_id, client_message_id) still decides.
std::optional<Ack> find_original(detail::StatementCache& cache, Database& db,
                                 const AppendRequest& request) {
  auto query = cache.get(db, kFindOriginalSql);
  query->bind(1, to_int(request.sender)).bind(2, request.client_message_id);
  if (!detail::has_row(*query)) {
    return std::nullopt;
  }
  return Ack{MessageId{query->column_int(0)}, ConversationId{query->column_int(1)},
             query->column_int(2), detail::from_millis(query->column_int(3)), true};
}

// Inserts a message that find_original() did not find. A constraint refusal
// here means the store's invariants are broken, so it is a storage fault.
Ack insert_new(detail::StatementCache& cache, Database& db, const AppendRequest& request,
               Timestamp now) {
  Seq seq = take_next_seq(cache, db, request.conversation);
  {
    auto insert = cache.get(db, kInsertMessageSql);
    insert->bind(1, to_int(request.conversation))
        .bind(2, seq)
        .bind(3, to_int(request.sender))
        .bind(4, request.client_message_id)
        .bind(5, request.text)
        .bind(6, detail::to_millis(now));
    if (insert->step() == StepResult::kConstraintViolation) {
      throw core::sqlite::DatabaseError(SQLITE_CONSTRAINT,
                                        "message insert refused after the duplicate check");
    }
  }
  MessageId id{db.last_insert_rowid()};

  // Whoever writes a message has read everything up to it.
  auto mark_read = cache.get(db, kMarkReadSql);
  mark_read->bind(1, seq)
      .bind(2, to_int(request.conversation))
      .bind(3, to_int(request.sender))
      .run();
  return Ack{id, request.conversation, seq, now, false};
}

// Reads the conversation's retained range, checking that `reader` is a member.
Result<ConversationBounds> load_bounds(Database& db, UserId reader, ConversationId conversation) {
  if (auto allowed = detail::check_member(db, reader, conversation); !allowed) {
    return allowed.error();
  }
  auto query = db.prepare("SELECT first_seq, last_seq FROM conversations WHERE id = ?");
  query.bind(1, to_int(conversation));
  (void)query.step();
  return ConversationBounds{query.column_int(0), query.column_int(1)};
}

std::vector<Message> read_messages(Statement& query) {
  std::vector<Message> messages;
  while (detail::has_row(query)) {
    messages.push_back(detail::read_message(query));
  }
  return messages;
}

// Up to limit + 1 messages on the requested side of the anchor, nearest
// first; the extra one only tells whether there is more.
std::vector<Message> select_page(Database& db, ConversationId conversation, PageRequest page) {
  bool forwards = page.direction == PageDirection::kAfter;
  auto query = db.prepare(
      std::string("SELECT ") + detail::kMessageColumns +
      " FROM messages m WHERE m.conversation_id = ? AND " +
      (forwards ? "m.seq > ? ORDER BY m.seq ASC" : "m.seq < ? ORDER BY m.seq DESC") + " LIMIT ?");
  query.bind(1, to_int(conversation)).bind(2, page.anchor).bind(3, page.limit + 1);
  return read_messages(query);
}

HistoryPage assemble_page(std::vector<Message> rows, PageRequest page, ConversationBounds bounds) {
  HistoryPage result;
  result.first_available_seq = bounds.first_seq;
  result.last_seq = bounds.last_seq;
  result.has_more = rows.size() > static_cast<std::size_t>(page.limit);
  if (result.has_more) {
    rows.pop_back();
  }

  if (page.direction == PageDirection::kAfter) {
    result.gap = bounds.first_seq > 1 && page.anchor + 1 < bounds.first_seq;
  } else {
    std::reverse(rows.begin(), rows.end());
    result.gap = !result.has_more && bounds.first_seq > 1 && page.anchor > 1;
  }
  result.messages = std::move(rows);
  return result;
}

std::vector<RetentionGap> select_gaps(Database& db, UserId user, MessageId cursor) {
  auto query = db.prepare(
      "SELECT c.id, c.first_seq FROM members mm JOIN conversations c ON c.id = mm.conversation_id "
      "WHERE mm.user_id = ? AND c.pruned_through_id > ? ORDER BY c.id");
  query.bind(1, to_int(user)).bind(2, to_int(cursor));
  std::vector<RetentionGap> gaps;
  while (detail::has_row(query)) {
    gaps.push_back(RetentionGap{ConversationId{query.column_int(0)}, query.column_int(1)});
  }
  return gaps;
}

// The user's messages after the cursor. The index on (conversation_id, id)
// lets SQLite seek into each of the user's conversations instead of scanning
// every message on the server since the cursor.
std::vector<Message> select_missed(Database& db, UserId user, MessageId cursor, int limit) {
  auto query = db.prepare(std::string("SELECT ") + detail::kMessageColumns +
                          " FROM members mm JOIN messages m ON m.conversation_id = "
                          "mm.conversation_id WHERE mm.user_id = ? AND m.id > ? "
                          "ORDER BY m.id LIMIT ?");
  query.bind(1, to_int(user)).bind(2, to_int(cursor)).bind(3, limit + 1);
  return read_messages(query);
}

struct PruneTarget {
  ConversationId conversation{};
  Seq new_first_seq = 1;
};

// Conversations whose oldest retained message is older than the cutoff, and
// the seq each should keep from: the first message sent at or after the
// cutoff, or past the newest when all are older.
std::vector<PruneTarget> select_prune_targets(Database& db, Timestamp cutoff) {
  auto query = db.prepare(
      "SELECT id, keep_from FROM ("
      "  SELECT c.id, c.first_seq, COALESCE((SELECT MIN(m.seq) FROM messages m "
      "    WHERE m.conversation_id = c.id AND m.sent_at >= ?), c.last_seq + 1) AS keep_from "
      "  FROM conversations c) WHERE keep_from > first_seq");
  query.bind(1, detail::to_millis(cutoff));
  std::vector<PruneTarget> targets;
  while (detail::has_row(query)) {
    targets.push_back(PruneTarget{ConversationId{query.column_int(0)}, query.column_int(1)});
  }
  return targets;
}

// Deletes one conversation's messages below the new first seq, remembering
// the largest id deleted so that reconnect sync can report the gap.
std::int64_t prune_conversation(Database& db, const PruneTarget& target) {
  db.prepare(
        "UPDATE conversations SET pruned_through_id = MAX(pruned_through_id, "
        "  COALESCE((SELECT MAX(id) FROM messages WHERE conversation_id = ?1 AND seq < ?2), 0)), "
        "  first_seq = ?2 WHERE id = ?1")
      .bind(1, to_int(target.conversation))
      .bind(2, target.new_first_seq)
      .run();
  db.prepare("DELETE FROM messages WHERE conversation_id = ? AND seq < ?")
      .bind(1, to_int(target.conversation))
      .bind(2, target.new_first_seq)
      .run();
  return detail::changed_rows(db);
}

}  // namespace

SqliteMessageStore::SqliteMessageStore(core::sqlite::ConnectionPool& pool, const Clock& clock,
                                       MessageConfig config)
    : pool_(pool), clock_(clock), config_(config) {}

Result<Ack> SqliteMessageStore::append(const AppendRequest& request) {
  return append_batch(std::span(&request, 1)).front();
}

std::vector<Result<Ack>> SqliteMessageStore::append_batch(std::span<const AppendRequest> requests) {
  if (requests.empty()) {
    return {};
  }
  std::vector<Result<Ack>> results;
  results.reserve(requests.size());

  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  Timestamp now = clock_.now();
  for (const auto& request : requests) {
    results.push_back(append_one(*db, request, now));
  }
  transaction.commit();
  return results;
}

Result<Ack> SqliteMessageStore::append_one(Database& db, const AppendRequest& request,
                                           Timestamp now) {
  if (!is_valid_message_text(request.text, config_.max_text_bytes)) {
    return Errc::kInvalidMessageText;
  }
  if (!is_valid_client_message_id(request.client_message_id)) {
    return Errc::kInvalidClientMessageId;
  }
  if (auto allowed = detail::check_member(statements_, db, request.sender, request.conversation);
      !allowed) {
    return allowed.error();
  }

  if (auto original = find_original(statements_, db, request)) {
    return *original;
  }
  return insert_new(statements_, db, request, now);
}

Result<HistoryPage> SqliteMessageStore::history(UserId reader, ConversationId conversation,
                                                PageRequest page) {
  if (page.limit < 1 || page.limit > kMaxPageLimit) {
    return Errc::kInvalidPageLimit;
  }

  auto db = pool_.lease();
  detail::ReadTransaction snapshot(*db);
  auto bounds = load_bounds(*db, reader, conversation);
  if (!bounds) {
    return bounds.error();
  }
  return assemble_page(select_page(*db, conversation, page), page, *bounds);
}

Result<SyncPage> SqliteMessageStore::messages_after(UserId user, MessageId cursor, int limit) {
  if (limit < 1 || limit > kMaxPageLimit) {
    return Errc::kInvalidPageLimit;
  }

  auto db = pool_.lease();
  detail::ReadTransaction snapshot(*db);
  SyncPage page;
  page.gaps = select_gaps(*db, user, cursor);
  page.messages = select_missed(*db, user, cursor, limit);

  page.has_more = page.messages.size() > static_cast<std::size_t>(limit);
  if (page.has_more) {
    page.messages.pop_back();
  }
  page.next_cursor = page.messages.empty() ? cursor : page.messages.back().id;
  return page;
}

MessageId SqliteMessageStore::latest_cursor() {
  // sqlite_sequence holds the largest id ever given out, even if retention
  // has since deleted that message.
  auto db = pool_.lease();
  auto query =
      db->prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0)");
  (void)query.step();
  return MessageId{query.column_int(0)};
}

PruneReport SqliteMessageStore::prune_older_than(Timestamp cutoff) {
  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  PruneReport report;
  for (const auto& target : select_prune_targets(*db, cutoff)) {
    report.messages_deleted += prune_conversation(*db, target);
    ++report.conversations_pruned;
  }
  transaction.commit();

  detail::logger().info("retention deleted {} messages in {} conversations",
                        report.messages_deleted, report.conversations_pruned);
  return report;
}

}  // namespace waypost::chat
