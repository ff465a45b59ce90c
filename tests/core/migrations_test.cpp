#include "core/migrations.hpp"

#include <gtest/gtest.h>

namespace waypost::core {
namespace {

std::vector<Migration> two_migrations() {
  return {
      {1, "create items", "CREATE TABLE items (id INTEGER PRIMARY KEY)", "DROP TABLE items"},
      {2, "add name", "ALTER TABLE items ADD COLUMN name TEXT",
       "ALTER TABLE items DROP COLUMN name"},
  };
}

bool column_exists(sqlite::Database& db, const std::string& table, const std::string& column) {
  auto statement = db.prepare("SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
  statement.bind(1, table).bind(2, column);
  return statement.step() == sqlite::StepResult::kRow;
}

TEST(Migrations, NewDatabaseStartsAtVersionZero) {
  sqlite::Database db(":memory:");
  EXPECT_EQ(current_schema_version(db), 0);
}

TEST(Migrations, MigrateToLatestAppliesEveryStep) {
  sqlite::Database db(":memory:");
  migrate_to_latest(db, two_migrations());
  EXPECT_EQ(current_schema_version(db), 2);
  EXPECT_TRUE(column_exists(db, "items", "name"));
}

TEST(Migrations, MigratingBackRevertsStepsInReverseOrder) {
  sqlite::Database db(":memory:");
  migrate_to_latest(db, two_migrations());

  migrate_to(db, two_migrations(), 1);
  EXPECT_EQ(current_schema_version(db), 1);
  EXPECT_FALSE(column_exists(db, "items", "name"));
  EXPECT_TRUE(column_exists(db, "items", "id"));

  migrate_to(db, two_migrations(), 0);
  EXPECT_EQ(current_schema_version(db), 0);
  EXPECT_FALSE(column_exists(db, "items", "id"));
}

TEST(Migrations, FailedStepLeavesThePreviousVersion) {
  sqlite::Database db(":memory:");
  auto migrations = two_migrations();
  migrations[1].up_sql = "ALTER TABLE no_such_table ADD COLUMN name TEXT";

  EXPECT_THROW(migrate_to_latest(db, migrations), sqlite::DatabaseError);
  EXPECT_EQ(current_schema_version(db), 1);
}

TEST(Migrations, RefusesADatabaseNewerThanTheList) {
  sqlite::Database db(":memory:");
  migrate_to_latest(db, two_migrations());
  auto older = two_migrations();
  older.pop_back();

  EXPECT_THROW(migrate_to_latest(db, older), std::runtime_error);
  EXPECT_EQ(current_schema_version(db), 2);
}

TEST(Migrations, RejectsTargetOutsideRange) {
  sqlite::Database db(":memory:");
  EXPECT_THROW(migrate_to(db, two_migrations(), 3), std::invalid_argument);
  EXPECT_THROW(migrate_to(db, two_migrations(), -1), std::invalid_argument);
}

}  // namespace
}  // namespace waypost::core
