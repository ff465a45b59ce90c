#include "shortener/analytics/sqlite_click_store.hpp"

#include <sodium.h>
#include <sqlite3.h>

#include <array>
#include <map>
#include <tuple>

namespace waypost::shortener {
namespace {

using core::sqlite::StepResult;

constexpr std::int64_t kMicrosPerHour = 3'600'000'000;

std::int64_t hour_of(Timestamp instant) {
  auto micros = instant.time_since_epoch().count();
  return micros >= 0 ? micros / kMicrosPerHour : (micros - kMicrosPerHour + 1) / kMicrosPerHour;
}

Timestamp start_of_hour(std::int64_t hour) {
  return Timestamp(std::chrono::microseconds(hour * kMicrosPerHour));
}

// One rollup row's increments; the key is (code, dimension, hour, value).
using RollupKey = std::tuple<std::string, std::string, std::int64_t, std::string>;
struct RollupDelta {
  std::int64_t human = 0;
  std::int64_t unique_human = 0;
  std::int64_t bot = 0;
};

void insert_click(core::sqlite::Statement& insert, const ClickRecord& click) {
  insert.bind(1, click.code).bind(2, click.at.time_since_epoch().count());
  insert.bind(3, click.referrer_host).bind(4, click.referrer).bind(5, click.country);
  insert.bind(6, click.browser).bind(7, click.os).bind(8, click.device);
  insert.bind(9, std::int64_t{click.bot ? 1 : 0}).bind(10, click.visitor);
  insert.bind_optional(11, click.address);
  insert.run();
  insert.reset();
}

// True when this is the visitor's first human click on the link this UTC day.
bool first_visit_today(core::sqlite::Database& db, core::sqlite::Statement& remember,
                       const ClickRecord& click) {
  remember.bind(1, click.code).bind(2, hour_of(click.at) / 24).bind(3, click.visitor);
  remember.run();
  remember.reset();
  return sqlite3_changes(db.handle()) == 1;
}

void add_to_rollups(std::map<RollupKey, RollupDelta>& rollups, const ClickRecord& click,
                    bool unique) {
  auto hour = hour_of(click.at);
  auto& total = rollups[{click.code, "", hour, ""}];
  if (click.bot) {
    ++total.bot;
    return;
  }
  ++total.human;
  total.unique_human += unique ? 1 : 0;
  for (auto [dimension, value] :
       {std::pair{"referrer", &click.referrer_host}, std::pair{"country", &click.country},
        std::pair{"browser", &click.browser}, std::pair{"os", &click.os},
        std::pair{"device", &click.device}}) {
    ++rollups[{click.code, dimension, hour, *value}].human;
  }
}

std::vector<TopEntry> top_values(core::sqlite::Database& db, const StatsQuery& query,
                                 std::string_view dimension, std::int64_t from_hour,
                                 std::int64_t to_hour) {
  auto statement = db.prepare(
      "SELECT value, SUM(human) AS clicks FROM click_rollups"
      " WHERE code = ? AND dimension = ? AND hour >= ? AND hour < ?"
      " GROUP BY value HAVING clicks > 0 ORDER BY clicks DESC, value LIMIT ?");
  statement.bind(1, query.code).bind(2, dimension).bind(3, from_hour).bind(4, to_hour);
  statement.bind(5, static_cast<std::int64_t>(query.top));
  std::vector<TopEntry> entries;
  while (statement.step() == StepResult::kRow) {
    entries.push_back({statement.column_text(0), statement.column_int(1)});
  }
  return entries;
}

}  // namespace

SqliteClickStore::SqliteClickStore(const std::string& path, int connections)
    : pool_(path, connections) {}

void SqliteClickStore::write(const std::vector<ClickRecord>& clicks) {
  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  auto insert = db->prepare(
      "INSERT INTO clicks (code, at, referrer_host, referrer, country, browser, os, device, bot,"
      " visitor, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  auto remember =
      db->prepare("INSERT OR IGNORE INTO click_visitors (code, day, visitor) VALUES (?, ?, ?)");

  std::map<RollupKey, RollupDelta> rollups;
  std::map<std::string, std::int64_t> visits;
  for (const auto& click : clicks) {
    insert_click(insert, click);
    bool unique = !click.bot && first_visit_today(*db, remember, click);
    add_to_rollups(rollups, click, unique);
    if (!click.bot && !click.visit_already_counted) {
      ++visits[click.code];
    }
  }

  auto upsert = db->prepare(
      "INSERT INTO click_rollups (code, dimension, hour, value, human, unique_human, bot)"
      " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, dimension, hour, value) DO UPDATE SET"
      " human = human + excluded.human, unique_human = unique_human + excluded.unique_human,"
      " bot = bot + excluded.bot");
  for (const auto& [key, delta] : rollups) {
    const auto& [code, dimension, hour, value] = key;
    upsert.bind(1, code).bind(2, dimension).bind(3, hour).bind(4, value);
    upsert.bind(5, delta.human).bind(6, delta.unique_human).bind(7, delta.bot);
    upsert.run();
    upsert.reset();
  }

  auto count_visits = db->prepare("UPDATE links SET visits = visits + ? WHERE code = ?");
  for (const auto& [code, count] : visits) {
    count_visits.bind(1, count).bind(2, code);
    count_visits.run();
    count_visits.reset();
  }
  transaction.commit();
}

std::string SqliteClickStore::visitor_key(std::int64_t day) {
  auto db = pool_.lease();
  auto select = db->prepare("SELECT key FROM visitor_keys WHERE day = ?");
  select.bind(1, day);
  if (select.step() == StepResult::kRow) {
    return select.column_text(0);
  }
  select.reset();

  // A new day: draw its key, forget earlier keys and visitor sets. Another
  // process may draw at the same moment; INSERT OR IGNORE keeps the first.
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
    forget_keys.bind(1, day);
    forget_keys.run();
    auto forget_visitors = db->prepare("DELETE FROM click_visitors WHERE day < ?");
    forget_visitors.bind(1, day);
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
  auto from_hour = hour_of(query.from);
  auto to_hour = hour_of(query.to - std::chrono::microseconds(1)) + 1;
  std::int64_t bucket_hours = query.interval == StatsInterval::kDay ? 24 : 1;
  auto first_bucket =
      from_hour >= 0 ? from_hour / bucket_hours : (from_hour - bucket_hours + 1) / bucket_hours;
  auto bucket_count = (to_hour - first_bucket * bucket_hours + bucket_hours - 1) / bucket_hours;

  LinkStats stats;
  for (std::int64_t i = 0; i < bucket_count; ++i) {
    stats.series.push_back({start_of_hour((first_bucket + i) * bucket_hours), {}});
  }

  auto db = pool_.lease();
  auto series = db->prepare(
      "SELECT hour, human, unique_human, bot FROM click_rollups"
      " WHERE code = ? AND dimension = '' AND hour >= ? AND hour < ?");
  series.bind(1, query.code).bind(2, from_hour).bind(3, to_hour);
  while (series.step() == StepResult::kRow) {
    auto index = series.column_int(0) / bucket_hours - first_bucket;
    ClickCounts counts{series.column_int(1), series.column_int(2), series.column_int(3)};
    auto& point = stats.series.at(static_cast<std::size_t>(index)).counts;
    point.human += counts.human;
    point.unique_human += counts.unique_human;
    point.bot += counts.bot;
    stats.total.human += counts.human;
    stats.total.unique_human += counts.unique_human;
    stats.total.bot += counts.bot;
  }

  stats.referrers = top_values(*db, query, "referrer", from_hour, to_hour);
  stats.countries = top_values(*db, query, "country", from_hour, to_hour);
  stats.browsers = top_values(*db, query, "browser", from_hour, to_hour);
  stats.operating_systems = top_values(*db, query, "os", from_hour, to_hour);
  stats.devices = top_values(*db, query, "device", from_hour, to_hour);
  return stats;
}

}  // namespace waypost::shortener
