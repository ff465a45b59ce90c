#include "shortener/schema.hpp"

namespace waypost::shortener {

namespace {

// Click tables as version 3 has them: migration 3 creates them, and going
// back from 4 creates them again.
constexpr const char* kClickRollupsV3 =
    "CREATE TABLE click_rollups ("
    "  code TEXT NOT NULL,"
    "  hour INTEGER NOT NULL,"  // hours since the epoch
    "  dimension TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  human INTEGER NOT NULL DEFAULT 0,"
    "  unique_human INTEGER NOT NULL DEFAULT 0,"
    "  bot INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (code, dimension, hour, value)"
    ") WITHOUT ROWID;";
constexpr const char* kClickVisitorsV3 =
    "CREATE TABLE click_visitors ("
    "  code TEXT NOT NULL,"
    "  day INTEGER NOT NULL,"  // days since the epoch
    "  visitor TEXT NOT NULL,"
    "  PRIMARY KEY (code, day, visitor)"
    ") WITHOUT ROWID;";

}  // namespace

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
       "CREATE INDEX clicks_by_code ON clicks (code, at);" +
           std::string(kClickRollupsV3) + kClickVisitorsV3 +
           "CREATE TABLE visitor_keys (day INTEGER PRIMARY KEY, key TEXT NOT NULL);",
       "DROP TABLE visitor_keys; DROP TABLE click_visitors; DROP TABLE click_rollups;"
       "DROP INDEX clicks_by_code; DROP TABLE clicks;"},

      // Cheaper click writes. A click becomes one appended row: the
      // (code, at) index and the per-click upserts of rollups and visitor
      // sets are gone. Both are updated later, in bulk and in key order, from
      // the clicks after click_rollup_progress.last_click_id (see
      // SqliteClickStore::roll_up). Rollups become one row per link and hour,
      // its per-dimension counts in `breakdown`, a JSON object such as
      // {"browser": {"Firefox": 2}, "country": {"": 2}}.
      // Both directions convert the rollups; the visitor sets of the day are
      // not converted (they are keyed differently), so a visitor seen before
      // the migration may count as unique once more that day. Going back,
      // clicks not yet folded in (none after an orderly shutdown) stay out of
      // the old rollups.
      {4, "click rollups per link and hour, folded in bulk",
       "DROP INDEX clicks_by_code;"
       "ALTER TABLE clicks ADD COLUMN visit_counted INTEGER NOT NULL DEFAULT 0;"
       "CREATE TABLE click_hours ("
       "  code TEXT NOT NULL,"
       "  hour INTEGER NOT NULL,"  // hours since the epoch
       "  human INTEGER NOT NULL,"
       "  unique_human INTEGER NOT NULL,"
       "  bot INTEGER NOT NULL,"
       "  breakdown TEXT NOT NULL,"
       "  PRIMARY KEY (code, hour)"
       ") WITHOUT ROWID;"
       "INSERT INTO click_hours (code, hour, human, unique_human, bot, breakdown)"
       "  SELECT t.code, t.hour, t.human, t.unique_human, t.bot, COALESCE(("
       "    SELECT json_group_object(d.dimension, json(d.counts)) FROM ("
       "      SELECT r.dimension, json_group_object(r.value, r.human) AS counts"
       "      FROM click_rollups r"
       "      WHERE r.code = t.code AND r.hour = t.hour AND r.dimension <> ''"
       "      GROUP BY r.dimension) d), '{}')"
       "  FROM click_rollups t WHERE t.dimension = '';"
       "DROP TABLE click_rollups;"
       "CREATE TABLE click_rollup_progress ("
       "  id INTEGER PRIMARY KEY CHECK (id = 1),"
       "  last_click_id INTEGER NOT NULL"
       ");"
       "INSERT INTO click_rollup_progress (id, last_click_id)"
       "  SELECT 1, COALESCE(MAX(id), 0) FROM clicks;"
       // A visitor's key is a 64-bit hash of link, day and visitor hash.
       "DROP TABLE click_visitors;"
       "CREATE TABLE click_visitors (id INTEGER PRIMARY KEY, day INTEGER NOT NULL);",

       std::string(kClickRollupsV3) +
           "INSERT INTO click_rollups (code, dimension, hour, value, human, unique_human, bot)"
           "  SELECT code, '', hour, '', human, unique_human, bot FROM click_hours;"
           "INSERT INTO click_rollups (code, dimension, hour, value, human)"
           "  SELECT h.code, d.key, h.hour, v.key, v.value"
           "  FROM click_hours h, json_each(h.breakdown) d, json_each(d.value) v;"
           "DROP TABLE click_rollup_progress;"
           "DROP TABLE click_hours;"
           "DROP TABLE click_visitors;" +
           kClickVisitorsV3 +
           "ALTER TABLE clicks DROP COLUMN visit_counted;"
           "CREATE INDEX clicks_by_code ON clicks (code, at);"},
  };
  return migrations;
}

}  // namespace waypost::shortener
