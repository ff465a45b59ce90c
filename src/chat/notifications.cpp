#include "chat/notifications.hpp"

#include <algorithm>
#include <optional>

#include "chat/storage_support.hpp"

namespace waypost::chat {
namespace {

using core::sqlite::Database;

// Where a claimed row stands now, if the claim is still the current one.
struct ClaimedRow {
  Seq latest_seq = 0;
  int message_count = 0;
};

std::optional<ClaimedRow> load_claim(Database& db, const NotificationJob& job) {
  auto query = db.prepare(
      "SELECT latest_seq, message_count FROM notifications "
      "WHERE id = ? AND state = 'in_flight' AND attempts = ?");
  query.bind(1, to_int(job.id)).bind(2, static_cast<std::int64_t>(job.attempt));
  if (!detail::has_row(query)) {
    return std::nullopt;
  }
  return ClaimedRow{query.column_int(0), static_cast<int>(query.column_int(1))};
}

void insert_or_coalesce(Database& db, const NotificationRequest& request, Timestamp now,
                        Timestamp due_at) {
  // SET expressions all see the row as it was, so the count compares the new
  // seq with the old latest_seq; a repeated seq is not counted twice.
  db.prepare(
        "INSERT INTO notifications (recipient_id, conversation_id, latest_seq, message_count, "
        "  state, next_attempt_at, created_at) VALUES (?, ?, ?, 1, 'pending', ?, ?) "
        "ON CONFLICT (recipient_id, conversation_id) DO UPDATE SET "
        "  message_count = message_count + (excluded.latest_seq > latest_seq), "
        "  latest_seq = MAX(latest_seq, excluded.latest_seq)")
      .bind(1, to_int(request.recipient))
      .bind(2, to_int(request.conversation))
      .bind(3, request.seq)
      .bind(4, detail::to_millis(due_at))
      .bind(5, detail::to_millis(now))
      .run();
}

// Drops due rows with nothing left to tell: the recipient has read up to the
// latest seq, or is no longer a member.
void drop_already_read(Database& db, Timestamp now) {
  db.prepare(
        "DELETE FROM notifications WHERE next_attempt_at <= ? AND NOT EXISTS ("
        "  SELECT 1 FROM members mm WHERE mm.conversation_id = notifications.conversation_id "
        "  AND mm.user_id = notifications.recipient_id "
        "  AND mm.last_read_seq < notifications.latest_seq)")
      .bind(1, detail::to_millis(now))
      .run();
}

// Moves a queue row to the dead-letter table.
void bury(Database& db, NotificationId id, std::string_view reason, Timestamp now) {
  db.prepare(
        "INSERT INTO notification_dead_letters (recipient_id, conversation_id, latest_seq, "
        "  message_count, attempts, reason, created_at, dead_at) "
        "SELECT recipient_id, conversation_id, latest_seq, message_count, attempts, ?2, "
        "  created_at, ?3 FROM notifications WHERE id = ?1")
      .bind(1, to_int(id))
      .bind(2, reason)
      .bind(3, detail::to_millis(now))
      .run();
  db.prepare("DELETE FROM notifications WHERE id = ?").bind(1, to_int(id)).run();
  detail::logger().warn("notification {} dead-lettered: {}", to_int(id), reason);
}

// Dead-letters rows whose final attempt was claimed but never reported on.
void bury_abandoned(Database& db, Timestamp now, int max_attempts) {
  auto query = db.prepare(
      "SELECT id FROM notifications "
      "WHERE state = 'in_flight' AND next_attempt_at <= ? AND attempts >= ?");
  query.bind(1, detail::to_millis(now)).bind(2, static_cast<std::int64_t>(max_attempts));
  std::vector<NotificationId> abandoned;
  while (detail::has_row(query)) {
    abandoned.push_back(NotificationId{query.column_int(0)});
  }
  for (NotificationId id : abandoned) {
    bury(db, id, "claim lease expired on the final attempt", now);
  }
}

// Due rows, pending or with an expired claim; `attempt` is the one about to be made.
std::vector<NotificationJob> select_due(Database& db, Timestamp now, int limit) {
  auto query = db.prepare(
      "SELECT id, recipient_id, conversation_id, latest_seq, message_count, attempts + 1 "
      "FROM notifications WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?");
  query.bind(1, detail::to_millis(now)).bind(2, static_cast<std::int64_t>(limit));
  std::vector<NotificationJob> jobs;
  while (detail::has_row(query)) {
    jobs.push_back(NotificationJob{NotificationId{query.column_int(0)}, UserId{query.column_int(1)},
                                   ConversationId{query.column_int(2)}, query.column_int(3),
                                   static_cast<int>(query.column_int(4)),
                                   static_cast<int>(query.column_int(5))});
  }
  return jobs;
}

// Marks a row in flight until `lease_until`; by then it must be reported on,
// or it becomes due again.
void claim(Database& db, const NotificationJob& job, Timestamp lease_until) {
  db.prepare(
        "UPDATE notifications SET state = 'in_flight', attempts = ?, next_attempt_at = ? "
        "WHERE id = ?")
      .bind(1, static_cast<std::int64_t>(job.attempt))
      .bind(2, detail::to_millis(lease_until))
      .bind(3, to_int(job.id))
      .run();
}

// After a delivery, keeps the row for the messages that arrived meanwhile.
void requeue_remainder(Database& db, const NotificationJob& job, Timestamp due_at) {
  db.prepare(
        "UPDATE notifications SET state = 'pending', attempts = 0, last_error = NULL, "
        "  message_count = MAX(1, message_count - ?), next_attempt_at = ? WHERE id = ?")
      .bind(1, static_cast<std::int64_t>(job.message_count))
      .bind(2, detail::to_millis(due_at))
      .bind(3, to_int(job.id))
      .run();
}

DeadLetter read_dead_letter(const core::sqlite::Statement& row) {
  return DeadLetter{row.column_int(0),
                    UserId{row.column_int(1)},
                    ConversationId{row.column_int(2)},
                    row.column_int(3),
                    static_cast<int>(row.column_int(4)),
                    static_cast<int>(row.column_int(5)),
                    row.column_text(6),
                    detail::from_millis(row.column_int(7))};
}

}  // namespace

SqliteNotificationQueue::SqliteNotificationQueue(core::sqlite::ConnectionPool& pool,
                                                 const Clock& clock, NotificationConfig config)
    : pool_(pool), clock_(clock), config_(config) {}

void SqliteNotificationQueue::enqueue(std::span<const NotificationRequest> requests) {
  Timestamp now = clock_.now();
  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  for (const auto& request : requests) {
    insert_or_coalesce(*db, request, now, now + config_.coalesce_delay);
  }
  transaction.commit();
}

void SqliteNotificationQueue::enqueue(const NotificationRequest& request) {
  enqueue(std::span(&request, 1));
}

std::vector<NotificationJob> SqliteNotificationQueue::claim_due(int limit) {
  if (limit < 1) {
    return {};
  }
  Timestamp now = clock_.now();
  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  drop_already_read(*db, now);
  bury_abandoned(*db, now, config_.max_attempts);

  auto jobs = select_due(*db, now, limit);
  for (const auto& job : jobs) {
    claim(*db, job, now + config_.claim_lease);
  }
  transaction.commit();
  return jobs;
}

bool SqliteNotificationQueue::mark_delivered(const NotificationJob& job) {
  Timestamp now = clock_.now();
  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  auto current = load_claim(*db, job);
  if (!current) {
    return false;
  }

  if (current->latest_seq > job.latest_seq) {
    requeue_remainder(*db, job, now + config_.coalesce_delay);
  } else {
    db->prepare("DELETE FROM notifications WHERE id = ?").bind(1, to_int(job.id)).run();
  }
  transaction.commit();
  return true;
}

FailureOutcome SqliteNotificationQueue::mark_failed(const NotificationJob& job,
                                                    std::string_view reason) {
  Timestamp now = clock_.now();
  auto db = pool_.lease();
  core::sqlite::Transaction transaction(*db);
  if (!load_claim(*db, job)) {
    return FailureOutcome::kStaleClaim;
  }

  if (job.attempt >= config_.max_attempts) {
    bury(*db, job.id, reason, now);
    transaction.commit();
    return FailureOutcome::kDeadLettered;
  }

  db->prepare(
        "UPDATE notifications SET state = 'pending', next_attempt_at = ?, last_error = ? "
        "WHERE id = ?")
      .bind(1, detail::to_millis(now + backoff_after(job.attempt)))
      .bind(2, reason)
      .bind(3, to_int(job.id))
      .run();
  transaction.commit();
  return FailureOutcome::kRetryScheduled;
}

std::vector<DeadLetter> SqliteNotificationQueue::dead_letters(int limit) {
  auto db = pool_.lease();
  auto query = db->prepare(
      "SELECT id, recipient_id, conversation_id, latest_seq, message_count, attempts, reason, "
      "dead_at FROM notification_dead_letters ORDER BY id DESC LIMIT ?");
  query.bind(1, static_cast<std::int64_t>(limit));
  std::vector<DeadLetter> letters;
  while (detail::has_row(query)) {
    letters.push_back(read_dead_letter(query));
  }
  return letters;
}

std::int64_t SqliteNotificationQueue::queued_count() {
  auto db = pool_.lease();
  auto query = db->prepare("SELECT COUNT(*) FROM notifications");
  (void)query.step();
  return query.column_int(0);
}

std::chrono::milliseconds SqliteNotificationQueue::backoff_after(int attempt) const {
  auto delay = config_.first_backoff;
  for (int i = 1; i < attempt && delay < config_.max_backoff; ++i) {
    delay *= 2;
  }
  return std::min(delay, config_.max_backoff);
}

}  // namespace waypost::chat
