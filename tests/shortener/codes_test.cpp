#include "shortener/codes.hpp"

#include <gtest/gtest.h>

#include <set>

namespace waypost::shortener {
namespace {

TEST(GenerateCode, UsesOnlyBase62AtTheRequestedLength) {
  for (std::size_t length : {4u, 7u, 12u}) {
    auto code = generate_code(length);
    EXPECT_EQ(code.size(), length);
    for (char c : code) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << code;
    }
  }
}

TEST(GenerateCode, DrawsDifferentCodesEachTime) {
  std::set<std::string> codes;
  for (int i = 0; i < 10'000; ++i) {
    codes.insert(generate_code(7));
  }
  EXPECT_EQ(codes.size(), 10'000u);
}

TEST(CheckAlias, AcceptsLettersDigitsDashUnderscoreAndDot) {
  for (std::string alias : {"MyLink", "script.py", "v1.2", "summer_sale-2030", "abc"}) {
    EXPECT_FALSE(check_alias(alias).has_value()) << alias;
  }
}

TEST(CheckAlias, RefusesReservedNamesInAnyCase) {
  for (std::string alias : {"api", "API", "Admin", "HEALTHZ", "metrics", "favicon.ico",
                            "robots.txt", "Static", "readyz"}) {
    EXPECT_EQ(check_alias(alias), AliasProblem::kReserved) << alias;
  }
}

TEST(CheckAlias, RefusesDotSegmentsBadCharactersAndLengths) {
  EXPECT_EQ(check_alias("."), AliasProblem::kDotSegment);
  EXPECT_EQ(check_alias(".."), AliasProblem::kDotSegment);
  EXPECT_EQ(check_alias("a/b"), AliasProblem::kInvalidCharacter);
  EXPECT_EQ(check_alias("caf\xC3\xA9"), AliasProblem::kInvalidCharacter);
  EXPECT_EQ(check_alias("ab"), AliasProblem::kLength);
  EXPECT_EQ(check_alias(std::string(65, 'x')), AliasProblem::kLength);
}

TEST(CouldBeCode, RejectsPathsNoLinkCanHave) {
  EXPECT_TRUE(could_be_code("abc1234"));
  EXPECT_FALSE(could_be_code(""));
  EXPECT_FALSE(could_be_code("%41bc"));
  EXPECT_FALSE(could_be_code(std::string(65, 'a')));
}

}  // namespace
}  // namespace waypost::shortener
