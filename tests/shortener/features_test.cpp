// Integration tests of the shortener's owner, analytics and abuse features:
// the real shortener-server binary over real sockets, API keys made with its
// own `keys` subcommand.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace waypost::shortener {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using testing::HeaderList;
using testing::HttpReply;
using testing::ServerProcess;
using testing::TempDir;

const std::string kBinary = WAYPOST_BINARY_DIR "/apps/shortener-server";

constexpr std::string_view kFirefox =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0";
constexpr std::string_view kSafariIphone =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
constexpr std::string_view kGooglebot =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

// Runs a shell command and returns what it printed.
std::string run_command(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return output;
  }
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    output += buffer;
  }
  ::pclose(pipe);
  return output;
}

class ShortenerFeatures : public ::testing::Test {
 protected:
  // Starts the server; `extra` arguments come last. Clicks are written and
  // rolled up every 20 ms unless `extra` sets --click-rollup-ms itself.
  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {
        "--database",   database_path(),  "--log-level",      "warn",
        "--public-url", "https://sho.rt", "--click-flush-ms", "20"};
    if (std::find(extra.begin(), extra.end(), "--click-rollup-ms") == extra.end()) {
      arguments.insert(arguments.end(), {"--click-rollup-ms", "20"});
    }
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(kBinary, arguments);
  }

  std::string database_path() const { return (scratch_.path() / "links.db").string(); }
  std::uint16_t port() const { return server_->port(); }

  // Creates an API key for `owner` with the binary's own subcommand.
  std::string create_key(const std::string& owner) {
    auto output = run_command(kBinary + " --database " + database_path() +
                              " --log-level warn keys create --owner " + owner);
    auto at = output.find("\nkey ");
    EXPECT_NE(at, std::string::npos) << output;
    if (at == std::string::npos) {
      return "";
    }
    return output.substr(at + 5, output.find('\n', at + 5) - at - 5);
  }

  HttpReply call(http::verb method, const std::string& target, const std::string& key,
                 const std::string& body = "", HeaderList headers = {}) {
    if (!key.empty()) {
      headers.emplace_back("Authorization", "Bearer " + key);
    }
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
    }
    return testing::http_request(port(), method, target, body, headers);
  }

  HttpReply shorten(const json::object& fields, const std::string& key = "") {
    return call(http::verb::post, "/api/v1/shorten", key, json::serialize(fields));
  }

  std::string create(const json::object& fields, const std::string& key = "") {
    auto reply = shorten(fields, key);
    EXPECT_EQ(reply.status, 201u) << reply.body;
    return reply.status == 201 ? std::string(json::parse(reply.body).at("code").as_string()) : "";
  }

  HttpReply visit(const std::string& code, std::string_view user_agent,
                  http::verb method = http::verb::get, HeaderList headers = {}) {
    headers.emplace_back("User-Agent", std::string(user_agent));
    return testing::http_request(port(), method, "/" + code, "", headers);
  }

  json::object stats(const std::string& code, const std::string& key = "",
                     const std::string& query = "") {
    auto reply = call(http::verb::get, "/api/v1/links/" + code + "/stats" + query, key);
    EXPECT_EQ(reply.status, 200u) << reply.body;
    return reply.status == 200 ? json::parse(reply.body).as_object() : json::object{};
  }

  // Asks `done` every 20 ms until it says yes, for 10 s at most; whether it did.
  static bool eventually(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // Stats once `human + bot` clicks are counted, or the last answer after 10 s.
  json::object stats_after(const std::string& code, std::int64_t clicks,
                           const std::string& key = "") {
    json::object answer;
    eventually([&] {
      answer = stats(code, key);
      const auto& counts = answer.at("clicks").as_object();
      return counts.at("human").as_int64() + counts.at("bot").as_int64() >= clicks;
    });
    return answer;
  }

  // The `visits` of a link, as its metadata shows them.
  std::int64_t visits_of(const std::string& code) {
    auto metadata = json::parse(call(http::verb::get, "/api/v1/links/" + code, "").body);
    return metadata.at("visits").as_int64();
  }

  // The value of an unlabelled metric in /metrics, or -1 when absent.
  double metric_value(const std::string& name) {
    auto page = call(http::verb::get, "/metrics", "").body;
    auto at = page.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(page.substr(at + name.size() + 2));
  }

  static std::string error_code_of(const HttpReply& reply) {
    auto parsed = json::parse(reply.body);
    return std::string(parsed.at("error").at("code").as_string());
  }

  static std::int64_t count(const json::object& stats, std::string_view which) {
    return stats.at("clicks").at(which).as_int64();
  }

  TempDir scratch_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ShortenerFeatures, VisitLimitCountsOnlyHumanGetsAndStatsSeparateBots) {
  start();
  auto code = create({{"long_url", "https://example.com/once"}, {"max_visits", 1}});

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(visit(code, kFirefox, http::verb::head).status, 301u);
  }
  auto bot = visit(code, kGooglebot);
  EXPECT_EQ(bot.status, 301u);
  auto person = visit(code, kFirefox);
  EXPECT_EQ(person.status, 301u);
  EXPECT_EQ(person.header(http::field::location), "https://example.com/once");

  auto used_up = visit(code, kSafariIphone);
  EXPECT_EQ(used_up.status, 410u);
  EXPECT_EQ(error_code_of(used_up), "link_used_up");

  auto counted = stats_after(code, 2);
  EXPECT_EQ(count(counted, "human"), 1);
  EXPECT_EQ(count(counted, "bot"), 1);
  EXPECT_EQ(visits_of(code), 1);
}

TEST_F(ShortenerFeatures, ClicksNotYetRolledUpWhenTheServerIsKilledCountAfterARestart) {
  start({"--click-rollup-ms", "600000"});  // one roll-up at start, the next in ten minutes
  auto code = create({{"long_url", "https://example.com/crash"}});
  visit(code, kFirefox);
  visit(code, kSafariIphone);
  eventually([this] { return metric_value("shortener_clicks_written_total") >= 2; });
  ASSERT_EQ(metric_value("shortener_clicks_written_total"), 2);
  EXPECT_EQ(count(stats(code), "human"), 0);  // stored, not rolled up

  server_->kill_hard();
  start();
  auto answer = stats_after(code, 2);
  EXPECT_EQ(count(answer, "human"), 2);
  EXPECT_EQ(count(answer, "unique_human"), 2);
  EXPECT_EQ(visits_of(code), 2);
}

TEST_F(ShortenerFeatures, StatsRefuseARangeOfMoreThanTenThousandWholeBuckets) {
  start();
  auto code = create({{"long_url", "https://example.com/range"}});
  auto stats_status = [&](const std::string& query) {
    return call(http::verb::get, "/api/v1/links/" + code + "/stats" + query, "").status;
  };

  // 2026-01-01T00:00Z plus 10,000 hours is 2027-02-21T16:00Z.
  EXPECT_EQ(stats_status("?from=2026-01-01T00:00:00Z&to=2027-02-21T16:00:00Z&interval=hour"), 200u);
  EXPECT_EQ(stats_status("?from=2026-01-01T00:00:00Z&to=2027-02-21T16:00:01Z&interval=hour"), 400u);
  // Widened to whole hours, these few seconds short of 10,000 hours span 10,002.
  EXPECT_EQ(stats_status("?from=2026-01-01T00:59:59Z&to=2027-02-21T17:00:58Z&interval=hour"), 400u);
}

TEST_F(ShortenerFeatures, StatsBreakDownClicksAndSurviveARestart) {
  start();
  auto code = create({{"long_url", "https://example.com/stats"}});
  visit(code, kFirefox, http::verb::get, {{"Referer", "https://News.Example.org/item?id=1"}});
  visit(code, kFirefox, http::verb::get, {{"Referer", "https://news.example.org/other"}});
  visit(code, kSafariIphone);
  visit(code, kGooglebot);
  visit(code, kFirefox, http::verb::get, {{"Sec-Purpose", "prefetch"}});  // not a visit
  stats_after(code, 4);

  server_->terminate();
  start();
  auto answer = stats(code, "", "?interval=hour");
  EXPECT_EQ(count(answer, "human"), 3);
  EXPECT_EQ(count(answer, "unique_human"), 2);  // Firefox twice from one address is one visitor
  EXPECT_EQ(count(answer, "bot"), 1);

  const auto& top = answer.at("top").as_object();
  EXPECT_EQ(json::serialize(top.at("referrers")),
            R"([{"value":"news.example.org","clicks":2},{"value":"","clicks":1}])");
  EXPECT_EQ(json::serialize(top.at("devices")),
            R"([{"value":"desktop","clicks":2},{"value":"mobile","clicks":1}])");
  EXPECT_EQ(json::serialize(top.at("browsers")),
            R"([{"value":"Firefox","clicks":2},{"value":"Mobile Safari","clicks":1}])");
  std::int64_t series_human = 0;
  for (const auto& point : answer.at("series").as_array()) {
    series_human += point.at("human").as_int64();
  }
  EXPECT_EQ(series_human, 3);
}

TEST_F(ShortenerFeatures, CountryComesFromForwardedForOnlyBehindATrustedProxy) {
  start();
  auto direct = create({{"long_url", "https://example.com/direct"}});
  visit(direct, kFirefox, http::verb::get, {{"X-Forwarded-For", "8.8.8.8"}});
  EXPECT_EQ(json::serialize(stats_after(direct, 1).at("top").at("countries")),
            R"([{"value":"","clicks":1}])");  // loopback has no country; the header is ignored

  server_->terminate();
  start({"--trusted-proxy", "127.0.0.1"});
  auto proxied = create({{"long_url", "https://example.com/proxied"}});
  visit(proxied, kFirefox, http::verb::get, {{"X-Forwarded-For", "8.8.8.8"}});
  visit(proxied, kFirefox, http::verb::get, {{"X-Forwarded-For", "80.156.55.1, 127.0.0.1"}});
  EXPECT_EQ(json::serialize(stats_after(proxied, 2).at("top").at("countries")),
            R"([{"value":"DE","clicks":1},{"value":"US","clicks":1}])");
}

TEST_F(ShortenerFeatures, RawAddressesAreStoredOnlyWhenSwitchedOn) {
  start();
  auto code = create({{"long_url", "https://example.com/private"}});
  visit(code, kFirefox);
  stats_after(code, 1);
  auto addresses = "sqlite3 " + database_path() +
                   " \"SELECT count(*), count(address), count(DISTINCT visitor) FROM clicks\"";
  EXPECT_EQ(run_command(addresses), "1|0|1\n");

  server_->terminate();
  start({"--store-client-addresses"});
  visit(code, kFirefox);
  stats_after(code, 2);
  EXPECT_EQ(run_command("sqlite3 " + database_path() +
                        " \"SELECT address FROM clicks WHERE address IS NOT NULL\""),
            "127.0.0.1\n");
}

TEST_F(ShortenerFeatures, HugeRefererOrUserAgentChangesNothingForTheVisitor) {
  start();
  auto code = create({{"long_url", "https://example.com/big?x=1"}});
  auto huge_agent = std::string(kFirefox) + std::string(10'000, 'A');
  auto long_referrer = "https://example.org/" + std::string(10'000, 'r');
  for (auto reply : {visit(code, huge_agent),
                     visit(code, kFirefox, http::verb::get, {{"Referer", long_referrer}})}) {
    EXPECT_EQ(reply.status, 301u);
    EXPECT_EQ(reply.header(http::field::location), "https://example.com/big?x=1");
  }
  auto answer = stats_after(code, 2);
  EXPECT_EQ(count(answer, "human"), 2);
  EXPECT_EQ(json::serialize(answer.at("top").at("referrers")),
            R"([{"value":"","clicks":1},{"value":"example.org","clicks":1}])");
}

// Another process (sqlite3) holding the write lock of a database file until
// release() or destruction.
class WriteLockHolder {
 public:
  WriteLockHolder(const std::filesystem::path& scratch, const std::string& database) {
    auto fifo = (scratch / "hold").string();
    EXPECT_EQ(run_command("mkfifo " + fifo + " && echo ok"), "ok\n");
    holder_ = ::popen(("sqlite3 " + database + " < " + fifo).c_str(), "r");
    EXPECT_NE(holder_, nullptr);
    hold_.open(fifo);
    hold_ << "BEGIN IMMEDIATE; INSERT INTO visitor_keys (day, key) VALUES (-1, 'x');\n"
          << std::flush;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let sqlite3 take the lock
  }
  ~WriteLockHolder() { release(); }
  WriteLockHolder(const WriteLockHolder&) = delete;
  WriteLockHolder& operator=(const WriteLockHolder&) = delete;

  void release() {
    if (holder_ == nullptr) {
      return;
    }
    hold_ << "ROLLBACK;\n" << std::flush;
    hold_.close();
    ::pclose(holder_);
    holder_ = nullptr;
  }

 private:
  FILE* holder_ = nullptr;
  std::ofstream hold_;
};

TEST_F(ShortenerFeatures, RedirectsStayCorrectWhileTheClickWriterIsStalled) {
  start();
  auto code = create({{"long_url", "https://example.com/stall"}});
  EXPECT_EQ(visit(code, kFirefox).status, 301u);
  stats_after(code, 1);

  WriteLockHolder lock(scratch_.path(), database_path());
  for (int i = 0; i < 50; ++i) {
    auto reply = visit(code, kFirefox);
    ASSERT_EQ(reply.status, 301u);
    ASSERT_EQ(reply.header(http::field::location), "https://example.com/stall");
  }
  // The clicks wait in memory behind the blocked batch.
  EXPECT_GT(metric_value("shortener_click_queue_depth"), 0.0);

  lock.release();
  auto answer = stats_after(code, 51);
  EXPECT_EQ(count(answer, "human"), 51);
}

TEST_F(ShortenerFeatures, FirstClicksOfTheDayWaitForALockedDatabaseInsteadOfBeingDropped) {
  start();  // a new database: the day's visitor key does not exist yet
  auto code = create({{"long_url", "https://example.com/first"}});

  WriteLockHolder lock(scratch_.path(), database_path());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(visit(code, kFirefox).status, 301u);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the writer meets the lock

  lock.release();
  EXPECT_EQ(count(stats_after(code, 5), "human"), 5);
  EXPECT_EQ(metric_value("shortener_clicks_dropped_total"), 0.0);
}

TEST_F(ShortenerFeatures, RollUpThatFailedOnALockedDatabaseIsTriedAgainSoon) {
  start({"--click-rollup-ms", "2000"});
  auto code = create({{"long_url", "https://example.com/retry"}});
  ASSERT_EQ(visit(code, kFirefox).status, 301u);
  ASSERT_TRUE(eventually([&] { return metric_value("shortener_clicks_written_total") >= 1; }));

  // The next roll-up waits out SQLite's 5 s busy timeout, then fails.
  WriteLockHolder lock(scratch_.path(), database_path());
  ASSERT_TRUE(
      eventually([&] { return metric_value("shortener_click_rollup_failures_total") > 0; }));

  lock.release();
  // Within --click-rollup-ms, not the minute a roll-up that took 5 s would
  // earn by the time-share rule.
  EXPECT_EQ(count(stats_after(code, 1), "human"), 1);
}

TEST_F(ShortenerFeatures, OwnersManageOnlyTheirOwnLinksThroughTheirKeys) {
  start();
  auto alice = create_key("alice");
  auto bob = create_key("bob");
  ASSERT_FALSE(alice.empty());

  auto code = create({{"long_url", "https://example.com/v1"}}, alice);
  create({{"long_url", "https://example.com/other"}, {"custom_alias", "alice-two"}}, alice);

  auto listed = json::parse(call(http::verb::get, "/api/v1/links?limit=1", alice).body);
  ASSERT_EQ(listed.at("links").as_array().size(), 1u);
  EXPECT_EQ(listed.at("links").at(0).at("code").as_string(), "alice-two");  // newest first
  auto cursor = std::string(listed.at("next_cursor").as_string());
  auto second =
      json::parse(call(http::verb::get, "/api/v1/links?limit=1&cursor=" + cursor, alice).body);
  EXPECT_EQ(second.at("links").at(0).at("code").as_string(), code);
  EXPECT_TRUE(second.at("next_cursor").is_null());
  auto filtered = json::parse(call(http::verb::get, "/api/v1/links?q=OTHER", alice).body);
  EXPECT_EQ(filtered.at("links").as_array().size(), 1u);
  EXPECT_TRUE(
      json::parse(call(http::verb::get, "/api/v1/links", bob).body).at("links").as_array().empty());

  auto edit = R"({"long_url": "https://example.com/v2", "redirect_status": 302})";
  EXPECT_EQ(call(http::verb::patch, "/api/v1/links/" + code, bob, edit).status, 404u);
  auto edited = call(http::verb::patch, "/api/v1/links/" + code, alice, edit);
  ASSERT_EQ(edited.status, 200u) << edited.body;
  auto moved = visit(code, kFirefox);
  EXPECT_EQ(moved.status, 302u);
  EXPECT_EQ(moved.header(http::field::location), "https://example.com/v2");

  EXPECT_EQ(call(http::verb::delete_, "/api/v1/links/" + code, bob).status, 404u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/links/" + code + "/stats", bob).status, 404u);
  EXPECT_EQ(call(http::verb::delete_, "/api/v1/links/" + code, alice).status, 204u);
  EXPECT_EQ(visit(code, kFirefox).status, 404u);
  auto reuse = shorten({{"long_url", "https://example.com/x"}, {"custom_alias", "alice-two"}});
  EXPECT_EQ(reuse.status, 409u);  // a deleted code is never handed out again
  EXPECT_EQ(call(http::verb::delete_, "/api/v1/links/alice-two", alice).status, 204u);
  EXPECT_EQ(shorten({{"long_url", "https://example.com/x"}, {"custom_alias", "alice-two"}}).status,
            409u);
}

TEST_F(ShortenerFeatures, UnknownAndRevokedKeysAnswer401) {
  start();
  auto key = create_key("carol");
  EXPECT_EQ(call(http::verb::get, "/api/v1/links", "wpk_not-a-key").status, 401u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/links", "").status, 401u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/links", key).status, 200u);

  auto listing = run_command(kBinary + " --database " + database_path() + " keys list");
  EXPECT_NE(listing.find("carol"), std::string::npos);
  EXPECT_EQ(listing.find(key), std::string::npos);  // secrets are never shown again
  auto id = listing.substr(0, listing.find('\t'));
  run_command(kBinary + " --database " + database_path() + " keys revoke " + id);
  auto refused = call(http::verb::get, "/api/v1/links", key);
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(error_code_of(refused), "invalid_api_key");
}

TEST_F(ShortenerFeatures, EmptyAuthorizationHeaderIsRefusedNotTakenAsAnonymous) {
  start();
  auto reply = call(http::verb::post, "/api/v1/shorten", "",
                    R"({"long_url": "https://example.com/"})", {{"Authorization", ""}});
  EXPECT_EQ(reply.status, 401u);
  EXPECT_EQ(error_code_of(reply), "invalid_api_key");
}

TEST_F(ShortenerFeatures, KeysSubcommandRefusesADatabaseThatDoesNotExist) {
  auto missing = (scratch_.path() / "typo.db").string();
  auto output =
      run_command(kBinary + " --database " + missing + " keys create --owner x; echo exit $?");
  EXPECT_NE(output.find("no database at"), std::string::npos) << output;
  EXPECT_NE(output.find("exit 1"), std::string::npos) << output;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(ShortenerFeatures, AnonymousCreationCanBeSwitchedOff) {
  start({"--require-api-key"});
  auto refused = shorten({{"long_url", "https://example.com/"}});
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(error_code_of(refused), "api_key_required");
  EXPECT_FALSE(create({{"long_url", "https://example.com/"}}, create_key("dave")).empty());
}

// Sets environment variables for the servers a test starts, and removes them again.
class ScopedEnvironment {
 public:
  explicit ScopedEnvironment(std::vector<std::pair<std::string, std::string>> variables)
      : variables_(std::move(variables)) {
    for (const auto& [name, value] : variables_) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~ScopedEnvironment() {
    for (const auto& [name, value] : variables_) {
      ::unsetenv(name.c_str());
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::vector<std::pair<std::string, std::string>> variables_;
};

TEST_F(ShortenerFeatures, EnvironmentSwitchesAnonymousCreationOffAndTakesCommaSeparatedLists) {
  ScopedEnvironment environment({{"SHORTENER_REQUIRE_API_KEY", "1"},
                                 {"SHORTENER_OWN_HOSTS", "a.example,b.example"},
                                 {"SHORTENER_TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1"}});
  start({"--geoip-v4", ""});  // IPv4 countries off, IPv6 still on
  auto key = create_key("erin");

  EXPECT_EQ(shorten({{"long_url", "https://example.com/"}}).status, 401u);
  auto own = shorten({{"long_url", "https://b.example/x"}}, key);
  EXPECT_EQ(own.status, 400u);
  EXPECT_EQ(error_code_of(own), "url_own_host");

  auto code = create({{"long_url", "https://example.com/env"}}, key);
  visit(code, kFirefox, http::verb::get, {{"X-Forwarded-For", "8.8.8.8"}});
  visit(code, kFirefox, http::verb::get, {{"X-Forwarded-For", "2001:4860:4860::8888"}});
  EXPECT_EQ(json::serialize(stats_after(code, 2, key).at("top").at("countries")),
            R"([{"value":"","clicks":1},{"value":"US","clicks":1}])");
}

TEST_F(ShortenerFeatures, EnvironmentZeroLeavesAnonymousCreationOn) {
  ScopedEnvironment environment({{std::string("SHORTENER_REQUIRE_API_KEY"), "0"}});
  start();
  EXPECT_EQ(shorten({{"long_url", "https://example.com/"}}).status, 201u);
}

TEST_F(ShortenerFeatures, PasswordProtectedLinkRedirectsOnlyAfterTheRightPassword) {
  start({"--password-burst", "3", "--password-rate", "0.01"});
  auto code = create({{"long_url", "https://example.com/secret"}, {"password", "open sesame"}});

  auto form = visit(code, kFirefox);
  EXPECT_EQ(form.status, 200u);
  EXPECT_NE(form.body.find("<form method=\"post\""), std::string::npos);
  EXPECT_TRUE(form.header(http::field::location).empty());

  auto post = [&](const std::string& body) {
    return testing::http_request(port(), http::verb::post, "/" + code, body,
                                 {{"Content-Type", "application/x-www-form-urlencoded"},
                                  {"User-Agent", std::string(kFirefox)}});
  };
  auto wrong = post("password=guess");
  EXPECT_EQ(wrong.status, 403u);
  EXPECT_NE(wrong.body.find("Wrong password."), std::string::npos);

  auto right = post("password=open+sesame");
  EXPECT_EQ(right.status, 303u);
  EXPECT_EQ(right.header(http::field::location), "https://example.com/secret");

  EXPECT_EQ(post("password=guess").status, 403u);
  auto limited = post("password=open+sesame");  // the fourth attempt
  EXPECT_EQ(limited.status, 429u);
  EXPECT_FALSE(limited.header(http::field::retry_after).empty());

  auto answer = stats_after(code, 1);
  EXPECT_EQ(count(answer, "human"), 1);  // only the successful attempt
}

TEST_F(ShortenerFeatures, UsedUpPasswordLinkAnswers410AndPrefetchedUnlocksDoNotCount) {
  start();
  auto code =
      create({{"long_url", "https://example.com/once"}, {"password", "pw"}, {"max_visits", 1}});
  auto post = [&](testing::HeaderList extra) {
    extra.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    extra.emplace_back("User-Agent", std::string(kFirefox));
    return testing::http_request(port(), http::verb::post, "/" + code, "password=pw", extra);
  };

  EXPECT_EQ(post({{"Sec-Purpose", "prefetch"}}).status, 303u);
  EXPECT_EQ(visit(code, kFirefox).status, 200u);  // the prefetch used no visit: still the form
  EXPECT_EQ(post({}).status, 303u);

  auto used_up = visit(code, kFirefox);
  EXPECT_EQ(used_up.status, 410u);
  EXPECT_EQ(used_up.body.find("<form"), std::string::npos);
  EXPECT_EQ(post({}).status, 410u);
  auto answer = stats_after(code, 1);
  EXPECT_EQ(count(answer, "human"), 1);
}

TEST_F(ShortenerFeatures, BulkCreationAnswersForEachItem) {
  start();
  auto key = create_key("erin");
  json::array items;
  items.push_back(json::object{{"long_url", "https://example.com/1"}});
  items.push_back(json::object{{"long_url", "javascript:alert(1)"}});
  items.push_back(json::object{{"long_url", "https://example.com/3"}, {"custom_alias", "bulk-a"}});
  items.push_back(json::object{{"long_url", "https://example.com/4"}, {"custom_alias", "bulk-a"}});
  items.push_back(json::value("not an object"));
  auto reply = call(http::verb::post, "/api/v1/links/bulk", key,
                    json::serialize(json::object{{"links", items}}));
  ASSERT_EQ(reply.status, 200u) << reply.body;

  auto answer = json::parse(reply.body).as_object();
  EXPECT_EQ(answer.at("created").as_int64(), 2);
  const auto& results = answer.at("results").as_array();
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0].at("status").as_int64(), 201);
  EXPECT_EQ(results[1].at("error").at("code").as_string(), "url_scheme_not_allowed");
  EXPECT_EQ(results[2].at("link").at("code").as_string(), "bulk-a");
  EXPECT_EQ(results[3].at("status").as_int64(), 409);
  EXPECT_EQ(results[4].at("status").as_int64(), 400);

  auto first = std::string(results[0].at("link").at("code").as_string());
  EXPECT_EQ(visit(first, kFirefox).header(http::field::location), "https://example.com/1");
  EXPECT_EQ(visit("bulk-a", kFirefox).header(http::field::location), "https://example.com/3");

  json::array too_many;
  for (int i = 0; i < 1001; ++i) {
    too_many.push_back(json::object{{"long_url", "https://example.com/" + std::to_string(i)}});
  }
  auto refused = call(http::verb::post, "/api/v1/links/bulk", key,
                      json::serialize(json::object{{"links", too_many}}));
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(error_code_of(refused), "too_many_links");
}

TEST_F(ShortenerFeatures, QrCodeDecodesToTheShortUrl) {
  start();
  auto code = create({{"long_url", "https://example.com/qr"}});

  auto png =
      call(http::verb::get, "/api/v1/links/" + code + "/qr?format=png&size=300&margin=2", "");
  ASSERT_EQ(png.status, 200u);
  EXPECT_EQ(png.header(http::field::content_type), "image/png");
  auto image = (scratch_.path() / "qr.png").string();
  std::ofstream(image, std::ios::binary) << png.body;
  EXPECT_EQ(run_command("zbarimg --raw -q " + image), "https://sho.rt/" + code + "\n");

  auto svg = call(http::verb::get, "/api/v1/links/" + code + "/qr", "");
  EXPECT_EQ(svg.status, 200u);
  EXPECT_EQ(svg.header(http::field::content_type), "image/svg+xml");
  EXPECT_NE(svg.body.find("<svg"), std::string::npos);

  EXPECT_EQ(call(http::verb::get, "/api/v1/links/" + code + "/qr?size=9", "").status, 400u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/links/" + code + "/qr?format=gif", "").status, 400u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/links/nope-nope/qr", "").status, 404u);
}

TEST_F(ShortenerFeatures, CreationRateLimitAnswers429WithHeaders) {
  start({"--create-burst", "2", "--create-rate", "0.01"});
  EXPECT_EQ(shorten({{"long_url", "https://example.com/1"}}).status, 201u);
  EXPECT_EQ(shorten({{"long_url", "https://example.com/2"}}).status, 201u);
  auto limited = shorten({{"long_url", "https://example.com/3"}});
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(error_code_of(limited), "rate_limited");
  EXPECT_FALSE(limited.header(http::field::retry_after).empty());
  EXPECT_EQ(std::string(limited.headers["RateLimit-Limit"]), "2");
  EXPECT_EQ(std::string(limited.headers["RateLimit-Remaining"]), "0");
  EXPECT_NE(call(http::verb::get, "/metrics", "")
                .body.find("shortener_rate_limited_total{limit=\"creation\"} 1"),
            std::string::npos);
}

TEST_F(ShortenerFeatures, ExemptAddressesAreNotRateLimited) {
  start({"--create-burst", "1", "--create-rate", "0.01", "--rate-limit-exempt", "127.0.0.0/8"});
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(shorten({{"long_url", "https://example.com/" + std::to_string(i)}}).status, 201u);
  }
}

TEST_F(ShortenerFeatures, ProbingUnknownCodesRunsOutOfBudget) {
  start({"--not-found-burst", "3", "--not-found-rate", "0.01"});
  auto code = create({{"long_url", "https://example.com/known"}});
  EXPECT_EQ(visit(code, kFirefox).status, 301u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(visit("guess" + std::to_string(i), kFirefox).status, 404u);
  }
  auto limited = visit("guess9", kFirefox);
  EXPECT_EQ(limited.status, 429u);
  EXPECT_FALSE(limited.header(http::field::retry_after).empty());
}

TEST_F(ShortenerFeatures, ApiKeyRateLimitCoversTheWholeApi) {
  start({"--api-key-burst", "2", "--api-key-rate", "0.01"});
  auto key = create_key("frank");
  EXPECT_EQ(call(http::verb::get, "/api/v1/links", key).status, 200u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/links", key).status, 200u);
  EXPECT_EQ(shorten({{"long_url", "https://example.com/"}}, key).status, 429u);
}

TEST_F(ShortenerFeatures, BlocklistRefusesCreationAndReloadStopsExistingLinks) {
  auto list = scratch_.path() / "blocked.txt";
  std::ofstream(list) << "# reported phishing\nevil.example\n";
  start({"--blocklist", list.string()});

  auto refused = shorten({{"long_url", "https://login.evil.example/account"}});
  EXPECT_EQ(refused.status, 403u);
  EXPECT_EQ(error_code_of(refused), "destination_blocked");
  auto code = create({{"long_url", "https://shady.example/page"}});
  EXPECT_EQ(visit(code, kFirefox).status, 301u);

  std::ofstream(list, std::ios::app) << "shady.example\n";
  server_->send_signal(SIGHUP);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  HttpReply warned;
  do {
    warned = visit(code, kFirefox, http::verb::get, {{"Accept", "text/html"}});
  } while (warned.status == 301 && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(warned.status, 403u);
  EXPECT_TRUE(warned.header(http::field::location).empty());
  EXPECT_NE(warned.body.find("Link disabled"), std::string::npos);
  EXPECT_NE(
      call(http::verb::get, "/metrics", "").body.find("shortener_blocked_total{at=\"creation\"} 1"),
      std::string::npos);
}

TEST_F(ShortenerFeatures, MetricsCoverClicksLimitsAndTheCache) {
  start();
  auto code = create({{"long_url", "https://example.com/m"}});
  visit(code, kFirefox);
  stats_after(code, 1);
  auto metrics = call(http::verb::get, "/metrics", "").body;
  for (auto name : {"shortener_click_queue_depth", "shortener_clicks_dropped_total 0",
                    "shortener_clicks_written_total 1", "shortener_cache_hits_total",
                    "shortener_store_duration_seconds_bucket", "shortener_blocklist_domains 0",
                    "http_request_duration_seconds_bucket{route=\"redirect\""}) {
    EXPECT_NE(metrics.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(call(http::verb::get, "/readyz", "").status, 200u);
}

TEST_F(ShortenerFeatures, AnalyticsOffRecordsNothing) {
  start({"--no-analytics"});
  auto code = create({{"long_url", "https://example.com/quiet"}});
  EXPECT_EQ(visit(code, kFirefox).status, 301u);
  auto answer = stats(code);
  EXPECT_EQ(count(answer, "human"), 0);
  EXPECT_EQ(call(http::verb::get, "/metrics", "").body.find("shortener_clicks_written_total"),
            std::string::npos);
}

}  // namespace
}  // namespace waypost::shortener
