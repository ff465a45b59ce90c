// API keys in the shortener's SQLite database.
#pragma once

#include <string>

#include "core/sqlite.hpp"
#include "shortener/api_keys.hpp"

namespace waypost::shortener {

class SqliteApiKeyStore final : public ApiKeyStore {
 public:
  // Opens the database at `path`, whose schema must already be current (open
  // a SqliteLinkStore first). Throws core::sqlite::DatabaseError on failure.
  SqliteApiKeyStore(const std::string& path, int connections);

  ApiKey create(const std::string& owner, const std::string& label, const std::string& secret_hash,
                Timestamp now) override;
  std::optional<ApiKey> find_active(std::string_view secret_hash) override;
  std::vector<ApiKey> list() override;
  bool revoke(std::int64_t id, Timestamp now) override;

 private:
  core::sqlite::ConnectionPool pool_;
};

}  // namespace waypost::shortener
