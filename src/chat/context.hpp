// Settings and shared parts of the chat service's network layer, handed to the
// REST handlers and every WebSocket session.
#pragma once

#include <chrono>
#include <cstddef>

#include "chat/accounts.hpp"
#include "chat/contacts.hpp"
#include "chat/conversations.hpp"
#include "chat/hub.hpp"
#include "chat/message_writer.hpp"
#include "chat/messages.hpp"
#include "chat/rate_limiter.hpp"
#include "core/blocking_pool.hpp"
#include "core/metrics.hpp"

namespace waypost::chat {

struct ChatOptions {
  std::size_t max_text_bytes = 4096;                    // UTF-8 bytes of one message's text
  std::size_t max_frame_bytes = 32 * 1024;              // larger client frames close with 1009
  std::chrono::milliseconds heartbeat_timeout{30'000};  // ping at half, drop at full silence
  std::chrono::milliseconds handshake_timeout{10'000};  // opening and closing handshakes
  std::size_t max_outgoing_frames = 4096;  // a client this far behind is closed with 1008
  int sync_page_size = 200;
  // How often a connected session refreshes its user's last_seen; 0: only on
  // connect and disconnect.
  std::chrono::milliseconds last_seen_interval{60'000};
  RateLimit send_limit{20, 40};
  RateLimit typing_limit{2, 5};
};

struct ChatMetrics {
  explicit ChatMetrics(core::MetricsRegistry& registry);

  core::Gauge& sessions;
  core::Counter& sessions_opened;
  core::Counter& unauthorized_upgrades;
  core::Counter& rejected_frames;  // malformed, unknown type, missing fields
  core::Counter& rate_limited;
  core::Counter& slow_consumers;  // closed because their queue overflowed
  core::Counter& storage_errors;  // storage faults seen by handlers and sessions
};

// Everything must outlive the HTTP server and every session.
struct ChatContext {
  ChatOptions options;
  AccountStore& accounts;
  ConversationStore& conversations;
  MessageStore& messages;
  ContactDirectory& contacts;
  core::BlockingPool& storage;    // every store call except password hashing
  core::BlockingPool& passwords;  // Argon2id: few threads, bounding memory and CPU
  Hub& hub;
  MessageWriter& writer;
  RateLimiter& send_limiter;
  RateLimiter& typing_limiter;
  ChatMetrics& metrics;
};

}  // namespace waypost::chat
