// Identifiers and records shared by the chat stores.
//
// Ids are distinct enum types so that a user id cannot be passed where a
// conversation id is expected; `to_int()` gives the number for SQL or JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chat/clock.hpp"

namespace waypost::chat {

enum class UserId : std::int64_t {};
enum class ConversationId : std::int64_t {};

// Server-wide message id. Ids grow in commit order (SQLite has one writer at a
// time and the column is AUTOINCREMENT), which is what makes a message id
// usable as a reconnect cursor: a message committed later never has a smaller id.
enum class MessageId : std::int64_t {};

// Position of a message inside its conversation: 1, 2, 3, ... without gaps.
using Seq = std::int64_t;

template <typename Id>
constexpr std::int64_t to_int(Id id) {
  return static_cast<std::int64_t>(id);
}

struct User {
  UserId id{};
  std::string username;  // lower-case, see normalize_username()
  Timestamp created_at;
  std::optional<Timestamp> last_seen;  // empty until the user is first seen

  bool operator==(const User&) const = default;
};

enum class ConversationKind { kDirect, kGroup };

// Who may join a group without being added by a member.
enum class GroupAccess { kOpen, kInviteOnly };

struct Conversation {
  ConversationId id{};
  ConversationKind kind = ConversationKind::kGroup;
  std::optional<std::string> name;                // groups only
  GroupAccess access = GroupAccess::kInviteOnly;  // meaningful for groups only
  UserId created_by{};
  Timestamp created_at;
};

struct Message {
  MessageId id{};
  ConversationId conversation{};
  Seq seq = 0;
  UserId sender{};
  std::string client_message_id;
  std::string text;
  Timestamp sent_at;

  bool operator==(const Message&) const = default;
};

}  // namespace waypost::chat
