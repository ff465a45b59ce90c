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
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "chat/accounts.hpp"
#include "chat/context.hpp"
#include "chat/hub.hpp"
#include "core/http.hpp"

namespace waypost::chat {

class WebSocketSession final : public Endpoint,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  // Takes over `stream`, whose peer is already authenticated by `grant`.
  // `context` must outlive the session. With a `connect_cursor` (the upgrade's
  // `?cursor=`), the session replays every message after it before it writes
  // any live frame, as if the client had sent `sync` before anything else.
  // The session closes itself with 1008 once the grant's token expires, and
  // the Hub closes it with 1008 when that token is revoked.
  WebSocketSession(ChatContext& context, boost::beast::tcp_stream&& stream, TokenGrant grant,
                   std::uint64_t connection_id,
                   std::optional<MessageId> connect_cursor = std::nullopt);
  ~WebSocketSession() override;

  // Accepts the upgrade `request` and serves the connection until it closes.
  // Must run on the stream's executor. Never throws for network or client faults.
  boost::asio::awaitable<void> run(core::Request& request);

  void push(Frame frame) override;
  void push_message(MessageId id, Frame frame) override;
  void close_going_away() override;
  void close_for_policy(std::string reason) override;

 private:
  using Awaitable = boost::asio::awaitable<void>;
  using CloseCode = boost::beast::websocket::close_code;

  Awaitable read_loop();
  Awaitable write_loop(std::shared_ptr<WebSocketSession> self);
  // Refreshes last_seen every options.last_seen_interval until the session ends.
  Awaitable last_seen_loop(std::shared_ptr<WebSocketSession> self);
  // Closes the session with 1008 when its token expires, unless it ended first.
  Awaitable expiry_loop(std::shared_ptr<WebSocketSession> self);
  // On the session's executor: true, after asking to close, once the token expired.
  bool close_if_token_expired();
  Awaitable handle(const std::string& text);
  Awaitable dispatch(const std::string& type, const boost::json::object& frame);

  Awaitable on_send(const boost::json::object& frame);
  Awaitable on_typing(const boost::json::object& frame);
  Awaitable on_read(const boost::json::object& frame);
  Awaitable on_sync(const boost::json::object& frame);

  // Sends every message after `cursor` that did not come, and will not come,
  // live; then `sync_done`, then the live frames held back meanwhile.
  Awaitable replay(MessageId cursor);
  // One page of sync with sender names resolved; nothing on a storage fault,
  // which is logged and counted.
  boost::asio::awaitable<std::optional<SyncPage>> fetch_sync_page(MessageId cursor, int limit);

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
  // Sends a frame from the Hub, or holds it back while a replay runs. `id` is
  // set for stored messages.
  void deliver_live(std::optional<MessageId> id, Frame frame);
  // Ends a replay: sends what was held back, except messages the replay sent.
  void release_held();
  void request_close(CloseCode code, std::string_view reason);

  ChatContext& context_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  User user_;
  std::string token_key_;  // names the token that authenticated the upgrade
  std::chrono::steady_clock::time_point token_deadline_;  // when that token expires
  std::uint64_t connection_id_;
  std::uint64_t session_id_ = 0;  // the Hub's id, once attached

  std::deque<Frame> outgoing_;
  boost::asio::steady_timer wake_writer_;   // cancelled when there is something to do
  boost::asio::steady_timer space_;         // cancelled when the queue drains
  boost::asio::steady_timer seen_timer_;    // next periodic last_seen write
  boost::asio::steady_timer expiry_timer_;  // fires when the token expires
  std::optional<boost::beast::websocket::close_reason> close_;  // to send, then stop writing
  bool reading_done_ = false;

  // Reconnect sync. Live messages form a suffix of ids from first_live_ on
  // (the Hub fans out in commit order), so sync replays only ids below it and
  // holds live frames back while it runs, keeping the client's view in id order.
  // A message is committed before it is fanned out, so a replay may read one
  // whose live copy is still on its way: replayed_through_ drops that copy.
  struct HeldFrame {
    std::optional<MessageId> id;  // set for stored messages
    Frame frame;
  };
  std::optional<MessageId> connect_cursor_;
  std::optional<MessageId> first_live_;
  MessageId replayed_through_{0};  // largest id a replay has sent
  bool syncing_ = false;
  std::deque<HeldFrame> held_;
  std::unordered_map<UserId, std::string> names_;  // sender names seen by sync
};

}  // namespace waypost::chat
