#include "connection.hpp"

namespace loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kConnectTimeout{10};
constexpr std::chrono::seconds kHandshakeTimeout{30};

std::string join(const std::vector<std::string>& names, const std::vector<int>& picks) {
  std::string out;
  for (int pick : picks) {
    out += out.empty() ? "" : ",";
    out += names[pick];
  }
  return out;
}

}  // namespace

Connection::Connection(asio::any_io_executor executor, Shared& shared, int index)
    : shared_(shared),
      index_(index),
      user_(index % shared.options.users),
      ws_(executor),
      outbox_ready_(executor) {}

asio::awaitable<bool> Connection::open() {
  auto& tcp = beast::get_lowest_layer(ws_);
  tcp.expires_after(kConnectTimeout);
  auto [connect_ec] = co_await tcp.async_connect(shared_.server, kNoThrow);
  if (connect_ec) {
    ++shared_.error_codes["connect: " + connect_ec.message()];
    co_return false;
  }
  tcp.socket().set_option(asio::ip::tcp::no_delay(true));
  tcp.expires_never();

  if (!co_await handshake()) {
    co_return false;
  }
  open_ = true;
  ++shared_.sessions[user_];
  auto executor = ws_.get_executor();
  asio::co_spawn(executor, read_loop(), asio::detached);
  asio::co_spawn(executor, write_loop(), asio::detached);
  co_return true;
}

asio::awaitable<bool> Connection::handshake() {
  websocket::stream_base::timeout timeouts{kHandshakeTimeout, websocket::stream_base::none(),
                                           false};
  ws_.set_option(timeouts);
  ws_.text(true);
  const auto& options = shared_.options;
  std::string host = options.host + ":" + std::to_string(options.port);
  std::string target = "/ws";
  if (options.protocol == Protocol::waypost) {
    std::string authorization = "Bearer " + shared_.population.tokens[user_];
    auto decorate = [authorization](websocket::request_type& request) {
      request.set(beast::http::field::authorization, authorization);
    };
    ws_.set_option(websocket::stream_base::decorator(decorate));
  } else {
    target = socketio_target();
  }

  websocket::response_type response;
  auto [ec] = co_await ws_.async_handshake(response, host, target, kNoThrow);
  if (ec) {
    auto status = response.result_int();
    ++shared_.error_codes["websocket handshake: " +
                          (status != 0 ? "HTTP " + std::to_string(status) : ec.message())];
    co_return false;
  }
  if (options.protocol == Protocol::socketio) {
    co_return co_await join_socketio_namespace();
  }
  co_return true;
}

std::string Connection::socketio_target() const {
  const auto& population = shared_.population;
  return "/socket.io/?EIO=4&transport=websocket&user=" + population.users[user_] +
         "&groups=" + join(population.group_rooms, population.user_groups[user_]);
}

// Engine.IO sends its open packet first; the client then asks for the default namespace and
// may emit events only once the server has accepted it.
asio::awaitable<bool> Connection::join_socketio_namespace() {
  std::string text;
  bool have_packet = co_await read_text(text);
  auto first = decode(Protocol::socketio, text);
  if (!have_packet || first.kind != Incoming::Kind::engine_open) {
    ++shared_.error_codes["socket.io: no Engine.IO open packet"];
    co_return false;
  }
  std::string connect(kSocketIoConnect);
  auto [write_ec, written] = co_await ws_.async_write(asio::buffer(connect), kNoThrow);
  while (!write_ec && co_await read_text(text)) {
    auto incoming = decode(Protocol::socketio, text);
    if (incoming.kind == Incoming::Kind::connected) {
      co_return true;
    }
    if (incoming.kind == Incoming::Kind::engine_ping) {
      std::string pong(kEnginePong);
      co_await ws_.async_write(asio::buffer(pong), kNoThrow);
    } else if (incoming.kind != Incoming::Kind::other) {
      break;
    }
  }
  ++shared_.error_codes["socket.io: namespace connect refused or lost"];
  co_return false;
}

asio::awaitable<bool> Connection::read_text(std::string& out) {
  read_buffer_.clear();
  auto [ec, read] = co_await ws_.async_read(read_buffer_, kNoThrow);
  if (ec) {
    co_return false;
  }
  out = beast::buffers_to_string(read_buffer_.cdata());
  co_return true;
}

asio::awaitable<void> Connection::read_loop() {
  for (;;) {
    read_buffer_.clear();
    auto [ec, read] = co_await ws_.async_read(read_buffer_, kNoThrow);
    if (ec) {
      on_lost(ec);
      co_return;
    }
    auto data = read_buffer_.cdata();
    handle(std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
}

// The only coroutine that writes data frames: Beast allows one write in flight.
asio::awaitable<void> Connection::write_loop() {
  while (!closing_) {
    if (outbox_.empty()) {
      outbox_ready_.expires_at(Clock::time_point::max());
      co_await outbox_ready_.async_wait(kNoThrow);
      continue;
    }
    auto& frame = outbox_.front();
    auto [ec, written] = co_await ws_.async_write(asio::buffer(frame), kNoThrow);
    outbox_.pop_front();
    if (ec) {
      co_return;  // the reader sees the same failure and records it
    }
  }
}

void Connection::enqueue(std::string frame) {
  outbox_.push_back(std::move(frame));
  outbox_ready_.cancel();
}

asio::awaitable<void> Connection::pace(Step& step, double connections_sending) {
  using std::chrono::nanoseconds;
  auto interval = nanoseconds(static_cast<std::int64_t>(1e9 * connections_sending / step.rate));
  std::uniform_int_distribution<std::int64_t> phase(0, interval.count());
  auto next = step.start + nanoseconds(phase(shared_.random));
  asio::steady_timer timer(ws_.get_executor());
  auto cap = static_cast<std::uint64_t>(shared_.options.max_messages);

  while (open_ && !closing_) {
    timer.expires_at(next);
    co_await timer.async_wait(kNoThrow);
    if (!open_ || Clock::now() >= step.measure_end ||
        (cap != 0 && shared_.sends_all_steps >= cap)) {
      co_return;
    }
    send_one(step);
    next += interval;
  }
}

void Connection::send_one(Step& step) {
  if (pending_.size() >= static_cast<std::size_t>(shared_.options.max_inflight)) {
    ++step.skipped;
    return;
  }
  const auto& population = shared_.population;
  const auto& groups = population.user_groups[user_];
  std::uniform_real_distribution<double> coin(0, 1);
  bool private_message = groups.empty() || coin(shared_.random) < shared_.options.private_share;

  auto now = to_ns(Clock::now());
  SendFrame frame{.run_tag = shared_.run_tag,
                  .connection = index_,
                  .seq = next_seq_++,
                  .conversation_id = 0,
                  .sent_ns = now,
                  .text_bytes = shared_.options.text_bytes};
  // Everyone who should receive it: every open session of every recipient, and the
  // sender's other sessions, but never the sending session itself.
  int expected = shared_.sessions[user_] - 1;
  if (private_message) {
    const auto& peers = population.contacts[user_];
    int peer = peers[shared_.random() % peers.size()];
    frame.to_user = population.users[peer];
    expected += shared_.sessions[peer];
  } else {
    int group = groups[shared_.random() % groups.size()];
    frame.conversation_id = population.conversation_ids[group];
    frame.group = population.group_rooms[group];
    for (int member : population.members[group]) {
      expected += member == user_ ? 0 : shared_.sessions[member];
    }
  }

  pending_[frame.seq] = Pending{now, static_cast<std::uint32_t>(std::max(expected, 0))};
  ++step.sends_total;
  ++shared_.sends_all_steps;
  if (step.measures(now)) {
    ++step.sent;
    step.expected_deliveries += static_cast<std::uint64_t>(std::max(expected, 0));
  }
  enqueue(encode_send(shared_.options.protocol, frame));
}

void Connection::handle(std::string_view text) {
  auto incoming = decode(shared_.options.protocol, text);
  switch (incoming.kind) {
    case Incoming::Kind::message:
      on_message(incoming);
      break;
    case Incoming::Kind::ack:
      on_ack(incoming.seq);
      break;
    case Incoming::Kind::error:
    case Incoming::Kind::connect_error:
      on_error(incoming);
      break;
    case Incoming::Kind::engine_ping:
      enqueue(std::string(kEnginePong));
      break;
    case Incoming::Kind::malformed:
      ++shared_.malformed_frames;
      break;
    default:
      ++shared_.other_frames;
      break;
  }
}

void Connection::on_message(const Incoming& incoming) {
  if (incoming.sent_ns == 0) {
    ++shared_.foreign_messages;
    return;
  }
  auto now = to_ns(Clock::now());
  if (auto* window = shared_.step_measuring(now)) {
    ++window->received_in_window;
  }
  auto* step = shared_.step_measuring(incoming.sent_ns);
  if (step == nullptr) {
    ++shared_.unmeasured_deliveries;
    return;
  }
  ++step->delivered;
  step->latency_ns.push_back(now - incoming.sent_ns);
}

void Connection::on_ack(std::uint64_t seq) {
  auto found = pending_.find(seq);
  if (found == pending_.end()) {
    ++shared_.unknown_acks;
    return;
  }
  if (auto* step = shared_.step_measuring(found->second.sent_ns)) {
    ++step->acked;
    step->ack_latency_ns.push_back(to_ns(Clock::now()) - found->second.sent_ns);
  }
  pending_.erase(found);
}

// A refused send will not be delivered, so it leaves the expected count too.
void Connection::on_error(const Incoming& incoming) {
  ++shared_.error_codes["error frame: " + incoming.code];
  auto found = pending_.find(incoming.seq);
  if (found == pending_.end()) {
    return;
  }
  if (auto* step = shared_.step_measuring(found->second.sent_ns)) {
    ++step->send_errors;
    step->expected_deliveries -= found->second.expected;
  }
  pending_.erase(found);
}

void Connection::on_lost(const boost::system::error_code& ec) {
  if (open_) {
    open_ = false;
    --shared_.sessions[user_];
  }
  if (!closing_) {
    ++shared_.disconnects;
    auto reason = ws_.reason();
    auto text = reason.code != websocket::close_code::none
                    ? "close " + std::to_string(reason.code) + " " +
                          std::string(reason.reason.data(), reason.reason.size())
                    : ec.message();
    ++shared_.close_reasons[text];
  }
  closing_ = true;
  outbox_ready_.cancel();
}

asio::awaitable<void> Connection::close() {
  if (!open_) {
    co_return;
  }
  closing_ = true;
  outbox_ready_.cancel();
  websocket::close_reason reason(websocket::close_code::normal);
  co_await ws_.async_close(reason, kNoThrow);
}

}  // namespace loadgen
