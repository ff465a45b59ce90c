// stats-bench: fills a shortener database with synthetic clicks through the
// real click store (raw rows appended by write(), folded in bulk by
// roll_up() into click_hours, one row per link and hour with a JSON
// breakdown by dimension) and times the stats query that
// GET /api/v1/links/{code}/stats runs, side by side with a reference: the
// same statistics computed straight from the raw `clicks` rows with plain
// GROUP BY queries. The server keeps no index on the raw rows, so the tool
// builds its own (code, at) index for the reference after the fill. The
// ratio raw/rollup is what the pre-aggregated rollups buy; both answers are
// compared on every case.
//
// Output (stdout): a FILL line, an INDEX line, a ROWS line, then one
// markdown table row per case. Progress goes to stderr. Exit status 3 when
// rollup and raw answers disagree.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <variant>

#include "core/sqlite.hpp"
#include "shortener/analytics/sqlite_click_store.hpp"
#include "shortener/sqlite_link_store.hpp"

namespace {

using namespace waypost::shortener;
using waypost::core::sqlite::Database;
using waypost::core::sqlite::StepResult;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kMicrosPerHour = 3'600'000'000;
constexpr std::int64_t kMicrosPerDay = 24 * kMicrosPerHour;
// The fill folds the stored clicks into the rollups after every this many.
// The server rolls up by time (at most every second, less often under
// load); a count keeps the fill reproducible and its roll-ups in bulk.
constexpr long kClicksPerRollup = 1'000'000;
// The reference's index on the raw rows; the server has none.
constexpr const char* kReferenceIndex = "stats_bench_clicks_by_code";

struct Settings {
  std::string database = "bench/out/stats.db";
  long clicks = 10'000'000;
  int links = 1000;
  int days = 365;
  int batch = 20'000;  // fill speed only: the stored rows do not depend on it
  int repetitions = 100;
  bool query_only = false;
};

// Draws clicks the way real traffic looks: a few links and values take most.
// Click `index` of `total` falls in the index-th equal slice of the period, so
// the clicks come in time order, as they reach a server's click recorder.
class ClickSource {
 public:
  ClickSource(const Settings& s, Timestamp start) : settings_(s), start_(start) {}

  ClickRecord next(long index) {
    ClickRecord click;
    click.code = code_of(skewed(settings_.links));
    double slice = static_cast<double>(settings_.days) * kMicrosPerDay / settings_.clicks;
    click.at = start_ + std::chrono::microseconds(static_cast<std::int64_t>(
                            (static_cast<double>(index) + uniform_(random_)) * slice));
    click.referrer_host = "site" + std::to_string(skewed(500)) + ".example";
    click.referrer = "https://" + click.referrer_host + "/page";
    click.country = kCountries[skewed(kCountries.size())];
    click.browser = kBrowsers[skewed(kBrowsers.size())];
    click.os = kSystems[skewed(kSystems.size())];
    click.device = kDevices[skewed(kDevices.size())];
    click.bot = uniform_(random_) < 0.1;
    click.visitor = std::to_string(random_() % 200'000);
    return click;
  }

  static std::string code_of(std::size_t index) { return "link" + std::to_string(index); }

 private:
  // Index in [0, n), 80% of draws in the first 20%.
  std::size_t skewed(std::size_t n) {
    auto hot = std::max<std::size_t>(1, n / 5);
    if (uniform_(random_) < 0.8) {
      return random_() % hot;
    }
    return random_() % n;
  }

  static constexpr std::array<const char*, 12> kCountries = {"US", "DE", "IN", "BR", "GB", "FR",
                                                             "JP", "CA", "",   "NL", "ES", "IT"};
  static constexpr std::array<const char*, 8> kBrowsers = {
      "Chrome",        "Mobile Safari",    "Firefox", "Edge",
      "Chrome Mobile", "Samsung Internet", "Opera",   "Other"};
  static constexpr std::array<const char*, 6> kSystems = {"Windows",  "Android", "iOS",
                                                          "Mac OS X", "Linux",   "Other"};
  static constexpr std::array<const char*, 4> kDevices = {"desktop", "mobile", "tablet", "other"};

  const Settings& settings_;
  Timestamp start_;
  std::mt19937_64 random_{42};
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::int64_t day_of(Timestamp instant) {
  return instant.time_since_epoch().count() / kMicrosPerDay;  // instants after 1970 only
}

struct FillTimes {
  double seconds = 0;         // the whole fill, roll-ups included
  double rollup_seconds = 0;  // in ClickStore::roll_up alone
  int rollups = 0;
};

// Stores `s.clicks` clicks in batches of `s.batch` through ClickStore::write,
// as the click recorder does; like the recorder it asks for the visitor key
// when a batch starts a new UTC day, which also drops the visitor sets of the
// days before yesterday. Folds the stored clicks into the rollups before
// each new day (the server rolls up at least every minute, so it never has a
// day's clicks left when the sets of that day go), after every
// kClicksPerRollup clicks, and once at the end, so every click is in the
// stats afterwards.
FillTimes fill(ClickStore& store, const Settings& s, Timestamp start) {
  auto filling = Clock::now();
  FillTimes times;
  ClickSource source(s, start);
  std::vector<ClickRecord> batch;
  std::int64_t key_day = -1;
  long last_rollup = 0;
  long next_report = kClicksPerRollup;
  auto roll_up = [&](long written) {
    auto rolling = Clock::now();
    (void)store.roll_up();
    times.rollup_seconds += seconds_since(rolling);
    ++times.rollups;
    last_rollup = written;
  };
  for (long written = 0; written < s.clicks;) {
    batch.clear();
    for (int i = 0; i < s.batch && written < s.clicks; ++i, ++written) {
      batch.push_back(source.next(written));
    }
    if (auto day = day_of(batch.front().at); day != key_day) {
      if (last_rollup < written - static_cast<long>(batch.size())) {
        roll_up(written - static_cast<long>(batch.size()));
      }
      (void)store.visitor_key(day);
      key_day = day;
    }
    store.write(batch);
    if (written - last_rollup >= kClicksPerRollup || written == s.clicks) {
      roll_up(written);
    }
    if (written >= next_report) {
      std::fprintf(stderr, "stats-bench: %ld clicks stored, %.0f s\n", written,
                   seconds_since(filling));
      next_report += kClicksPerRollup;
    }
  }
  times.seconds = seconds_since(filling);
  return times;
}

// The single integer `sql` yields; `values` are bound to its parameters.
std::int64_t count_rows(Database& db, const std::string& sql,
                        std::vector<std::variant<std::int64_t, std::string>> values = {}) {
  auto statement = db.prepare(sql);
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::visit([&](const auto& v) { statement.bind(static_cast<int>(i + 1), v); }, values[i]);
  }
  return statement.step() == StepResult::kRow ? statement.column_int(0) : 0;
}

// Creates the reference's (code, at) index on the raw clicks unless it
// exists; returns the seconds taken and whether it already existed.
std::pair<double, bool> build_reference_index(Database& db) {
  bool existed =
      count_rows(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?",
                 {std::string(kReferenceIndex)}) > 0;
  auto building = Clock::now();
  db.execute(std::string("CREATE INDEX IF NOT EXISTS ") + kReferenceIndex +
             " ON clicks (code, at)");
  return {seconds_since(building), existed};
}

// The reference: what ClickStore::stats answers, computed from the raw
// `clicks` rows through the tool's own (code, at) index (see
// build_reference_index) with plain GROUP BY queries, one per figure,
// prepared on every call as the store does. A visitor counts as unique in the
// bucket of its first human click of the UTC day, which is where the store's
// visitor sets count it when clicks arrive in time order.
class RawStats {
 public:
  explicit RawStats(const std::string& path) : db_(path) {}

  LinkStats stats(const StatsQuery& query) {
    auto r = buckets_of(query);
    auto from = r.from_hour * kMicrosPerHour;
    auto to = r.to_hour * kMicrosPerHour;
    auto bucket_micros = r.hours_per_bucket * kMicrosPerHour;
    LinkStats stats;
    stats.series = empty_series(r);

    auto series = db_.prepare(
        "SELECT at / ? AS bucket, SUM(bot = 0), SUM(bot) FROM clicks"
        " WHERE code = ? AND at >= ? AND at < ? GROUP BY bucket");
    series.bind(1, bucket_micros).bind(2, query.code).bind(3, from).bind(4, to);
    while (series.step() == StepResult::kRow) {
      auto& point = point_of(stats, r, series.column_int(0));
      point.human += series.column_int(1);
      point.bot += series.column_int(2);
      stats.total.human += series.column_int(1);
      stats.total.bot += series.column_int(2);
    }

    // First human click of each visitor and day, from the start of from's day.
    auto unique = db_.prepare(
        "SELECT first / ? AS bucket, COUNT(*) FROM (SELECT MIN(at) AS first FROM clicks"
        " WHERE code = ? AND bot = 0 AND at >= ? AND at < ? GROUP BY at / ?, visitor)"
        " WHERE first >= ? GROUP BY bucket");
    unique.bind(1, bucket_micros).bind(2, query.code).bind(3, from - from % kMicrosPerDay);
    unique.bind(4, to).bind(5, kMicrosPerDay).bind(6, from);
    while (unique.step() == StepResult::kRow) {
      point_of(stats, r, unique.column_int(0)).unique_human += unique.column_int(1);
      stats.total.unique_human += unique.column_int(1);
    }

    stats.referrers = top_values(query, "referrer_host", from, to);
    stats.countries = top_values(query, "country", from, to);
    stats.browsers = top_values(query, "browser", from, to);
    stats.operating_systems = top_values(query, "os", from, to);
    stats.devices = top_values(query, "device", from, to);
    return stats;
  }

  Database& database() { return db_; }

 private:
  static ClickCounts& point_of(LinkStats& stats, const StatsBuckets& r, std::int64_t bucket) {
    return stats.series.at(static_cast<std::size_t>(bucket - r.first_bucket)).counts;
  }

  // `column` is one of the fixed column names above, never input.
  std::vector<TopEntry> top_values(const StatsQuery& query, const std::string& column,
                                   std::int64_t from, std::int64_t to) {
    auto statement =
        db_.prepare("SELECT " + column + ", COUNT(*) AS n FROM clicks" +
                    " WHERE code = ? AND at >= ? AND at < ? AND bot = 0" + " GROUP BY " + column +
                    " ORDER BY n DESC, " + column + " LIMIT ?");
    statement.bind(1, query.code).bind(2, from).bind(3, to);
    statement.bind(4, static_cast<std::int64_t>(query.top));
    std::vector<TopEntry> entries;
    while (statement.step() == StepResult::kRow) {
      entries.push_back({statement.column_text(0), statement.column_int(1)});
    }
    return entries;
  }

  Database db_;
};

bool same(const ClickCounts& a, const ClickCounts& b) {
  return a.human == b.human && a.unique_human == b.unique_human && a.bot == b.bot;
}

bool same(const std::vector<TopEntry>& a, const std::vector<TopEntry>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.value == y.value && x.clicks == y.clicks;
  });
}

// Empty when both answers are equal, else what differs first.
std::string difference(const LinkStats& rollup, const LinkStats& raw) {
  if (!same(rollup.total, raw.total)) {
    return "totals differ";
  }
  if (rollup.series.size() != raw.series.size()) {
    return "series lengths differ";
  }
  for (std::size_t i = 0; i < raw.series.size(); ++i) {
    if (rollup.series[i].start != raw.series[i].start ||
        !same(rollup.series[i].counts, raw.series[i].counts)) {
      return "series point " + std::to_string(i) + " differs";
    }
  }
  for (auto [name, a, b] :
       {std::tuple{"referrers", &rollup.referrers, &raw.referrers},
        std::tuple{"countries", &rollup.countries, &raw.countries},
        std::tuple{"browsers", &rollup.browsers, &raw.browsers},
        std::tuple{"systems", &rollup.operating_systems, &raw.operating_systems},
        std::tuple{"devices", &rollup.devices, &raw.devices}}) {
    if (!same(*a, *b)) {
      return std::string("top ") + name + " differ";
    }
  }
  return "";
}

// Nearest-rank percentile `p` (0 < p <= 1) of `values`, which it sorts.
double percentile(std::vector<double>& values, double p) {
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::max<std::size_t>(rank, 1) - 1];
}

struct Case {
  std::string link;
  std::string range;
  int days;
  StatsInterval interval;
  std::string code;
};

struct Timings {
  std::vector<double> rollup_ms;
  std::vector<double> raw_ms;
};

// Runs both queries `repetitions` times, alternating which goes first so that
// both see the same machine; one untimed run of each comes before.
Timings time_both(ClickStore& store, RawStats& raw, const StatsQuery& query, int repetitions) {
  (void)store.stats(query);
  (void)raw.stats(query);
  Timings timings;
  for (int i = 0; i < repetitions; ++i) {
    auto time_rollup = [&] {
      auto started = Clock::now();
      (void)store.stats(query);
      timings.rollup_ms.push_back(seconds_since(started) * 1000);
    };
    auto time_raw = [&] {
      auto started = Clock::now();
      (void)raw.stats(query);
      timings.raw_ms.push_back(seconds_since(started) * 1000);
    };
    if (i % 2 == 0) {
      time_rollup();
      time_raw();
    } else {
      time_raw();
      time_rollup();
    }
  }
  return timings;
}

// One table row: the case, its rows, both timings, the ratio and the check.
bool measure(ClickStore& store, RawStats& raw, const Case& c, const Settings& s, Timestamp end) {
  StatsQuery query{.code = c.code,
                   .from = end - std::chrono::days(c.days),
                   .to = end,
                   .interval = c.interval,
                   .top = 10};
  auto rollup_answer = store.stats(query);
  auto check = difference(rollup_answer, raw.stats(query));
  auto r = buckets_of(query);
  auto rollup_rows = count_rows(
      raw.database(), "SELECT COUNT(*) FROM click_hours WHERE code = ? AND hour >= ? AND hour < ?",
      {c.code, r.from_hour, r.to_hour});
  auto raw_rows = count_rows(raw.database(),
                             "SELECT COUNT(*) FROM clicks WHERE code = ? AND at >= ? AND at < ?",
                             {c.code, r.from_hour * kMicrosPerHour, r.to_hour * kMicrosPerHour});

  auto t = time_both(store, raw, query, s.repetitions);
  double rollup_p50 = percentile(t.rollup_ms, 0.5);
  double rollup_p99 = percentile(t.rollup_ms, 0.99);
  double raw_p50 = percentile(t.raw_ms, 0.5);
  double raw_p99 = percentile(t.raw_ms, 0.99);
  std::printf(
      "| %s | %s | %s | %zu | %lld + %lld | %lld | %lld | %.2f | %.2f | %.2f | %.2f |"
      " %.1f | %.1f | %s |\n",
      c.link.c_str(), c.range.c_str(), c.interval == StatsInterval::kHour ? "hour" : "day",
      rollup_answer.series.size(), static_cast<long long>(rollup_answer.total.human),
      static_cast<long long>(rollup_answer.total.bot), static_cast<long long>(rollup_rows),
      static_cast<long long>(raw_rows), rollup_p50, rollup_p99, raw_p50, raw_p99,
      raw_p50 / rollup_p50, raw_p99 / rollup_p99, check.empty() ? "yes" : check.c_str());
  std::fflush(stdout);
  return check.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app{"stats-bench: stats query time against a database of synthetic clicks"};
  app.add_option("--database", s.database, "SQLite file to create and fill (must not exist yet)")
      ->capture_default_str();
  app.add_option("--clicks", s.clicks, "Clicks to store")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--links", s.links, "Links the clicks are spread over")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--days", s.days, "Days the clicks are spread over")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--batch", s.batch, "Clicks per ClickStore::write (one transaction)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--repetitions", s.repetitions, "Timed queries of each kind per case")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--query-only", s.query_only,
               "Only time the queries, on a database an earlier run filled with the same "
               "--clicks, --links and --days");
  CLI11_PARSE(app, argc, argv);

  if (std::filesystem::exists(s.database) != s.query_only) {
    std::fprintf(stderr, "stats-bench: %s %s\n", s.database.c_str(),
                 s.query_only ? "does not exist" : "exists; give a new file");
    return 2;
  }
  SqliteLinkStore schema(s.database, 1);  // creates and migrates the file
  SqliteClickStore store(s.database, 2);
  auto start = Timestamp(std::chrono::microseconds(1'735'689'600'000'000));  // 2025-01-01
  auto end = start + std::chrono::days(s.days);

  if (!s.query_only) {
    auto times = fill(store, s, start);
    std::printf(
        "FILL clicks=%ld seconds=%.1f per_second=%.0f batch=%d rollups=%d rollup_seconds=%.1f\n",
        s.clicks, times.seconds, static_cast<double>(s.clicks) / times.seconds, s.batch,
        times.rollups, times.rollup_seconds);
    std::fflush(stdout);
  }
  RawStats raw(s.database);
  auto [index_seconds, index_existed] = build_reference_index(raw.database());
  std::printf("INDEX name=%s seconds=%.1f existed=%s\n", kReferenceIndex, index_seconds,
              index_existed ? "yes" : "no");
  std::fflush(stdout);
  std::printf(
      "ROWS clicks=%lld click_hours=%lld click_visitors=%lld\n",
      static_cast<long long>(count_rows(raw.database(), "SELECT COUNT(*) FROM clicks")),
      static_cast<long long>(count_rows(raw.database(), "SELECT COUNT(*) FROM click_hours")),
      static_cast<long long>(count_rows(raw.database(), "SELECT COUNT(*) FROM click_visitors")));
  std::fflush(stdout);

  // The busiest link over the last day, 30 days and the whole period, by hour
  // and by day; then the quietest link over the whole period.
  auto hot = ClickSource::code_of(0);
  std::vector<Case> cases;
  for (int days : {1, 30, s.days}) {
    if (days > s.days || (!cases.empty() && days == cases.back().days)) {
      continue;
    }
    auto range = days == 1 ? std::string("1 day") : std::to_string(days) + " days";
    cases.push_back({"busiest", range, days, StatsInterval::kHour, hot});
    cases.push_back({"busiest", range, days, StatsInterval::kDay, hot});
  }
  cases.push_back({"quietest", cases.back().range, s.days, StatsInterval::kDay,
                   ClickSource::code_of(static_cast<std::size_t>(s.links - 1))});
  std::printf(
      "| link | range | interval | buckets | clicks in range (human + bot) | rollup rows |"
      " raw rows | rollup p50 ms | rollup p99 ms | raw p50 ms | raw p99 ms | raw/rollup p50 |"
      " raw/rollup p99 | same answer |\n"
      "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
      " --- |\n");
  bool all_same = true;
  for (const auto& c : cases) {
    std::fprintf(stderr, "stats-bench: timing %s link, %s by %s\n", c.link.c_str(), c.range.c_str(),
                 c.interval == StatsInterval::kHour ? "hour" : "day");
    all_same = measure(store, raw, c, s, end) && all_same;
  }
  return all_same ? 0 : 3;
}
