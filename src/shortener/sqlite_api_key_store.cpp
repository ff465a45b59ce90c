#include "shortener/sqlite_api_key_store.hpp"

#include <sqlite3.h>

namespace waypost::shortener {
namespace {

using core::sqlite::StepResult;

Timestamp from_micros(std::int64_t micros) {
  return Timestamp(std::chrono::microseconds(micros));
}

ApiKey read_key(const core::sqlite::Statement& row) {
  ApiKey key;
  key.id = row.column_int(0);
  key.owner = row.column_text(1);
  key.label = row.column_text(2);
  key.created_at = from_micros(row.column_int(3));
  if (auto revoked = row.column_optional_int(4)) {
    key.revoked_at = from_micros(*revoked);
  }
  return key;
}

}  // namespace

SqliteApiKeyStore::SqliteApiKeyStore(const std::string& path, int connections)
    : pool_(path, connections) {}

ApiKey SqliteApiKeyStore::create(const std::string& owner, const std::string& label,
                                 const std::string& secret_hash, Timestamp now) {
  auto db = pool_.lease();
  auto statement = db->prepare(
      "INSERT INTO api_keys (owner, label, secret_hash, created_at) VALUES (?, ?, ?, ?)");
  statement.bind(1, owner).bind(2, label).bind(3, secret_hash);
  statement.bind(4, now.time_since_epoch().count());
  statement.run();
  return ApiKey{.id = db->last_insert_rowid(),
                .owner = owner,
                .label = label,
                .created_at = now,
                .revoked_at = std::nullopt};
}

std::optional<ApiKey> SqliteApiKeyStore::find_active(std::string_view secret_hash) {
  auto db = pool_.lease();
  auto statement = db->prepare(
      "SELECT id, owner, label, created_at, revoked_at FROM api_keys"
      " WHERE secret_hash = ? AND revoked_at IS NULL");
  statement.bind(1, secret_hash);
  if (statement.step() != StepResult::kRow) {
    return std::nullopt;
  }
  return read_key(statement);
}

std::vector<ApiKey> SqliteApiKeyStore::list() {
  auto db = pool_.lease();
  auto statement =
      db->prepare("SELECT id, owner, label, created_at, revoked_at FROM api_keys ORDER BY id");
  std::vector<ApiKey> keys;
  while (statement.step() == StepResult::kRow) {
    keys.push_back(read_key(statement));
  }
  return keys;
}

bool SqliteApiKeyStore::revoke(std::int64_t id, Timestamp now) {
  auto db = pool_.lease();
  auto statement =
      db->prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
  statement.bind(1, now.time_since_epoch().count()).bind(2, id);
  statement.run();
  return sqlite3_changes(db->handle()) == 1;
}

}  // namespace waypost::shortener
