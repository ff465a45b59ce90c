#include "shortener/sqlite_link_store.hpp"

#include <sqlite3.h>

#include "core/migrations.hpp"
#include "shortener/schema.hpp"

namespace waypost::shortener {
namespace {

using core::sqlite::Statement;
using core::sqlite::StepResult;

// The columns read_link() expects, in its order.
constexpr std::string_view kLinkColumns =
    "code, long_url, created_at, expires_at, redirect_status, user_id, custom_alias, owner,"
    " max_visits, visits, password_hash, updated_at";

std::int64_t to_micros(Timestamp instant) {
  return instant.time_since_epoch().count();
}

Timestamp from_micros(std::int64_t micros) {
  return Timestamp(std::chrono::microseconds(micros));
}

std::optional<std::int64_t> optional_micros(const std::optional<Timestamp>& instant) {
  return instant ? std::optional(to_micros(*instant)) : std::nullopt;
}

std::optional<Timestamp> optional_instant(const std::optional<std::int64_t>& micros) {
  return micros ? std::optional(from_micros(*micros)) : std::nullopt;
}

std::optional<std::int64_t> optional_int(const std::optional<int>& value) {
  return value ? std::optional<std::int64_t>(*value) : std::nullopt;
}

Link read_link(const Statement& row) {
  Link link;
  link.code = row.column_text(0);
  link.long_url = row.column_text(1);
  link.created_at = from_micros(row.column_int(2));
  link.expires_at = optional_instant(row.column_optional_int(3));
  if (auto status = row.column_optional_int(4)) {
    link.redirect_status = static_cast<int>(*status);
  }
  link.user_id = row.column_optional_text(5);
  link.custom_alias = row.column_int(6) != 0;
  link.owner = row.column_optional_text(7);
  link.max_visits = row.column_optional_int(8);
  link.visits = row.column_int(9);
  link.password_hash = row.column_optional_text(10);
  link.updated_at = optional_instant(row.column_optional_int(11));
  return link;
}

Statement prepare_insert(core::sqlite::Database& db) {
  return db.prepare(
      "INSERT INTO links (code, long_url, created_at, expires_at, redirect_status, user_id,"
      " custom_alias, owner, max_visits, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
}

InsertOutcome run_insert(Statement& statement, const Link& link) {
  statement.reset();
  statement.bind(1, link.code).bind(2, link.long_url).bind(3, to_micros(link.created_at));
  statement.bind_optional(4, optional_micros(link.expires_at));
  statement.bind_optional(5, optional_int(link.redirect_status));
  statement.bind_optional(6, link.user_id).bind(7, std::int64_t{link.custom_alias ? 1 : 0});
  statement.bind_optional(8, link.owner).bind_optional(9, link.max_visits);
  statement.bind_optional(10, link.password_hash);
  return statement.step() == StepResult::kConstraintViolation ? InsertOutcome::kCodeTaken
                                                              : InsertOutcome::kInserted;
}

// A LIKE pattern matching any text that contains `text` literally.
std::string contains_pattern(std::string_view text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') {
      pattern += '\\';
    }
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

}  // namespace

SqliteLinkStore::SqliteLinkStore(const std::string& path, int connections)
    : pool_(path, connections) {
  auto db = pool_.lease();
  core::migrate_to_latest(*db, shortener_schema_migrations());
}

InsertOutcome SqliteLinkStore::insert(const Link& link) {
  auto db = pool_.lease();
  auto statement = prepare_insert(*db);

  std::lock_guard one_writer(write_mutex_);
  return run_insert(statement, link);
}

std::vector<InsertOutcome> SqliteLinkStore::insert_batch(const std::vector<Link>& links) {
  auto db = pool_.lease();
  auto statement = prepare_insert(*db);
  std::vector<InsertOutcome> outcomes;
  outcomes.reserve(links.size());

  // A refused INSERT undoes only itself, so the transaction carries on.
  std::lock_guard one_writer(write_mutex_);
  core::sqlite::Transaction transaction(*db);
  for (const auto& link : links) {
    outcomes.push_back(run_insert(statement, link));
  }
  transaction.commit();
  return outcomes;
}

std::optional<Link> SqliteLinkStore::find(std::string_view code) {
  auto db = pool_.lease();
  auto statement = db->prepare("SELECT " + std::string(kLinkColumns) +
                               " FROM links WHERE code = ? AND deleted_at IS NULL");
  statement.bind(1, code);
  if (statement.step() != StepResult::kRow) {
    return std::nullopt;
  }
  return read_link(statement);
}

std::vector<Link> SqliteLinkStore::list(const LinkListQuery& query) {
  std::string sql =
      "SELECT " + std::string(kLinkColumns) + " FROM links WHERE owner = ?1 AND deleted_at IS NULL";
  if (query.after) {
    sql += " AND (created_at < ?2 OR (created_at = ?2 AND code < ?3))";
  }
  if (!query.text.empty()) {
    sql += " AND (code LIKE ?4 ESCAPE '\\' OR long_url LIKE ?4 ESCAPE '\\')";
  }
  sql += " ORDER BY created_at DESC, code DESC LIMIT ?5";

  auto db = pool_.lease();
  auto statement = db->prepare(sql);
  statement.bind(1, query.owner);
  if (query.after) {
    statement.bind(2, to_micros(query.after->first)).bind(3, query.after->second);
  }
  if (!query.text.empty()) {
    statement.bind(4, contains_pattern(query.text));
  }
  statement.bind(5, static_cast<std::int64_t>(query.limit));

  std::vector<Link> links;
  while (statement.step() == StepResult::kRow) {
    links.push_back(read_link(statement));
  }
  return links;
}

bool SqliteLinkStore::update(const Link& link) {
  auto db = pool_.lease();
  auto statement = db->prepare(
      "UPDATE links SET long_url = ?, expires_at = ?, redirect_status = ?, max_visits = ?,"
      " password_hash = ?, updated_at = ? WHERE code = ? AND owner = ? AND deleted_at IS NULL");
  statement.bind(1, link.long_url).bind_optional(2, optional_micros(link.expires_at));
  statement.bind_optional(3, optional_int(link.redirect_status));
  statement.bind_optional(4, link.max_visits).bind_optional(5, link.password_hash);
  statement.bind_optional(6, optional_micros(link.updated_at));
  statement.bind(7, link.code).bind_optional(8, link.owner);

  std::lock_guard one_writer(write_mutex_);
  statement.run();
  return sqlite3_changes(db->handle()) == 1;
}

bool SqliteLinkStore::remove(std::string_view code, std::string_view owner, Timestamp now) {
  auto db = pool_.lease();
  auto statement = db->prepare(
      "UPDATE links SET deleted_at = ? WHERE code = ? AND owner = ? AND deleted_at IS NULL");
  statement.bind(1, to_micros(now)).bind(2, code).bind(3, owner);

  std::lock_guard one_writer(write_mutex_);
  statement.run();
  return sqlite3_changes(db->handle()) == 1;
}

bool SqliteLinkStore::take_visit(std::string_view code) {
  auto db = pool_.lease();
  auto statement = db->prepare(
      "UPDATE links SET visits = visits + 1 WHERE code = ? AND deleted_at IS NULL"
      " AND (max_visits IS NULL OR visits < max_visits)");
  statement.bind(1, code);

  std::lock_guard one_writer(write_mutex_);
  statement.run();
  return sqlite3_changes(db->handle()) == 1;
}

void SqliteLinkStore::check_ready() {
  auto db = pool_.lease();
  auto statement = db->prepare("SELECT 1 FROM links LIMIT 1");
  (void)statement.step();
}

}  // namespace waypost::shortener
