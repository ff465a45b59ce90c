#include "core/sqlite.hpp"

#include <utility>

namespace waypost::core::sqlite {
namespace {

[[noreturn]] void throw_error(sqlite3* db, int code) {
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw DatabaseError(code, message);
}

void check(sqlite3* db, int code) {
  if (code != SQLITE_OK) {
    throw_error(db, code);
  }
}

bool is_constraint_violation(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_CHECK:
      return true;
    default:
      return false;
  }
}

}  // namespace

DatabaseError::DatabaseError(int code, const std::string& message)
    : std::runtime_error("sqlite: " + message), code_(code) {}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db), statement_(nullptr) {
  check(db_,
        sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement_, nullptr));
}

Statement::~Statement() {
  sqlite3_finalize(statement_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), statement_(std::exchange(other.statement_, nullptr)) {}

Statement& Statement::bind(int index, std::int64_t value) {
  check(db_, sqlite3_bind_int64(statement_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  check(db_, sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_borrowed(int index, std::string_view text) {
  check(db_, sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_STATIC,
                                 SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_optional(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Statement& Statement::bind_optional(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  check(db_, sqlite3_bind_null(statement_, index));
  return *this;
}

StepResult Statement::step() {
  int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) {
    return StepResult::kRow;
  }
  if (code == SQLITE_DONE) {
    return StepResult::kDone;
  }

  int extended = sqlite3_extended_errcode(db_);
  sqlite3_reset(statement_);
  if (is_constraint_violation(extended)) {
    return StepResult::kConstraintViolation;
  }
  throw_error(db_, extended);
}

void Statement::run() {
  StepResult result = step();
  if (result != StepResult::kDone) {
    throw DatabaseError(SQLITE_MISUSE, result == StepResult::kRow
                                           ? "statement run() produced a row"
                                           : "statement run() violated a constraint");
  }
}

void Statement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(statement_, index) == SQLITE_NULL;
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(statement_, index);
}

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(statement_, index);
  int size = sqlite3_column_bytes(statement_, index);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), size);
}

std::string_view Statement::column_view(int index) const {
  const auto* text = sqlite3_column_text(statement_, index);
  int size = sqlite3_column_bytes(statement_, index);
  return text == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(text),
                                            static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::column_optional_text(int index) const {
  if (column_is_null(index)) {
    return std::nullopt;
  }
  return column_text(index);
}

std::optional<std::int64_t> Statement::column_optional_int(int index) const {
  if (column_is_null(index)) {
    return std::nullopt;
  }
  return column_int(index);
}

Database::Database(const std::string& path, int busy_timeout_ms) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int code = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (code != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    sqlite3_close(db_);
    throw DatabaseError(code, "cannot open " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);

  // WAL lets readers proceed while one writer commits; synchronous=FULL makes
  // every acknowledged commit survive a crash of the process or the machine.
  execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

void Database::execute(std::string_view sql) {
  std::string owned(sql);
  char* error = nullptr;
  int code = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &error);
  if (code != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(code);
    sqlite3_free(error);
    throw DatabaseError(sqlite3_extended_errcode(db_), message);
  }
}

Statement Database::prepare(std::string_view sql) {
  return Statement(db_, sql);
}

std::int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

Transaction::Transaction(Database& db) : db_(db) {
  db_.execute("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (open_) {
    try {
      db_.execute("ROLLBACK");
    } catch (const DatabaseError&) {
      // The connection already rolled back (for example after SQLITE_FULL).
    }
  }
}

void Transaction::commit() {
  db_.execute("COMMIT");
  open_ = false;
}

ConnectionPool::ConnectionPool(const std::string& path, int size) {
  for (int i = 0; i < size; ++i) {
    idle_.push_back(std::make_unique<Database>(path));
  }
}

ConnectionPool::Lease ConnectionPool::lease() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [this] { return !idle_.empty(); });
  auto db = std::move(idle_.back());
  idle_.pop_back();
  return Lease(*this, std::move(db));
}

ConnectionPool::Lease::~Lease() {
  if (!db_) {
    return;
  }
  {
    std::lock_guard lock(pool_->mutex_);
    pool_->idle_.push_back(std::move(db_));
  }
  pool_->available_.notify_one();
}

}  // namespace waypost::core::sqlite
