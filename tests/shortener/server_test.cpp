// Integration tests: the real shortener-server binary over real sockets.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <thread>

#include "core/sqlite.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace waypost::shortener {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using testing::HttpReply;
using testing::post_json;
using testing::ServerProcess;
using testing::TempDir;

const std::string kBinary = WAYPOST_BINARY_DIR "/apps/shortener-server";

class ShortenerServer : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    server_ = std::make_unique<ServerProcess>(kBinary, arguments_with(std::move(extra)));
  }

  // The command line of a server on this test's database, followed by `extra`.
  // Rate limits are tested in features_test.cpp; here they would only get in
  // the way of tests that create many links from one address.
  std::vector<std::string> arguments_with(std::vector<std::string> extra) const {
    std::vector<std::string> arguments = {"--database",       database_path(),
                                          "--log-level",      "warn",
                                          "--public-url",     "https://sho.rt",
                                          "--create-rate",    "0",
                                          "--not-found-rate", "0"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  }

  std::string database_path() const { return (scratch_.path() / "links.db").string(); }
  std::uint16_t port() const { return server_->port(); }

  HttpReply shorten(const json::object& body) {
    return post_json(port(), "/api/v1/shorten", json::serialize(body));
  }

  HttpReply get(const std::string& target, const testing::HeaderList& headers = {}) {
    return testing::http_request(port(), http::verb::get, target, "", headers);
  }

  // Shortens `long_url` and returns the JSON answer, failing the test unless 201.
  json::object create(const std::string& long_url, const std::string& alias = "") {
    auto reply = shorten({{"long_url", long_url}, {"custom_alias", alias}});
    EXPECT_EQ(reply.status, 201u) << long_url << " -> " << reply.body;
    auto parsed = json::parse(reply.body);
    return parsed.is_object() ? parsed.as_object() : json::object{};
  }

  static std::string error_code_of(const HttpReply& reply) {
    auto parsed = json::parse(reply.body);
    return std::string(parsed.at("error").at("code").as_string());
  }

  TempDir scratch_;
  std::unique_ptr<ServerProcess> server_;
};

struct NormalisationCase {
  std::string input;
  std::string stored;
};

TEST_F(ShortenerServer, RedirectsToExactlyTheNormalisedUrl) {
  start();
  std::vector<NormalisationCase> cases = {
      {"https://bücher.example/straße?q=ü", "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"},
      {"http://t%C3%BCbingen.example/", "http://xn--tbingen-n2a.example/"},
      {"https://example.com/a%20b/c%27d?e=f%2Bg%3D", "https://example.com/a%20b/c%27d?e=f%2Bg%3D"},
      {"https://example.com/p?x=%24+1%0Ay%26z", "https://example.com/p?x=%24+1%0Ay%26z"},
      {"https://example.com/?ug=Ab%2BCd%2F%3D", "https://example.com/?ug=Ab%2BCd%2F%3D"},
      {"HTTP://Example.COM/Path/To?ID=AbC&x=Y", "http://example.com/Path/To?ID=AbC&x=Y"},
      {"https://example.com/app#/view/15/37", "https://example.com/app#/view/15/37"},
      {"  https://example.com/  \n", "https://example.com/"},
      {"https://example.com/some path/file name.pdf?q=a b",
       "https://example.com/some%20path/file%20name.pdf?q=a%20b"},
  };

  for (const auto& [input, stored] : cases) {
    auto created = create(input);
    ASSERT_EQ(created["long_url"].as_string(), stored) << input;
    auto code = std::string(created["code"].as_string());
    EXPECT_EQ(created["short_url"].as_string(), "https://sho.rt/" + code);

    auto redirect = get("/" + code);
    EXPECT_EQ(redirect.status, 301u) << input;
    EXPECT_EQ(redirect.header(http::field::location), stored) << input;

    auto described = json::parse(get("/api/v1/links/" + code).body);
    EXPECT_EQ(described.at("long_url").as_string(), stored) << input;
  }
}

TEST_F(ShortenerServer, RefusesScriptSchemesInEverySpelling) {
  start();
  for (std::string url :
       {"JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "file:///etc/passwd"}) {
    auto reply = shorten({{"long_url", url}});
    EXPECT_EQ(reply.status, 400u) << url;
    EXPECT_EQ(error_code_of(reply), "url_scheme_not_allowed") << url;
  }
}

TEST_F(ShortenerServer, RefusesLinksBackToItsOwnHost) {
  start();
  for (std::string url : {"https://sho.rt/abc", "https://SHO.RT/abc", "http://sho.rt./abc",
                          "https://sho.rt:443/abc", "http://sho.rt:80/"}) {
    auto reply = shorten({{"long_url", url}});
    EXPECT_EQ(reply.status, 400u) << url;
    EXPECT_EQ(error_code_of(reply), "url_own_host") << url;
  }
}

TEST_F(ShortenerServer, RefusesCredentialsAndPrivateAddressesUnlessConfigured) {
  start();
  EXPECT_EQ(error_code_of(shorten({{"long_url", "https://user:pw@example.com/"}})),
            "url_credentials_not_allowed");
  EXPECT_EQ(error_code_of(shorten({{"long_url", "http://192.168.1.1/admin"}})),
            "url_private_address");

  server_.reset();
  start({"--allow-credentials", "--allow-private-addresses"});
  EXPECT_EQ(shorten({{"long_url", "https://user:pw@example.com/"}}).status, 201u);
  EXPECT_EQ(shorten({{"long_url", "http://192.168.1.1/admin"}}).status, 201u);
}

TEST_F(ShortenerServer, ReservedAndMalformedAliasesAreRefusedWithAReason) {
  start();
  std::vector<std::pair<std::string, std::string>> refused = {
      {"api", "alias_reserved"},
      {"API", "alias_reserved"},
      {"Admin", "alias_reserved"},
      {"healthz", "alias_reserved"},
      {"METRICS", "alias_reserved"},
      {".", "alias_dot_segment"},
      {"..", "alias_dot_segment"},
      {"a/b", "alias_invalid_character"},
      {"x", "alias_length"},
      {"spaced alias", "alias_invalid_character"},
      {std::string(65, 'a'), "alias_length"}};
  for (const auto& [alias, reason] : refused) {
    auto reply = shorten({{"long_url", "https://example.com/"}, {"custom_alias", alias}});
    EXPECT_EQ(reply.status, 400u) << alias;
    EXPECT_EQ(error_code_of(reply), reason) << alias;
  }
}

TEST_F(ShortenerServer, AliasesAreCaseSensitiveAndMayContainDots) {
  start();
  create("https://example.com/script", "script.py");
  create("https://example.com/version", "v1.2");
  create("https://example.com/mine", "MyLink");

  EXPECT_EQ(get("/script.py").header(http::field::location), "https://example.com/script");
  EXPECT_EQ(get("/v1.2").header(http::field::location), "https://example.com/version");
  EXPECT_EQ(get("/MyLink").status, 301u);
  EXPECT_EQ(get("/mylink").status, 404u);
}

TEST_F(ShortenerServer, TakenAliasAnswers409AndKeepsTheExistingLink) {
  start();
  create("https://example.com/first", "campaign");

  auto reply = shorten({{"long_url", "https://example.com/second"}, {"custom_alias", "campaign"}});
  EXPECT_EQ(reply.status, 409u);
  EXPECT_EQ(error_code_of(reply), "alias_taken");
  EXPECT_EQ(get("/campaign").header(http::field::location), "https://example.com/first");
}

TEST_F(ShortenerServer, FiftyConcurrentCreationsGetFiftyDistinctCodes) {
  start();
  std::vector<std::string> codes(50);
  std::vector<std::thread> clients;
  for (int i = 0; i < 50; ++i) {
    clients.emplace_back([&, i] {
      auto reply = shorten({{"long_url", "https://example.com/item/" + std::to_string(i)}});
      if (reply.status == 201) {
        codes[i] = std::string(json::parse(reply.body).at("code").as_string());
      }
    });
  }
  for (auto& client : clients) {
    client.join();
  }

  std::set<std::string> distinct(codes.begin(), codes.end());
  EXPECT_EQ(distinct.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(codes[i].size(), 7u);
    EXPECT_EQ(get("/" + codes[i]).header(http::field::location),
              "https://example.com/item/" + std::to_string(i));
  }
}

TEST_F(ShortenerServer, TenConcurrentCreationsOfOneAliasYieldExactlyOneLink) {
  start();
  std::vector<unsigned> statuses(10);
  std::vector<std::thread> clients;
  for (int i = 0; i < 10; ++i) {
    clients.emplace_back([&, i] {
      statuses[i] = shorten({{"long_url", "https://example.com/racer/" + std::to_string(i)},
                             {"custom_alias", "contested"}})
                        .status;
    });
  }
  for (auto& client : clients) {
    client.join();
  }

  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201u), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 409u), 9);
  auto winner = std::find(statuses.begin(), statuses.end(), 201u) - statuses.begin();
  EXPECT_EQ(get("/contested").header(http::field::location),
            "https://example.com/racer/" + std::to_string(winner));

  core::sqlite::Database db(database_path());
  auto count = db.prepare("SELECT COUNT(*) FROM links WHERE code = 'contested'");
  ASSERT_EQ(count.step(), core::sqlite::StepResult::kRow);
  EXPECT_EQ(count.column_int(0), 1);
}

TEST_F(ShortenerServer, BadRequestsGetTheDocumentedErrors) {
  start({"--max-body-bytes", "4096"});
  auto malformed = post_json(port(), "/api/v1/shorten", "{\"long_url\": ");
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(error_code_of(malformed), "malformed_json");

  auto not_object = post_json(port(), "/api/v1/shorten", "[1, 2]");
  EXPECT_EQ(error_code_of(not_object), "malformed_json");

  auto missing = post_json(port(), "/api/v1/shorten", "{}");
  EXPECT_EQ(missing.status, 400u);
  EXPECT_EQ(error_code_of(missing), "missing_field");

  auto wrong_type = post_json(port(), "/api/v1/shorten", "{\"long_url\": 42}");
  EXPECT_EQ(error_code_of(wrong_type), "invalid_field");

  auto form = testing::http_request(port(), http::verb::post, "/api/v1/shorten", "long_url=x",
                                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form.status, 415u);
  EXPECT_EQ(error_code_of(form), "unsupported_media_type");

  auto huge = post_json(port(), "/api/v1/shorten",
                        "{\"long_url\": \"https://example.com/" + std::string(8000, 'a') + "\"}");
  EXPECT_EQ(huge.status, 413u);
  EXPECT_EQ(error_code_of(huge), "body_too_large");

  auto unknown = get("/api/v1/nothing/here");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(error_code_of(unknown), "route_not_found");

  auto wrong_method = testing::http_request(port(), http::verb::put, "/api/v1/shorten");
  EXPECT_EQ(wrong_method.status, 405u);
  EXPECT_EQ(wrong_method.header(http::field::allow), "POST");

  auto status = shorten({{"long_url", "https://example.com/"}, {"redirect_status", 200}});
  EXPECT_EQ(error_code_of(status), "invalid_redirect_status");

  EXPECT_EQ(get("/healthz").status, 200u);
}

TEST_F(ShortenerServer, ExpiryDatesMustBeValidRfc3339InTheFuture) {
  start();
  for (std::string bad : {"2030-01-01T10:00:00", "2030-02-30T10:00:00Z", "tomorrow",
                          "2030-01-01 10:00:00Z", "2030-01-01T25:00:00Z"}) {
    auto reply = shorten({{"long_url", "https://example.com/"}, {"expiry_date", bad}});
    EXPECT_EQ(reply.status, 400u) << bad;
    EXPECT_EQ(error_code_of(reply), "invalid_expiry_date") << bad;
  }

  auto past =
      shorten({{"long_url", "https://example.com/"}, {"expiry_date", "2001-01-01T00:00:00Z"}});
  EXPECT_EQ(error_code_of(past), "expiry_in_past");

  auto future =
      shorten({{"long_url", "https://example.com/"}, {"expiry_date", "2030-01-01T10:00:00+03:00"}});
  ASSERT_EQ(future.status, 201u);
  EXPECT_EQ(json::parse(future.body).at("expiry_date").as_string(), "2030-01-01T07:00:00Z");
}

TEST_F(ShortenerServer, ExpiredLinkAnswers410AsJsonOrHtml) {
  start();
  auto created = create("https://example.com/sale", "old-sale");

  // Expire the link in the database, as the passing of time would.
  {
    core::sqlite::Database db(database_path());
    db.execute("UPDATE links SET expires_at = 1000000 WHERE code = 'old-sale'");
  }
  server_.reset();
  start();

  auto api = get("/old-sale");
  EXPECT_EQ(api.status, 410u);
  EXPECT_EQ(error_code_of(api), "link_expired");
  EXPECT_TRUE(api.header(http::field::location).empty());

  auto browser = get("/old-sale", {{"Accept", "text/html,application/xhtml+xml"}});
  EXPECT_EQ(browser.status, 410u);
  EXPECT_NE(browser.header(http::field::content_type).find("text/html"), std::string::npos);
  EXPECT_NE(browser.body.find("expired"), std::string::npos);

  auto described = json::parse(get("/api/v1/links/old-sale").body);
  EXPECT_EQ(described.at("expired").as_bool(), true);
}

TEST_F(ShortenerServer, UnknownCodeAnswers404AsJsonOrHtml) {
  start();
  auto api = get("/NoSuch1");
  EXPECT_EQ(api.status, 404u);
  EXPECT_EQ(error_code_of(api), "link_not_found");

  auto browser = get("/NoSuch1", {{"Accept", "text/html"}});
  EXPECT_EQ(browser.status, 404u);
  EXPECT_NE(browser.body.find("<html"), std::string::npos);
}

TEST_F(ShortenerServer, RedirectStatusIsChosenPerLinkOrByServerDefault) {
  start({"--redirect-status", "302", "--redirect-max-age", "30"});
  auto plain = create("https://example.com/plain");
  auto reply = get("/" + std::string(plain["code"].as_string()));
  EXPECT_EQ(reply.status, 302u);
  EXPECT_EQ(reply.header(http::field::cache_control), "private, max-age=30");

  auto temporary = shorten({{"long_url", "https://example.com/t"}, {"redirect_status", 307}});
  auto code = std::string(json::parse(temporary.body).at("code").as_string());
  EXPECT_EQ(get("/" + code).status, 307u);

  auto head = testing::http_request(port(), http::verb::head, "/" + code);
  EXPECT_EQ(head.status, 307u);
  EXPECT_EQ(head.header(http::field::location), "https://example.com/t");
}

TEST_F(ShortenerServer, LongDestinationRoundTripsExactly) {
  start();
  std::string long_url = "https://example.com/path?";
  for (int i = 0; long_url.size() < 8500; ++i) {
    long_url += "k" + std::to_string(i) + "=v%20" + std::to_string(i) + "&";
  }
  auto created = create(long_url);
  EXPECT_EQ(created["long_url"].as_string(), long_url);
  EXPECT_EQ(get("/" + std::string(created["code"].as_string())).header(http::field::location),
            long_url);

  auto too_long = shorten({{"long_url", "https://example.com/" + std::string(40000, 'a')}});
  EXPECT_EQ(too_long.status, 400u);
  EXPECT_EQ(error_code_of(too_long), "url_too_long");
}

TEST_F(ShortenerServer, AcknowledgedLinkSurvivesKillNine) {
  start();
  auto created = create("https://example.com/durable", "durable");
  server_->kill_hard();

  start();
  EXPECT_EQ(get("/durable").header(http::field::location), "https://example.com/durable");
}

TEST_F(ShortenerServer, MalformedHttpIsRefusedWithoutHarmingOtherClients) {
  start({"--max-header-bytes", "2048"});
  auto garbage = testing::raw_exchange(port(), "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_NE(garbage.find("400"), std::string::npos);

  auto huge_header = testing::raw_exchange(
      port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_NE(huge_header.find("431"), std::string::npos);

  EXPECT_EQ(get("/healthz").status, 200u);
}

TEST_F(ShortenerServer, SigtermFinishesAndExitsZero) {
  start();
  create("https://example.com/", "before-stop");
  EXPECT_EQ(server_->terminate(), 0);
}

TEST_F(ShortenerServer, MetricsCountRedirectsAndCacheUse) {
  start();
  create("https://example.com/", "counted");
  get("/counted");
  get("/counted");

  auto metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("http_requests_total{route=\"redirect\",status=\"301\"} 2"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("shortener_cache_hits_total 1"), std::string::npos);
  EXPECT_NE(metrics.find("shortener_cache_misses_total 1"), std::string::npos);
  EXPECT_EQ(get("/readyz").status, 200u);
}

// Real URLs collected from public web pages: every one a browser opens must be
// accepted, and its redirect must carry exactly the stored URL.
TEST_F(ShortenerServer, RealWebPageUrlsRedirectExactly) {
  start();
  std::ifstream in(WAYPOST_TEST_DATA_DIR "/urls/web-pages.txt");
  ASSERT_TRUE(in) << "shared data missing";
  std::string line;
  int checked = 0;
  for (int index = 0; std::getline(in, line) && checked < 400; ++index) {
    if (index % 14 != 0 || line.empty()) {
      continue;
    }
    auto reply = shorten({{"long_url", line}});
    ASSERT_EQ(reply.status, 201u) << line << " -> " << reply.body;
    auto created = json::parse(reply.body).as_object();
    auto stored = std::string(created["long_url"].as_string());
    auto redirect = get("/" + std::string(created["code"].as_string()));
    EXPECT_EQ(redirect.status, 301u);
    EXPECT_EQ(redirect.header(http::field::location), stored) << line;
    ++checked;
  }
  EXPECT_GE(checked, 400);
}

}  // namespace
}  // namespace waypost::shortener

namespace waypost::shortener {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

tcp::socket open_connection(asio::io_context& io, std::uint16_t port) {
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  return socket;
}

TEST_F(ShortenerServer, ClientThatNeverFinishesItsHeadersIsDisconnected) {
  start({"--header-timeout-ms", "300"});
  asio::io_context io;
  auto socket = open_connection(io, port());
  asio::write(socket, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));

  // The server must close the connection: the read ends with EOF, well
  // before the test's own 10 s bound would fail it with a timeout.
  testing::set_receive_timeout(socket, std::chrono::seconds(10));
  char byte;
  boost::system::error_code ec;
  socket.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
  EXPECT_EQ(get("/healthz").status, 200u);
}

TEST_F(ShortenerServer, ConnectionsBeyondTheLimitGet503) {
  start({"--max-connections", "2"});
  asio::io_context io;
  auto first = open_connection(io, port());
  auto second = open_connection(io, port());

  std::string reply;
  for (int attempt = 0; attempt < 50 && reply.find("503") == std::string::npos; ++attempt) {
    reply = testing::raw_exchange(port(),
                                  "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }
  EXPECT_NE(reply.find("503"), std::string::npos) << reply;
  EXPECT_NE(reply.find("too_many_connections"), std::string::npos);

  first.close();
  second.close();
  bool served = false;
  for (int attempt = 0; attempt < 100 && !served; ++attempt) {
    auto answer = testing::raw_exchange(
        port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    served = answer.find("200 OK") != std::string::npos;
  }
  EXPECT_TRUE(served);
}

TEST_F(ShortenerServer, RequestInFlightAtSigtermIsAnsweredBeforeExit) {
  start();
  std::string body = R"({"long_url": "https://example.com/in-flight", "custom_alias": "inflight"})";
  asio::io_context io;
  auto socket = open_connection(io, port());
  testing::set_receive_timeout(socket, std::chrono::seconds(10));
  asio::write(socket, asio::buffer("POST /api/v1/shorten HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Type: application/json\r\nContent-Length: " +
                                   std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 10)));

  // Shutdown has begun once new connections are refused.
  server_->send_terminate();
  bool refusing = false;
  for (int attempt = 0; attempt < 500 && !refusing; ++attempt) {
    try {
      asio::io_context probe_io;
      open_connection(probe_io, port());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } catch (const boost::system::system_error&) {
      refusing = true;
    }
  }
  ASSERT_TRUE(refusing);

  asio::write(socket, asio::buffer(body.substr(10)));
  std::string answer(4096, '\0');
  boost::system::error_code ec;
  answer.resize(socket.read_some(asio::buffer(answer), ec));
  EXPECT_NE(answer.find("201 Created"), std::string::npos) << answer;
  EXPECT_EQ(server_->wait_for_exit(), 0);
}

// Runs `command` and returns what it printed.
std::string output_of(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  char chunk[256];
  while (pipe != nullptr && std::fgets(chunk, sizeof(chunk), pipe) != nullptr) {
    output += chunk;
  }
  if (pipe != nullptr) {
    ::pclose(pipe);
  }
  return output;
}

TEST_F(ShortenerServer, MigrateSubcommandMovesTheSchemaBackAndForth) {
  auto migrate = kBinary + " --database " + database_path() + " --log-level warn migrate";
  EXPECT_EQ(output_of(migrate), "schema version 4\n");
  EXPECT_EQ(output_of(migrate + " --to 0"), "schema version 0\n");
  EXPECT_EQ(output_of(migrate + " --to 1"), "schema version 1\n");
  EXPECT_EQ(output_of(migrate + " --to 4"), "schema version 4\n");
  EXPECT_EQ(output_of(migrate + " --to 3"), "schema version 3\n");
  EXPECT_EQ(output_of(migrate + " --to 2"), "schema version 2\n");

  start();
  EXPECT_EQ(create("https://example.com/", "after-migrations")["code"].as_string(),
            "after-migrations");
}

TEST_F(ShortenerServer, TransferCodingsOtherThanChunkedAreRefusedNotSmuggled) {
  start();
  for (std::string coding : {"gzip", "chunked, gzip", "identity"}) {
    auto reply = testing::raw_exchange(
        port(),
        "POST /api/v1/shorten HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 47\r\nTransfer-Encoding: " +
            coding + "\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(reply.find("400 Bad Request"), std::string::npos) << coding << ": " << reply;
    EXPECT_NE(reply.find("malformed_request"), std::string::npos) << coding;
    EXPECT_EQ(reply.rfind("HTTP/1.1 "), 0u) << coding << " answered twice: " << reply;
    EXPECT_EQ(reply.find("link_not_found"), std::string::npos) << coding;
  }
}

TEST_F(ShortenerServer, NewConnectionThatSendsNothingIsClosedAtTheHeaderTimeout) {
  start({"--header-timeout-ms", "300", "--idle-timeout-ms", "60000"});
  asio::io_context io;
  auto socket = open_connection(io, port());
  testing::set_receive_timeout(socket, std::chrono::seconds(10));

  char byte;
  boost::system::error_code ec;
  socket.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
}

TEST_F(ShortenerServer, AcceptQualityDecidesBetweenHtmlAndJson) {
  start();
  auto html = get("/NoSuch1", {{"Accept", "application/json;q=0.5, text/html;q=0.9"}});
  EXPECT_NE(html.header(http::field::content_type).find("text/html"), std::string::npos);

  auto json_reply = get("/NoSuch1", {{"Accept", "text/html;q=0.1, application/json"}});
  EXPECT_EQ(json_reply.header(http::field::content_type), "application/json");

  auto browser = get("/NoSuch1", {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  EXPECT_NE(browser.header(http::field::content_type).find("text/html"), std::string::npos);
}

TEST_F(ShortenerServer, ReservedPathsAreNotLookedUpAsCodes) {
  start();
  auto api = get("/api");
  EXPECT_EQ(api.status, 404u);
  EXPECT_EQ(error_code_of(api), "route_not_found");

  auto head = testing::http_request(port(), http::verb::head, "/metrics");
  EXPECT_EQ(head.status, 200u);
}

TEST_F(ShortenerServer, TwoProcessesSharingOneDatabaseNeverHandOutOneCodeTwice) {
  start({"--code-length", "4"});
  ServerProcess second(kBinary, arguments_with({"--code-length", "4"}));

  constexpr int kPerProcess = 40;
  std::vector<std::string> codes(2 * kPerProcess);
  std::vector<std::thread> clients;
  for (int i = 0; i < 2 * kPerProcess; ++i) {
    auto target_port = i % 2 == 0 ? port() : second.port();
    clients.emplace_back([&codes, target_port, i] {
      auto reply = post_json(target_port, "/api/v1/shorten",
                             R"({"long_url": "https://example.com/p/)" + std::to_string(i) + "\"}");
      if (reply.status == 201) {
        codes[i] = std::string(json::parse(reply.body).at("code").as_string());
      }
    });
  }
  for (auto& client : clients) {
    client.join();
  }

  std::set<std::string> distinct(codes.begin(), codes.end());
  EXPECT_EQ(distinct.size(), codes.size());
  for (int i = 0; i < 2 * kPerProcess; ++i) {
    ASSERT_EQ(codes[i].size(), 4u) << i;
    auto other_port = i % 2 == 0 ? second.port() : port();
    auto redirect = testing::http_request(other_port, http::verb::get, "/" + codes[i]);
    EXPECT_EQ(redirect.header(http::field::location), "https://example.com/p/" + std::to_string(i));
  }
}

}  // namespace
}  // namespace waypost::shortener
