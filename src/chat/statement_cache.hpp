// Prepared statements kept per pooled connection, so that hot paths compile
// their SQL once per connection instead of once per call. Internal to the
// chat stores.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/sqlite.hpp"

namespace waypost::chat::detail {

// Thread rules: any thread may call get() at once (a mutex guards the map).
// A statement belongs to one connection, and callers only ask for statements
// of a connection they have leased, so each statement has one user at a time.
//
// Lifetime: the cache may outlive the pool's connections. Connections close
// with sqlite3_close_v2, which waits for the last statement to be finalized,
// so a closed connection's handle is never reused while entries refer to it.
class StatementCache {
 public:
  // A borrowed statement, reset (rewound, bindings cleared) when the borrow
  // ends so that it holds no read snapshot and is ready for the next caller.
  class Borrowed {
   public:
    explicit Borrowed(core::sqlite::Statement& statement) : statement_(&statement) {}
    ~Borrowed() { statement_->reset(); }
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;

    core::sqlite::Statement& operator*() const { return *statement_; }
    core::sqlite::Statement* operator->() const { return statement_; }

   private:
    core::sqlite::Statement* statement_;
  };

  // The statement for `sql` on `db`, prepared on first use. Throws
  // core::sqlite::DatabaseError when the SQL does not compile. Do not borrow
  // the same SQL twice on one connection at once.
  [[nodiscard]] Borrowed get(core::sqlite::Database& db, std::string_view sql);

 private:
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept {
      return std::hash<std::string_view>{}(sql);
    }
  };
  using PerConnection =
      std::unordered_map<std::string, core::sqlite::Statement, SqlHash, std::equal_to<>>;

  std::mutex mutex_;
  std::unordered_map<sqlite3*, PerConnection> statements_;  // guarded by mutex_
};

}  // namespace waypost::chat::detail
