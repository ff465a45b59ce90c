// Versioned schema migrations that run forward and back.
//
// Each service lists its migrations in order, starting at version 1. The
// table `schema_migrations` records which versions are applied; every step
// runs in its own transaction, so a failed step leaves the previous version.
#pragma once

#include <string>
#include <vector>

#include "core/sqlite.hpp"

namespace waypost::core {

struct Migration {
  int version;           // 1, 2, 3, ... with no gaps
  std::string name;      // short description, recorded in schema_migrations
  std::string up_sql;    // moves the schema from version-1 to version
  std::string down_sql;  // moves it back from version to version-1
};

// Version the database is at now (0 for a new file).
int current_schema_version(sqlite::Database& db);

// Applies or reverts migrations until the database is at `target_version`.
// Throws std::invalid_argument when the target is outside 0..latest or the list
// has gaps, std::runtime_error when the database is newer than the list,
// and sqlite::DatabaseError when a step fails (that step is rolled back).
void migrate_to(sqlite::Database& db, const std::vector<Migration>& migrations, int target_version);

// Applies every migration not yet applied.
void migrate_to_latest(sqlite::Database& db, const std::vector<Migration>& migrations);

}  // namespace waypost::core
