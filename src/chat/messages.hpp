// Messages: durable, idempotent appends; history pages; reconnect sync; retention.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "chat/clock.hpp"
#include "chat/errors.hpp"
#include "chat/statement_cache.hpp"
#include "chat/types.hpp"
#include "core/sqlite.hpp"

namespace waypost::chat {

// Largest `limit` a history or sync page accepts.
inline constexpr int kMaxPageLimit = 500;

struct MessageConfig {
  std::size_t max_text_bytes = 16 * 1024;
};

struct AppendRequest {
  ConversationId conversation{};
  UserId sender{};
  std::string client_message_id;  // chosen by the client, unique per sender (e.g. a UUID)
  std::string text;
};

// What the sender is told once its message is durable.
struct Ack {
  MessageId id{};
  ConversationId conversation{};
  Seq seq = 0;
  Timestamp sent_at;  // server time of the commit that stored it
  // True when (sender, client_message_id) was already stored: this is the
  // original acknowledgement and nothing new was written. Do not fan the
  // message out again.
  bool duplicate = false;

  bool operator==(const Ack&) const = default;
};

enum class PageDirection { kBefore, kAfter };

// A page of one conversation's history next to `anchor` (exclusive). Paging
// backwards from the first seq of each page, or forwards from the last, visits
// every retained message exactly once.
struct PageRequest {
  PageDirection direction = PageDirection::kBefore;
  Seq anchor = std::numeric_limits<Seq>::max();
  int limit = 50;

  static PageRequest latest(int limit) { return {PageDirection::kBefore, kNewest, limit}; }
  static PageRequest before(Seq seq, int limit) { return {PageDirection::kBefore, seq, limit}; }
  static PageRequest after(Seq seq, int limit) { return {PageDirection::kAfter, seq, limit}; }

  static constexpr Seq kNewest = std::numeric_limits<Seq>::max();
};

struct HistoryPage {
  std::vector<Message> messages;  // ascending seq, at most `limit`
  bool has_more = false;          // more retained messages lie beyond the page, in its direction
  // True when retention deleted messages that this request asked for; the
  // page then starts (forwards) or stops (backwards) at first_available_seq.
  bool gap = false;
  Seq first_available_seq = 1;  // oldest retained seq; last_seq + 1 when none is retained
  Seq last_seq = 0;             // newest seq in the conversation when the page was read
};

// Messages of a conversation the user was owed that retention deleted.
struct RetentionGap {
  ConversationId conversation{};
  Seq first_available_seq = 1;

  bool operator==(const RetentionGap&) const = default;
};

// One page of reconnect sync.
struct SyncPage {
  std::vector<Message> messages;  // ascending message id, across all the user's conversations
  MessageId next_cursor{};        // pass to the next call; equals the cursor given when empty
  bool has_more = false;          // call again with next_cursor
  // Conversations where messages after the cursor were deleted by retention.
  // Repeated on later pages until the cursor passes them; handling must be
  // idempotent (e.g. reload that conversation with history()).
  std::vector<RetentionGap> gaps;
};

struct PruneReport {
  std::int64_t messages_deleted = 0;
  std::int64_t conversations_pruned = 0;
};

// Thread rules: every method is synchronous, leases one pooled connection for
// its duration and may be called from several storage threads at once.
// Appends serialise on SQLite's single write lock; see append_batch() for
// sharing one commit between many senders. Storage faults throw
// core::sqlite::DatabaseError.
class MessageStore {
 public:
  virtual ~MessageStore() = default;

  // Stores one message durably (the commit is fsynced before this returns) and
  // assigns the conversation's next seq. A repeated (sender, client_message_id)
  // returns the original Ack with duplicate = true, from any thread or process:
  // a UNIQUE constraint decides. Also moves the sender's read position to the
  // new message. Errors: kInvalidMessageText, kInvalidClientMessageId,
  // kNoSuchConversation, kNotAMember.
  [[nodiscard]] virtual Result<Ack> append(const AppendRequest& request) = 0;

  // Stores many messages in ONE transaction and one fsync, returning one
  // result per request in the same order; items fail independently with the
  // errors of append(). Within a batch, seqs follow the request order. On a
  // storage fault nothing of the batch is stored and DatabaseError is thrown.
  [[nodiscard]] virtual std::vector<Result<Ack>> append_batch(
      std::span<const AppendRequest> requests) = 0;

  // A page of a conversation's history for one of its members.
  // Errors: kInvalidPageLimit, kNoSuchConversation, kNotAMember.
  [[nodiscard]] virtual Result<HistoryPage> history(UserId reader, ConversationId conversation,
                                                    PageRequest page) = 0;

  // Reconnect sync: every retained message with id > `cursor` in the
  // conversations `user` is a member of now, in id order, at most `limit`.
  // Because ids grow in commit order, repeating with next_cursor until
  // has_more is false yields each missed message exactly once. A client that
  // never received anything passes MessageId{0}. Error: kInvalidPageLimit.
  [[nodiscard]] virtual Result<SyncPage> messages_after(UserId user, MessageId cursor,
                                                        int limit) = 0;

  // A cursor after every message committed so far: a client that starts from
  // it sees only messages committed later.
  [[nodiscard]] virtual MessageId latest_cursor() = 0;

  // Retention: deletes messages sent before `cutoff`, per conversation from the
  // oldest up, so that the retained seqs stay one contiguous range, and records
  // what went for gap reports. Runs in one write transaction that blocks
  // appends while it lasts; schedule it off-peak. Idempotency is forgotten
  // along with the deleted messages: keep retention far longer than any
  // client's retry window.
  virtual PruneReport prune_older_than(Timestamp cutoff) = 0;
};

// The embedded SQLite implementation.
class SqliteMessageStore final : public MessageStore {
 public:
  SqliteMessageStore(core::sqlite::ConnectionPool& pool, const Clock& clock,
                     MessageConfig config = {});

  Result<Ack> append(const AppendRequest& request) override;
  std::vector<Result<Ack>> append_batch(std::span<const AppendRequest> requests) override;
  Result<HistoryPage> history(UserId reader, ConversationId conversation,
                              PageRequest page) override;
  Result<SyncPage> messages_after(UserId user, MessageId cursor, int limit) override;
  MessageId latest_cursor() override;
  PruneReport prune_older_than(Timestamp cutoff) override;

 private:
  Result<Ack> append_one(core::sqlite::Database& db, const AppendRequest& request, Timestamp now);

  core::sqlite::ConnectionPool& pool_;
  const Clock& clock_;
  MessageConfig config_;
  detail::StatementCache statements_;  // the append path's statements, per connection
};

}  // namespace waypost::chat
