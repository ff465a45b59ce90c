// Who is connected right now: every live WebSocket session by user, the
// online/offline state derived from them, and fan-out of frames to them.
//
// Online state lives only here, in memory, so after a restart nobody appears
// online until they reconnect.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chat/types.hpp"

namespace waypost::chat {

using Frame = std::shared_ptr<const std::string>;

inline Frame make_frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

// A connected device as the hub sees it. Every method may be called from any
// thread; implementations hand the work to their own executor and return at once.
class Endpoint {
 public:
  virtual ~Endpoint() = default;

  // Queues a frame for sending.
  virtual void push(Frame frame) = 0;

  // Queues a stored message, which the endpoint may hold back while it is
  // replaying missed messages so that the client sees ids in order.
  virtual void push_message(MessageId id, Frame frame) = 0;

  // Closes the connection with 1001 (going away), e.g. at shutdown.
  virtual void close_going_away() = 0;

  // Closes the connection with 1008 (policy violation) and `reason`, e.g. when
  // the token that opened it was revoked.
  virtual void close_for_policy(std::string reason) = 0;
};

// Thread-safe: one mutex guards the registry; pushes happen outside it.
class Hub {
 public:
  struct Attachment {
    std::uint64_t session_id = 0;  // identifies the session in detach() and fan-out
    bool came_online = false;      // the user had no other session
  };

  // Registers a session of `user`, opened with the token named `token_key`
  // (see token_key() in accounts.hpp; empty: none). The hub keeps only a weak
  // reference.
  Attachment attach(UserId user, const std::shared_ptr<Endpoint>& endpoint,
                    std::string token_key = {});

  // Forgets a session; true when it was the user's last one (the user went offline).
  bool detach(UserId user, std::uint64_t session_id);

  [[nodiscard]] bool is_online(UserId user) const;

  // Pushes `frame` to every session of every user in `users`, except the
  // session `except` (0: none).
  void send_to_users(std::span<const UserId> users, const Frame& frame, std::uint64_t except = 0);

  // Pushes a stored message to every session of the members, except the
  // session that sent it. Returns the members other than `sender` who have no
  // session at all, for offline notifications.
  std::vector<UserId> deliver_message(std::span<const UserId> members, UserId sender, MessageId id,
                                      const Frame& frame, std::uint64_t except);

  // Asks every session opened with the token named `token_key` to close with
  // 1008 and `reason`; returns how many were asked. An empty key matches none.
  std::size_t close_token_sessions(std::string_view token_key, const std::string& reason);

  // Asks every session to close with 1001. Sessions detach themselves as they end.
  void close_all();

  [[nodiscard]] std::size_t online_users() const;
  [[nodiscard]] std::size_t sessions() const;

 private:
  struct Session {
    std::uint64_t id;
    std::weak_ptr<Endpoint> endpoint;
    std::string token_key;  // the token that opened it; empty when unknown
  };

  // Live endpoints of `user`, except `except`. Caller holds mutex_.
  void collect(UserId user, std::uint64_t except,
               std::vector<std::shared_ptr<Endpoint>>& out) const;

  mutable std::mutex mutex_;
  std::unordered_map<UserId, std::vector<Session>> by_user_;  // guarded by mutex_
  std::uint64_t next_session_id_ = 1;                         // guarded by mutex_
  std::size_t session_count_ = 0;                             // guarded by mutex_
};

}  // namespace waypost::chat
