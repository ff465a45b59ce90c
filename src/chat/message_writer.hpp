// Group commit: one thread stores every sent message. While a commit is in
// progress, new sends queue up; the next commit takes all of them in one
// MessageStore::append_batch transaction, so concurrent senders share one fsync.
//
// After each commit, in commit order, the writer fans each new message out
// through the Hub and only then completes its sender's job (the ack), so every
// session receives messages in id order and a device connected after an ack
// gets that message through sync, not live. Members without a session get a durable notification.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "chat/conversations.hpp"
#include "chat/hub.hpp"
#include "chat/messages.hpp"
#include "chat/notifications.hpp"
#include "core/metrics.hpp"

namespace waypost::chat {

struct SendJob {
  AppendRequest request;
  std::uint64_t origin_session = 0;  // not sent the message frame; it gets the ack
  // Called on the writer thread with the store's answer (a storage fault
  // arrives as boost::system::errc::io_error). Must not block: post onwards.
  std::function<void(const Result<Ack>&)> on_stored;
};

class MessageWriter {
 public:
  // Every reference must outlive the writer. Starts the writer thread.
  MessageWriter(MessageStore& messages, ConversationStore& conversations,
                NotificationQueue& notifications, Hub& hub, core::MetricsRegistry& metrics,
                std::size_t max_batch = 256);
  ~MessageWriter();
  MessageWriter(const MessageWriter&) = delete;
  MessageWriter& operator=(const MessageWriter&) = delete;

  // Queues a job; thread-safe. Jobs submitted from one thread are stored in
  // submission order. After stop(), jobs complete with operation_aborted.
  void submit(SendJob job);

  // Stores what is queued, then joins the thread. Idempotent.
  void stop();

 private:
  void run();
  void commit(std::vector<SendJob>& batch);
  void fan_out(std::vector<SendJob>& batch, const std::vector<Result<Ack>>& results);

  MessageStore& messages_;
  ConversationStore& conversations_;
  NotificationQueue& notifications_;
  Hub& hub_;
  std::size_t max_batch_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<SendJob> pending_;  // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_
  std::thread thread_;

  core::Counter& stored_;
  core::Counter& commits_;
  core::Counter& storage_failures_;
  core::Histogram& batch_sizes_;
};

}  // namespace waypost::chat
