#include "shortener/sqlite_link_store.hpp"

namespace waypost::shortener {
namespace {

using core::sqlite::StepResult;

std::int64_t to_micros(Timestamp instant) {
  return instant.time_since_epoch().count();
}

Timestamp from_micros(std::int64_t micros) {
  return Timestamp(std::chrono::microseconds(micros));
}

}  // namespace

const std::vector<core::Migration>& link_schema_migrations() {
  static const std::vector<core::Migration> migrations = {
      {1, "create links",
       "CREATE TABLE links ("
       "  code TEXT PRIMARY KEY,"
       "  long_url TEXT NOT NULL,"
       "  created_at INTEGER NOT NULL,"  // microseconds since the Unix epoch, UTC
       "  expires_at INTEGER,"
       "  redirect_status INTEGER CHECK (redirect_status IN (301, 302, 307, 308)),"
       "  user_id TEXT,"
       "  custom_alias INTEGER NOT NULL DEFAULT 0"
       ") WITHOUT ROWID;"
       "CREATE INDEX links_by_user ON links (user_id, created_at);",
       "DROP INDEX links_by_user; DROP TABLE links;"},
  };
  return migrations;
}

SqliteLinkStore::SqliteLinkStore(const std::string& path, int connections)
    : pool_(path, connections) {
  auto db = pool_.lease();
  core::migrate_to_latest(*db, link_schema_migrations());
}

InsertOutcome SqliteLinkStore::insert(const Link& link) {
  auto db = pool_.lease();
  auto statement = db->prepare(
      "INSERT INTO links (code, long_url, created_at, expires_at, redirect_status, user_id,"
      " custom_alias) VALUES (?, ?, ?, ?, ?, ?, ?)");
  statement.bind(1, link.code).bind(2, link.long_url).bind(3, to_micros(link.created_at));
  if (link.expires_at) {
    statement.bind(4, to_micros(*link.expires_at));
  }
  if (link.redirect_status) {
    statement.bind(5, static_cast<std::int64_t>(*link.redirect_status));
  }
  statement.bind_optional(6, link.user_id).bind(7, std::int64_t{link.custom_alias ? 1 : 0});

  std::lock_guard one_writer(write_mutex_);
  return statement.step() == StepResult::kConstraintViolation ? InsertOutcome::kCodeTaken
                                                              : InsertOutcome::kInserted;
}

std::optional<Link> SqliteLinkStore::find(std::string_view code) {
  auto db = pool_.lease();
  auto statement = db->prepare(
      "SELECT code, long_url, created_at, expires_at, redirect_status, user_id, custom_alias"
      " FROM links WHERE code = ?");
  statement.bind(1, code);
  if (statement.step() != StepResult::kRow) {
    return std::nullopt;
  }

  Link link;
  link.code = statement.column_text(0);
  link.long_url = statement.column_text(1);
  link.created_at = from_micros(statement.column_int(2));
  if (auto expires = statement.column_optional_int(3)) {
    link.expires_at = from_micros(*expires);
  }
  if (auto status = statement.column_optional_int(4)) {
    link.redirect_status = static_cast<int>(*status);
  }
  link.user_id = statement.column_optional_text(5);
  link.custom_alias = statement.column_int(6) != 0;
  return link;
}

void SqliteLinkStore::check_ready() {
  auto db = pool_.lease();
  auto statement = db->prepare("SELECT 1 FROM links LIMIT 1");
  (void)statement.step();
}

}  // namespace waypost::shortener
