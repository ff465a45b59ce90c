// The in-process cache that serves redirects of hot links from memory.
//
// Least-recently-used eviction within a fixed number of entries, a time to
// live on every entry (so edits made by another process show up within it),
// and short-lived "no such code" entries so that repeated lookups of unknown
// codes do not all reach the database. Split into shards, each with its own
// lock, so I/O threads rarely contend. Thread-safe.
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shortener/link.hpp"

namespace waypost::shortener {

struct LinkCacheOptions {
  std::size_t capacity = 200'000;  // links and absences together
  std::chrono::microseconds ttl{std::chrono::minutes(5)};
  std::chrono::microseconds absent_ttl{std::chrono::seconds(2)};
};

class LinkCache {
 public:
  explicit LinkCache(LinkCacheOptions options);

  struct Entry {
    std::shared_ptr<const Link> link;  // null: the code is known not to exist
  };

  // The cached entry for `code` if one is fresh at `now`, otherwise nullopt.
  std::optional<Entry> lookup(std::string_view code, Timestamp now);

  // Caches `link` (or, when null, the absence of `code`) as of `now`.
  void put(const std::string& code, std::shared_ptr<const Link> link, Timestamp now);

  void erase(const std::string& code);

  std::size_t size() const;

 private:
  struct Slot {
    std::string code;
    std::shared_ptr<const Link> link;
    Timestamp fresh_until;
  };
  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::list<Slot> recency;  // most recently used first; guarded by mutex
    std::unordered_map<std::string, std::list<Slot>::iterator, TransparentHash, std::equal_to<>>
        index;  // guarded by mutex
  };

  Shard& shard_for(std::string_view code);

  LinkCacheOptions options_;
  std::size_t shard_capacity_;
  std::vector<Shard> shards_;
};

}  // namespace waypost::shortener
