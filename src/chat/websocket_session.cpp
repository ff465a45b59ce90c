#include "chat/websocket_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>

#include "chat/wire.hpp"
#include "core/logging.hpp"
#include "core/sqlite.hpp"

namespace waypost::chat {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

const json::string* string_field(const json::object& frame, std::string_view name) {
  auto* value = frame.if_contains(name);
  return value != nullptr ? value->if_string() : nullptr;
}

std::optional<std::int64_t> int_field(const json::object& frame, std::string_view name) {
  auto* value = frame.if_contains(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_int64()) {
    return value->get_int64();
  }
  if (value->is_uint64() && value->get_uint64() <= INT64_MAX) {
    return static_cast<std::int64_t>(value->get_uint64());
  }
  return std::nullopt;
}

// Ends of a connection that are part of normal life, not worth a warning.
bool is_expected_ending(const beast::error_code& ec) {
  return ec == websocket::error::closed || ec == beast::error::timeout || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::broken_pipe;
}

Frame presence_frame(const User& user, bool online) {
  json::value last_seen = nullptr;
  if (user.last_seen) {
    last_seen = wire::millis(*user.last_seen);
  }
  return make_frame(wire::frame({{"type", "presence"},
                                 {"user", user.username},
                                 {"user_id", to_int(user.id)},
                                 {"online", online},
                                 {"last_seen", last_seen}}));
}

}  // namespace

WebSocketSession::WebSocketSession(ChatContext& context, beast::tcp_stream&& stream,
                                   TokenGrant grant, std::uint64_t connection_id,
                                   std::optional<MessageId> connect_cursor)
    : context_(context),
      ws_(std::move(stream)),
      user_(std::move(grant.user)),
      token_key_(std::move(grant.key)),
      // The store's clock may differ from the steady clock, so carry over the
      // token's remaining lifetime rather than its absolute expiry.
      token_deadline_(std::chrono::steady_clock::now() + (grant.expires_at - grant.checked_at)),
      connection_id_(connection_id),
      wake_writer_(ws_.get_executor()),
      space_(ws_.get_executor()),
      seen_timer_(ws_.get_executor()),
      expiry_timer_(ws_.get_executor()),
      connect_cursor_(connect_cursor) {
  context_.metrics.sessions.add(1);
}

WebSocketSession::~WebSocketSession() {
  context_.metrics.sessions.add(-1);
}

asio::awaitable<void> WebSocketSession::run(core::Request& request) {
  auto log = core::logger("chat");

  // Beast pings an idle client at half the timeout and drops it when nothing
  // at all arrived for the whole timeout; that is the heartbeat.
  ws_.set_option(websocket::stream_base::timeout{context_.options.handshake_timeout,
                                                 context_.options.heartbeat_timeout, true});
  ws_.read_message_max(context_.options.max_frame_bytes);
  ws_.text(true);
  // The handshake answer names the server like every HTTP answer, not the library.
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(boost::beast::http::field::server, "waypost");
  }));
  auto [accept_ec] = co_await ws_.async_accept(request, kNoThrow);
  if (accept_ec) {
    log->debug("connection {}: handshake failed: {}", connection_id_, accept_ec.message());
    co_return;
  }

  context_.metrics.sessions_opened.increment();
  // Hold live frames from the moment of attaching, so that none can overtake
  // the replay of older messages.
  syncing_ = connect_cursor_.has_value();
  auto attachment = context_.hub.attach(user_.id, shared_from_this(), token_key_);
  session_id_ = attachment.session_id;
  log->debug("connection {}: session {} of user {}", connection_id_, session_id_, user_.username);
  asio::co_spawn(ws_.get_executor(), write_loop(shared_from_this()), asio::detached);
  asio::co_spawn(ws_.get_executor(), last_seen_loop(shared_from_this()), asio::detached);
  asio::co_spawn(ws_.get_executor(), expiry_loop(shared_from_this()), asio::detached);

  try {
    if (connect_cursor_) {
      co_await replay(*connect_cursor_);
    }
    co_await announce_presence(true);
    co_await read_loop();
  } catch (const std::exception& error) {
    context_.metrics.storage_errors.increment();
    log->error("connection {}: session failed: {}", connection_id_, error.what());
  }

  reading_done_ = true;
  wake_writer_.cancel();
  space_.cancel();
  seen_timer_.cancel();
  expiry_timer_.cancel();
  bool went_offline = context_.hub.detach(user_.id, session_id_);
  try {
    if (went_offline) {
      co_await announce_presence(false);
    }
  } catch (const std::exception& error) {
    log->error("connection {}: presence update failed: {}", connection_id_, error.what());
  }
  log->debug("connection {}: session {} ended", connection_id_, session_id_);
}

asio::awaitable<void> WebSocketSession::read_loop() {
  beast::flat_buffer buffer;
  while (true) {
    auto [ec, bytes] = co_await ws_.async_read(buffer, kNoThrow);
    if (ec) {
      if (!is_expected_ending(ec)) {
        core::logger("chat")->debug("connection {}: read ended: {}", connection_id_, ec.message());
      }
      co_return;
    }

    if (!ws_.got_text()) {
      buffer.consume(buffer.size());
      context_.metrics.rejected_frames.increment();
      send_error("binary_not_supported", "Send frames as JSON text.");
      continue;
    }
    auto text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    // A closing session answers nothing more; reading goes on only to see
    // the client's half of the closing handshake.
    if (close_ || close_if_token_expired()) {
      continue;
    }
    co_await handle(text);
  }
}

asio::awaitable<void> WebSocketSession::write_loop(std::shared_ptr<WebSocketSession> self) {
  const auto low_water = context_.options.max_outgoing_frames / 2;
  while (!reading_done_) {
    if (close_) {
      auto reason = *close_;
      co_await ws_.async_close(reason, kNoThrow);
      co_return;
    }
    if (outgoing_.empty()) {
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_writer_.async_wait(kNoThrow);
      continue;
    }

    Frame next = std::move(outgoing_.front());
    outgoing_.pop_front();
    auto [ec, bytes] = co_await ws_.async_write(asio::buffer(*next), kNoThrow);
    if (ec) {
      co_return;
    }
    if (outgoing_.size() <= low_water) {
      space_.cancel();
    }
  }
  (void)self;  // kept the session alive until here
}

asio::awaitable<void> WebSocketSession::last_seen_loop(std::shared_ptr<WebSocketSession> self) {
  const auto interval = context_.options.last_seen_interval;
  if (interval <= std::chrono::milliseconds::zero()) {
    co_return;
  }
  while (!reading_done_) {
    seen_timer_.expires_after(interval);
    co_await seen_timer_.async_wait(kNoThrow);
    if (reading_done_) {
      break;
    }

    auto record = [this] { return context_.accounts.record_seen(user_.id); };
    try {
      co_await context_.storage.run(std::move(record));
    } catch (const core::sqlite::DatabaseError& error) {
      // Presence stays right in memory; only the stored time lags behind.
      context_.metrics.storage_errors.increment();
      core::logger("chat")->warn("connection {}: last_seen not recorded: {}", connection_id_,
                                 error.what());
    }
  }
  (void)self;  // kept the session alive until here
}

asio::awaitable<void> WebSocketSession::expiry_loop(std::shared_ptr<WebSocketSession> self) {
  while (!reading_done_ && !close_) {
    expiry_timer_.expires_at(token_deadline_);
    co_await expiry_timer_.async_wait(kNoThrow);
    if (reading_done_ || close_if_token_expired()) {
      break;
    }
  }
  (void)self;  // kept the session alive until here
}

bool WebSocketSession::close_if_token_expired() {
  if (std::chrono::steady_clock::now() < token_deadline_) {
    return false;
  }
  if (!reading_done_ && !close_) {
    core::logger("chat")->debug("connection {}: token expired", connection_id_);
    request_close(websocket::close_code::policy_error, "token expired");
  }
  return true;
}

asio::awaitable<void> WebSocketSession::handle(const std::string& text) {
  boost::system::error_code ec;
  auto parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) {
    context_.metrics.rejected_frames.increment();
    send_error("malformed_frame", "A frame must be one JSON object.");
    co_return;
  }
  const auto& frame = parsed.get_object();
  auto* type = string_field(frame, "type");
  if (type == nullptr) {
    context_.metrics.rejected_frames.increment();
    send_error("missing_field", "A frame needs a string field 'type'.");
    co_return;
  }

  std::string type_name(*type);
  try {
    co_await dispatch(type_name, frame);
  } catch (const core::sqlite::DatabaseError& error) {
    context_.metrics.storage_errors.increment();
    core::logger("chat")->error("connection {}: '{}' failed: {}", connection_id_, type_name,
                                error.what());
    send_error("internal_error", "The server failed to handle this frame; try again.");
  }
}

asio::awaitable<void> WebSocketSession::dispatch(const std::string& type,
                                                 const json::object& frame) {
  if (type == "send") {
    co_await on_send(frame);
  } else if (type == "typing") {
    co_await on_typing(frame);
  } else if (type == "read") {
    co_await on_read(frame);
  } else if (type == "sync") {
    co_await on_sync(frame);
  } else if (type == "ping") {
    enqueue(make_frame(R"({"type":"pong"})"));
  } else {
    context_.metrics.rejected_frames.increment();
    send_error("unknown_type", "Unknown frame type '" + type + "'.");
  }
}

asio::awaitable<void> WebSocketSession::on_send(const json::object& frame) {
  auto* client_id = string_field(frame, "client_message_id");
  auto* text = string_field(frame, "text");
  auto conversation = int_field(frame, "conversation_id");
  auto* to_username = string_field(frame, "to_username");
  if (client_id == nullptr || text == nullptr || (!conversation && to_username == nullptr)) {
    context_.metrics.rejected_frames.increment();
    send_error("missing_field",
               "'send' needs client_message_id, text and conversation_id or to_username.",
               client_id != nullptr ? std::string_view(*client_id) : std::string_view());
    co_return;
  }
  std::string id(*client_id);
  if (conversation && to_username != nullptr) {
    // Two addresses could disagree; refuse rather than pick one.
    context_.metrics.rejected_frames.increment();
    send_error("invalid_field", "'send' takes conversation_id or to_username, not both.", id);
    co_return;
  }

  if (text->size() > context_.options.max_text_bytes) {
    send_error(
        "text_too_long",
        "Message text is limited to " + std::to_string(context_.options.max_text_bytes) + " bytes.",
        id);
    co_return;
  }
  if (!context_.send_limiter.try_acquire(user_.id)) {
    context_.metrics.rate_limited.increment();
    send_error("rate_limited", "Too many messages; slow down and retry.", id);
    co_return;
  }

  // Addressing a user means their direct conversation, created on first use.
  ConversationId target{conversation.value_or(0)};
  if (!conversation) {
    std::string peer_name(*to_username);
    auto resolve = [this, &peer_name]() -> Result<Conversation> {
      auto peer = context_.accounts.find_user_by_name(peer_name);
      if (!peer) {
        return make_error_code(Errc::kNoSuchUser);
      }
      return context_.conversations.find_or_create_direct(user_.id, peer->id);
    };
    auto direct = co_await context_.storage.run(std::move(resolve));
    if (!direct) {
      send_error(wire::describe(direct.error()).code, wire::describe(direct.error()).message, id);
      co_return;
    }
    target = direct->id;
  }

  auto self = shared_from_this();
  auto executor = ws_.get_executor();
  SendJob job{AppendRequest{target, user_.id, id, std::string(*text)}, session_id_,
              [self, executor, id](const Result<Ack>& result) {
                asio::post(executor, [self, id, result] { self->on_stored(id, result); });
              }};
  context_.writer.submit(std::move(job));
}

void WebSocketSession::on_stored(const std::string& client_message_id, const Result<Ack>& result) {
  if (!result) {
    auto described = wire::describe(result.error());
    send_error(described.code, described.message, client_message_id);
    return;
  }

  const auto& ack = *result;
  if (!ack.duplicate && !first_live_) {
    // A new message is fanned out after this session attached, so it starts
    // the live suffix just as a delivered message would.
    first_live_ = ack.id;
  }
  enqueue(make_frame(wire::frame({{"type", "ack"},
                                  {"client_message_id", client_message_id},
                                  {"message_id", to_int(ack.id)},
                                  {"conversation_id", to_int(ack.conversation)},
                                  {"seq", ack.seq},
                                  {"sent_at", wire::millis(ack.sent_at)},
                                  {"duplicate", ack.duplicate}})));
}

asio::awaitable<void> WebSocketSession::on_typing(const json::object& frame) {
  auto conversation = int_field(frame, "conversation_id");
  if (!conversation) {
    context_.metrics.rejected_frames.increment();
    send_error("missing_field", "'typing' needs conversation_id.");
    co_return;
  }
  if (!context_.typing_limiter.try_acquire(user_.id)) {
    context_.metrics.rate_limited.increment();
    co_return;  // typing is advisory: drop the excess silently
  }

  ConversationId id{*conversation};
  auto load = [this, id]() -> std::vector<UserId> {
    std::vector<UserId> others;
    if (!context_.conversations.is_member(user_.id, id)) {
      return others;
    }
    for (const auto& member : context_.conversations.members(id).value()) {
      if (member.user != user_.id) {
        others.push_back(member.user);
      }
    }
    return others;
  };
  auto recipients = co_await context_.storage.run(std::move(load));
  if (recipients.empty()) {
    co_return;
  }
  auto typing = make_frame(wire::frame({{"type", "typing"},
                                        {"conversation_id", *conversation},
                                        {"user", user_.username},
                                        {"user_id", to_int(user_.id)}}));
  context_.hub.send_to_users(recipients, typing);
}

asio::awaitable<void> WebSocketSession::on_read(const json::object& frame) {
  auto conversation = int_field(frame, "conversation_id");
  auto seq = int_field(frame, "seq");
  if (!conversation || !seq) {
    context_.metrics.rejected_frames.increment();
    send_error("missing_field", "'read' needs conversation_id and seq.");
    co_return;
  }

  struct Outcome {
    Result<ReadMark> mark;
    std::vector<UserId> members;
  };
  ConversationId id{*conversation};
  Seq position = *seq;
  auto mark = [this, id, position]() -> Outcome {
    Outcome outcome{context_.conversations.mark_read(user_.id, id, position), {}};
    if (outcome.mark) {
      for (const auto& member : context_.conversations.members(id).value()) {
        outcome.members.push_back(member.user);
      }
    }
    return outcome;
  };
  auto outcome = co_await context_.storage.run(std::move(mark));
  if (!outcome.mark) {
    auto described = wire::describe(outcome.mark.error());
    send_error(described.code, described.message);
    co_return;
  }

  // Every member's sessions learn the new position, the reader's own devices included.
  auto receipt = make_frame(wire::frame({{"type", "read"},
                                         {"conversation_id", *conversation},
                                         {"user", user_.username},
                                         {"user_id", to_int(user_.id)},
                                         {"seq", outcome.mark->last_read_seq}}));
  context_.hub.send_to_users(outcome.members, receipt);
}

asio::awaitable<void> WebSocketSession::on_sync(const json::object& frame) {
  auto cursor = int_field(frame, "cursor");
  if (!cursor || *cursor < 0) {
    context_.metrics.rejected_frames.increment();
    send_error("missing_field", "'sync' needs a cursor (0 or a message_id).");
    co_return;
  }
  co_await replay(MessageId{*cursor});
}

asio::awaitable<void> WebSocketSession::replay(MessageId cursor) {
  syncing_ = true;
  MessageId last_sent = cursor;
  int page_size = std::max(1, std::min(context_.options.sync_page_size,
                                       static_cast<int>(context_.options.max_outgoing_frames / 4)));
  bool more = true;
  std::vector<ConversationId> gaps_reported;
  while (more && !reading_done_) {
    auto page = co_await fetch_sync_page(cursor, page_size);
    if (!page) {
      send_error("internal_error", "Sync failed; sync again from the cursor of sync_done.");
      break;
    }

    for (const auto& gap : page->gaps) {
      if (std::find(gaps_reported.begin(), gaps_reported.end(), gap.conversation) ==
          gaps_reported.end()) {
        gaps_reported.push_back(gap.conversation);
        enqueue(make_frame(wire::frame({{"type", "gap"},
                                        {"conversation_id", to_int(gap.conversation)},
                                        {"first_available_seq", gap.first_available_seq}})));
      }
    }
    for (const auto& message : page->messages) {
      if (first_live_ && message.id >= *first_live_) {
        more = false;  // from here on everything came, or comes, live
        break;
      }
      auto body = wire::message(message, names_[message.sender]);
      body["type"] = "message";
      enqueue(make_frame(wire::frame(body)));
      last_sent = message.id;
      replayed_through_ = std::max(replayed_through_, message.id);
    }
    cursor = page->next_cursor;
    more = more && page->has_more;
    co_await wait_for_space();
  }

  enqueue(make_frame(wire::frame({{"type", "sync_done"}, {"cursor", to_int(last_sent)}})));
  release_held();
}

asio::awaitable<std::optional<SyncPage>> WebSocketSession::fetch_sync_page(MessageId cursor,
                                                                           int limit) {
  auto fetch = [this, cursor, limit] {
    auto page = context_.messages.messages_after(user_.id, cursor, limit);
    if (page) {
      for (const auto& message : page->messages) {
        if (!names_.contains(message.sender)) {
          auto sender = context_.accounts.find_user(message.sender);
          names_[message.sender] = sender ? sender->username : std::string();
        }
      }
    }
    return page;
  };
  try {
    auto page = co_await context_.storage.run(std::move(fetch));
    if (page) {
      co_return std::move(*page);
    }
    core::logger("chat")->error("connection {}: sync failed: {}", connection_id_,
                                page.error().message());
  } catch (const core::sqlite::DatabaseError& error) {
    context_.metrics.storage_errors.increment();
    core::logger("chat")->error("connection {}: sync failed: {}", connection_id_, error.what());
  }
  co_return std::nullopt;
}

asio::awaitable<void> WebSocketSession::wait_for_space() {
  while (!reading_done_ && !close_ && outgoing_.size() > context_.options.max_outgoing_frames / 2) {
    space_.expires_at(asio::steady_timer::time_point::max());
    co_await space_.async_wait(kNoThrow);
  }
}

asio::awaitable<void> WebSocketSession::announce_presence(bool online) {
  struct Snapshot {
    std::optional<User> self;
    std::vector<UserId> contacts;
    std::vector<User> online_contacts;
  };
  auto load = [this, online] {
    context_.accounts.record_seen(user_.id);
    Snapshot snapshot{
        context_.accounts.find_user(user_.id), context_.contacts.contacts(user_.id), {}};
    if (online) {
      for (auto contact : snapshot.contacts) {
        if (context_.hub.is_online(contact)) {
          if (auto found = context_.accounts.find_user(contact)) {
            snapshot.online_contacts.push_back(std::move(*found));
          }
        }
      }
    }
    return snapshot;
  };
  auto snapshot = co_await context_.storage.run(std::move(load));
  if (!snapshot.self) {
    co_return;
  }

  context_.hub.send_to_users(snapshot.contacts, presence_frame(*snapshot.self, online));
  for (const auto& contact : snapshot.online_contacts) {
    enqueue(presence_frame(contact, true));
  }
}

void WebSocketSession::push(Frame frame) {
  auto self = shared_from_this();
  asio::post(ws_.get_executor(), [self, frame] { self->deliver_live(std::nullopt, frame); });
}

void WebSocketSession::push_message(MessageId id, Frame frame) {
  auto self = shared_from_this();
  asio::post(ws_.get_executor(), [self, id, frame] { self->on_live_message(id, frame); });
}

void WebSocketSession::close_going_away() {
  auto self = shared_from_this();
  asio::post(ws_.get_executor(), [self] {
    self->request_close(websocket::close_code::going_away, "server shutting down");
  });
}

void WebSocketSession::close_for_policy(std::string reason) {
  auto self = shared_from_this();
  asio::post(ws_.get_executor(),
             [self, reason] { self->request_close(websocket::close_code::policy_error, reason); });
}

void WebSocketSession::on_live_message(MessageId id, Frame frame) {
  if (!first_live_) {
    first_live_ = id;
  }
  if (id <= replayed_through_) {
    return;  // committed before a replay read it, so the client has it already
  }
  deliver_live(id, std::move(frame));
}

void WebSocketSession::deliver_live(std::optional<MessageId> id, Frame frame) {
  if (!syncing_) {
    enqueue(std::move(frame));
    return;
  }
  if (held_.size() >= context_.options.max_outgoing_frames) {
    context_.metrics.slow_consumers.increment();
    request_close(websocket::close_code::policy_error, "too far behind");
    return;
  }
  held_.push_back({id, std::move(frame)});
}

void WebSocketSession::release_held() {
  syncing_ = false;
  while (!held_.empty()) {
    auto next = std::move(held_.front());
    held_.pop_front();
    if (next.id && *next.id <= replayed_through_) {
      continue;  // the replay read it after it was held
    }
    enqueue(std::move(next.frame));
  }
}

void WebSocketSession::enqueue(Frame frame) {
  if (reading_done_ || close_) {
    return;
  }
  if (outgoing_.size() >= context_.options.max_outgoing_frames) {
    // The client reads slower than it is sent to: rather than buffer without
    // bound, close it; it resumes with a sync after reconnecting.
    context_.metrics.slow_consumers.increment();
    core::logger("chat")->warn("connection {}: closing slow consumer with {} frames queued",
                               connection_id_, outgoing_.size());
    request_close(websocket::close_code::policy_error, "too far behind");
    return;
  }
  outgoing_.push_back(std::move(frame));
  wake_writer_.cancel();
}

void WebSocketSession::send_error(std::string_view code, std::string_view message,
                                  std::string_view client_message_id) {
  enqueue(make_frame(wire::error_frame(code, message, client_message_id)));
}

void WebSocketSession::request_close(CloseCode code, std::string_view reason) {
  if (close_ || reading_done_) {
    return;
  }
  close_ = websocket::close_reason(code, reason);
  outgoing_.clear();
  wake_writer_.cancel();
  space_.cancel();
}

}  // namespace waypost::chat
