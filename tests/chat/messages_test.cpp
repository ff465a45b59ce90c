#include "chat/messages.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace waypost::chat {
namespace {

using namespace std::chrono_literals;
using testing::ChatHarness;
using testing::TempDir;

class MessageStoreTest : public ::testing::Test {
 protected:
  std::vector<Seq> seqs_of(const std::vector<Message>& messages) {
    std::vector<Seq> seqs;
    for (const auto& message : messages) {
      seqs.push_back(message.seq);
    }
    return seqs;
  }

  // Sends `count` messages from alice, numbered from `first`.
  void send_many(ConversationId conversation, int count, int first = 1) {
    for (int i = first; i < first + count; ++i) {
      chat.send(conversation, alice,
                "m-" + std::to_string(to_int(conversation)) + "-" + std::to_string(i));
    }
  }

  TempDir dir;
  ChatHarness chat{dir.file("chat.db"), 8};
  User alice = chat.add_user("alice");
  User bob = chat.add_user("bob");
  ConversationId group = chat.add_group(alice);
};

TEST_F(MessageStoreTest, AppendAssignsConsecutiveSequencesAndServerTime) {
  auto first = chat.send(group, alice, "a");
  chat.clock.advance(1s);
  auto second = chat.send(group, alice, "b");

  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(second.seq, 2);
  EXPECT_LT(first.id, second.id);
  EXPECT_EQ(second.sent_at, testing::kStart + 1s);
  EXPECT_FALSE(second.duplicate);
}

TEST_F(MessageStoreTest, RepeatedClientMessageIdReturnsOriginalAck) {
  auto original = chat.send(group, alice, "same-id", "once");
  chat.clock.advance(1s);
  auto retry = chat.messages.append({group, alice.id, "same-id", "once"}).value();

  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.id, original.id);
  EXPECT_EQ(retry.seq, original.seq);
  EXPECT_EQ(retry.sent_at, original.sent_at);

  auto next = chat.send(group, alice, "other-id");
  EXPECT_EQ(next.seq, 2) << "the refused retry must not use up a seq";
  EXPECT_EQ(chat.messages.history(alice.id, group, PageRequest::latest(10))->messages.size(), 2u);
}

TEST_F(MessageStoreTest, SameClientIdFromDifferentSendersIsTwoMessages) {
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  auto from_alice = chat.send(group, alice, "shared");
  auto from_bob = chat.send(group, bob, "shared");
  EXPECT_FALSE(from_bob.duplicate);
  EXPECT_NE(from_alice.id, from_bob.id);
}

TEST_F(MessageStoreTest, NonMemberCannotAppend) {
  auto result = chat.messages.append({group, bob.id, "x", "let me in"});
  EXPECT_EQ(result.error(), Errc::kNotAMember);
  EXPECT_EQ(chat.messages.append({ConversationId{999}, bob.id, "y", "hi"}).error(),
            Errc::kNoSuchConversation);
}

TEST_F(MessageStoreTest, InvalidTextOrClientIdIsRefused) {
  EXPECT_EQ(chat.messages.append({group, alice.id, "x", ""}).error(), Errc::kInvalidMessageText);
  EXPECT_EQ(chat.messages.append({group, alice.id, "x", "\xff"}).error(),
            Errc::kInvalidMessageText);
  EXPECT_EQ(chat.messages.append({group, alice.id, "", "hi"}).error(),
            Errc::kInvalidClientMessageId);
}

TEST_F(MessageStoreTest, ConcurrentAppendsProduceGapFreeSequence) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::vector<Ack>> acks(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        acks[t].push_back(chat.messages.append({group, alice.id, id, id}).value());
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  std::set<Seq> seqs;
  for (const auto& per_thread : acks) {
    for (size_t i = 1; i < per_thread.size(); ++i) {
      EXPECT_LT(per_thread[i - 1].seq, per_thread[i].seq);
    }
    for (const auto& ack : per_thread) {
      seqs.insert(ack.seq);
    }
  }
  ASSERT_EQ(seqs.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), kThreads * kPerThread);
}

TEST_F(MessageStoreTest, IdempotentRetryFromOtherThreadsStoresOnce) {
  constexpr int kThreads = 8;
  std::vector<Ack> acks(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      acks[t] = chat.messages.append({group, alice.id, "retried", "hello"}).value();
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  auto originals =
      std::count_if(acks.begin(), acks.end(), [](const Ack& a) { return !a.duplicate; });
  EXPECT_EQ(originals, 1);
  for (const auto& ack : acks) {
    EXPECT_EQ(ack.id, acks[0].id);
    EXPECT_EQ(ack.seq, 1);
  }
  EXPECT_EQ(chat.messages.history(alice.id, group, PageRequest::latest(10))->messages.size(), 1u);
}

TEST_F(MessageStoreTest, RetryThroughAnotherConnectionPoolStoresOnce) {
  // A second pool on the same file has its own connections and locks, as a
  // second server process would.
  core::sqlite::ConnectionPool other_pool(dir.file("chat.db"), 2);
  SqliteMessageStore other_process(other_pool, chat.clock);
  constexpr int kMessages = 20;

  std::vector<Ack> here(kMessages);
  std::vector<Ack> there(kMessages);
  std::thread first([&] {
    for (int i = 0; i < kMessages; ++i) {
      here[i] = chat.messages.append({group, alice.id, "c-" + std::to_string(i), "x"}).value();
    }
  });
  std::thread second([&] {
    for (int i = 0; i < kMessages; ++i) {
      there[i] = other_process.append({group, alice.id, "c-" + std::to_string(i), "x"}).value();
    }
  });
  first.join();
  second.join();

  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(here[i].id, there[i].id);
    EXPECT_NE(here[i].duplicate, there[i].duplicate);
  }
  auto page = chat.messages.history(alice.id, group, PageRequest::latest(100)).value();
  EXPECT_EQ(page.messages.size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(page.messages.back().seq, kMessages);
}

TEST_F(MessageStoreTest, BatchWritesItemsInOrderAndReportsEachOutcome) {
  std::vector<AppendRequest> batch = {
      {group, alice.id, "b-1", "one"},   {group, bob.id, "b-2", "not a member"},
      {group, alice.id, "b-3", "three"}, {group, alice.id, "b-1", "retry inside the batch"},
      {group, alice.id, "b-4", ""},
  };
  auto results = chat.messages.append_batch(batch);

  ASSERT_EQ(results.size(), batch.size());
  EXPECT_EQ(results[0]->seq, 1);
  EXPECT_EQ(results[1].error(), Errc::kNotAMember);
  EXPECT_EQ(results[2]->seq, 2);
  EXPECT_TRUE(results[3]->duplicate);
  EXPECT_EQ(results[3]->id, results[0]->id);
  EXPECT_EQ(results[4].error(), Errc::kInvalidMessageText);

  auto page = chat.messages.history(alice.id, group, PageRequest::latest(10)).value();
  EXPECT_EQ(seqs_of(page.messages), (std::vector<Seq>{1, 2}));
}

TEST_F(MessageStoreTest, BackwardPagesCoverTheConversationExactlyOnce) {
  send_many(group, 23);

  std::vector<Seq> seen;
  auto page = chat.messages.history(alice.id, group, PageRequest::latest(5)).value();
  while (true) {
    auto seqs = seqs_of(page.messages);
    seen.insert(seen.begin(), seqs.begin(), seqs.end());
    if (!page.has_more) {
      break;
    }
    auto anchor = page.messages.front().seq;
    page = chat.messages.history(alice.id, group, PageRequest::before(anchor, 5)).value();
  }

  std::vector<Seq> expected(23);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(seen, expected);
  EXPECT_FALSE(page.gap);
}

TEST_F(MessageStoreTest, ForwardPagesCoverTheConversationExactlyOnce) {
  send_many(group, 12);

  std::vector<Seq> seen;
  Seq anchor = 0;
  bool more = true;
  while (more) {
    auto page = chat.messages.history(alice.id, group, PageRequest::after(anchor, 5)).value();
    auto seqs = seqs_of(page.messages);
    seen.insert(seen.end(), seqs.begin(), seqs.end());
    more = page.has_more;
    anchor = seqs.back();
  }

  std::vector<Seq> expected(12);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(seen, expected);
}

TEST_F(MessageStoreTest, HistoryIsRefusedToNonMembersAndBadLimits) {
  EXPECT_EQ(chat.messages.history(bob.id, group, PageRequest::latest(10)).error(),
            Errc::kNotAMember);
  EXPECT_EQ(chat.messages.history(alice.id, group, PageRequest::latest(0)).error(),
            Errc::kInvalidPageLimit);
  EXPECT_EQ(chat.messages.history(alice.id, group, PageRequest::latest(kMaxPageLimit + 1)).error(),
            Errc::kInvalidPageLimit);
}

TEST_F(MessageStoreTest, ReconnectCursorReturnsExactlyTheMissedMessages) {
  auto direct = chat.conversations.find_or_create_direct(alice.id, bob.id).value().id;
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  auto other = chat.add_group(alice, "bob is not here");
  chat.send(group, alice, "before-1");
  chat.send(direct, alice, "before-2");
  MessageId cursor = chat.messages.latest_cursor();

  // Bob is offline while these arrive, interleaved across conversations.
  std::vector<MessageId> missed;
  missed.push_back(chat.send(direct, alice, "after-1").id);
  chat.send(other, alice, "not-for-bob");
  missed.push_back(chat.send(group, alice, "after-2").id);
  missed.push_back(chat.send(group, bob, "after-3").id);
  missed.push_back(chat.send(direct, alice, "after-4").id);
  missed.push_back(chat.send(group, alice, "after-5").id);

  std::vector<MessageId> received;
  bool more = true;
  while (more) {
    auto page = chat.messages.messages_after(bob.id, cursor, 2).value();
    for (const auto& message : page.messages) {
      received.push_back(message.id);
    }
    EXPECT_TRUE(page.gaps.empty());
    cursor = page.next_cursor;
    more = page.has_more;
  }
  EXPECT_EQ(received, missed);

  auto after_all = chat.messages.messages_after(bob.id, cursor, 10).value();
  EXPECT_TRUE(after_all.messages.empty());
  EXPECT_EQ(after_all.next_cursor, cursor);
}

TEST_F(MessageStoreTest, UserWhoReceivedNothingGetsEverythingFromCursorZero) {
  auto direct = chat.conversations.find_or_create_direct(alice.id, bob.id).value().id;
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  send_many(group, 3);
  send_many(direct, 2);

  auto page = chat.messages.messages_after(bob.id, MessageId{0}, 100).value();
  EXPECT_EQ(page.messages.size(), 5u);
  EXPECT_FALSE(page.has_more);
  EXPECT_TRUE(std::is_sorted(page.messages.begin(), page.messages.end(),
                             [](const Message& a, const Message& b) { return a.id < b.id; }));
}

TEST_F(MessageStoreTest, RetentionGapIsReportedInForwardHistory) {
  send_many(group, 4);
  chat.clock.advance(24h);
  send_many(group, 3, 5);

  auto report = chat.messages.prune_older_than(testing::kStart + 1h);
  EXPECT_EQ(report.messages_deleted, 4);

  auto page = chat.messages.history(alice.id, group, PageRequest::after(2, 10)).value();
  EXPECT_TRUE(page.gap);
  EXPECT_EQ(page.first_available_seq, 5);
  EXPECT_EQ(seqs_of(page.messages), (std::vector<Seq>{5, 6, 7}));

  auto later = chat.messages.history(alice.id, group, PageRequest::after(5, 10)).value();
  EXPECT_FALSE(later.gap);
}

TEST_F(MessageStoreTest, ForwardHistoryWithoutRetentionHasNoGap) {
  send_many(group, 2);
  auto page = chat.messages.history(alice.id, group, PageRequest::after(-1, 10)).value();
  EXPECT_FALSE(page.gap);
  EXPECT_EQ(page.messages.size(), 2u);
}

TEST_F(MessageStoreTest, RetentionGapIsReportedWhenPagingBackIntoDeletedHistory) {
  send_many(group, 4);
  chat.clock.advance(24h);
  send_many(group, 3, 5);
  chat.messages.prune_older_than(testing::kStart + 1h);

  auto page = chat.messages.history(alice.id, group, PageRequest::latest(10)).value();
  EXPECT_EQ(seqs_of(page.messages), (std::vector<Seq>{5, 6, 7}));
  EXPECT_FALSE(page.has_more);
  EXPECT_TRUE(page.gap);
}

TEST_F(MessageStoreTest, RetentionGapIsReportedOnReconnect) {
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  auto quiet = chat.add_group(alice, "quiet");
  ASSERT_TRUE(chat.conversations.add_member(alice.id, quiet, bob.id));
  MessageId cursor = chat.messages.latest_cursor();
  send_many(group, 3);
  chat.clock.advance(24h);
  send_many(group, 2, 4);
  send_many(quiet, 1);
  chat.messages.prune_older_than(testing::kStart + 1h);

  auto page = chat.messages.messages_after(bob.id, cursor, 100).value();
  EXPECT_EQ(page.gaps, (std::vector<RetentionGap>{{group, 4}}));
  EXPECT_EQ(page.messages.size(), 3u);
  EXPECT_EQ(page.messages.front().seq, 4);

  auto next = chat.messages.messages_after(bob.id, page.next_cursor, 100).value();
  EXPECT_TRUE(next.gaps.empty());
}

TEST_F(MessageStoreTest, UnreadCountIgnoresMessagesRemovedByRetention) {
  ASSERT_TRUE(chat.conversations.add_member(alice.id, group, bob.id));
  send_many(group, 3);
  chat.clock.advance(24h);
  send_many(group, 2, 4);
  chat.messages.prune_older_than(testing::kStart + 1h);

  EXPECT_EQ(chat.conversations.unread_count(bob.id, group).value(), 2);
}

TEST_F(MessageStoreTest, LatestCursorDoesNotGoBackAfterRetention) {
  send_many(group, 3);
  MessageId before = chat.messages.latest_cursor();
  chat.clock.advance(24h);
  chat.messages.prune_older_than(chat.clock.now());
  EXPECT_EQ(chat.messages.latest_cursor(), before);
}

}  // namespace
}  // namespace waypost::chat
