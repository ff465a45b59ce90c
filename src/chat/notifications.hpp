// The durable queue of push notifications for users who are offline.
//
// Model: at most one row per (recipient, conversation). Enqueueing while a row
// exists coalesces into it (latest seq, message count), so a burst of messages
// becomes one push. A worker claims due rows, which become "in flight" for a
// lease; it then reports delivery or failure. Failures back off exponentially;
// after max_attempts the row moves to the dead-letter table. A worker that dies
// mid-delivery is covered by the lease: its rows become due again when the
// lease runs out. Rows whose messages the recipient has read by the time they
// are due, or whose recipient left the conversation, are dropped unsent.
// Everything lives in SQLite, so the queue survives a restart.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chat/clock.hpp"
#include "chat/types.hpp"
#include "core/sqlite.hpp"

namespace waypost::chat {

enum class NotificationId : std::int64_t {};

struct NotificationConfig {
  int max_attempts = 5;
  std::chrono::milliseconds first_backoff = std::chrono::seconds(10);  // doubled per failure
  std::chrono::milliseconds max_backoff = std::chrono::hours(1);
  std::chrono::milliseconds claim_lease = std::chrono::minutes(1);
  // How long a new row waits before it is due, so that a burst coalesces.
  std::chrono::milliseconds coalesce_delay = std::chrono::seconds(2);
};

// "Tell `recipient` about message `seq` of `conversation`."
struct NotificationRequest {
  UserId recipient{};
  ConversationId conversation{};
  Seq seq = 0;
};

// A claimed row, to deliver and then report on.
struct NotificationJob {
  NotificationId id{};
  UserId recipient{};
  ConversationId conversation{};
  Seq latest_seq = 0;     // newest message to mention
  int message_count = 0;  // distinct messages coalesced into this push
  int attempt = 0;        // 1 on the first try; also identifies this claim

  bool operator==(const NotificationJob&) const = default;
};

struct DeadLetter {
  std::int64_t id = 0;  // the dead letter's own id, not the queue row's
  UserId recipient{};
  ConversationId conversation{};
  Seq latest_seq = 0;
  int message_count = 0;
  int attempts = 0;
  std::string reason;
  Timestamp dead_at;
};

enum class FailureOutcome {
  kRetryScheduled,  // due again after the back-off
  kDeadLettered,    // that was the last attempt; moved to the dead-letter table
  kStaleClaim,      // the claim had expired and was taken over; nothing changed
};

// Thread rules: every method is synchronous, leases one pooled connection and
// may be called from several threads or worker processes at once; claims are
// made in write transactions, so two workers never hold the same row. Ids must
// refer to existing users and conversations; otherwise DatabaseError is thrown
// (a caller bug), as for every storage fault.
class NotificationQueue {
 public:
  virtual ~NotificationQueue() = default;

  // Adds or coalesces each request, all in one transaction. Enqueueing the
  // same seq twice counts it once. New rows are due after coalesce_delay; a
  // row already waiting (or backing off, or in flight) keeps its schedule.
  virtual void enqueue(std::span<const NotificationRequest> requests) = 0;

  virtual void enqueue(const NotificationRequest& request) = 0;

  // Claims up to `limit` due rows (none when limit < 1), oldest due first, for
  // claim_lease. First
  // drops due rows that are already read or whose recipient left, and
  // dead-letters rows whose final attempt's lease ran out.
  [[nodiscard]] virtual std::vector<NotificationJob> claim_due(int limit) = 0;

  // Reports a delivered push. If messages arrived while it was in flight the
  // row stays queued for them alone; otherwise it is removed. Returns false
  // for a stale claim (the lease expired and another worker took the row).
  virtual bool mark_delivered(const NotificationJob& job) = 0;

  // Reports a failed push: schedules a retry after
  // min(first_backoff * 2^(attempt-1), max_backoff), or dead-letters the row
  // when this was attempt max_attempts.
  virtual FailureOutcome mark_failed(const NotificationJob& job, std::string_view reason) = 0;

  // The newest dead letters first, at most `limit`.
  [[nodiscard]] virtual std::vector<DeadLetter> dead_letters(int limit) = 0;

  // Rows queued, in any state; for metrics.
  [[nodiscard]] virtual std::int64_t queued_count() = 0;
};

// The embedded SQLite implementation.
class SqliteNotificationQueue final : public NotificationQueue {
 public:
  SqliteNotificationQueue(core::sqlite::ConnectionPool& pool, const Clock& clock,
                          NotificationConfig config = {});

  void enqueue(std::span<const NotificationRequest> requests) override;
  void enqueue(const NotificationRequest& request) override;
  std::vector<NotificationJob> claim_due(int limit) override;
  bool mark_delivered(const NotificationJob& job) override;
  FailureOutcome mark_failed(const NotificationJob& job, std::string_view reason) override;
  std::vector<DeadLetter> dead_letters(int limit) override;
  std::int64_t queued_count() override;

 private:
  std::chrono::milliseconds backoff_after(int attempt) const;

  core::sqlite::ConnectionPool& pool_;
  const Clock& clock_;
  NotificationConfig config_;
};

}  // namespace waypost::chat
