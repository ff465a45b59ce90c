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
