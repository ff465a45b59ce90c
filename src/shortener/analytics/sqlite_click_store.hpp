// Click events and their rollups in the shortener's SQLite database.
#pragma once

#include <string>

#include "core/sqlite.hpp"
#include "shortener/analytics/click_store.hpp"

namespace waypost::shortener {

class SqliteClickStore final : public ClickStore {
 public:
  // Opens the database at `path`, whose schema must already be current (open
  // a SqliteLinkStore first). `connections` bounds concurrent calls: the
  // writer holds one while it writes or rolls up, stats queries share the
  // rest. Throws core::sqlite::DatabaseError on failure.
  SqliteClickStore(const std::string& path, int connections);

  void write(const std::vector<ClickRecord>& clicks) override;
  std::int64_t roll_up() override;
  std::string visitor_key(std::int64_t day) override;
  LinkStats stats(const StatsQuery& query) override;

 private:
  // Folds at most `limit` clicks in one transaction; returns how many.
  std::int64_t roll_up_some(std::int64_t limit);

  core::sqlite::ConnectionPool pool_;
};

}  // namespace waypost::shortener
