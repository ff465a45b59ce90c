#include "shortener/analytics/sqlite_click_store.hpp"

#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <boost/container/small_vector.hpp>
#include <boost/json.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace waypost::shortener {
namespace {

namespace json = boost::json;
using core::sqlite::StepResult;

constexpr std::int64_t kMicrosPerHour = 3'600'000'000;
// Clicks folded in one roll-up transaction at most, which bounds the memory
// a roll-up holds (some tens of MB) and how long it keeps other writers
// waiting.
constexpr std::int64_t kMaxClicksPerRollup = 1'000'000;
// Pending folds kept at most (each of about kMaxClicksPerRollup clicks, some
// tens of MB); when a roll-up falls that far behind, the oldest are dropped
// and their clicks read back from the table instead.
constexpr std::size_t kMaxPendingFolds = 4;
// Page cache of each connection, in KiB.
constexpr int kCacheKibibytes = 64 * 1024;

// The dimensions of a rollup's breakdown: their names in click_hours and
// their places in ClickDimensions (and, from column 3 on, in the clicks
// columns gather() selects).
enum Dimension : std::size_t { kReferrer, kCountry, kBrowser, kOs, kDevice };
constexpr std::array<std::string_view, 5> kDimensionNames = {"referrer", "country", "browser", "os",
                                                             "device"};

std::int64_t hour_of(Timestamp instant) {
  auto micros = instant.time_since_epoch().count();
  return micros >= 0 ? micros / kMicrosPerHour : (micros - kMicrosPerHour + 1) / kMicrosPerHour;
}

// Human clicks by value, one map per entry of kDimensionNames.
using ClickDimensions = std::array<std::map<std::string, std::int64_t, std::less<>>, 5>;

void add_breakdown(ClickDimensions& into, const json::object& breakdown) {
  for (std::size_t i = 0; i < kDimensionNames.size(); ++i) {
    const auto* values = breakdown.if_contains(kDimensionNames[i]);
    if (values == nullptr || !values->is_object()) {
      continue;
    }
    for (const auto& [value, clicks] : values->get_object()) {
      into[i][std::string(value)] += clicks.to_number<std::int64_t>();
    }
  }
}

// The click_visitors key of a visitor's clicks on one link on one UTC day: 64
// bits of SipHash over the three. The visitor hash is already keyed and
// rotated daily; this only has to spread keys evenly, so its key is fixed.
std::int64_t visitor_day_key(std::string_view code, std::int64_t day, std::string_view visitor) {
  static constexpr std::array<unsigned char, crypto_shorthash_KEYBYTES> kKey = {
      'w', 'a', 'y', 'p', 'o', 's', 't', '-', 'v', 'i', 's', 'i', 't', 'o', 'r', 's'};
  thread_local std::string input;
  input.assign(code).append(1, '\n').append(std::to_string(day)).append(1, '\n').append(visitor);
  std::array<unsigned char, crypto_shorthash_BYTES> digest{};
  crypto_shorthash(digest.data(), reinterpret_cast<const unsigned char*>(input.data()),
                   input.size(), kKey.data());
  std::int64_t key = 0;
  std::memcpy(&key, digest.data(), sizeof key);
  return key;
}

// Clicks stored by one INSERT statement: one statement for many rows spares
// SQLite most of its per-statement work. Each row takes kClickColumns
// parameters, far below SQLite's limit of 32766 per statement.
constexpr std::size_t kClicksPerInsert = 64;
constexpr int kClickColumns = 12;

std::string insert_clicks_sql(std::size_t rows) {
  std::string sql =
      "INSERT INTO clicks (code, at, referrer_host, referrer, country, browser, os, device, bot,"
      " visitor, address, visit_counted) VALUES ";
  for (std::size_t row = 0; row < rows; ++row) {
    sql += row == 0 ? "(?,?,?,?,?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?,?,?,?,?)";
  }
  return sql;
}

// Binds `click` to the parameters of row `row` of an insert_clicks_sql()
// statement. The click must outlive the statement's next reset().
void bind_click(core::sqlite::Statement& insert, std::size_t row, const ClickRecord& click) {
  auto first = static_cast<int>(row) * kClickColumns;
  insert.bind_borrowed(first + 1, click.code).bind(first + 2, click.at.time_since_epoch().count());
  insert.bind_borrowed(first + 3, click.referrer_host).bind_borrowed(first + 4, click.referrer);
  insert.bind_borrowed(first + 5, click.country).bind_borrowed(first + 6, click.browser);
  insert.bind_borrowed(first + 7, click.os).bind_borrowed(first + 8, click.device);
  insert.bind(first + 9, std::int64_t{click.bot ? 1 : 0}).bind_borrowed(first + 10, click.visitor);
  if (click.address) {
    insert.bind_borrowed(first + 11, *click.address);
  } else {
    insert.bind_null(first + 11);
  }
  insert.bind(first + 12, std::int64_t{click.visit_already_counted ? 1 : 0});
}

// Stores clicks[first, first + count) with one statement.
void insert_clicks(core::sqlite::Statement& insert, const std::vector<ClickRecord>& clicks,
                   std::size_t first, std::size_t count) {
  for (std::size_t row = 0; row < count; ++row) {
    bind_click(insert, row, clicks[first + row]);
  }
  insert.run();
  insert.reset();
}

// Strings a roll-up meets, each kept once and named by a small number, so
// that tallying a click allocates nothing for links and values already seen.
class Interner {
 public:
  std::uint32_t id_of(std::string_view text) {
    if (auto found = ids_.find(text); found != ids_.end()) {
      return found->second;
    }
    auto id = static_cast<std::uint32_t>(texts_.size());
    ids_.emplace(texts_.emplace_back(text), id);
    return id;
  }

  const std::string& text_of(std::uint32_t id) const { return texts_[id]; }

 private:
  std::deque<std::string> texts_;  // by id; a deque never moves its elements
  boost::unordered_flat_map<std::string_view, std::uint32_t> ids_;  // views of texts_
};

// A link (by its Interner id) and an hour (since the epoch, so after 1970) in
// one number: the key of a roll-up's tallies.
using LinkHourKey = std::uint64_t;

LinkHourKey link_hour_key(std::uint32_t code, std::int64_t hour) {
  return (static_cast<std::uint64_t>(code) << 32) | static_cast<std::uint32_t>(hour);
}

// A dimension and a value (by its Interner id) in one number.
constexpr int kValueIdBits = 28;

std::uint32_t dimension_value_key(std::size_t dimension, std::uint32_t value) {
  return static_cast<std::uint32_t>(dimension << kValueIdBits) | value;
}

// One link-hour's counts as a roll-up gathers them.
struct FoldedHour {
  ClickCounts counts;
  // Human clicks by dimension_value_key; a link-hour has a few dozen at most.
  boost::container::small_vector<std::pair<std::uint32_t, std::int64_t>, 8> values;

  void add_value(std::uint32_t key) {
    for (auto& [known, clicks] : values) {
      if (known == key) {
        ++clicks;
        return;
      }
    }
    values.emplace_back(key, 1);
  }
};

// What a roll-up gathers from the clicks it folds, before writing it: the
// clicks with ids first_click_id to last_click_id, every one of them.
struct Fold {
  std::int64_t clicks = 0;          // clicks gathered
  std::int64_t first_click_id = 0;  // the first of them
  std::int64_t last_click_id = 0;   // the last of them
  Interner codes;
  Interner values;
  boost::unordered_flat_map<LinkHourKey, FoldedHour> hours;
  std::vector<std::int64_t> visits;  // by code id: visits not yet counted
  // (visitor_day_key, link-hour) of each human click, in the order folded:
  // the first of a visitor on a link and day is where it counts if new.
  std::vector<std::pair<std::int64_t, LinkHourKey>> visitors;

  const std::string& code_of(LinkHourKey key) const {
    return codes.text_of(static_cast<std::uint32_t>(key >> 32));
  }
  static std::int64_t hour_of(LinkHourKey key) { return static_cast<std::uint32_t>(key); }
};

// A click as a roll-up needs it; the views stay valid while it is tallied.
struct ClickFacts {
  std::string_view code;
  std::int64_t at = 0;                                          // microseconds since the epoch
  std::array<std::string_view, kDimensionNames.size()> values;  // by Dimension
  bool bot = false;
  std::string_view visitor;
  bool visit_counted = false;
};

// Adds `click`, the next click after the fold's last, to `fold`.
void tally(const ClickFacts& click, Fold& fold) {
  auto code = fold.codes.id_of(click.code);
  auto hour = hour_of(Timestamp(std::chrono::microseconds(click.at)));
  auto key = link_hour_key(code, hour);
  auto& tally = fold.hours[key];
  if (click.bot) {
    ++tally.counts.bot;
    return;
  }

  ++tally.counts.human;
  for (std::size_t i = 0; i < kDimensionNames.size(); ++i) {
    tally.add_value(dimension_value_key(i, fold.values.id_of(click.values[i])));
  }
  if (!click.visit_counted) {
    if (fold.visits.size() <= code) {
      fold.visits.resize(code + 1);
    }
    ++fold.visits[code];
  }
  fold.visitors.emplace_back(visitor_day_key(click.code, hour / 24, click.visitor), key);
}

// The stored click in the current row of `tail` (columns as selected by
// gather()).
ClickFacts facts_of_row(const core::sqlite::Statement& tail) {
  return {
      .code = tail.column_view(1),
      .at = tail.column_int(2),
      .values = {tail.column_view(3), tail.column_view(4), tail.column_view(5), tail.column_view(6),
                 tail.column_view(7)},
      .bot = tail.column_int(8) != 0,
      .visitor = tail.column_view(9),
      .visit_counted = tail.column_int(10) != 0,
  };
}

ClickFacts facts_of_record(const ClickRecord& click) {
  return {
      .code = click.code,
      .at = click.at.time_since_epoch().count(),
      .values = {click.referrer_host, click.country, click.browser, click.os, click.device},
      .bot = click.bot,
      .visitor = click.visitor,
      .visit_counted = click.visit_already_counted,
  };
}

// Adds the fold's first visits to the day's visitor sets, in key order; each
// visitor not yet in its set counts as unique in the hour of its first click.
void count_unique_visitors(core::sqlite::Database& db, Fold& fold) {
  auto& visitors = fold.visitors;
  std::stable_sort(visitors.begin(), visitors.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  auto firsts_end = std::unique(visitors.begin(), visitors.end(),
                                [](const auto& a, const auto& b) { return a.first == b.first; });

  auto remember = db.prepare("INSERT OR IGNORE INTO click_visitors (id, day) VALUES (?, ?)");
  for (auto first = visitors.begin(); first != firsts_end; ++first) {
    const auto& [visitor, where] = *first;
    remember.bind(1, visitor).bind(2, Fold::hour_of(where) / 24);
    remember.run();
    remember.reset();
    if (sqlite3_changes(db.handle()) == 1) {
      ++fold.hours[where].counts.unique_human;
    }
  }
}

// Adds the fold's counts of link-hour `key` to its stored row, creating the
// row if needed. The stored breakdown is updated in place, as parsed: its
// values stay in the order they first came.
void merge_into_row(core::sqlite::Statement& read, core::sqlite::Statement& write, const Fold& fold,
                    LinkHourKey key) {
  const auto& hour = fold.hours.at(key);
  const auto& code = fold.code_of(key);
  auto counts = hour.counts;
  json::object breakdown;
  read.bind(1, code).bind(2, Fold::hour_of(key));
  if (read.step() == StepResult::kRow) {
    counts.human += read.column_int(0);
    counts.unique_human += read.column_int(1);
    counts.bot += read.column_int(2);
    auto stored = json::parse(read.column_view(3));
    if (stored.is_object()) {
      breakdown = std::move(stored.get_object());
    }
  }
  read.reset();

  constexpr std::uint32_t kValueIdMask = (1u << kValueIdBits) - 1;
  for (const auto& [value_key, clicks] : hour.values) {
    auto& values = breakdown[kDimensionNames[value_key >> kValueIdBits]];
    if (!values.is_object()) {
      values.emplace_object();
    }
    auto& count = values.get_object()[fold.values.text_of(value_key & kValueIdMask)];
    count = (count.is_number() ? count.to_number<std::int64_t>() : 0) + clicks;
  }

  write.bind(1, code).bind(2, Fold::hour_of(key)).bind(3, counts.human);
  write.bind(4, counts.unique_human).bind(5, counts.bot);
  write.bind(6, json::serialize(breakdown));
  write.run();
  write.reset();
}

// Gathers up to `limit` stored clicks with ids after `after` and before
// `before`, in id order.
Fold gather(core::sqlite::Database& db, std::int64_t after, std::int64_t before,
            std::int64_t limit) {
  auto tail = db.prepare(
      "SELECT id, code, at, referrer_host, country, browser, os, device, bot, visitor,"
      " visit_counted FROM clicks WHERE id > ? AND id < ? ORDER BY id LIMIT ?");
  tail.bind(1, after).bind(2, before).bind(3, limit);
  Fold fold;
  while (tail.step() == StepResult::kRow) {
    tally(facts_of_row(tail), fold);
    if (fold.clicks == 0) {
      fold.first_click_id = tail.column_int(0);
    }
    fold.last_click_id = tail.column_int(0);
    ++fold.clicks;
  }
  return fold;
}

// Adds the fold's link-hours to click_hours, in primary key order so that
// neighbours share pages.
void write_hours(core::sqlite::Database& db, const Fold& fold) {
  std::vector<LinkHourKey> keys;
  keys.reserve(fold.hours.size());
  for (const auto& [key, hour] : fold.hours) {
    keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end(), [&fold](LinkHourKey a, LinkHourKey b) {
    return std::pair(std::string_view(fold.code_of(a)), Fold::hour_of(a)) <
           std::pair(std::string_view(fold.code_of(b)), Fold::hour_of(b));
  });

  auto read = db.prepare(
      "SELECT human, unique_human, bot, breakdown FROM click_hours WHERE code = ? AND hour = ?");
  auto write = db.prepare(
      "INSERT INTO click_hours (code, hour, human, unique_human, bot, breakdown)"
      " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code, hour) DO UPDATE SET human = excluded.human,"
      " unique_human = excluded.unique_human, bot = excluded.bot,"
      " breakdown = excluded.breakdown");
  for (auto key : keys) {
    merge_into_row(read, write, fold, key);
  }
}

// Adds the fold's visits to each link's count, in key order.
void count_visits(core::sqlite::Database& db, const Fold& fold) {
  std::map<std::string_view, std::int64_t> visits;
  for (std::uint32_t code = 0; code < fold.visits.size(); ++code) {
    if (fold.visits[code] > 0) {
      visits[fold.codes.text_of(code)] = fold.visits[code];
    }
  }

  auto update = db.prepare("UPDATE links SET visits = visits + ? WHERE code = ?");
  for (const auto& [code, count] : visits) {
    update.bind(1, count).bind(2, code);
    update.run();
    update.reset();
  }
}

// The `top` values of `counts` with most clicks (ties by value), zeros left out.
std::vector<TopEntry> top_values(const std::map<std::string, std::int64_t, std::less<>>& counts,
                                 std::size_t top) {
  std::vector<TopEntry> entries;
  for (const auto& [value, clicks] : counts) {
    if (clicks > 0) {
      entries.push_back({value, clicks});
    }
  }
  auto by_clicks = [](const TopEntry& a, const TopEntry& b) {
    return a.clicks != b.clicks ? a.clicks > b.clicks : a.value < b.value;
  };
  auto kept = std::min(top, entries.size());
  std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(kept),
                    entries.end(), by_clicks);
  entries.resize(kept);
  return entries;
}

}  // namespace

struct SqliteClickStore::PendingFolds {
  std::mutex mutex;
  // Folds of consecutive click ids, oldest first, each started after the
  // last reached kMaxClicksPerRollup clicks. Guarded by mutex.
  std::deque<Fold> folds;
};

SqliteClickStore::SqliteClickStore(const std::string& path, int connections)
    : pool_(path, connections), pending_(std::make_unique<PendingFolds>()) {
  // A roll-up touches many pages of click_hours, click_visitors and links in
  // one transaction; with SQLite's default 2 MiB cache it would spill them
  // and read them back. Each connection may keep up to this much.
  std::vector<core::sqlite::ConnectionPool::Lease> all;
  for (int i = 0; i < connections; ++i) {
    all.push_back(pool_.lease());
    all.back()->execute("PRAGMA cache_size = -" + std::to_string(kCacheKibibytes));
  }
}

SqliteClickStore::~SqliteClickStore() = default;

void SqliteClickStore::write(const std::vector<ClickRecord>& clicks) {
  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  std::size_t stored = 0;
  if (clicks.size() >= kClicksPerInsert) {
    auto insert_many = db->prepare(insert_clicks_sql(kClicksPerInsert));
    for (; clicks.size() - stored >= kClicksPerInsert; stored += kClicksPerInsert) {
      insert_clicks(insert_many, clicks, stored, kClicksPerInsert);
    }
  }
  if (stored < clicks.size()) {
    auto insert_rest = db->prepare(insert_clicks_sql(clicks.size() - stored));
    insert_clicks(insert_rest, clicks, stored, clicks.size() - stored);
  }
  // The transaction holds the write lock, so the rows got consecutive ids
  // (SQLite takes the largest id plus one, short of 2^63).
  auto last_id = sqlite3_last_insert_rowid(db->handle());
  transaction.commit();
  if (!clicks.empty()) {
    remember(clicks, last_id - static_cast<std::int64_t>(clicks.size()) + 1);
  }
}

void SqliteClickStore::remember(const std::vector<ClickRecord>& clicks, std::int64_t first_id) {
  std::lock_guard lock(pending_->mutex);
  auto& folds = pending_->folds;
  if (!folds.empty() && folds.back().last_click_id + 1 != first_id) {
    folds.clear();  // another writer's clicks came between: the table has them
  }
  if (folds.empty() || folds.back().clicks >= kMaxClicksPerRollup) {
    if (folds.size() == kMaxPendingFolds) {
      folds.pop_front();
    }
    folds.emplace_back().first_click_id = first_id;
  }

  auto& fold = folds.back();
  for (const auto& click : clicks) {
    tally(facts_of_record(click), fold);
  }
  fold.clicks += static_cast<std::int64_t>(clicks.size());
  fold.last_click_id = first_id + static_cast<std::int64_t>(clicks.size()) - 1;
}

std::int64_t SqliteClickStore::roll_up() {
  std::int64_t folded = 0;
  for (;;) {
    auto step = roll_up_some(kMaxClicksPerRollup);
    folded += step.folded;
    if (step.folded == 0 || !step.more) {
      return folded;
    }
  }
}

SqliteClickStore::RollupStep SqliteClickStore::roll_up_some(std::int64_t limit) {
  auto db = pool_.lease();

  // Gathering takes no lock: stored clicks never change, and other writers
  // may go on storing clicks meanwhile.
  auto progress = db->prepare("SELECT last_click_id FROM click_rollup_progress WHERE id = 1");
  auto folded_before = progress.step() == StepResult::kRow ? progress.column_int(0) : 0;
  progress.reset();

  // The first pending fold after the mark, if any; those the mark has passed
  // (folded by another store, or by a roll-up that read the table) go.
  std::optional<Fold> pending;
  bool more_pending = false;
  {
    std::lock_guard lock(pending_->mutex);
    auto& folds = pending_->folds;
    while (!folds.empty() && folds.front().first_click_id <= folded_before) {
      folds.pop_front();
    }
    if (!folds.empty()) {
      pending = std::move(folds.front());
      folds.pop_front();
      more_pending = !folds.empty();
    }
  }

  // The clicks after the mark that the pending fold does not cover (all of
  // them without one) come first, read from the table; the fold waits for
  // the next step if there are any.
  auto before = pending ? pending->first_click_id : std::numeric_limits<std::int64_t>::max();
  auto fold = gather(*db, folded_before, before, limit);
  bool more = more_pending || fold.clicks == limit;
  if (fold.clicks > 0 && pending) {
    std::lock_guard lock(pending_->mutex);
    pending_->folds.push_front(std::move(*pending));
    more = true;
  } else if (pending) {
    fold = std::move(*pending);
  }
  if (fold.clicks == 0) {
    return {};
  }

  // Writing does: BEGIN IMMEDIATE keeps other writers out until commit. If
  // another roll-up moved the mark meanwhile, it folded these clicks already.
  core::sqlite::Transaction transaction(*db);
  if (progress.step() != StepResult::kRow || progress.column_int(0) != folded_before) {
    return {};  // rolls back
  }
  progress.reset();
  count_unique_visitors(*db, fold);
  write_hours(*db, fold);
  count_visits(*db, fold);
  auto advance = db->prepare("UPDATE click_rollup_progress SET last_click_id = ? WHERE id = 1");
  advance.bind(1, fold.last_click_id);
  advance.run();
  transaction.commit();
  return {.folded = fold.clicks, .more = more};
}

std::string SqliteClickStore::visitor_key(std::int64_t day) {
  auto db = pool_.lease();
  auto select = db->prepare("SELECT key FROM visitor_keys WHERE day = ?");
  select.bind(1, day);
  if (select.step() == StepResult::kRow) {
    return select.column_text(0);
  }
  select.reset();

  // A new day: draw its key, and forget the keys and visitor sets of the
  // days before yesterday. Yesterday's stay: its last clicks may still be
  // stored late by another process, or not be rolled up yet. Another process
  // may draw at the same moment; INSERT OR IGNORE keeps the first.
  std::array<unsigned char, 32> key{};
  randombytes_buf(key.data(), key.size());
  std::array<char, 65> hex{};
  sodium_bin2hex(hex.data(), hex.size(), key.data(), key.size());
  {
    core::sqlite::Transaction transaction(*db);
    auto insert = db->prepare("INSERT OR IGNORE INTO visitor_keys (day, key) VALUES (?, ?)");
    insert.bind(1, day).bind(2, std::string_view(hex.data(), 64));
    insert.run();
    auto forget_keys = db->prepare("DELETE FROM visitor_keys WHERE day < ?");
    forget_keys.bind(1, day - 1);
    forget_keys.run();
    auto forget_visitors = db->prepare("DELETE FROM click_visitors WHERE day < ?");
    forget_visitors.bind(1, day - 1);
    forget_visitors.run();
    transaction.commit();
  }

  select.bind(1, day);
  if (select.step() != StepResult::kRow) {
    throw core::sqlite::DatabaseError(SQLITE_ERROR, "visitor key of the day vanished");
  }
  return select.column_text(0);
}

LinkStats SqliteClickStore::stats(const StatsQuery& query) {
  auto buckets = buckets_of(query);
  LinkStats stats;
  stats.series = empty_series(buckets);

  auto db = pool_.lease();
  auto hours = db->prepare(
      "SELECT hour, human, unique_human, bot, breakdown FROM click_hours"
      " WHERE code = ? AND hour >= ? AND hour < ?");
  hours.bind(1, query.code).bind(2, buckets.from_hour).bind(3, buckets.to_hour);
  ClickDimensions breakdown;
  while (hours.step() == StepResult::kRow) {
    auto index = hours.column_int(0) / buckets.hours_per_bucket - buckets.first_bucket;
    ClickCounts counts{hours.column_int(1), hours.column_int(2), hours.column_int(3)};
    auto& point = stats.series.at(static_cast<std::size_t>(index)).counts;
    point.human += counts.human;
    point.unique_human += counts.unique_human;
    point.bot += counts.bot;
    stats.total.human += counts.human;
    stats.total.unique_human += counts.unique_human;
    stats.total.bot += counts.bot;
    add_breakdown(breakdown, json::parse(hours.column_text(4)).as_object());
  }

  stats.referrers = top_values(breakdown[kReferrer], query.top);
  stats.countries = top_values(breakdown[kCountry], query.top);
  stats.browsers = top_values(breakdown[kBrowser], query.top);
  stats.operating_systems = top_values(breakdown[kOs], query.top);
  stats.devices = top_values(breakdown[kDevice], query.top);
  return stats;
}

}  // namespace waypost::shortener
