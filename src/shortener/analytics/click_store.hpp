// Where click events and their pre-aggregated counts live, and the queries
// behind the stats endpoint. Like LinkStore, an interface: handlers and the
// click recorder see only this, so another database slots in beside SQLite.
//
// Calls block on I/O: make them from the click writer thread or storage
// threads. Thread-safe; unexpected storage failures throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shortener/rfc3339.hpp"

namespace waypost::shortener {

// One click, enriched and ready to store. No raw address unless the operator
// asked for it: visitors are told apart by `visitor`, a keyed hash of address
// and User-Agent whose key changes every UTC day.
struct ClickRecord {
  std::string code;
  Timestamp at{};
  std::string referrer_host;  // lower-case host of the Referer, empty when none
  std::string referrer;       // the Referer itself, at most kMaxStoredReferrerBytes
  std::string country;        // ISO 3166-1 alpha-2, empty when unknown
  std::string browser;
  std::string os;
  std::string device;  // desktop, mobile, tablet, bot or other
  bool bot = false;
  std::string visitor;                   // hex of the daily keyed hash
  std::optional<std::string> address{};  // only with --store-client-addresses
  bool visit_already_counted = false;    // a visit-limited link counted it at redirect time
};

inline constexpr std::size_t kMaxStoredReferrerBytes = 1024;

enum class StatsInterval { kHour, kDay };

struct StatsQuery {
  std::string code;
  Timestamp from{};  // inclusive; rounded down to the start of its hour
  Timestamp to{};    // exclusive; rounded up to the end of its hour
  StatsInterval interval = StatsInterval::kDay;
  std::size_t top = 10;  // entries in each top list
};

// The range of a StatsQuery as its series lays it out: the hours [from_hour,
// to_hour) it covers (hours since the epoch, `from` rounded down and `to` up)
// and its buckets of one hour or one UTC day.
struct StatsBuckets {
  std::int64_t from_hour = 0;
  std::int64_t to_hour = 0;
  std::int64_t hours_per_bucket = 1;  // 1 or 24
  std::int64_t first_bucket = 0;      // buckets since the epoch
  std::int64_t bucket_count = 0;      // the range widened to whole buckets
};

inline StatsBuckets buckets_of(const StatsQuery& query) {
  constexpr std::int64_t kMicrosPerHour = 3'600'000'000;
  auto floor_div = [](std::int64_t a, std::int64_t b) { return a / b - (a % b < 0 ? 1 : 0); };
  StatsBuckets buckets;
  buckets.from_hour = floor_div(query.from.time_since_epoch().count(), kMicrosPerHour);
  buckets.to_hour = floor_div(query.to.time_since_epoch().count() - 1, kMicrosPerHour) + 1;
  buckets.hours_per_bucket = query.interval == StatsInterval::kDay ? 24 : 1;
  buckets.first_bucket = floor_div(buckets.from_hour, buckets.hours_per_bucket);
  buckets.bucket_count =
      floor_div(buckets.to_hour - 1, buckets.hours_per_bucket) + 1 - buckets.first_bucket;
  return buckets;
}

struct ClickCounts {
  std::int64_t human = 0;
  std::int64_t unique_human = 0;  // distinct visitors per UTC day, summed over the days
  std::int64_t bot = 0;
};

struct SeriesPoint {
  Timestamp start{};  // start of the hour or UTC day
  ClickCounts counts;
};

// Every bucket of `buckets`, oldest first, with zero counts.
inline std::vector<SeriesPoint> empty_series(const StatsBuckets& buckets) {
  std::vector<SeriesPoint> series;
  for (std::int64_t i = 0; i < buckets.bucket_count; ++i) {
    auto hour = (buckets.first_bucket + i) * buckets.hours_per_bucket;
    series.push_back({Timestamp(std::chrono::hours(hour)), {}});
  }
  return series;
}

struct TopEntry {
  std::string value;
  std::int64_t clicks = 0;  // human clicks
};

struct LinkStats {
  ClickCounts total;
  std::vector<SeriesPoint> series;  // every bucket of the range, oldest first, zeros included
  std::vector<TopEntry> referrers;  // by referrer host; "" means direct (no Referer)
  std::vector<TopEntry> countries;  // "" means unknown
  std::vector<TopEntry> browsers;
  std::vector<TopEntry> operating_systems;
  std::vector<TopEntry> devices;
};

class ClickStore {
 public:
  virtual ~ClickStore() = default;

  // Stores `clicks` and adds their visitors to the day's visitor sets, in
  // one transaction. The clicks reach the stats at the next roll_up().
  virtual void write(const std::vector<ClickRecord>& clicks) = 0;

  // Folds every click stored so far and not yet folded, by any process on
  // the same database, into the hourly counts and each link's visit count;
  // returns how many clicks it folded. Each click is folded exactly once,
  // also when several processes roll up at the same time or one dies
  // halfway. The cost grows with the number of clicks and of link-hours
  // they fall in, so calling it seldom under heavy load is cheaper per click.
  virtual std::int64_t roll_up() = 0;

  // The key for visitor hashes of UTC day `day` (days since the epoch),
  // created on first use and shared by every process on the database. Keys of
  // the days before yesterday are deleted, so their hashes cannot be
  // recomputed.
  [[nodiscard]] virtual std::string visitor_key(std::int64_t day) = 0;

  // Counts of `query.code` in the range, from the hourly rollups only (so
  // without the clicks stored since the last roll_up()): the cost depends on
  // the range, not on the number of clicks stored.
  [[nodiscard]] virtual LinkStats stats(const StatsQuery& query) = 0;
};

}  // namespace waypost::shortener
