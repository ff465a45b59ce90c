#include "chat/statement_cache.hpp"

namespace waypost::chat::detail {

StatementCache::Borrowed StatementCache::get(core::sqlite::Database& db, std::string_view sql) {
  std::lock_guard lock(mutex_);
  auto& per_connection = statements_[db.handle()];
  auto found = per_connection.find(sql);
  if (found == per_connection.end()) {
    // Preparing under the lock is rare (once per SQL and connection) and keeps
    // two threads from compiling the same statement for one connection.
    found = per_connection.try_emplace(std::string(sql), db.prepare(sql)).first;
  }
  return Borrowed(found->second);
}

}  // namespace waypost::chat::detail
