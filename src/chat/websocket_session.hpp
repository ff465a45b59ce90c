// One client's WebSocket connection: parses its frames, answers them, and
// sends it what the Hub delivers.
//
// Threading: the session lives on the I/O thread of its connection. Exactly
// one reader coroutine reads frames and handles them one at a time; exactly
// one writer coroutine drains the outgoing queue, so there is never more than
// one async_write in flight. Other threads reach the session only through the
// Endpoint methods, which post to its executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/object.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "chat/context.hpp"
#include "chat/hub.hpp"
#include "core/http.hpp"

namespace waypost::chat {

class WebSocketSession final : public Endpoint,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  // Takes over `stream`, whose peer is already authenticated as `user`.
  // `context` must outlive the session.
  WebSocketSession(ChatContext& context, boost::beast::tcp_stream&& stream, User user,
                   std::uint64_t connection_id);
  ~WebSocketSession() override;

  // Accepts the upgrade `request` and serves the connection until it closes.
  // Must run on the stream's executor. Never throws for network or client faults.
  boost::asio::awaitable<void> run(core::Request& request);

  void push(Frame frame) override;
  void push_message(MessageId id, Frame frame) override;
  void close_going_away() override;

 private:
  using Awaitable = boost::asio::awaitable<void>;
  using CloseCode = boost::beast::websocket::close_code;

  Awaitable read_loop();
  Awaitable write_loop(std::shared_ptr<WebSocketSession> self);
  Awaitable handle(const std::string& text);
  Awaitable dispatch(const std::string& type, const boost::json::object& frame);

  Awaitable on_send(const boost::json::object& frame);
  Awaitable on_typing(const boost::json::object& frame);
  Awaitable on_read(const boost::json::object& frame);
  Awaitable on_sync(const boost::json::object& frame);

  // Presence: tell contacts this user came online or went offline; on coming
  // online also tell this session which contacts are online.
  Awaitable announce_presence(bool online);
  // Waits until the outgoing queue has room for another page of sync.
  Awaitable wait_for_space();

  // On the session's executor only, from here down.
  void enqueue(Frame frame);
  void send_error(std::string_view code, std::string_view message,
                  std::string_view client_message_id = {});
  void on_stored(const std::string& client_message_id, const Result<Ack>& result);
  void on_live_message(MessageId id, Frame frame);
  void request_close(CloseCode code, std::string_view reason);

  ChatContext& context_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  User user_;
  std::uint64_t connection_id_;
  std::uint64_t session_id_ = 0;  // the Hub's id, once attached

  std::deque<Frame> outgoing_;
  boost::asio::steady_timer wake_writer_;  // cancelled when there is something to do
  boost::asio::steady_timer space_;        // cancelled when the queue drains
  std::optional<boost::beast::websocket::close_reason> close_;  // to send, then stop writing
  bool reading_done_ = false;

  // Reconnect sync. Live messages form a suffix of ids from first_live_ on
  // (the Hub fans out in commit order), so sync replays only ids below it and
  // holds live messages back while it runs, keeping the client's view in id order.
  std::optional<MessageId> first_live_;
  bool syncing_ = false;
  std::deque<Frame> held_;
  std::unordered_map<UserId, std::string> names_;  // sender names seen by sync
};

}  // namespace waypost::chat
