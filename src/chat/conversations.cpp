#include "chat/conversations.hpp"

#include <algorithm>
#include <utility>

#include "chat/storage_support.hpp"
#include "chat/validation.hpp"

namespace waypost::chat {
namespace {

using core::sqlite::Database;
using core::sqlite::Statement;

constexpr const char* kConversationColumns =
    "c.id, c.kind, c.name, c.access, c.created_by, c.created_at";
constexpr int kConversationColumnCount = 6;

const char* access_text(GroupAccess access) {
  return access == GroupAccess::kOpen ? "open" : "invite_only";
}

Conversation read_conversation(const Statement& row) {
  return Conversation{
      .id = ConversationId{row.column_int(0)},
      .kind = row.column_text(1) == "direct" ? ConversationKind::kDirect : ConversationKind::kGroup,
      .name = row.column_optional_text(2),
      .access = row.column_text(3) == "open" ? GroupAccess::kOpen : GroupAccess::kInviteOnly,
      .created_by = UserId{row.column_int(4)},
      .created_at = detail::from_millis(row.column_int(5)),
  };
}

// Retained messages after the read position; messages below first_seq were
// deleted by retention and are no longer counted.
std::int64_t unread(Seq first_seq, Seq last_seq, Seq last_read_seq) {
  return last_seq - std::max(last_read_seq, first_seq - 1);
}

std::optional<Conversation> load_conversation(Database& db, ConversationId id) {
  auto query = db.prepare(std::string("SELECT ") + kConversationColumns +
                          " FROM conversations c WHERE c.id = ?");
  query.bind(1, to_int(id));
  if (!detail::has_row(query)) {
    return std::nullopt;
  }
  return read_conversation(query);
}

std::optional<Conversation> load_direct(Database& db, UserId low, UserId high) {
  auto query = db.prepare(std::string("SELECT ") + kConversationColumns +
                          " FROM conversations c WHERE c.direct_low = ? AND c.direct_high = ?");
  query.bind(1, to_int(low)).bind(2, to_int(high));
  if (!detail::has_row(query)) {
    return std::nullopt;
  }
  return read_conversation(query);
}

bool user_exists(Database& db, UserId user) {
  auto query = db.prepare("SELECT 1 FROM users WHERE id = ?");
  query.bind(1, to_int(user));
  return detail::has_row(query);
}

// Adds a member whose read position starts at the newest message, so that
// joining does not make the whole history unread. Does nothing for a member.
void insert_member(Database& db, ConversationId conversation, UserId user, Timestamp now) {
  db.prepare(
        "INSERT INTO members (conversation_id, user_id, joined_at, last_read_seq) "
        "SELECT id, ?2, ?3, last_seq FROM conversations WHERE id = ?1 "
        "ON CONFLICT DO NOTHING")
      .bind(1, to_int(conversation))
      .bind(2, to_int(user))
      .bind(3, detail::to_millis(now))
      .run();
}

// A group that exists, or the error explaining why `id` is not one.
// The group `id` as `user` may act on it. A direct conversation answers
// kNotAGroup only to its members; to anyone else it answers kNotAMember, as
// an invite-only group does, so that outsiders cannot learn its kind.
Result<Conversation> load_group_for(Database& db, ConversationId id, UserId user) {
  auto conversation = load_conversation(db, id);
  if (!conversation) {
    return Errc::kNoSuchConversation;
  }
  if (conversation->kind != ConversationKind::kGroup) {
    bool member = detail::check_member(db, user, id).has_value();
    return member ? Errc::kNotAGroup : Errc::kNotAMember;
  }
  return *conversation;
}

// A user's conversations with the columns read_summary() expects: the
// conversation, its retained range, the user's read position, the other user
// of a direct pair, and the newest message if retention kept it.
std::string list_query() {
  return std::string("SELECT ") + kConversationColumns +
         ", c.first_seq, c.last_seq, mm.last_read_seq, "
         "CASE WHEN c.direct_low = mm.user_id THEN c.direct_high ELSE c.direct_low END, " +
         detail::kMessageColumns +
         " FROM members mm JOIN conversations c ON c.id = mm.conversation_id "
         "LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq "
         "WHERE mm.user_id = ? AND (c.kind = 'group' OR c.last_seq > 0) "
         "ORDER BY COALESCE(m.id, 0) DESC, c.id DESC";
}

ConversationSummary read_summary(const Statement& row) {
  int column = kConversationColumnCount;
  ConversationSummary summary;
  summary.conversation = read_conversation(row);
  Seq first_seq = row.column_int(column++);
  summary.last_seq = row.column_int(column++);
  summary.last_read_seq = row.column_int(column++);
  summary.unread_count = unread(first_seq, summary.last_seq, summary.last_read_seq);

  auto peer = row.column_optional_int(column++);
  if (peer) {
    summary.peer = UserId{*peer};
  }
  if (!row.column_is_null(column)) {
    summary.last_message = detail::read_message(row, column);
  }
  return summary;
}

}  // namespace

SqliteConversationStore::SqliteConversationStore(core::sqlite::ConnectionPool& pool,
                                                 const Clock& clock)
    : pool_(pool), clock_(clock) {}

Result<Conversation> SqliteConversationStore::find_or_create_direct(UserId a, UserId b) {
  if (a == b) {
    return Errc::kDirectWithSelf;
  }
  auto [low, high] = std::minmax(a, b);

  // Most calls find an existing conversation; look without taking the write lock.
  auto db = pool_.lease();
  if (auto existing = load_direct(*db, low, high)) {
    return *existing;
  }

  core::sqlite::Transaction transaction(*db);
  if (!user_exists(*db, a) || !user_exists(*db, b)) {
    return Errc::kNoSuchUser;
  }

  // The UNIQUE (direct_low, direct_high) pair decides who creates it; a caller
  // that loses the race inserts nothing and reads the winner's row.
  Timestamp now = clock_.now();
  db->prepare(
        "INSERT INTO conversations (kind, created_by, created_at, direct_low, direct_high) "
        "VALUES ('direct', ?, ?, ?, ?) ON CONFLICT (direct_low, direct_high) DO NOTHING")
      .bind(1, to_int(a))
      .bind(2, detail::to_millis(now))
      .bind(3, to_int(low))
      .bind(4, to_int(high))
      .run();
  auto created = load_direct(*db, low, high);
  insert_member(*db, created->id, low, now);
  insert_member(*db, created->id, high, now);
  transaction.commit();
  return *created;
}

Result<Conversation> SqliteConversationStore::create_group(UserId creator, std::string_view name,
                                                           GroupAccess access) {
  if (!is_valid_group_name(name)) {
    return Errc::kInvalidGroupName;
  }

  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  if (!user_exists(*db, creator)) {
    return Errc::kNoSuchUser;
  }

  Timestamp now = clock_.now();
  db->prepare(
        "INSERT INTO conversations (kind, name, access, created_by, created_at) "
        "VALUES ('group', ?, ?, ?, ?)")
      .bind(1, name)
      .bind(2, std::string_view(access_text(access)))
      .bind(3, to_int(creator))
      .bind(4, detail::to_millis(now))
      .run();
  ConversationId id{db->last_insert_rowid()};
  insert_member(*db, id, creator, now);
  transaction.commit();

  return Conversation{id, ConversationKind::kGroup, std::string(name), access, creator, now};
}

Result<Conversation> SqliteConversationStore::find(ConversationId conversation) {
  auto db = pool_.lease();
  auto found = load_conversation(*db, conversation);
  if (!found) {
    return Errc::kNoSuchConversation;
  }
  return *found;
}

Result<void> SqliteConversationStore::add_member(UserId actor, ConversationId group, UserId user) {
  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  if (auto loaded = load_group_for(*db, group, actor); !loaded) {
    return loaded.error();
  }
  if (auto allowed = detail::check_member(*db, actor, group); !allowed) {
    return allowed.error();
  }
  if (!user_exists(*db, user)) {
    return Errc::kNoSuchUser;
  }

  insert_member(*db, group, user, clock_.now());
  transaction.commit();
  return {};
}

Result<void> SqliteConversationStore::join(UserId user, ConversationId group) {
  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  auto loaded = load_group_for(*db, group, user);
  if (!loaded) {
    return loaded.error();
  }
  if (!user_exists(*db, user)) {
    return Errc::kNoSuchUser;
  }

  // Invite-only groups refuse outsiders but let members "join" again
  // harmlessly. Outsiders get the same answer as for a direct conversation.
  bool already_member = detail::check_member(*db, user, group).has_value();
  if (loaded->access == GroupAccess::kInviteOnly && !already_member) {
    return Errc::kNotAMember;
  }

  insert_member(*db, group, user, clock_.now());
  transaction.commit();
  return {};
}

Result<void> SqliteConversationStore::leave(UserId user, ConversationId group) {
  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  if (auto loaded = load_group_for(*db, group, user); !loaded) {
    return loaded.error();
  }

  db->prepare("DELETE FROM members WHERE conversation_id = ? AND user_id = ?")
      .bind(1, to_int(group))
      .bind(2, to_int(user))
      .run();
  if (detail::changed_rows(*db) == 0) {
    return Errc::kNotAMember;
  }
  transaction.commit();
  return {};
}

Result<std::vector<Member>> SqliteConversationStore::members(ConversationId conversation) {
  // Cached statements: the group-commit writer asks this for every
  // conversation it fans a message out to.
  static constexpr std::string_view kExistsSql = "SELECT 1 FROM conversations WHERE id = ?";
  static constexpr std::string_view kMembersSql =
      "SELECT mm.user_id, u.username, mm.joined_at, mm.last_read_seq FROM members mm "
      "JOIN users u ON u.id = mm.user_id WHERE mm.conversation_id = ? "
      "ORDER BY mm.joined_at, mm.user_id";

  auto db = pool_.lease();
  detail::ReadTransaction snapshot(*db);
  {
    auto exists = statements_.get(*db, kExistsSql);
    exists->bind(1, to_int(conversation));
    if (!detail::has_row(*exists)) {
      return Errc::kNoSuchConversation;
    }
  }

  auto query = statements_.get(*db, kMembersSql);
  query->bind(1, to_int(conversation));
  std::vector<Member> members;
  while (detail::has_row(*query)) {
    members.push_back(Member{UserId{query->column_int(0)}, query->column_text(1),
                             detail::from_millis(query->column_int(2)), query->column_int(3)});
  }
  return members;
}

bool SqliteConversationStore::is_member(UserId user, ConversationId conversation) {
  auto db = pool_.lease();
  return detail::check_member(*db, user, conversation).has_value();
}

std::vector<ConversationSummary> SqliteConversationStore::list_for_user(UserId user) {
  auto db = pool_.lease();
  auto query = db->prepare(list_query());
  query.bind(1, to_int(user));

  std::vector<ConversationSummary> summaries;
  while (detail::has_row(query)) {
    summaries.push_back(read_summary(query));
  }
  return summaries;
}

Result<ReadMark> SqliteConversationStore::mark_read(UserId user, ConversationId conversation,
                                                    Seq seq) {
  // One statement, so it is atomic without an explicit transaction.
  auto db = pool_.lease();
  auto update = db->prepare(
      "UPDATE members SET last_read_seq = MAX(last_read_seq, "
      "  MIN(?3, (SELECT last_seq FROM conversations WHERE id = ?1))) "
      "WHERE conversation_id = ?1 AND user_id = ?2 "
      "RETURNING last_read_seq, "
      "  (SELECT first_seq FROM conversations WHERE id = ?1), "
      "  (SELECT last_seq FROM conversations WHERE id = ?1)");
  update.bind(1, to_int(conversation)).bind(2, to_int(user)).bind(3, seq);
  if (!detail::has_row(update)) {
    return Errc::kNotAMember;
  }

  ReadMark mark{update.column_int(0), 0};
  mark.unread_count = unread(update.column_int(1), update.column_int(2), mark.last_read_seq);

  // Step past the only row so that the statement, and its implicit transaction, end here.
  (void)update.step();
  return mark;
}

Result<std::int64_t> SqliteConversationStore::unread_count(UserId user,
                                                           ConversationId conversation) {
  auto db = pool_.lease();
  auto query = db->prepare(
      "SELECT c.first_seq, c.last_seq, mm.last_read_seq FROM members mm "
      "JOIN conversations c ON c.id = mm.conversation_id "
      "WHERE mm.conversation_id = ? AND mm.user_id = ?");
  query.bind(1, to_int(conversation)).bind(2, to_int(user));
  if (!detail::has_row(query)) {
    return Errc::kNotAMember;
  }
  return unread(query.column_int(0), query.column_int(1), query.column_int(2));
}

}  // namespace waypost::chat
