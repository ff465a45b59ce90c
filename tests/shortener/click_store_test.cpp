// The SQLite click store on a scratch file: clicks reach the stats only when
// rolled up, each exactly once, however many stores share the file; and the
// schema migration that introduced the per-hour rollups converts both ways.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "core/migrations.hpp"
#include "shortener/analytics/sqlite_click_store.hpp"
#include "shortener/schema.hpp"
#include "shortener/sqlite_link_store.hpp"

namespace waypost::shortener {
namespace {

// 2025-03-01T10:00:00Z and the hour and day after it.
const Timestamp kMorning{std::chrono::microseconds(1'740'823'200'000'000)};
constexpr auto kHour = std::chrono::hours(1);
constexpr auto kDay = std::chrono::days(1);

ClickRecord human_click(std::string code, Timestamp at, std::string visitor,
                        std::string browser = "Firefox") {
  ClickRecord click;
  click.code = std::move(code);
  click.at = at;
  click.referrer_host = "news.example";
  click.referrer = "https://news.example/item";
  click.country = "DE";
  click.browser = std::move(browser);
  click.os = "Linux";
  click.device = "desktop";
  click.visitor = std::move(visitor);
  return click;
}

ClickRecord bot_click(std::string code, Timestamp at) {
  auto click = human_click(std::move(code), at, "crawler", "Googlebot");
  click.device = "bot";
  click.bot = true;
  return click;
}

std::int64_t clicks_of(const std::vector<TopEntry>& top, std::string_view value) {
  for (const auto& entry : top) {
    if (entry.value == value) {
      return entry.clicks;
    }
  }
  return 0;
}

class SqliteClickStoreTest : public ::testing::Test {
 protected:
  SqliteClickStoreTest()
      : path_((std::filesystem::temp_directory_path() /
               ("click-store-test-" + std::to_string(::getpid()) + ".db"))
                  .string()),
        links_(path_, 1),
        store_(path_, 2) {}

  ~SqliteClickStoreTest() override {
    for (auto suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path_ + suffix);
    }
  }

  LinkStats stats_of(ClickStore& store, const std::string& code,
                     StatsInterval interval = StatsInterval::kHour) {
    return store.stats(
        {.code = code, .from = kMorning - kDay, .to = kMorning + 2 * kDay, .interval = interval});
  }

  std::int64_t visits_of(const std::string& code) {
    core::sqlite::Database db(path_);
    auto query = db.prepare("SELECT visits FROM links WHERE code = ?");
    query.bind(1, code);
    return query.step() == core::sqlite::StepResult::kRow ? query.column_int(0) : -1;
  }

  void add_link(const std::string& code) {
    core::sqlite::Database db(path_);
    auto insert = db.prepare(
        "INSERT INTO links (code, long_url, created_at, custom_alias) VALUES (?, ?, 0, 0)");
    insert.bind(1, code).bind(2, "https://example.com/" + code);
    insert.run();
  }

  std::string path_;
  SqliteLinkStore links_;  // creates and migrates the file
  SqliteClickStore store_;
};

TEST_F(SqliteClickStoreTest, StatsCountAClickOnlyOnceItIsRolledUp) {
  store_.write({human_click("abc", kMorning, "v1"), human_click("abc", kMorning, "v2")});

  EXPECT_EQ(stats_of(store_, "abc").total.human, 0);
  EXPECT_EQ(store_.roll_up(), 2);
  EXPECT_EQ(store_.roll_up(), 0);

  auto stats = stats_of(store_, "abc");
  EXPECT_EQ(stats.total.human, 2);
  EXPECT_EQ(stats.total.unique_human, 2);
  EXPECT_EQ(clicks_of(stats.browsers, "Firefox"), 2);
  EXPECT_EQ(clicks_of(stats.countries, "DE"), 2);
  EXPECT_EQ(clicks_of(stats.referrers, "news.example"), 2);
  EXPECT_EQ(clicks_of(stats.operating_systems, "Linux"), 2);
  EXPECT_EQ(clicks_of(stats.devices, "desktop"), 2);
}

TEST_F(SqliteClickStoreTest, LaterRollUpsAddToTheHoursAlreadyStored) {
  store_.write({human_click("abc", kMorning, "v1", "Firefox")});
  (void)store_.roll_up();
  store_.write({human_click("abc", kMorning + std::chrono::minutes(5), "v2", "Chrome"),
                human_click("abc", kMorning + kHour, "v3", "Chrome")});
  (void)store_.roll_up();

  auto stats = stats_of(store_, "abc");
  EXPECT_EQ(stats.total.human, 3);
  EXPECT_EQ(clicks_of(stats.browsers, "Chrome"), 2);
  EXPECT_EQ(clicks_of(stats.browsers, "Firefox"), 1);
  ASSERT_EQ(stats.browsers.front().value, "Chrome");  // most clicks first

  std::int64_t morning_hour = 0;
  for (const auto& point : stats.series) {
    if (point.start == kMorning) {
      morning_hour = point.counts.human;
    }
  }
  EXPECT_EQ(morning_hour, 2);
}

TEST_F(SqliteClickStoreTest, AVisitorIsUniqueOncePerLinkAndDay) {
  store_.write({human_click("abc", kMorning, "same"), human_click("abc", kMorning, "same")});
  (void)store_.roll_up();
  store_.write({human_click("abc", kMorning + kHour, "same"), human_click("xyz", kMorning, "same"),
                human_click("abc", kMorning + kDay, "same")});
  (void)store_.roll_up();

  EXPECT_EQ(stats_of(store_, "abc", StatsInterval::kDay).total.human, 4);
  EXPECT_EQ(stats_of(store_, "abc", StatsInterval::kDay).total.unique_human, 2);
  EXPECT_EQ(stats_of(store_, "xyz").total.unique_human, 1);
}

TEST_F(SqliteClickStoreTest, BotsAreCountedApartFromHumansAndTheirTopLists) {
  store_.write({bot_click("abc", kMorning), human_click("abc", kMorning, "v1")});
  (void)store_.roll_up();

  auto stats = stats_of(store_, "abc");
  EXPECT_EQ(stats.total.bot, 1);
  EXPECT_EQ(stats.total.human, 1);
  EXPECT_EQ(clicks_of(stats.browsers, "Googlebot"), 0);
  EXPECT_EQ(clicks_of(stats.devices, "bot"), 0);
}

TEST_F(SqliteClickStoreTest, RollUpCountsVisitsNotAlreadyCountedAtRedirect) {
  add_link("abc");
  auto counted_at_redirect = human_click("abc", kMorning, "v2");
  counted_at_redirect.visit_already_counted = true;
  store_.write(
      {human_click("abc", kMorning, "v1"), counted_at_redirect, bot_click("abc", kMorning)});

  EXPECT_EQ(visits_of("abc"), 0);
  (void)store_.roll_up();
  EXPECT_EQ(visits_of("abc"), 1);
}

TEST_F(SqliteClickStoreTest, ClicksAnotherStoreLeftUnfoldedAreFoldedByTheNext) {
  {
    SqliteClickStore departed(path_, 1);
    departed.write({human_click("abc", kMorning, "v1")});
  }  // gone without rolling up, as after a crash

  SqliteClickStore next(path_, 1);
  EXPECT_EQ(next.roll_up(), 1);
  EXPECT_EQ(stats_of(next, "abc").total.human, 1);
}

TEST_F(SqliteClickStoreTest, StoresSharingAFileFoldEachClickExactlyOnce) {
  SqliteClickStore other(path_, 2);
  constexpr int kRounds = 20;
  constexpr int kClicksPerWrite = 50;

  auto work = [&](ClickStore& store, const std::string& visitor_prefix) {
    for (int round = 0; round < kRounds; ++round) {
      std::vector<ClickRecord> batch;
      for (int i = 0; i < kClicksPerWrite; ++i) {
        batch.push_back(human_click("abc", kMorning, visitor_prefix + std::to_string(i)));
      }
      store.write(batch);
      (void)store.roll_up();
    }
  };
  std::thread first(work, std::ref(store_), "first-");
  std::thread second(work, std::ref(other), "second-");
  first.join();
  second.join();
  (void)store_.roll_up();

  auto stats = stats_of(store_, "abc");
  EXPECT_EQ(stats.total.human, 2 * kRounds * kClicksPerWrite);
  EXPECT_EQ(stats.total.unique_human, 2 * kClicksPerWrite);
}

TEST_F(SqliteClickStoreTest, StoresEveryClickOfBatchesOfAnySizeWithAllItsFields) {
  // Around the 64 rows one INSERT statement takes: none, one, a statement
  // short, exactly one, one more, and several with a remainder.
  std::int64_t written = 0;
  for (int size : {0, 1, 63, 64, 65, 200}) {
    std::vector<ClickRecord> batch;
    for (int i = 0; i < size; ++i) {
      auto click = human_click("abc", kMorning + std::chrono::seconds(i),
                               "size" + std::to_string(size) + "-" + std::to_string(i));
      click.referrer = "https://news.example/item/" + std::to_string(written + i);
      batch.push_back(std::move(click));
    }
    store_.write(batch);
    written += size;
  }

  core::sqlite::Database db(path_);
  auto query = db.prepare(
      "SELECT count(*), count(DISTINCT referrer), min(referrer_host), max(country),"
      " max(browser), max(os), max(device), sum(bot), count(DISTINCT visitor),"
      " count(address), sum(visit_counted) FROM clicks");
  ASSERT_EQ(query.step(), core::sqlite::StepResult::kRow);
  EXPECT_EQ(query.column_int(0), written);
  EXPECT_EQ(query.column_int(1), written);
  EXPECT_EQ(query.column_text(2), "news.example");
  EXPECT_EQ(query.column_text(3), "DE");
  EXPECT_EQ(query.column_text(4), "Firefox");
  EXPECT_EQ(query.column_text(5), "Linux");
  EXPECT_EQ(query.column_text(6), "desktop");
  EXPECT_EQ(query.column_int(7), 0);
  EXPECT_EQ(query.column_int(8), written);
  EXPECT_EQ(query.column_int(9), 0);
  EXPECT_EQ(query.column_int(10), 0);

  EXPECT_EQ(store_.roll_up(), written);
  EXPECT_EQ(stats_of(store_, "abc").total.human, written);
}

TEST_F(SqliteClickStoreTest, StoresTheAddressAndVisitCountedFlagWhenGiven) {
  auto click = human_click("abc", kMorning, "v1");
  click.address = "192.0.2.7";
  click.visit_already_counted = true;
  store_.write({click, bot_click("abc", kMorning)});

  core::sqlite::Database db(path_);
  auto query = db.prepare("SELECT address, visit_counted, bot FROM clicks ORDER BY id");
  ASSERT_EQ(query.step(), core::sqlite::StepResult::kRow);
  EXPECT_EQ(query.column_optional_text(0), std::optional<std::string>("192.0.2.7"));
  EXPECT_EQ(query.column_int(1), 1);
  EXPECT_EQ(query.column_int(2), 0);
  ASSERT_EQ(query.step(), core::sqlite::StepResult::kRow);
  EXPECT_TRUE(query.column_is_null(0));
  EXPECT_EQ(query.column_int(1), 0);
  EXPECT_EQ(query.column_int(2), 1);
}

// A day of clicks on `code` from a few visitors, browsers and hours, bots
// among them, some visits counted at the redirect already.
std::vector<ClickRecord> varied_clicks(const std::string& code) {
  std::vector<ClickRecord> clicks;
  for (int i = 0; i < 300; ++i) {
    auto at = kMorning + std::chrono::minutes(7 * i);
    if (i % 10 == 0) {
      clicks.push_back(bot_click(code, at));
      continue;
    }
    auto click = human_click(code, at, "visitor" + std::to_string(i % 17),
                             i % 3 == 0 ? "Chrome" : "Firefox");
    click.country = i % 4 == 0 ? "FR" : "DE";
    click.visit_already_counted = i % 7 == 0;
    clicks.push_back(std::move(click));
  }
  return clicks;
}

void expect_same_stats(const LinkStats& a, const LinkStats& b) {
  EXPECT_EQ(a.total.human, b.total.human);
  EXPECT_EQ(a.total.unique_human, b.total.unique_human);
  EXPECT_EQ(a.total.bot, b.total.bot);
  ASSERT_EQ(a.series.size(), b.series.size());
  for (std::size_t i = 0; i < a.series.size(); ++i) {
    EXPECT_EQ(a.series[i].counts.human, b.series[i].counts.human) << "bucket " << i;
    EXPECT_EQ(a.series[i].counts.unique_human, b.series[i].counts.unique_human) << "bucket " << i;
    EXPECT_EQ(a.series[i].counts.bot, b.series[i].counts.bot) << "bucket " << i;
  }
  auto same_top = [](const std::vector<TopEntry>& x, const std::vector<TopEntry>& y) {
    ASSERT_EQ(x.size(), y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].value, y[i].value);
      EXPECT_EQ(x[i].clicks, y[i].clicks);
    }
  };
  same_top(a.referrers, b.referrers);
  same_top(a.countries, b.countries);
  same_top(a.browsers, b.browsers);
  same_top(a.operating_systems, b.operating_systems);
  same_top(a.devices, b.devices);
}

TEST_F(SqliteClickStoreTest, ClicksTalliedAsWrittenFoldLikeClicksReadBackFromTheTable) {
  add_link("table");
  add_link("memory");
  SqliteClickStore reader(path_, 1);  // writes nothing, so reads the clicks back
  store_.write(varied_clicks("table"));
  EXPECT_EQ(reader.roll_up(), 300);
  SqliteClickStore writer(path_, 1);  // folds what it tallied as it wrote
  writer.write(varied_clicks("memory"));
  EXPECT_EQ(writer.roll_up(), 300);
  EXPECT_EQ(store_.roll_up(), 0);

  expect_same_stats(stats_of(store_, "table"), stats_of(store_, "memory"));
  EXPECT_EQ(stats_of(store_, "memory").total.human, 270);
  EXPECT_EQ(visits_of("table"), visits_of("memory"));
  EXPECT_GT(visits_of("memory"), 0);
}

TEST_F(SqliteClickStoreTest, ClicksAnotherStoreWroteBetweenTalliedOnesAreFoldedInOrder) {
  SqliteClickStore other(path_, 1);
  // The same visitor first (by id) on the other store's click in the later
  // hour: it is unique there, and not again in the earlier hour.
  store_.write({human_click("abc", kMorning, "first-of-mine")});
  other.write({human_click("abc", kMorning + kHour, "shared")});
  store_.write({human_click("abc", kMorning, "shared"), human_click("abc", kMorning, "mine")});

  EXPECT_EQ(store_.roll_up(), 4);
  EXPECT_EQ(other.roll_up(), 0);
  auto stats = stats_of(store_, "abc");
  EXPECT_EQ(stats.total.human, 4);
  EXPECT_EQ(stats.total.unique_human, 3);
  auto first_hour = static_cast<std::size_t>(24);  // the range starts a day before kMorning
  EXPECT_EQ(stats.series.at(first_hour).counts.unique_human, 2);
  EXPECT_EQ(stats.series.at(first_hour + 1).counts.unique_human, 1);
}

// Rollup rows of schema version 3 as (code, dimension, hour, value, human,
// unique_human, bot), in primary key order.
using OldRollup = std::tuple<std::string, std::string, std::int64_t, std::string, std::int64_t,
                             std::int64_t, std::int64_t>;

std::vector<OldRollup> old_rollups(core::sqlite::Database& db) {
  auto query = db.prepare(
      "SELECT code, dimension, hour, value, human, unique_human, bot FROM click_rollups"
      " ORDER BY code, dimension, hour, value");
  std::vector<OldRollup> rows;
  while (query.step() == core::sqlite::StepResult::kRow) {
    rows.emplace_back(query.column_text(0), query.column_text(1), query.column_int(2),
                      query.column_text(3), query.column_int(4), query.column_int(5),
                      query.column_int(6));
  }
  return rows;
}

TEST(ShortenerSchema, PerHourRollupsConvertBothWays) {
  core::sqlite::Database db(":memory:");
  const auto& migrations = shortener_schema_migrations();
  core::migrate_to(db, migrations, 3);
  db.execute(
      "INSERT INTO clicks (code, at, referrer_host, referrer, country, browser, os, device, bot,"
      " visitor) VALUES ('abc', 0, '', '', 'DE', 'Firefox', 'Linux', 'desktop', 0, 'v');"
      "INSERT INTO click_rollups (code, dimension, hour, value, human, unique_human, bot) VALUES"
      " ('abc', '', 7, '', 3, 2, 1), ('abc', 'browser', 7, 'Firefox', 2, 0, 0),"
      " ('abc', 'browser', 7, 'Chrome', 1, 0, 0), ('abc', 'country', 7, '', 3, 0, 0),"
      " ('xyz', '', 8, '', 0, 0, 4)");
  auto before = old_rollups(db);

  core::migrate_to(db, migrations, 4);
  {
    auto hours = db.prepare(
        "SELECT code, hour, human, unique_human, bot, breakdown FROM click_hours ORDER BY code");
    ASSERT_EQ(hours.step(), core::sqlite::StepResult::kRow);
    EXPECT_EQ(hours.column_text(0), "abc");
    EXPECT_EQ(hours.column_int(1), 7);
    EXPECT_EQ(hours.column_int(2), 3);
    EXPECT_EQ(hours.column_int(3), 2);
    EXPECT_EQ(hours.column_int(4), 1);
    EXPECT_EQ(hours.column_text(5), R"({"browser":{"Chrome":1,"Firefox":2},"country":{"":3}})");
    ASSERT_EQ(hours.step(), core::sqlite::StepResult::kRow);
    EXPECT_EQ(hours.column_text(0), "xyz");
    EXPECT_EQ(hours.column_text(5), "{}");
    auto progress = db.prepare("SELECT last_click_id FROM click_rollup_progress");
    ASSERT_EQ(progress.step(), core::sqlite::StepResult::kRow);
    EXPECT_EQ(progress.column_int(0), 1);  // the clicks already counted stay counted once
  }                                        // statements finished: the tables can be dropped

  core::migrate_to(db, migrations, 3);
  EXPECT_EQ(old_rollups(db), before);

  core::migrate_to(db, migrations, 0);
  core::migrate_to_latest(db, migrations);
  EXPECT_EQ(core::current_schema_version(db), static_cast<int>(migrations.size()));
}

}  // namespace
}  // namespace waypost::shortener
