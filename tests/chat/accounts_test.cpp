#include "chat/accounts.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace waypost::chat {
namespace {

using namespace std::chrono_literals;
using testing::ChatHarness;
using testing::TempDir;

class AccountStoreTest : public ::testing::Test {
 protected:
  TempDir dir;
  ChatHarness chat{dir.file("chat.db")};
};

TEST_F(AccountStoreTest, RegisterStoresTheLowerCaseName) {
  auto user = chat.accounts.register_user("Alice", "long enough");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->username, "alice");
  EXPECT_EQ(user->created_at, testing::kStart);
  EXPECT_FALSE(user->last_seen);
  EXPECT_EQ(chat.accounts.find_user(user->id), *user);
}

TEST_F(AccountStoreTest, NameTakenInAnyCaseIsRefused) {
  ASSERT_TRUE(chat.accounts.register_user("alice", "long enough"));
  auto again = chat.accounts.register_user("ALICE", "long enough");
  EXPECT_EQ(again.error(), Errc::kUsernameTaken);
}

TEST_F(AccountStoreTest, InvalidNamesAndPasswordsAreRefused) {
  EXPECT_EQ(chat.accounts.register_user("al", "long enough").error(), Errc::kInvalidUsername);
  EXPECT_EQ(chat.accounts.register_user("alice", "short").error(), Errc::kInvalidPassword);
  EXPECT_EQ(chat.accounts.register_user("alice", std::string(1025, 'p')).error(),
            Errc::kInvalidPassword);
}

TEST_F(AccountStoreTest, LoginSucceedsOnlyWithTheRightPassword) {
  auto alice = chat.add_user("alice");
  EXPECT_EQ(chat.accounts.verify_login("Alice", ChatHarness::kPassword).value(), alice);
  EXPECT_EQ(chat.accounts.verify_login("alice", "wrong password").error(), Errc::kWrongCredentials);
}

TEST_F(AccountStoreTest, UnknownUserGetsTheSameErrorAsAWrongPassword) {
  EXPECT_EQ(chat.accounts.verify_login("nobody", ChatHarness::kPassword).error(),
            Errc::kWrongCredentials);
}

TEST_F(AccountStoreTest, PasswordIsStoredAsAnArgon2idHash) {
  chat.add_user("alice");
  auto db = chat.pool.lease();
  auto query = db->prepare("SELECT password_hash FROM users WHERE username = 'alice'");
  ASSERT_EQ(query.step(), core::sqlite::StepResult::kRow);
  EXPECT_EQ(query.column_text(0).rfind("$argon2id$", 0), 0u);
}

TEST_F(AccountStoreTest, TokenAuthenticatesItsUser) {
  auto alice = chat.add_user("alice");
  auto token = chat.accounts.issue_token(alice.id).value();
  EXPECT_EQ(token.token.size(), 43u);
  EXPECT_EQ(chat.accounts.authenticate(token.token), alice);
}

TEST_F(AccountStoreTest, TokenIsStoredOnlyAsItsHash) {
  auto alice = chat.add_user("alice");
  auto token = chat.accounts.issue_token(alice.id).value();

  auto db = chat.pool.lease();
  auto query = db->prepare("SELECT token_hash FROM auth_tokens");
  ASSERT_EQ(query.step(), core::sqlite::StepResult::kRow);
  EXPECT_EQ(query.column_text(0).size(), 64u);
  EXPECT_EQ(query.column_text(0).find(token.token), std::string::npos);
}

TEST_F(AccountStoreTest, TokenStopsWorkingWhenItExpires) {
  auto alice = chat.add_user("alice");
  auto token = chat.accounts.issue_token(alice.id).value();
  EXPECT_EQ(token.expires_at, testing::kStart + AccountConfig{}.token_lifetime);

  chat.clock.advance(AccountConfig{}.token_lifetime - 1ms);
  EXPECT_TRUE(chat.accounts.authenticate(token.token));
  chat.clock.advance(1ms);
  EXPECT_FALSE(chat.accounts.authenticate(token.token));
  EXPECT_EQ(chat.accounts.purge_expired_tokens(), 1);
}

TEST_F(AccountStoreTest, RevokedTokenNoLongerAuthenticates) {
  auto alice = chat.add_user("alice");
  auto kept = chat.accounts.issue_token(alice.id).value();
  auto revoked = chat.accounts.issue_token(alice.id).value();

  EXPECT_TRUE(chat.accounts.revoke_token(revoked.token));
  EXPECT_FALSE(chat.accounts.authenticate(revoked.token));
  EXPECT_FALSE(chat.accounts.revoke_token(revoked.token));
  EXPECT_TRUE(chat.accounts.authenticate(kept.token));
}

TEST_F(AccountStoreTest, RevokeAllLogsOutEverywhere) {
  auto alice = chat.add_user("alice");
  auto first = chat.accounts.issue_token(alice.id).value();
  auto second = chat.accounts.issue_token(alice.id).value();

  EXPECT_EQ(chat.accounts.revoke_all_tokens(alice.id), 2);
  EXPECT_FALSE(chat.accounts.authenticate(first.token));
  EXPECT_FALSE(chat.accounts.authenticate(second.token));
}

TEST_F(AccountStoreTest, MalformedOrUnknownTokensAreRejected) {
  EXPECT_FALSE(chat.accounts.authenticate(""));
  EXPECT_FALSE(chat.accounts.authenticate("not a token"));
  EXPECT_FALSE(chat.accounts.authenticate(std::string(43, 'A')));
  EXPECT_FALSE(chat.accounts.authenticate(std::string(44, 'A')));
}

TEST_F(AccountStoreTest, TokenForUnknownUserIsRefused) {
  EXPECT_EQ(chat.accounts.issue_token(UserId{999}).error(), Errc::kNoSuchUser);
}

TEST_F(AccountStoreTest, LastSeenIsRecordedAndNeverMovesBackwards) {
  auto alice = chat.add_user("alice");
  chat.clock.advance(5min);
  ASSERT_TRUE(chat.accounts.record_seen(alice.id));
  EXPECT_EQ(chat.accounts.find_user(alice.id)->last_seen, testing::kStart + 5min);

  chat.clock.advance(-2min);
  ASSERT_TRUE(chat.accounts.record_seen(alice.id));
  EXPECT_EQ(chat.accounts.find_user(alice.id)->last_seen, testing::kStart + 5min);
  EXPECT_FALSE(chat.accounts.record_seen(UserId{999}));
}

}  // namespace
}  // namespace waypost::chat
