#include "chat/notifications.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "test_support.hpp"

namespace waypost::chat {
namespace {

using namespace std::chrono_literals;
using testing::ChatHarness;
using testing::TempDir;

class NotificationQueueTest : public ::testing::Test {
 protected:
  // Opens the database with `config`, with alice and bob in one group.
  ChatHarness& open(NotificationConfig config = testing::immediate_notifications()) {
    chat_ = std::make_unique<ChatHarness>(dir_.file("chat.db"), 4, config);
    if (group != ConversationId{}) {
      return *chat_;  // reopened: the users and the group are already in the file
    }

    alice = chat_->add_user("alice");
    bob = chat_->add_user("bob");
    group = chat_->add_group(alice);
    EXPECT_TRUE(chat_->conversations.add_member(alice.id, group, bob.id));
    return *chat_;
  }

  // Alice writes to the group; returns the seq to notify bob about.
  Seq alice_writes(const std::string& client_id) {
    return chat_->send(group, alice, client_id).seq;
  }

  TempDir dir_;
  std::unique_ptr<ChatHarness> chat_;
  User alice;
  User bob;
  ConversationId group{};
};

TEST_F(NotificationQueueTest, EnqueueCoalescesPerRecipientAndConversation) {
  auto& chat = open();
  for (const char* id : {"m-1", "m-2", "m-3"}) {
    chat.notifications.enqueue({bob.id, group, alice_writes(id)});
  }

  auto jobs = chat.notifications.claim_due(10);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].recipient, bob.id);
  EXPECT_EQ(jobs[0].latest_seq, 3);
  EXPECT_EQ(jobs[0].message_count, 3);
  EXPECT_EQ(jobs[0].attempt, 1);
}

TEST_F(NotificationQueueTest, EnqueueingTheSameSeqTwiceCountsItOnce) {
  auto& chat = open();
  Seq seq = alice_writes("m-1");
  chat.notifications.enqueue({bob.id, group, seq});
  chat.notifications.enqueue({bob.id, group, seq});

  auto jobs = chat.notifications.claim_due(10);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].message_count, 1);
}

TEST_F(NotificationQueueTest, NewRowWaitsForTheCoalesceDelay) {
  auto config = testing::immediate_notifications();
  config.coalesce_delay = 2s;
  auto& chat = open(config);
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});

  EXPECT_TRUE(chat.notifications.claim_due(10).empty());
  chat.clock.advance(2s);
  EXPECT_EQ(chat.notifications.claim_due(10).size(), 1u);
}

TEST_F(NotificationQueueTest, ClaimedJobIsNotHandedOutTwice) {
  auto& chat = open();
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});
  EXPECT_EQ(chat.notifications.claim_due(10).size(), 1u);
  EXPECT_TRUE(chat.notifications.claim_due(10).empty());
}

TEST_F(NotificationQueueTest, DeliveredJobLeavesTheQueue) {
  auto& chat = open();
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});
  auto job = chat.notifications.claim_due(10).at(0);

  EXPECT_TRUE(chat.notifications.mark_delivered(job));
  EXPECT_EQ(chat.notifications.queued_count(), 0);
}

TEST_F(NotificationQueueTest, FailedDeliveryBacksOffExponentially) {
  auto config = testing::immediate_notifications();
  config.first_backoff = 10s;
  auto& chat = open(config);
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});

  auto first = chat.notifications.claim_due(10).at(0);
  EXPECT_EQ(chat.notifications.mark_failed(first, "push service 503"),
            FailureOutcome::kRetryScheduled);
  chat.clock.advance(10s - 1ms);
  EXPECT_TRUE(chat.notifications.claim_due(10).empty());
  chat.clock.advance(1ms);
  auto second = chat.notifications.claim_due(10).at(0);
  EXPECT_EQ(second.attempt, 2);

  EXPECT_EQ(chat.notifications.mark_failed(second, "push service 503"),
            FailureOutcome::kRetryScheduled);
  chat.clock.advance(20s - 1ms);
  EXPECT_TRUE(chat.notifications.claim_due(10).empty());
  chat.clock.advance(1ms);
  EXPECT_EQ(chat.notifications.claim_due(10).at(0).attempt, 3);
}

TEST_F(NotificationQueueTest, BackoffStopsGrowingAtTheMaximum) {
  auto config = testing::immediate_notifications();
  config.first_backoff = 10s;
  config.max_backoff = 15s;
  config.max_attempts = 10;
  auto& chat = open(config);
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});

  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto job = chat.notifications.claim_due(10).at(0);
    ASSERT_EQ(chat.notifications.mark_failed(job, "down"), FailureOutcome::kRetryScheduled);
    chat.clock.advance(15s);
  }
  EXPECT_EQ(chat.notifications.claim_due(10).at(0).attempt, 4);
}

TEST_F(NotificationQueueTest, DeadLettersAfterMaxAttempts) {
  auto config = testing::immediate_notifications();
  config.max_attempts = 3;
  config.first_backoff = 1s;
  auto& chat = open(config);
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});

  FailureOutcome outcome = FailureOutcome::kRetryScheduled;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto job = chat.notifications.claim_due(10).at(0);
    outcome = chat.notifications.mark_failed(job, "device token rejected");
    chat.clock.advance(1h);
  }

  EXPECT_EQ(outcome, FailureOutcome::kDeadLettered);
  EXPECT_EQ(chat.notifications.queued_count(), 0);
  auto dead = chat.notifications.dead_letters(10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].recipient, bob.id);
  EXPECT_EQ(dead[0].attempts, 3);
  EXPECT_EQ(dead[0].reason, "device token rejected");
}

TEST_F(NotificationQueueTest, ExpiredClaimIsRetriedAndTheStaleWorkerIsIgnored) {
  auto config = testing::immediate_notifications();
  config.claim_lease = 1min;
  auto& chat = open(config);
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});
  auto crashed = chat.notifications.claim_due(10).at(0);

  chat.clock.advance(1min);
  auto retried = chat.notifications.claim_due(10).at(0);
  EXPECT_EQ(retried.attempt, 2);
  EXPECT_FALSE(chat.notifications.mark_delivered(crashed));
  EXPECT_EQ(chat.notifications.mark_failed(crashed, "late"), FailureOutcome::kStaleClaim);
  EXPECT_TRUE(chat.notifications.mark_delivered(retried));
}

TEST_F(NotificationQueueTest, AbandonedFinalAttemptIsDeadLettered) {
  auto config = testing::immediate_notifications();
  config.max_attempts = 1;
  config.claim_lease = 1min;
  auto& chat = open(config);
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});
  (void)chat.notifications.claim_due(10);

  chat.clock.advance(1min);
  EXPECT_TRUE(chat.notifications.claim_due(10).empty());
  EXPECT_EQ(chat.notifications.dead_letters(10).size(), 1u);
}

TEST_F(NotificationQueueTest, AlreadyReadMessagesAreDroppedUnsent) {
  auto& chat = open();
  alice_writes("m-1");
  Seq seq = alice_writes("m-2");
  chat.notifications.enqueue({bob.id, group, seq});
  ASSERT_TRUE(chat.conversations.mark_read(bob.id, group, seq));

  EXPECT_TRUE(chat.notifications.claim_due(10).empty());
  EXPECT_EQ(chat.notifications.queued_count(), 0);
}

TEST_F(NotificationQueueTest, PartlyReadMessagesAreStillSent) {
  auto& chat = open();
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});
  chat.notifications.enqueue({bob.id, group, alice_writes("m-2")});
  ASSERT_TRUE(chat.conversations.mark_read(bob.id, group, 1));

  EXPECT_EQ(chat.notifications.claim_due(10).size(), 1u);
}

TEST_F(NotificationQueueTest, RecipientWhoLeftIsNotNotified) {
  auto& chat = open();
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});
  ASSERT_TRUE(chat.conversations.leave(bob.id, group));
  EXPECT_TRUE(chat.notifications.claim_due(10).empty());
}

TEST_F(NotificationQueueTest, MessagesArrivingDuringDeliveryStayQueued) {
  auto& chat = open();
  chat.notifications.enqueue({bob.id, group, alice_writes("m-1")});
  auto job = chat.notifications.claim_due(10).at(0);
  chat.notifications.enqueue({bob.id, group, alice_writes("m-2")});
  chat.notifications.enqueue({bob.id, group, alice_writes("m-3")});

  ASSERT_TRUE(chat.notifications.mark_delivered(job));
  auto follow_up = chat.notifications.claim_due(10).at(0);
  EXPECT_EQ(follow_up.latest_seq, 3);
  EXPECT_EQ(follow_up.message_count, 2);
  EXPECT_EQ(follow_up.attempt, 1);
}

TEST_F(NotificationQueueTest, QueueSurvivesRestart) {
  open().notifications.enqueue({bob.id, group, alice_writes("m-1")});
  chat_.reset();

  auto& reopened = open();
  auto jobs = reopened.notifications.claim_due(10);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].recipient, bob.id);
  EXPECT_EQ(jobs[0].latest_seq, 1);
}

}  // namespace
}  // namespace waypost::chat
