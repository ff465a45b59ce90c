// Internal helpers shared by the chat stores' implementations; not part of the
// library's interface.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <string>

#include "chat/clock.hpp"
#include "chat/errors.hpp"
#include "chat/statement_cache.hpp"
#include "chat/types.hpp"
#include "core/sqlite.hpp"

namespace waypost::chat::detail {

inline std::int64_t to_millis(Timestamp t) {
  return t.time_since_epoch().count();
}

inline Timestamp from_millis(std::int64_t millis) {
  return Timestamp(std::chrono::milliseconds(millis));
}

// The component's named logger ("chat"), created from the default logger on first use.
spdlog::logger& logger();

// Rows the last INSERT, UPDATE or DELETE on `db` changed.
int changed_rows(core::sqlite::Database& db);

// True when `statement` yields at least one row.
bool has_row(core::sqlite::Statement& statement);

// Succeeds when `user` belongs to `conversation`; otherwise kNoSuchConversation
// or kNotAMember.
Result<void> check_member(core::sqlite::Database& db, UserId user, ConversationId conversation);

// The same check through `cache`, for hot paths that run it per message.
Result<void> check_member(StatementCache& cache, core::sqlite::Database& db, UserId user,
                          ConversationId conversation);

// Reads a Message from the current row, starting at column `first`, in the
// column order of kMessageColumns.
Message read_message(const core::sqlite::Statement& statement, int first = 0);

// The message columns read_message() expects, for a table aliased `m`.
inline constexpr const char* kMessageColumns =
    "m.id, m.conversation_id, m.seq, m.sender_id, m.client_message_id, m.text, m.sent_at";

// A deferred transaction for reads that span several statements, so that they
// all see one snapshot. Rolls back when destroyed; reads need no commit.
class ReadTransaction {
 public:
  explicit ReadTransaction(core::sqlite::Database& db);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  core::sqlite::Database& db_;
};

}  // namespace waypost::chat::detail
