#include "core/migrations.hpp"

#include <stdexcept>

namespace waypost::core {
namespace {

void ensure_bookkeeping_table(sqlite::Database& db) {
  db.execute(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "  version INTEGER PRIMARY KEY,"
      "  name TEXT NOT NULL,"
      "  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
}

void check_sequence(const std::vector<Migration>& migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      throw std::invalid_argument("migrations must be numbered 1, 2, 3, ... without gaps");
    }
  }
}

void apply(sqlite::Database& db, const Migration& migration) {
  sqlite::Transaction transaction(db);
  db.execute(migration.up_sql);
  db.prepare("INSERT INTO schema_migrations (version, name) VALUES (?, ?)")
      .bind(1, static_cast<std::int64_t>(migration.version))
      .bind(2, migration.name)
      .run();
  transaction.commit();
}

void revert(sqlite::Database& db, const Migration& migration) {
  sqlite::Transaction transaction(db);
  db.execute(migration.down_sql);
  db.prepare("DELETE FROM schema_migrations WHERE version = ?")
      .bind(1, static_cast<std::int64_t>(migration.version))
      .run();
  transaction.commit();
}

}  // namespace

int current_schema_version(sqlite::Database& db) {
  ensure_bookkeeping_table(db);
  auto statement = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  (void)statement.step();
  return static_cast<int>(statement.column_int(0));
}

void migrate_to(sqlite::Database& db, const std::vector<Migration>& migrations,
                int target_version) {
  check_sequence(migrations);
  int latest = static_cast<int>(migrations.size());
  if (target_version < 0 || target_version > latest) {
    throw std::invalid_argument("schema version " + std::to_string(target_version) +
                                " is outside 0.." + std::to_string(latest));
  }

  int version = current_schema_version(db);
  if (version > latest) {
    throw std::runtime_error("database schema version " + std::to_string(version) +
                             " is newer than this binary knows (" + std::to_string(latest) + ")");
  }
  while (version < target_version) {
    apply(db, migrations[version]);
    ++version;
  }
  while (version > target_version) {
    revert(db, migrations[version - 1]);
    --version;
  }
}

void migrate_to_latest(sqlite::Database& db, const std::vector<Migration>& migrations) {
  migrate_to(db, migrations, static_cast<int>(migrations.size()));
}

}  // namespace waypost::core
