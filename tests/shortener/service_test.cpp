// The shortener's handlers in-process, with a clock the test controls.
#include "shortener/service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "service_harness.hpp"

namespace waypost::shortener {
namespace {

namespace http = core::http;
namespace json = boost::json;

Timestamp at(std::string_view rfc3339) {
  return *parse_rfc3339(rfc3339);
}

class ShortenerServiceTest : public ::testing::Test, protected testing::ServiceHarness {
 protected:
  ShortenerServiceTest() : ServiceHarness("service-test", at("2029-12-31T00:00:00Z")) {}

  core::Response post(const json::object& body) {
    core::Request request{http::verb::post, "/api/v1/shorten", 11};
    request.set(http::field::content_type, "application/json");
    request.body() = json::serialize(body);
    return dispatch(std::move(request));
  }

  core::Response get(const std::string& target) {
    return dispatch(core::Request{http::verb::get, target, 11});
  }
};

TEST_F(ShortenerServiceTest, LinkWithOffsetExpiryRedirectsUntilTheExactUtcInstant) {
  auto created = post({{"long_url", "https://example.com/offer"},
                       {"custom_alias", "offer"},
                       {"expiry_date", "2030-01-01T10:00:00+03:00"}});
  ASSERT_EQ(created.result_int(), 201u) << created.body();

  clock_.set(at("2030-01-01T06:59:59.999999Z"));
  auto before = get("/offer");
  EXPECT_EQ(before.result_int(), 301u);
  EXPECT_EQ(before[http::field::location], "https://example.com/offer");

  clock_.set(at("2030-01-01T07:00:00Z"));
  auto at_expiry = get("/offer");
  EXPECT_EQ(at_expiry.result_int(), 410u);
  EXPECT_TRUE(at_expiry[http::field::location].empty());
}

TEST_F(ShortenerServiceTest, CachedLinkStillHonoursExpiry) {
  post({{"long_url", "https://example.com/a"},
        {"custom_alias", "cached"},
        {"expiry_date", "2030-01-01T00:00:00Z"}});
  EXPECT_EQ(get("/cached").result_int(), 301u);  // now in the cache
  EXPECT_EQ(get("/cached").result_int(), 301u);

  clock_.set(at("2030-01-01T00:00:00Z"));
  EXPECT_EQ(get("/cached").result_int(), 410u);
}

TEST_F(ShortenerServiceTest, CreatingAnAliasClearsItsCachedAbsence) {
  EXPECT_EQ(get("/fresh-code").result_int(), 404u);  // caches "absent"

  post({{"long_url", "https://example.com/new"}, {"custom_alias", "fresh-code"}});
  EXPECT_EQ(get("/fresh-code").result_int(), 301u);
}

TEST_F(ShortenerServiceTest, ExpiryAtOrBeforeNowIsRefused) {
  auto reply =
      post({{"long_url", "https://example.com/"}, {"expiry_date", "2029-12-31T00:00:00Z"}});
  EXPECT_EQ(reply.result_int(), 400u);
  EXPECT_NE(reply.body().find("expiry_in_past"), std::string::npos);
}

TEST_F(ShortenerServiceTest, CreatedAtComesFromTheClock) {
  auto reply = post({{"long_url", "https://example.com/"}});
  auto body = json::parse(reply.body());
  EXPECT_EQ(body.at("created_at").as_string(), "2029-12-31T00:00:00Z");
}

// A store whose first inserts report the drawn code as taken, as another
// process sharing the database would.
class CollidingStore final : public LinkStore {
 public:
  CollidingStore(LinkStore& real, int collisions) : real_(real), collisions_left_(collisions) {}

  InsertOutcome insert(const Link& link) override {
    attempted_codes.push_back(link.code);
    if (collisions_left_ > 0) {
      --collisions_left_;
      return InsertOutcome::kCodeTaken;
    }
    return real_.insert(link);
  }
  std::vector<InsertOutcome> insert_batch(const std::vector<Link>& links) override {
    return real_.insert_batch(links);
  }
  std::optional<Link> find(std::string_view code) override { return real_.find(code); }
  std::vector<Link> list(const LinkListQuery& query) override { return real_.list(query); }
  bool update(const Link& link) override { return real_.update(link); }
  bool remove(std::string_view code, std::string_view owner, Timestamp now) override {
    return real_.remove(code, owner, now);
  }
  bool take_visit(std::string_view code) override { return real_.take_visit(code); }
  void check_ready() override { real_.check_ready(); }

  std::vector<std::string> attempted_codes;

 private:
  LinkStore& real_;
  int collisions_left_;
};

TEST_F(ShortenerServiceTest, TakenGeneratedCodesAreDrawnAgainInvisibly) {
  CollidingStore colliding(store_, 3);
  core::MetricsRegistry metrics;
  core::Router router(metrics);
  ShortenerService service(ShortenerOptions{}, parts(colliding, metrics));
  service.register_routes(router);

  core::Request request{http::verb::post, "/api/v1/shorten", 11};
  request.set(http::field::content_type, "application/json");
  request.body() = R"({"long_url": "https://example.com/"})";
  boost::asio::io_context io;
  core::RequestContext context;
  auto answer =
      boost::asio::co_spawn(io, router.dispatch(request, context), boost::asio::use_future);
  io.run();
  auto reply = answer.get();

  ASSERT_EQ(reply.result_int(), 201u) << reply.body();
  ASSERT_EQ(colliding.attempted_codes.size(), 4u);
  std::set<std::string> distinct(colliding.attempted_codes.begin(),
                                 colliding.attempted_codes.end());
  EXPECT_EQ(distinct.size(), 4u);
  EXPECT_EQ(json::parse(reply.body()).at("code").as_string(), colliding.attempted_codes.back());
  EXPECT_NE(metrics.render().find("shortener_code_collisions_total 3"), std::string::npos);
}

TEST_F(ShortenerServiceTest, CustomAliasIsNeverRedrawn) {
  CollidingStore colliding(store_, 1);
  core::MetricsRegistry metrics;
  core::Router router(metrics);
  ShortenerService service(ShortenerOptions{}, parts(colliding, metrics));
  service.register_routes(router);

  core::Request request{http::verb::post, "/api/v1/shorten", 11};
  request.set(http::field::content_type, "application/json");
  request.body() = R"({"long_url": "https://example.com/", "custom_alias": "mine"})";
  boost::asio::io_context io;
  core::RequestContext context;
  auto answer =
      boost::asio::co_spawn(io, router.dispatch(request, context), boost::asio::use_future);
  io.run();

  EXPECT_EQ(answer.get().result_int(), 409u);
  EXPECT_EQ(colliding.attempted_codes, std::vector<std::string>{"mine"});
}

}  // namespace
}  // namespace waypost::shortener
