#include "core/http.hpp"

#include <gtest/gtest.h>

#include <string>

namespace waypost::core {
namespace {

TEST(QueryParameters, StopAtTheEndOfAViewIntoALargerBuffer) {
  // A request target is a view into the whole request line, so the bytes
  // after it belong to something else.
  const std::string request_line = "/api/v1/links?limit=1&cursor=123.abc HTTP/1.1";
  const std::string_view target(request_line.data(), request_line.find(' '));

  auto parameters = query_parameters(target);

  EXPECT_EQ(parameters.at("limit"), "1");
  EXPECT_EQ(parameters.at("cursor"), "123.abc");
}

TEST(QueryParameters, DecodeEscapesAndPlusSigns) {
  auto parameters = query_parameters("/x?q=a+b%2Bc&empty=&q2=%C3%BC#fragment");

  EXPECT_EQ(parameters.at("q"), "a b+c");
  EXPECT_EQ(parameters.at("empty"), "");
  EXPECT_EQ(parameters.at("q2"), "\xC3\xBC");
}

TEST(QueryParameters, TargetWithoutQueryHasNone) {
  EXPECT_TRUE(query_parameters("/api/v1/links").empty());
}

}  // namespace
}  // namespace waypost::core

namespace waypost::core {
namespace {

bool html_for(std::string_view accept) {
  Request request{http::verb::get, "/x", 11};
  if (!accept.empty()) {
    request.set(http::field::accept, accept);
  }
  return prefers_html(request);
}

TEST(PrefersHtml, BrowsersGetHtmlAndApiClientsJson) {
  EXPECT_TRUE(html_for("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
  EXPECT_FALSE(html_for("*/*"));
  EXPECT_FALSE(html_for(""));
  EXPECT_FALSE(html_for("application/json"));
}

TEST(PrefersHtml, HigherQualityWinsAndTiesGoToTheFirstListed) {
  EXPECT_TRUE(html_for("application/json;q=0.5, text/html;q=0.9"));
  EXPECT_FALSE(html_for("text/html;q=0.1, application/json"));
  EXPECT_TRUE(html_for("text/html, application/json"));
  EXPECT_FALSE(html_for("application/json, text/html"));
}

TEST(PrefersHtml, IgnoresCaseOfTypesAndParameters) {
  EXPECT_TRUE(html_for("Text/HTML"));
  EXPECT_FALSE(html_for("text/html;Q=0.1, application/json;q=0.5"));
}

TEST(PrefersHtml, WildcardsCountForTheTypesTheyCover) {
  EXPECT_FALSE(html_for("text/html;q=0.8, */*;q=0.9"));
  EXPECT_FALSE(html_for("text/html;q=0.5, application/*;q=0.9"));
  EXPECT_TRUE(html_for("text/*, application/json;q=0.5"));
  EXPECT_FALSE(html_for("text/html;q=0, */*"));
}

}  // namespace
}  // namespace waypost::core
