// stats-bench: fills a shortener database with synthetic clicks through the
// real click store (raw rows, hourly rollups, visitor sets) and times the
// stats query that GET /api/v1/links/{code}/stats runs, to show that its cost
// follows the range asked for, not the number of clicks stored.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include "shortener/analytics/sqlite_click_store.hpp"
#include "shortener/sqlite_link_store.hpp"

namespace {

using namespace waypost::shortener;
using Clock = std::chrono::steady_clock;

struct Settings {
  std::string database = "bench/out/stats.db";
  long clicks = 10'000'000;
  int links = 1000;
  int days = 365;
  int batch = 10'000;
  int repetitions = 20;
};

// Draws clicks the way real traffic looks: a few links and values take most.
class ClickSource {
 public:
  ClickSource(const Settings& s, Timestamp start) : settings_(s), start_(start) {}

  ClickRecord next() {
    ClickRecord click;
    click.code = code_of(skewed(settings_.links));
    click.at = start_ + std::chrono::microseconds(static_cast<std::int64_t>(
                            uniform_(random_) * settings_.days * 86'400'000'000.0));
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

// Median milliseconds of `repetitions` stats queries.
double time_query(ClickStore& store, const StatsQuery& query, int repetitions,
                  std::int64_t& human) {
  std::vector<double> timings;
  for (int i = 0; i < repetitions; ++i) {
    auto started = Clock::now();
    human = store.stats(query).total.human;
    timings.push_back(seconds_since(started) * 1000);
  }
  std::sort(timings.begin(), timings.end());
  return timings[timings.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app{"stats-bench: stats query time against a database of synthetic clicks"};
  app.add_option("--database", s.database, "SQLite file to create and fill (must not exist yet)")
      ->capture_default_str();
  app.add_option("--clicks", s.clicks, "Clicks to store")->capture_default_str();
  app.add_option("--links", s.links, "Links the clicks are spread over")->capture_default_str();
  app.add_option("--days", s.days, "Days the clicks are spread over")->capture_default_str();
  app.add_option("--repetitions", s.repetitions, "Queries per measurement")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (std::filesystem::exists(s.database)) {
    std::fprintf(stderr, "stats-bench: %s exists; give a new file\n", s.database.c_str());
    return 2;
  }
  SqliteLinkStore schema(s.database, 1);  // creates and migrates the file
  SqliteClickStore store(s.database, 2);
  auto start = Timestamp(std::chrono::microseconds(1'735'689'600'000'000));  // 2025-01-01

  // Fill in batches through the same write path the click recorder uses.
  auto filling = Clock::now();
  ClickSource source(s, start);
  std::vector<ClickRecord> batch;
  for (long written = 0; written < s.clicks;) {
    batch.clear();
    for (int i = 0; i < s.batch && written < s.clicks; ++i, ++written) {
      batch.push_back(source.next());
    }
    store.write(batch);
  }
  double fill_seconds = seconds_since(filling);
  std::printf("filled %ld clicks in %.1f s (%.0f clicks/s through ClickStore::write)\n", s.clicks,
              fill_seconds, static_cast<double>(s.clicks) / fill_seconds);

  struct Case {
    const char* name;
    std::string code;
    int days;
    StatsInterval interval;
  };
  std::vector<Case> cases = {
      {"hottest link, 7 days by hour", ClickSource::code_of(0), 7, StatsInterval::kHour},
      {"hottest link, 30 days by day", ClickSource::code_of(0), 30, StatsInterval::kDay},
      {"hottest link, whole year by day", ClickSource::code_of(0), s.days, StatsInterval::kDay},
      {"cold link, whole year by day", ClickSource::code_of(s.links - 1), s.days,
       StatsInterval::kDay},
  };
  std::printf("| query | clicks in range (human) | median ms |\n|---|---|---|\n");
  for (const auto& c : cases) {
    StatsQuery query{.code = c.code,
                     .from = start + std::chrono::days(s.days - c.days),
                     .to = start + std::chrono::days(s.days),
                     .interval = c.interval,
                     .top = 10};
    std::int64_t human = 0;
    double ms = time_query(store, query, s.repetitions, human);
    std::printf("| %s | %lld | %.2f |\n", c.name, static_cast<long long>(human), ms);
  }
  return 0;
}
