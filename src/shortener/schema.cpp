#include "shortener/schema.hpp"

namespace waypost::shortener {

// Times are INTEGER microseconds since the Unix epoch, UTC.
const std::vector<core::Migration>& shortener_schema_migrations() {
  static const std::vector<core::Migration> migrations = {
      {1, "create links",
       "CREATE TABLE links ("
       "  code TEXT PRIMARY KEY,"
       "  long_url TEXT NOT NULL,"
       "  created_at INTEGER NOT NULL,"
       "  expires_at INTEGER,"
       "  redirect_status INTEGER CHECK (redirect_status IN (301, 302, 307, 308)),"
       "  user_id TEXT,"
       "  custom_alias INTEGER NOT NULL DEFAULT 0"
       ") WITHOUT ROWID;"
       "CREATE INDEX links_by_user ON links (user_id, created_at);",
       "DROP INDEX links_by_user; DROP TABLE links;"},

      {2, "link owners, limits, passwords, deletion; api keys",
       "ALTER TABLE links ADD COLUMN owner TEXT;"
       "ALTER TABLE links ADD COLUMN max_visits INTEGER CHECK (max_visits > 0);"
       "ALTER TABLE links ADD COLUMN visits INTEGER NOT NULL DEFAULT 0;"
       "ALTER TABLE links ADD COLUMN password_hash TEXT;"
       "ALTER TABLE links ADD COLUMN updated_at INTEGER;"
       "ALTER TABLE links ADD COLUMN deleted_at INTEGER;"
       "CREATE INDEX links_by_owner ON links (owner, created_at, code);"
       "CREATE TABLE api_keys ("
       "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
       "  owner TEXT NOT NULL,"
       "  label TEXT NOT NULL DEFAULT '',"
       "  secret_hash TEXT NOT NULL UNIQUE,"
       "  created_at INTEGER NOT NULL,"
       "  revoked_at INTEGER"
       ");",
       "DROP TABLE api_keys;"
       "DROP INDEX links_by_owner;"
       "ALTER TABLE links DROP COLUMN deleted_at;"
       "ALTER TABLE links DROP COLUMN updated_at;"
       "ALTER TABLE links DROP COLUMN password_hash;"
       "ALTER TABLE links DROP COLUMN visits;"
       "ALTER TABLE links DROP COLUMN max_visits;"
       "ALTER TABLE links DROP COLUMN owner;"},

      // Rollups hold one row per link, hour and dimension value: `dimension`
      // is '' for the totals row (value ''), else referrer, country, browser,
      // os or device. Only the totals row counts bots and unique visitors.
      {3, "click analytics",
       "CREATE TABLE clicks ("
       "  id INTEGER PRIMARY KEY,"
       "  code TEXT NOT NULL,"
       "  at INTEGER NOT NULL,"
       "  referrer_host TEXT NOT NULL,"
       "  referrer TEXT NOT NULL,"
       "  country TEXT NOT NULL,"
       "  browser TEXT NOT NULL,"
       "  os TEXT NOT NULL,"
       "  device TEXT NOT NULL,"
       "  bot INTEGER NOT NULL,"
       "  visitor TEXT NOT NULL,"
       "  address TEXT"
       ");"
       "CREATE INDEX clicks_by_code ON clicks (code, at);"
       "CREATE TABLE click_rollups ("
       "  code TEXT NOT NULL,"
       "  hour INTEGER NOT NULL,"  // hours since the epoch
       "  dimension TEXT NOT NULL,"
       "  value TEXT NOT NULL,"
       "  human INTEGER NOT NULL DEFAULT 0,"
       "  unique_human INTEGER NOT NULL DEFAULT 0,"
       "  bot INTEGER NOT NULL DEFAULT 0,"
       "  PRIMARY KEY (code, dimension, hour, value)"
       ") WITHOUT ROWID;"
       "CREATE TABLE click_visitors ("
       "  code TEXT NOT NULL,"
       "  day INTEGER NOT NULL,"  // days since the epoch
       "  visitor TEXT NOT NULL,"
       "  PRIMARY KEY (code, day, visitor)"
       ") WITHOUT ROWID;"
       "CREATE TABLE visitor_keys (day INTEGER PRIMARY KEY, key TEXT NOT NULL);",
       "DROP TABLE visitor_keys; DROP TABLE click_visitors; DROP TABLE click_rollups;"
       "DROP INDEX clicks_by_code; DROP TABLE clicks;"},
  };
  return migrations;
}

}  // namespace waypost::shortener
