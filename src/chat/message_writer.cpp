#include "chat/message_writer.hpp"

#include <boost/system/errc.hpp>
#include <map>

#include "chat/wire.hpp"
#include "core/logging.hpp"
#include "core/sqlite.hpp"

namespace waypost::chat {

MessageWriter::MessageWriter(MessageStore& messages, ConversationStore& conversations,
                             NotificationQueue& notifications, Hub& hub,
                             core::MetricsRegistry& metrics, std::size_t max_batch)
    : messages_(messages),
      conversations_(conversations),
      notifications_(notifications),
      hub_(hub),
      max_batch_(max_batch),
      stored_(metrics.counter("chat_messages_stored_total", "Messages durably stored.")),
      commits_(metrics.counter("chat_message_commits_total",
                               "Group commits (one transaction each) of sent messages.")),
      storage_failures_(metrics.counter("chat_message_commit_failures_total",
                                        "Group commits that failed with a storage fault.")),
      batch_sizes_(metrics.histogram("chat_message_batch_size", "Messages per group commit.", "",
                                     {1, 2, 4, 8, 16, 32, 64, 128, 256})) {
  thread_ = std::thread([this] { run(); });
}

MessageWriter::~MessageWriter() {
  stop();
}

void MessageWriter::submit(SendJob job) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      pending_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  job.on_stored(boost::system::error_code(boost::system::errc::operation_canceled,
                                          boost::system::generic_category()));
}

void MessageWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void MessageWriter::run() {
  std::vector<SendJob> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) {
        return;  // stopping, and everything queued is stored
      }
      // Whatever arrived during the previous commit goes into this one.
      auto take = std::min(pending_.size(), max_batch_);
      batch.assign(std::make_move_iterator(pending_.begin()),
                   std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(take)));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(take));
    }
    commit(batch);
    batch.clear();
  }
}

void MessageWriter::commit(std::vector<SendJob>& batch) {
  std::vector<AppendRequest> requests;
  requests.reserve(batch.size());
  for (const auto& job : batch) {
    requests.push_back(job.request);
  }

  std::vector<Result<Ack>> results;
  try {
    results = messages_.append_batch(requests);
  } catch (const core::sqlite::DatabaseError& error) {
    // Nothing of the batch was stored; each sender is told and may retry with
    // the same client_message_id.
    storage_failures_.increment();
    core::logger("chat")->error("storing {} messages failed: {}", batch.size(), error.what());
    auto failed =
        boost::system::error_code(boost::system::errc::io_error, boost::system::generic_category());
    for (auto& job : batch) {
      job.on_stored(failed);
    }
    return;
  }

  commits_.increment();
  batch_sizes_.observe(static_cast<double>(batch.size()));
  fan_out(batch, results);
}

void MessageWriter::fan_out(std::vector<SendJob>& batch, const std::vector<Result<Ack>>& results) {
  // Members once per conversation of this batch.
  std::map<ConversationId, std::vector<Member>> members;
  std::vector<NotificationRequest> notifications;

  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& job = batch[i];
    const auto& result = results[i];
    if (!result || result->duplicate) {
      job.on_stored(result);
      continue;
    }
    stored_.increment();

    const auto& request = job.request;
    auto [entry, inserted] = members.try_emplace(request.conversation);
    if (inserted) {
      try {
        auto found = conversations_.members(request.conversation);
        if (found) {
          entry->second = std::move(*found);
        }
      } catch (const core::sqlite::DatabaseError& error) {
        // The message is stored; members will find it through sync or history.
        core::logger("chat")->error("members of {} unavailable for fan-out: {}",
                                    to_int(request.conversation), error.what());
      }
    }

    std::vector<UserId> member_ids;
    std::string sender_name;
    for (const auto& member : entry->second) {
      member_ids.push_back(member.user);
      if (member.user == request.sender) {
        sender_name = member.username;
      }
    }

    Message message{result->id,     request.conversation,      result->seq,
                    request.sender, request.client_message_id, request.text,
                    result->sent_at};
    auto body = wire::message(message, sender_name);
    body["type"] = "message";
    auto frame = make_frame(wire::frame(body));
    auto offline =
        hub_.deliver_message(member_ids, request.sender, message.id, frame, job.origin_session);
    // Acknowledge only once the message is on its way to every session open
    // now: a client that sees the ack and then connects another device gets
    // the message through sync on that device, never live before older ones.
    job.on_stored(result);
    for (auto user : offline) {
      notifications.push_back({user, request.conversation, result->seq});
    }
  }

  if (notifications.empty()) {
    return;
  }
  try {
    notifications_.enqueue(notifications);
  } catch (const core::sqlite::DatabaseError& error) {
    core::logger("chat")->error("queueing {} notifications failed: {}", notifications.size(),
                                error.what());
  }
}

}  // namespace waypost::chat
