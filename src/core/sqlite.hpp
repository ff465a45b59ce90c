// A thin RAII layer over the SQLite C API: connections, prepared statements
// and a pool of connections for the storage threads.
//
// Error model: an outcome the caller must expect (a row exists or not, a
// UNIQUE constraint refused an insert) is a return value; anything else
// (disk full, corrupt file, SQL that does not compile) throws DatabaseError,
// which handlers turn into a 500 and a log line.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace waypost::core::sqlite {

// An unexpected failure reported by SQLite. `code()` is the extended result code.
class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(int code, const std::string& message);
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// What one step of a statement produced.
enum class StepResult {
  kRow,                  // a row is available through the column accessors
  kDone,                 // the statement finished
  kConstraintViolation,  // a UNIQUE, PRIMARY KEY or CHECK constraint refused the write
};

// A prepared statement. Owned by one thread at a time, like its connection.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  // Bind by 1-based parameter index. Text is copied by SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_optional(int index, const std::optional<std::string>& text);
  Statement& bind_optional(int index, const std::optional<std::int64_t>& value);
  Statement& bind_null(int index);
  // Binds `text` without copying it: it must stay alive and unchanged until
  // the parameter is bound again or the statement is reset or destroyed.
  Statement& bind_borrowed(int index, std::string_view text);

  // Advances the statement. Throws DatabaseError on anything but the results above.
  [[nodiscard]] StepResult step();

  // Steps until done; throws if the statement yields a row or violates a constraint.
  void run();

  // Clears bindings and rewinds, ready to run again.
  void reset();

  bool column_is_null(int index) const;
  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  // The text of a column without a copy; valid until the next step() or
  // reset(). Empty for NULL.
  std::string_view column_view(int index) const;
  std::optional<std::string> column_optional_text(int index) const;
  std::optional<std::int64_t> column_optional_int(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_;
};

// One connection. Not thread-safe: use it from one thread at a time.
class Database {
 public:
  // Opens (creating if absent) the file at `path` in WAL mode with foreign keys
  // on and `busy_timeout_ms` of waiting on locks held by other connections or
  // processes. ":memory:" opens a private in-memory database.
  explicit Database(const std::string& path, int busy_timeout_ms = 5000);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows.
  void execute(std::string_view sql);

  Statement prepare(std::string_view sql);

  // Row id of the last successful INSERT on this connection.
  std::int64_t last_insert_rowid() const;

  sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Runs `execute("BEGIN IMMEDIATE")` on construction and rolls back on
// destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

// A fixed set of connections to one database file, shared by storage threads.
// lease() blocks until a connection is free; the lease returns it when destroyed.
class ConnectionPool {
 public:
  ConnectionPool(const std::string& path, int size);

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Database> db) : pool_(&pool), db_(std::move(db)) {}
    Lease(Lease&&) noexcept = default;
    ~Lease();
    Database& operator*() const { return *db_; }
    Database* operator->() const { return db_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Database> db_;
  };

  Lease lease();

 private:
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Database>> idle_;  // guarded by mutex_
};

}  // namespace waypost::core::sqlite
