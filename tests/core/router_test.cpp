#include "core/router.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace waypost::core {
namespace {

Response answer_with(std::string body) {
  Response response{http::status::ok, 11};
  response.body() = std::move(body);
  return response;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : router_(metrics_) {
    router_.add("item", {http::verb::get, http::verb::head}, "/api/items/{id}",
                [](Request&, const RequestContext&, const PathParams& params) -> Awaitable {
                  co_return answer_with("item " + params.get("id"));
                });
    router_.add("create", {http::verb::post}, "/api/items",
                [](Request&, const RequestContext&, const PathParams&) -> Awaitable {
                  co_return answer_with("created");
                });
    router_.add("catch_all", {http::verb::get}, "/{code}",
                [](Request&, const RequestContext&, const PathParams& params) -> Awaitable {
                  co_return answer_with("code " + params.get("code"));
                });
  }

  using Awaitable = boost::asio::awaitable<Response>;

  Response dispatch(http::verb method, const std::string& target) {
    Request request{method, target, 11};
    RequestContext context;
    boost::asio::io_context io;
    auto answer =
        boost::asio::co_spawn(io, router_.dispatch(request, context), boost::asio::use_future);
    io.run();
    return answer.get();
  }

  MetricsRegistry metrics_;
  Router router_;
};

TEST_F(RouterTest, CapturesPathParametersAndIgnoresTheQuery) {
  EXPECT_EQ(dispatch(http::verb::get, "/api/items/42?verbose=1").body(), "item 42");
  EXPECT_EQ(dispatch(http::verb::get, "/abc123").body(), "code abc123");
}

TEST_F(RouterTest, KnownPathWithOtherMethodAnswers405WithAllow) {
  auto response = dispatch(http::verb::delete_, "/api/items/42");
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(response[http::field::allow], "GET, HEAD");
  EXPECT_NE(response.body().find("method_not_allowed"), std::string::npos);
}

TEST_F(RouterTest, UnknownPathAnswers404AsJson) {
  auto response = dispatch(http::verb::get, "/api/items/42/extra");
  EXPECT_EQ(response.result(), http::status::not_found);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_NE(response.body().find("route_not_found"), std::string::npos);
}

TEST_F(RouterTest, EmptySegmentNeverMatchesAParameter) {
  EXPECT_EQ(dispatch(http::verb::get, "/api/items/").result(), http::status::not_found);
  EXPECT_EQ(dispatch(http::verb::get, "/").result(), http::status::not_found);
}

TEST_F(RouterTest, CountsRequestsByRouteAndStatus) {
  dispatch(http::verb::get, "/api/items/1");
  dispatch(http::verb::get, "/api/items/2");
  dispatch(http::verb::put, "/api/items");

  auto text = metrics_.render();
  EXPECT_NE(text.find("http_requests_total{route=\"item\",status=\"200\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("http_requests_total{route=\"unmatched\",status=\"405\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("http_request_duration_seconds_count{route=\"item\"} 2"), std::string::npos);
}

}  // namespace
}  // namespace waypost::core
