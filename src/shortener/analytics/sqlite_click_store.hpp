// Click events and their rollups in the shortener's SQLite database.
#pragma once

#include <cstdint>
#include <memory>
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
  ~SqliteClickStore() override;

  void write(const std::vector<ClickRecord>& clicks) override;
  std::int64_t roll_up() override;
  std::string visitor_key(std::int64_t day) override;
  LinkStats stats(const StatsQuery& query) override;

 private:
  struct PendingFolds;

  // Tallies `clicks`, just stored with ids from `first_id` on, into the
  // pending folds.
  void remember(const std::vector<ClickRecord>& clicks, std::int64_t first_id);

  struct RollupStep {
    std::int64_t folded = 0;  // clicks folded by this step
    bool more = false;        // more may be ready to fold at once
  };
  // Folds, in one transaction, up to `limit` clicks read from the table
  // (those after the mark that no pending fold covers) or else the pending
  // fold that continues from the mark.
  RollupStep roll_up_some(std::int64_t limit);

  core::sqlite::ConnectionPool pool_;
  // The clicks this store wrote, tallied as they were written, so that a
  // roll-up need not read them back from the table. Only ever a shortcut:
  // a roll-up uses them when they continue from the mark and reads from the
  // table whatever they do not cover.
  std::unique_ptr<PendingFolds> pending_;
};

}  // namespace waypost::shortener
