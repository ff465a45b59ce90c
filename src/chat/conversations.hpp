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
  ConversationStore(core::sqlite::ConnectionPool& pool, const Clock& clock);

  // The direct conversation of two users, created with both as members if it
  // does not exist yet. Safe against races: UNIQUE (low id, high id) makes
  // concurrent callers agree on one conversation. Call it when the first
  // message to a user is sent. Errors: kDirectWithSelf, kNoSuchUser.
  [[nodiscard]] Result<Conversation> find_or_create_direct(UserId a, UserId b);

  // A new group whose only member is `creator`. Errors: kInvalidGroupName, kNoSuchUser.
  [[nodiscard]] Result<Conversation> create_group(UserId creator, std::string_view name,
                                                  GroupAccess access = GroupAccess::kInviteOnly);

  // Errors: kNoSuchConversation.
  [[nodiscard]] Result<Conversation> find(ConversationId conversation);

  // `actor`, a member, adds `user` to a group. Adding a member again succeeds
  // and changes nothing. Errors: kNoSuchConversation, kNotAGroup (only to
  // members of a direct conversation), kNotAMember (the actor), kNoSuchUser.
  [[nodiscard]] Result<void> add_member(UserId actor, ConversationId group, UserId user);

  // `user` joins an open group; joining again succeeds and changes nothing.
  // Errors: kNoSuchConversation, kNotAGroup (only to members of a direct
  // conversation), kNotAMember (a non-member of an invite-only group or of a
  // direct conversation: both look alike, so outsiders cannot tell the kind
  // apart), kNoSuchUser.
  [[nodiscard]] Result<void> join(UserId user, ConversationId group);

  // `user` leaves a group. Direct conversations cannot be left.
  // Errors: kNoSuchConversation, kNotAGroup (only to members of a direct
  // conversation), kNotAMember.
  [[nodiscard]] Result<void> leave(UserId user, ConversationId group);

  // Members in the order they joined. Errors: kNoSuchConversation. It does not
  // check who asks: call is_member() first when a client asks.
  [[nodiscard]] Result<std::vector<Member>> members(ConversationId conversation);

  // False for non-members and for conversations that do not exist.
  [[nodiscard]] bool is_member(UserId user, ConversationId conversation);

  // The user's conversations, most recent activity first, each with its last
  // message and the user's unread count. Direct conversations appear once they
  // hold a message, as in most chat apps.
  [[nodiscard]] std::vector<ConversationSummary> list_for_user(UserId user);

  // Moves the user's read position to `seq`. The position never moves
  // backwards and never past the newest message, so late or duplicate
  // receipts are harmless. Errors: kNotAMember (also for an unknown conversation).
  [[nodiscard]] Result<ReadMark> mark_read(UserId user, ConversationId conversation, Seq seq);

  // Errors: kNotAMember (also for an unknown conversation).
  [[nodiscard]] Result<std::int64_t> unread_count(UserId user, ConversationId conversation);

 private:
  core::sqlite::ConnectionPool& pool_;
  const Clock& clock_;
  detail::StatementCache statements_;  // members() statements, per connection
};

}  // namespace waypost::chat
