// Who shares a conversation with whom: the audience of presence updates and
// the rule for who may ask about whose presence.
#pragma once

#include <vector>

#include "chat/types.hpp"
#include "core/sqlite.hpp"

namespace waypost::chat {

// Thread rules: synchronous, leases one pooled connection per call, safe from
// several storage threads at once. Storage faults throw core::sqlite::DatabaseError.
class ContactDirectory {
 public:
  virtual ~ContactDirectory() = default;

  // Every other user who is a member of at least one conversation `user` is
  // in, in ascending id order. Empty for unknown users.
  [[nodiscard]] virtual std::vector<UserId> contacts(UserId user) = 0;
};

// The embedded SQLite implementation.
class SqliteContactDirectory final : public ContactDirectory {
 public:
  explicit SqliteContactDirectory(core::sqlite::ConnectionPool& pool) : pool_(pool) {}

  std::vector<UserId> contacts(UserId user) override;

 private:
  core::sqlite::ConnectionPool& pool_;
};

}  // namespace waypost::chat
