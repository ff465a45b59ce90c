#include "chat/conversations.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace waypost::chat {
namespace {

using namespace std::chrono_literals;
using testing::ChatHarness;
using testing::TempDir;

class ConversationStoreTest : public ::testing::Test {
 protected:
  TempDir dir;
  ChatHarness chat{dir.file("chat.db")};
  User alice = chat.add_user("alice");
  User bob = chat.add_user("bob");
  User carol = chat.add_user("carol");
};

TEST_F(ConversationStoreTest, DirectConversationIsSharedByTheUnorderedPair) {
  auto first = chat.conversations.find_or_create_direct(alice.id, bob.id).value();
  auto second = chat.conversations.find_or_create_direct(bob.id, alice.id).value();

  EXPECT_EQ(first.id, second.id);
  EXPECT_EQ(first.kind, ConversationKind::kDirect);
  EXPECT_TRUE(chat.conversations.is_member(alice.id, first.id));
  EXPECT_TRUE(chat.conversations.is_member(bob.id, first.id));
  EXPECT_FALSE(chat.conversations.is_member(carol.id, first.id));
}

TEST_F(ConversationStoreTest, DirectConversationNeedsTwoExistingUsers) {
  EXPECT_EQ(chat.conversations.find_or_create_direct(alice.id, alice.id).error(),
            Errc::kDirectWithSelf);
  EXPECT_EQ(chat.conversations.find_or_create_direct(alice.id, UserId{999}).error(),
            Errc::kNoSuchUser);
}

TEST_F(ConversationStoreTest, ConcurrentFindOrCreateAgreesOnOneConversation) {
  constexpr int kThreads = 8;
  std::vector<ConversationId> ids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto [from, to] = i % 2 == 0 ? std::pair(alice, bob) : std::pair(bob, alice);
      ids[i] = chat.conversations.find_or_create_direct(from.id, to.id).value().id;
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(std::set(ids.begin(), ids.end()).size(), 1u);
  EXPECT_EQ(chat.conversations.members(ids[0]).value().size(), 2u);
}

TEST_F(ConversationStoreTest, GroupCreatorIsItsFirstMember) {
  auto group = chat.conversations.create_group(alice.id, "release crew").value();
  EXPECT_EQ(group.name, "release crew");

  auto members = chat.conversations.members(group.id).value();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].user, alice.id);
  EXPECT_EQ(members[0].username, "alice");
}

TEST_F(ConversationStoreTest, GroupNameMustBeValid) {
  EXPECT_EQ(chat.conversations.create_group(alice.id, "").error(), Errc::kInvalidGroupName);
  EXPECT_EQ(chat.conversations.create_group(alice.id, std::string(101, 'g')).error(),
            Errc::kInvalidGroupName);
}

TEST_F(ConversationStoreTest, NonMembersAreRefusedByIsMember) {
  auto group = chat.add_group(alice);
  EXPECT_TRUE(chat.conversations.is_member(alice.id, group));
  EXPECT_FALSE(chat.conversations.is_member(bob.id, group));
  EXPECT_FALSE(chat.conversations.is_member(alice.id, ConversationId{999}));
}

TEST_F(ConversationStoreTest, MemberCanAddOthersButOutsiderCannot) {
  auto group = chat.add_group(alice);
  EXPECT_EQ(chat.conversations.add_member(bob.id, group, carol.id).error(), Errc::kNotAMember);

  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  EXPECT_TRUE(chat.conversations.is_member(bob.id, group));
  EXPECT_EQ(chat.conversations.members(group).value().size(), 2u);
}

TEST_F(ConversationStoreTest, OpenGroupCanBeJoinedAndInviteOnlyCannot) {
  auto open = chat.conversations.create_group(alice.id, "lobby", GroupAccess::kOpen).value();
  auto closed = chat.conversations.create_group(alice.id, "staff").value();

  EXPECT_TRUE(chat.conversations.join(bob.id, open.id));
  EXPECT_EQ(chat.conversations.join(bob.id, closed.id).error(), Errc::kNotAMember);
  EXPECT_TRUE(chat.conversations.join(alice.id, closed.id));
}

TEST_F(ConversationStoreTest, LeavingEndsMembership) {
  auto group = chat.add_group(alice);
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));

  ASSERT_TRUE(chat.conversations.leave(bob.id, group));
  EXPECT_FALSE(chat.conversations.is_member(bob.id, group));
  EXPECT_EQ(chat.conversations.leave(bob.id, group).error(), Errc::kNotAMember);
}

TEST_F(ConversationStoreTest, DirectConversationCannotBeLeftOrJoined) {
  auto direct = chat.conversations.find_or_create_direct(alice.id, bob.id).value();
  EXPECT_EQ(chat.conversations.leave(alice.id, direct.id).error(), Errc::kNotAGroup);
  EXPECT_EQ(chat.conversations.join(carol.id, direct.id).error(), Errc::kNotAMember);
  EXPECT_EQ(chat.conversations.add_member(alice.id, direct.id, carol.id).error(), Errc::kNotAGroup);
}

TEST_F(ConversationStoreTest, UnreadCountsFollowMarkRead) {
  auto group = chat.add_group(alice);
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  for (int i = 1; i <= 5; ++i) {
    chat.send(group, alice, "m-" + std::to_string(i));
  }

  EXPECT_EQ(chat.conversations.unread_count(bob.id, group).value(), 5);
  EXPECT_EQ(chat.conversations.unread_count(alice.id, group).value(), 0);

  auto mark = chat.conversations.mark_read(bob.id, group, 3).value();
  EXPECT_EQ(mark.last_read_seq, 3);
  EXPECT_EQ(mark.unread_count, 2);
  EXPECT_EQ(chat.conversations.unread_count(bob.id, group).value(), 2);
}

TEST_F(ConversationStoreTest, MarkReadNeverMovesBackwardsOrPastTheNewest) {
  auto group = chat.add_group(alice);
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  chat.send(group, alice, "m-1");
  chat.send(group, alice, "m-2");

  EXPECT_EQ(chat.conversations.mark_read(bob.id, group, 2).value().last_read_seq, 2);
  EXPECT_EQ(chat.conversations.mark_read(bob.id, group, 1).value().last_read_seq, 2);
  EXPECT_EQ(chat.conversations.mark_read(bob.id, group, 99).value().last_read_seq, 2);
  EXPECT_EQ(chat.conversations.mark_read(carol.id, group, 1).error(), Errc::kNotAMember);
}

TEST_F(ConversationStoreTest, NewMemberStartsWithNothingUnread) {
  auto group = chat.add_group(alice);
  chat.send(group, alice, "m-1");
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  EXPECT_EQ(chat.conversations.unread_count(bob.id, group).value(), 0);
}

TEST_F(ConversationStoreTest, ListShowsLastMessageAndUnreadMostRecentFirst) {
  auto group = chat.add_group(alice, "team");
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  auto direct = chat.conversations.find_or_create_direct(alice.id, bob.id).value().id;
  chat.send(direct, alice, "d-1", "psst");
  chat.send(group, alice, "g-1", "first");
  chat.send(group, alice, "g-2", "second");

  auto list = chat.conversations.list_for_user(bob.id);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].conversation.id, group);
  EXPECT_EQ(list[0].last_message->text, "second");
  EXPECT_EQ(list[0].unread_count, 2);
  EXPECT_FALSE(list[0].peer);
  EXPECT_EQ(list[1].conversation.id, direct);
  EXPECT_EQ(list[1].peer, alice.id);
  EXPECT_EQ(list[1].unread_count, 1);
}

TEST_F(ConversationStoreTest, EmptyDirectConversationIsNotListed) {
  chat.conversations.find_or_create_direct(alice.id, bob.id).value();
  EXPECT_TRUE(chat.conversations.list_for_user(bob.id).empty());
}

}  // namespace
}  // namespace waypost::chat
