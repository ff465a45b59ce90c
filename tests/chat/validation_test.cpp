#include "chat/validation.hpp"

#include <gtest/gtest.h>

#include <string>

namespace waypost::chat {
namespace {

TEST(UsernameRules, StoresTheLowerCaseForm) {
  EXPECT_EQ(normalize_username("Alice_01"), "alice_01");
  EXPECT_EQ(normalize_username("a.b-c"), "a.b-c");
}

TEST(UsernameRules, RejectsLengthsOutside3To32) {
  EXPECT_FALSE(normalize_username("ab"));
  EXPECT_TRUE(normalize_username(std::string(32, 'a')));
  EXPECT_FALSE(normalize_username(std::string(33, 'a')));
}

TEST(UsernameRules, RejectsCharactersOutsideTheAllowedSet) {
  EXPECT_FALSE(normalize_username("bob smith"));
  EXPECT_FALSE(normalize_username("bob@home"));
  EXPECT_FALSE(normalize_username("b\xc3\xb6rk"));
}

TEST(PasswordRules, AcceptsEightTo1024Bytes) {
  EXPECT_FALSE(is_valid_password("1234567"));
  EXPECT_TRUE(is_valid_password("12345678"));
  EXPECT_TRUE(is_valid_password(std::string(1024, 'x')));
  EXPECT_FALSE(is_valid_password(std::string(1025, 'x')));
}

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("gr\xc3\xbc\xc3\x9f dich \xe2\x82\xac \xf0\x9f\x98\x80"));
}

TEST(Utf8, RejectsOverlongSurrogateAndOutOfRangeForms) {
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong three-byte form
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // UTF-16 surrogate D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // stray continuation byte
}

TEST(MessageRules, TextMustBeNonEmptyUtf8WithinTheLimit) {
  EXPECT_FALSE(is_valid_message_text("", 10));
  EXPECT_TRUE(is_valid_message_text("0123456789", 10));
  EXPECT_FALSE(is_valid_message_text("0123456789a", 10));
  EXPECT_FALSE(is_valid_message_text("\xff", 10));
}

TEST(MessageRules, ClientMessageIdIsVisibleAscii) {
  EXPECT_TRUE(is_valid_client_message_id("3f2c1b9e-7a4d-4c55-9f1e-2b6d8a0c4e11"));
  EXPECT_FALSE(is_valid_client_message_id(""));
  EXPECT_FALSE(is_valid_client_message_id("has space"));
  EXPECT_FALSE(is_valid_client_message_id(std::string(129, 'a')));
}

}  // namespace
}  // namespace waypost::chat
