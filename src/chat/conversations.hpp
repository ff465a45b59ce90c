// Conversations (direct pairs and groups), membership and read positions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/clock.hpp"
#include "chat/errors.hpp"
#include "chat/statement_cache.hpp"
#include "chat/types.hpp"
#include "core/sqlite.hpp"

namespace waypost::chat {

// One line of a user's conversation list.
struct ConversationSummary {
  Conversation conversation;
  std::optional<UserId> peer;           // the other user, for a direct conversation
  std::optional<Message> last_message;  // empty when none was sent or retention removed it
  Seq last_seq = 0;                     // newest seq in the conversation
  Seq last_read_seq = 0;                // how far this user has read
  std::int64_t unread_count = 0;        // retained messages after last_read_seq
};

struct Member {
  UserId user{};
  std::string username;
  Timestamp joined_at;
  Seq last_read_seq = 0;  // what read receipts show to the others
};

// A user's read position after mark_read().
struct ReadMark {
  Seq last_read_seq = 0;
  std::int64_t unread_count = 0;
};

// Thread rules: every method is synchronous, leases one pooled connection for
// its duration and may be called from several storage threads at once. Writes
// run in BEGIN IMMEDIATE transactions, so check-then-write steps cannot
// interleave, even with other processes on the same file. Storage faults throw
// core::sqlite::DatabaseError.
//
// Members may read a conversation's whole retained history, including what was
// sent before they joined. A new group member starts with nothing unread.
class ConversationStore {
 public:
  virtual ~ConversationStore() = default;

  // The direct conversation of two users, created with both as members if it
  // does not exist yet. Safe against races: UNIQUE (low id, high id) makes
  // concurrent callers agree on one conversation. Call it when the first
  // message to a user is sent. Errors: kDirectWithSelf, kNoSuchUser.
  [[nodiscard]] virtual Result<Conversation> find_or_create_direct(UserId a, UserId b) = 0;

  // A new group whose only member is `creator`. Errors: kInvalidGroupName, kNoSuchUser.
  [[nodiscard]] virtual Result<Conversation> create_group(
      UserId creator, std::string_view name, GroupAccess access = GroupAccess::kInviteOnly) = 0;

  // Errors: kNoSuchConversation.
  [[nodiscard]] virtual Result<Conversation> find(ConversationId conversation) = 0;

  // `actor`, a member, adds `user` to a group. Adding a member again succeeds
  // and changes nothing. Errors: kNoSuchConversation, kNotAGroup (only to
  // members of a direct conversation), kNotAMember (the actor), kNoSuchUser.
  [[nodiscard]] virtual Result<void> add_member(UserId actor, ConversationId group,
                                                UserId user) = 0;

  // `user` joins an open group; joining again succeeds and changes nothing.
  // Errors: kNoSuchConversation, kNotAGroup (only to members of a direct
  // conversation), kNotAMember (a non-member of an invite-only group or of a
  // direct conversation: both look alike, so outsiders cannot tell the kind
  // apart), kNoSuchUser.
  [[nodiscard]] virtual Result<void> join(UserId user, ConversationId group) = 0;

  // `user` leaves a group. Direct conversations cannot be left.
  // Errors: kNoSuchConversation, kNotAGroup (only to members of a direct
  // conversation), kNotAMember.
  [[nodiscard]] virtual Result<void> leave(UserId user, ConversationId group) = 0;

  // Members in the order they joined. Errors: kNoSuchConversation. It does not
  // check who asks: call is_member() first when a client asks.
  [[nodiscard]] virtual Result<std::vector<Member>> members(ConversationId conversation) = 0;

  // False for non-members and for conversations that do not exist.
  [[nodiscard]] virtual bool is_member(UserId user, ConversationId conversation) = 0;

  // The user's conversations, most recent activity first, each with its last
  // message and the user's unread count. Direct conversations appear once they
  // hold a message, as in most chat apps.
  [[nodiscard]] virtual std::vector<ConversationSummary> list_for_user(UserId user) = 0;

  // Moves the user's read position to `seq`. The position never moves
  // backwards and never past the newest message, so late or duplicate
  // receipts are harmless. Errors: kNotAMember (also for an unknown conversation).
  [[nodiscard]] virtual Result<ReadMark> mark_read(UserId user, ConversationId conversation,
                                                   Seq seq) = 0;

  // Errors: kNotAMember (also for an unknown conversation).
  [[nodiscard]] virtual Result<std::int64_t> unread_count(UserId user,
                                                          ConversationId conversation) = 0;
};

// The embedded SQLite implementation.
class SqliteConversationStore final : public ConversationStore {
 public:
  SqliteConversationStore(core::sqlite::ConnectionPool& pool, const Clock& clock);

  Result<Conversation> find_or_create_direct(UserId a, UserId b) override;
  Result<Conversation> create_group(UserId creator, std::string_view name,
                                    GroupAccess access = GroupAccess::kInviteOnly) override;
  Result<Conversation> find(ConversationId conversation) override;
  Result<void> add_member(UserId actor, ConversationId group, UserId user) override;
  Result<void> join(UserId user, ConversationId group) override;
  Result<void> leave(UserId user, ConversationId group) override;
  Result<std::vector<Member>> members(ConversationId conversation) override;
  bool is_member(UserId user, ConversationId conversation) override;
  std::vector<ConversationSummary> list_for_user(UserId user) override;
  Result<ReadMark> mark_read(UserId user, ConversationId conversation, Seq seq) override;
  Result<std::int64_t> unread_count(UserId user, ConversationId conversation) override;

 private:
  core::sqlite::ConnectionPool& pool_;
  const Clock& clock_;
  detail::StatementCache statements_;  // members() statements, per connection
};

}  // namespace waypost::chat
