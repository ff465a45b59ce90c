// The embedded default store: one SQLite file in WAL mode, shared safely by
// several server processes on the same machine.
#pragma once

#include <mutex>
#include <string>

#include "core/sqlite.hpp"
#include "shortener/link_store.hpp"

namespace waypost::shortener {

class SqliteLinkStore final : public LinkStore {
 public:
  // Opens or creates the database at `path` and brings its schema up to date
  // (shortener_schema_migrations). `connections` bounds how many calls run at
  // once. Throws core::sqlite::DatabaseError when the file cannot be opened or
  // migrated.
  SqliteLinkStore(const std::string& path, int connections);

  InsertOutcome insert(const Link& link) override;
  std::vector<InsertOutcome> insert_batch(const std::vector<Link>& links) override;
  std::optional<Link> find(std::string_view code) override;
  std::vector<Link> list(const LinkListQuery& query) override;
  bool update(const Link& link) override;
  bool remove(std::string_view code, std::string_view owner, Timestamp now) override;
  bool take_visit(std::string_view code) override;
  void check_ready() override;

 private:
  core::sqlite::ConnectionPool pool_;
  // SQLite admits one writer at a time; queueing writers here instead of in
  // SQLite's busy handler (which sleeps and retries) keeps insert latency flat.
  std::mutex write_mutex_;
};

}  // namespace waypost::shortener
