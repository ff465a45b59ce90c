// One simulated client device: a WebSocket connection that sends paced chat messages and
// records the acks and deliveries it receives in the Shared state.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <string>
#include <unordered_map>

#include "load_state.hpp"

namespace loadgen {

class Connection {
 public:
  // Connection `index` belongs to user index % users. `shared` must outlive it.
  Connection(boost::asio::any_io_executor executor, Shared& shared, int index);

  // Connects, completes the WebSocket handshake (and, for Socket.IO, the Engine.IO open and
  // namespace connect), then starts reading and writing in the background. Returns false
  // (and counts the failure by kind in shared.error_codes) if any of it fails.
  boost::asio::awaitable<bool> open();

  // Sends messages at this connection's share of `step.rate` until `step.measure_end`, the
  // connection closes or --max-messages is reached. `step` must outlive the call.
  boost::asio::awaitable<void> pace(Step& step, double connections_sending);

  // Sends a normal close and waits for the closing handshake (bounded by Beast's timeout).
  boost::asio::awaitable<void> close();

  bool is_open() const { return open_; }
  std::size_t unacknowledged() const { return pending_.size(); }

 private:
  struct Pending {
    std::int64_t sent_ns = 0;
    std::uint32_t expected = 0;  // receptions the message should cause
  };

  boost::asio::awaitable<bool> handshake();
  boost::asio::awaitable<bool> join_socketio_namespace();
  boost::asio::awaitable<bool> read_text(std::string& out);
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();

  void send_one(Step& step);
  void enqueue(std::string frame);
  void handle(std::string_view text);
  void on_ack(std::uint64_t seq);
  void on_error(const Incoming& incoming);
  void on_message(const Incoming& incoming);
  void on_lost(const boost::system::error_code& ec);
  std::string socketio_target() const;

  Shared& shared_;
  int index_;
  int user_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<std::string> outbox_;                      // frames waiting for the single writer
  boost::asio::steady_timer outbox_ready_;              // cancelled to wake the writer
  std::unordered_map<std::uint64_t, Pending> pending_;  // unacknowledged sends by seq
  std::uint64_t next_seq_ = 1;
  bool open_ = false;
  bool closing_ = false;
};

}  // namespace loadgen
