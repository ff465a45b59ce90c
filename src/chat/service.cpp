#include "chat/service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <map>

#include "chat/websocket_session.hpp"
#include "chat/wire.hpp"
#include "core/logging.hpp"

namespace waypost::chat {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = core::http;
namespace json = boost::json;
using core::error_response;
using core::json_response;
using core::Request;
using core::Response;

ChatMetrics::ChatMetrics(core::MetricsRegistry& registry)
    : sessions(registry.gauge("chat_websocket_sessions", "Open WebSocket sessions.")),
      sessions_opened(
          registry.counter("chat_websocket_sessions_opened_total", "WebSocket sessions opened.")),
      unauthorized_upgrades(registry.counter("chat_websocket_unauthorized_total",
                                             "Upgrade requests refused with 401.")),
      rejected_frames(registry.counter("chat_frames_rejected_total",
                                       "Client frames answered with an error frame as malformed.")),
      rate_limited(registry.counter("chat_rate_limited_total",
                                    "Sends and typing notices refused by a rate limit.")),
      slow_consumers(registry.counter("chat_slow_consumers_closed_total",
                                      "Sessions closed because their outgoing queue overflowed.")),
      storage_errors(registry.counter("chat_storage_errors_total",
                                      "Storage faults seen while answering clients.")) {}

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// The value of query parameter `name` in the request target, if present.
std::optional<std::string> query_param(const Request& request, std::string_view name) {
  auto target = boost::urls::parse_origin_form(request.target());
  if (!target) {
    return std::nullopt;
  }
  auto params = target->params();
  auto found = params.find(name);
  if (found == params.end()) {
    return std::nullopt;
  }
  return std::string((*found).value);
}

std::string request_path(const Request& request) {
  auto target = std::string_view(request.target());
  return std::string(target.substr(0, target.find('?')));
}

// The bearer token in the Authorization header of `request`, or "".
std::string bearer_token(const Request& request) {
  std::string_view header = request[http::field::authorization];
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() > kScheme.size() && beast::iequals(header.substr(0, kScheme.size()), kScheme)) {
    return std::string(header.substr(kScheme.size()));
  }
  return {};
}

// The token of a WebSocket upgrade: the Authorization header, else `?token=`
// (browsers cannot set headers on an upgrade). REST endpoints never accept
// the query form, which would leak tokens into logs and browser history.
std::string upgrade_token(const Request& request) {
  auto token = bearer_token(request);
  return token.empty() ? query_param(request, "token").value_or("") : token;
}

// The reconnect cursor of an upgrade, `?cursor=N`: nothing when absent, an
// empty optional inside when present but not a non-negative integer.
std::optional<std::optional<MessageId>> connect_cursor(const Request& request) {
  auto text = query_param(request, "cursor");
  if (!text) {
    return std::nullopt;
  }
  auto value = parse_int(*text);
  if (!value || *value < 0) {
    return std::optional<MessageId>();
  }
  return std::optional<MessageId>(MessageId{*value});
}

// The answer to a plain request for /ws: it only speaks WebSocket.
Response upgrade_required() {
  auto response = error_response(http::status::upgrade_required, "upgrade_required",
                                 "/ws speaks WebSocket only; send an upgrade request.");
  response.set(http::field::upgrade, "websocket");
  response.set(http::field::connection, "Upgrade");
  return response;
}

// The JSON refusal of an upgrade whose handshake headers are unusable, so
// that clients see the same error shape as everywhere else (otherwise Beast
// would answer in plain text); nothing when the handshake looks valid.
std::optional<Response> handshake_problem(const Request& request) {
  std::string_view version = request[http::field::sec_websocket_version];
  if (version != "13") {
    auto response = error_response(http::status::upgrade_required, "unsupported_websocket_version",
                                   "Only WebSocket version 13 is supported.");
    response.set(http::field::sec_websocket_version, "13");
    return response;
  }
  // A key is 16 random bytes in base64: 24 characters ending in "==".
  std::string_view key = request[http::field::sec_websocket_key];
  if (key.size() != 24 || !key.ends_with("==")) {
    return error_response(http::status::bad_request, "bad_handshake",
                          "Sec-WebSocket-Key must be 16 bytes in base64.");
  }
  return std::nullopt;
}

Response unauthorized() {
  auto response = error_response(http::status::unauthorized, "unauthorized",
                                 "Send a valid token as 'Authorization: Bearer TOKEN'.");
  response.set(http::field::www_authenticate, "Bearer");
  return response;
}

// True when the Content-Type of `request` names JSON (parameters allowed).
bool is_json_content(const Request& request) {
  std::string_view type = request[http::field::content_type];
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') {
    type.remove_suffix(1);
  }
  return beast::iequals(type, "application/json");
}

// Parses a JSON object body into `out`; the 415 to answer when the body is
// not labelled as JSON, the 400 when it is not a JSON object.
std::optional<Response> read_body(const Request& request, json::object& out) {
  if (!request.body().empty() && !is_json_content(request)) {
    return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                          "Send request bodies with 'Content-Type: application/json'.");
  }
  boost::system::error_code ec;
  auto parsed = json::parse(request.body(), ec);
  if (ec || !parsed.is_object()) {
    return error_response(http::status::bad_request, "malformed_json",
                          "The request body must be a JSON object.");
  }
  out = std::move(parsed.get_object());
  return std::nullopt;
}

// A required string field, or the 400 naming it.
std::optional<Response> read_string(const json::object& body, std::string_view field,
                                    std::string& out) {
  auto* value = body.if_contains(field);
  if (value == nullptr || !value->is_string()) {
    return error_response(http::status::bad_request, "missing_field",
                          "The string field '" + std::string(field) + "' is required.");
  }
  out = std::string(value->get_string());
  return std::nullopt;
}

// Reads the {"username", "password"} body of register and login.
std::optional<Response> read_credentials(const Request& request, std::string& username,
                                         std::string& password) {
  json::object body;
  if (auto problem = read_body(request, body)) {
    return problem;
  }
  if (auto problem = read_string(body, "username", username)) {
    return problem;
  }
  return read_string(body, "password", password);
}

std::optional<ConversationId> conversation_param(const core::PathParams& params) {
  auto id = parse_int(params.get("id"));
  if (!id || *id <= 0) {
    return std::nullopt;
  }
  return ConversationId{*id};
}

Response bad_conversation_id() {
  return error_response(http::status::not_found, "no_such_conversation",
                        "There is no such conversation.");
}

// Usernames by id, loaded on demand; use on a storage thread.
class NameCache {
 public:
  explicit NameCache(AccountStore& accounts) : accounts_(accounts) {}
  const std::string& operator()(UserId id) {
    auto [entry, inserted] = names_.try_emplace(id);
    if (inserted) {
      auto user = accounts_.find_user(id);
      entry->second = user ? user->username : std::string();
    }
    return entry->second;
  }

 private:
  AccountStore& accounts_;
  std::map<UserId, std::string> names_;
};

}  // namespace

ChatService::ChatService(ChatContext& context, core::MetricsRegistry& metrics)
    : context_(context), metrics_(metrics) {}

void ChatService::register_routes(core::Router& router) {
  using V = http::verb;
  router.add("register", {V::post}, "/api/v1/register",
             [this](Request& request, auto&, auto&) { return register_user(request); });
  router.add("login", {V::post}, "/api/v1/login",
             [this](Request& request, auto&, auto&) { return login(request); });
  router.add("logout", {V::post}, "/api/v1/logout",
             [this](Request& request, auto&, auto&) { return logout(request); });
  router.add("me", {V::get}, "/api/v1/me",
             [this](Request& request, auto&, auto&) { return me(request); });
  router.add("create_group", {V::post}, "/api/v1/groups",
             [this](Request& request, auto&, auto&) { return create_group(request); });
  router.add("add_member", {V::post}, "/api/v1/groups/{id}/members",
             [this](Request& request, auto&, const Params& params) {
               return add_member(request, params);
             });
  router.add("join", {V::post}, "/api/v1/groups/{id}/join",
             [this](Request& request, auto&, const Params& params) {
               return join_or_leave(request, params, true);
             });
  router.add("leave", {V::post}, "/api/v1/groups/{id}/leave",
             [this](Request& request, auto&, const Params& params) {
               return join_or_leave(request, params, false);
             });
  router.add("conversations", {V::get}, "/api/v1/conversations",
             [this](Request& request, auto&, auto&) { return conversations(request); });
  router.add(
      "members", {V::get}, "/api/v1/conversations/{id}/members",
      [this](Request& request, auto&, const Params& params) { return members(request, params); });
  router.add(
      "history", {V::get}, "/api/v1/conversations/{id}/messages",
      [this](Request& request, auto&, const Params& params) { return history(request, params); });
  router.add(
      "mark_read", {V::post}, "/api/v1/conversations/{id}/read",
      [this](Request& request, auto&, const Params& params) { return mark_read(request, params); });
  router.add("presence", {V::get}, "/api/v1/presence",
             [this](Request& request, auto&, auto&) { return presence(request); });
  router.add("ws_without_upgrade", {V::get}, "/ws",
             [](Request&, auto&, auto&) -> Awaitable { co_return upgrade_required(); });
  router.add("healthz", {V::get, V::head}, "/healthz", [](Request&, auto&, auto&) -> Awaitable {
    co_return json_response(http::status::ok, {{"status", "ok"}});
  });
  router.add("readyz", {V::get, V::head}, "/readyz",
             [this](Request&, auto&, auto&) { return ready(); });
  router.add("metrics", {V::get}, "/metrics", [this](Request&, auto&, auto&) -> Awaitable {
    Response response{http::status::ok, 11};
    response.set(http::field::content_type, "text/plain; version=0.0.4");
    response.body() = metrics_.render();
    co_return response;
  });
}

asio::awaitable<std::optional<User>> ChatService::authenticate(const Request& request) {
  auto token = bearer_token(request);
  if (token.empty()) {
    co_return std::nullopt;
  }
  auto lookup = [this, &token] { return context_.accounts.authenticate(token); };
  co_return co_await context_.storage.run(std::move(lookup));
}

ChatService::Awaitable ChatService::register_user(Request& request) {
  std::string username;
  std::string password;
  if (auto problem = read_credentials(request, username, password)) {
    co_return std::move(*problem);
  }

  auto create = [this, &username, &password] {
    return context_.accounts.register_user(username, password);
  };
  auto user = co_await context_.passwords.run(std::move(create));
  if (!user) {
    co_return wire::error_response(user.error());
  }
  co_return json_response(http::status::created, {{"user", wire::user(*user)}});
}

ChatService::Awaitable ChatService::login(Request& request) {
  std::string username;
  std::string password;
  if (auto problem = read_credentials(request, username, password)) {
    co_return std::move(*problem);
  }

  auto verify = [this, &username, &password] {
    return context_.accounts.verify_login(username, password);
  };
  auto user = co_await context_.passwords.run(std::move(verify));
  if (!user) {
    co_return wire::error_response(user.error());
  }

  auto issue = [this, &user] { return context_.accounts.issue_token(user->id); };
  auto token = co_await context_.storage.run(std::move(issue));
  if (!token) {
    co_return wire::error_response(token.error());
  }
  co_return json_response(http::status::ok, {{"token", token->token},
                                             {"expires_at", wire::millis(token->expires_at)},
                                             {"user", wire::user(*user)}});
}

ChatService::Awaitable ChatService::logout(Request& request) {
  auto token = bearer_token(request);
  auto revoke = [this, &token] { return !token.empty() && context_.accounts.revoke_token(token); };
  bool revoked = co_await context_.storage.run(std::move(revoke));

  // Sessions opened with the token must not outlive it.
  if (auto key = token_key(token)) {
    context_.hub.close_token_sessions(*key, "token revoked");
  }
  if (!revoked) {
    co_return unauthorized();
  }
  co_return Response{http::status::no_content, 11};
}

ChatService::Awaitable ChatService::me(Request& request) {
  auto user = co_await authenticate(request);
  if (!user) {
    co_return unauthorized();
  }
  co_return json_response(http::status::ok, {{"user", wire::user(*user)}});
}

ChatService::Awaitable ChatService::create_group(Request& request) {
  auto user = co_await authenticate(request);
  if (!user) {
    co_return unauthorized();
  }
  json::object body;
  std::string name;
  if (auto problem = read_body(request, body)) {
    co_return std::move(*problem);
  }
  if (auto problem = read_string(body, "name", name)) {
    co_return std::move(*problem);
  }
  // An unknown access value is refused rather than read as invite_only, so
  // that a typo never silently changes who may join.
  auto* access_field = body.if_contains("access");
  bool open = false;
  if (access_field != nullptr) {
    auto* access = access_field->if_string();
    if (access == nullptr || (*access != "open" && *access != "invite_only")) {
      co_return error_response(http::status::bad_request, "invalid_field",
                               "'access' must be \"open\" or \"invite_only\".");
    }
    open = *access == "open";
  }

  auto create = [this, &user, &name, open] {
    return context_.conversations.create_group(
        user->id, name, open ? GroupAccess::kOpen : GroupAccess::kInviteOnly);
  };
  auto group = co_await context_.storage.run(std::move(create));
  if (!group) {
    co_return wire::error_response(group.error());
  }
  co_return json_response(http::status::created, {{"conversation", wire::conversation(*group)}});
}

ChatService::Awaitable ChatService::add_member(Request& request, const Params& params) {
  auto user = co_await authenticate(request);
  if (!user) {
    co_return unauthorized();
  }
  auto group = conversation_param(params);
  if (!group) {
    co_return bad_conversation_id();
  }
  json::object body;
  std::string username;
  if (auto problem = read_body(request, body)) {
    co_return std::move(*problem);
  }
  if (auto problem = read_string(body, "username", username)) {
    co_return std::move(*problem);
  }

  auto add = [this, &user, &group, &username]() -> Result<User> {
    auto added = context_.accounts.find_user_by_name(username);
    if (!added) {
      return make_error_code(Errc::kNoSuchUser);
    }
    auto outcome = context_.conversations.add_member(user->id, *group, added->id);
    if (!outcome) {
      return outcome.error();
    }
    return *added;
  };
  auto added = co_await context_.storage.run(std::move(add));
  if (!added) {
    co_return wire::error_response(added.error());
  }
  co_return json_response(http::status::ok,
                          {{"conversation_id", to_int(*group)}, {"user", wire::user(*added)}});
}

ChatService::Awaitable ChatService::join_or_leave(Request& request, const Params& params,
                                                  bool join) {
  auto user = co_await authenticate(request);
  if (!user) {
    co_return unauthorized();
  }
  auto group = conversation_param(params);
  if (!group) {
    co_return bad_conversation_id();
  }

  auto change = [this, &user, &group, join] {
    return join ? context_.conversations.join(user->id, *group)
                : context_.conversations.leave(user->id, *group);
  };
  auto outcome = co_await context_.storage.run(std::move(change));
  if (!outcome) {
    co_return wire::error_response(outcome.error());
  }
  co_return Response{http::status::no_content, 11};
}

ChatService::Awaitable ChatService::members(Request& request, const Params& params) {
  auto user = co_await authenticate(request);
  if (!user) {
    co_return unauthorized();
  }
  auto conversation = conversation_param(params);
  if (!conversation) {
    co_return bad_conversation_id();
  }

  auto load = [this, &user, &conversation]() -> Result<std::vector<Member>> {
    if (!context_.conversations.is_member(user->id, *conversation)) {
      auto exists = context_.conversations.find(*conversation);
      return make_error_code(exists ? Errc::kNotAMember : Errc::kNoSuchConversation);
    }
    return context_.conversations.members(*conversation);
  };
  auto found = co_await context_.storage.run(std::move(load));
  if (!found) {
    co_return wire::error_response(found.error());
  }

  json::array list;
  for (const auto& member : *found) {
    list.push_back({{"user_id", to_int(member.user)},
                    {"username", member.username},
                    {"joined_at", wire::millis(member.joined_at)},
                    {"last_read_seq", member.last_read_seq},
                    {"online", context_.hub.is_online(member.user)}});
  }
  co_return json_response(http::status::ok, {{"members", std::move(list)}});
}

ChatService::Awaitable ChatService::conversations(Request& request) {
  auto user = co_await authenticate(request);
  if (!user) {
    co_return unauthorized();
  }

  auto load = [this, &user] {
    NameCache names(context_.accounts);
    json::array list;
    for (const auto& summary : context_.conversations.list_for_user(user->id)) {
      json::object entry{{"conversation", wire::conversation(summary.conversation)},
                         {"peer", nullptr},
                         {"last_message", nullptr},
                         {"last_seq", summary.last_seq},
                         {"last_read_seq", summary.last_read_seq},
                         {"unread_count", summary.unread_count}};
      if (summary.peer) {
        entry["peer"] = names(*summary.peer);
      }
      if (summary.last_message) {
        const auto& last = *summary.last_message;
        entry["last_message"] = wire::message(last, names(last.sender));
      }
      list.push_back(std::move(entry));
    }
    return list;
  };
  auto list = co_await context_.storage.run(std::move(load));
  co_return json_response(http::status::ok, {{"conversations", std::move(list)}});
}

ChatService::Awaitable ChatService::history(Request& request, const Params& params) {
  auto user = co_await authenticate(request);
  if (!user) {
    co_return unauthorized();
  }
  auto conversation = conversation_param(params);
  if (!conversation) {
    co_return bad_conversation_id();
  }

  auto limit = parse_int(query_param(request, "limit").value_or("50"));
  auto before = query_param(request, "before");
  auto after = query_param(request, "after");
  auto anchor = parse_int(before ? *before : after.value_or("0"));
  // Sequence numbers start at 1: before= needs one, after=0 means "from the start".
  bool anchor_valid = anchor && (before ? *anchor >= 1 : *anchor >= 0);
  if (!limit || !anchor_valid || (before && after)) {
    co_return error_response(http::status::bad_request, "invalid_query",
                             "Use at most one of before=SEQ and after=SEQ, and limit=N.");
  }
  auto page = before  ? PageRequest::before(*anchor, static_cast<int>(*limit))
              : after ? PageRequest::after(*anchor, static_cast<int>(*limit))
                      : PageRequest::latest(static_cast<int>(*limit));

  auto load = [this, &user, &conversation, page]() -> Result<json::object> {
    auto found = context_.messages.history(user->id, *conversation, page);
    if (!found) {
      return found.error();
    }
    NameCache names(context_.accounts);
    json::array messages;
    for (const auto& message : found->messages) {
      messages.push_back(wire::message(message, names(message.sender)));
    }
    return json::object{{"messages", std::move(messages)},
                        {"has_more", found->has_more},
                        {"gap", found->gap},
                        {"first_available_seq", found->first_available_seq},
                        {"last_seq", found->last_seq}};
  };
  auto body = co_await context_.storage.run(std::move(load));
  if (!body) {
    co_return wire::error_response(body.error());
  }
  co_return json_response(http::status::ok, *body);
}

ChatService::Awaitable ChatService::mark_read(Request& request, const Params& params) {
  auto user = co_await authenticate(request);
  if (!user) {
    co_return unauthorized();
  }
  auto conversation = conversation_param(params);
  if (!conversation) {
    co_return bad_conversation_id();
  }
  json::object body;
  if (auto problem = read_body(request, body)) {
    co_return std::move(*problem);
  }
  auto* seq = body.if_contains("seq");
  if (seq == nullptr || !seq->is_int64()) {
    co_return error_response(http::status::bad_request, "missing_field",
                             "The integer field 'seq' is required.");
  }

  Seq position = seq->get_int64();
  auto mark = [this, &user, &conversation, position] {
    return context_.conversations.mark_read(user->id, *conversation, position);
  };
  auto marked = co_await context_.storage.run(std::move(mark));
  if (!marked) {
    co_return wire::error_response(marked.error());
  }
  co_return json_response(http::status::ok, {{"conversation_id", to_int(*conversation)},
                                             {"last_read_seq", marked->last_read_seq},
                                             {"unread_count", marked->unread_count}});
}

ChatService::Awaitable ChatService::presence(Request& request) {
  auto user = co_await authenticate(request);
  if (!user) {
    co_return unauthorized();
  }
  auto wanted = query_param(request, "users").value_or("");

  // Only users who share a conversation with the caller are reported; the
  // others are left out, so the endpoint cannot probe for accounts.
  auto load = [this, &user, &wanted] {
    auto contacts = context_.contacts.contacts(user->id);
    std::vector<User> visible;
    std::string_view rest = wanted;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto name = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      auto found = context_.accounts.find_user_by_name(name);
      auto listed = [&found](const User& seen) { return seen.id == found->id; };
      if (found && std::find(contacts.begin(), contacts.end(), found->id) != contacts.end() &&
          std::none_of(visible.begin(), visible.end(), listed)) {
        visible.push_back(std::move(*found));  // once, however often or in what case it was asked
      }
    }
    return visible;
  };
  auto visible = co_await context_.storage.run(std::move(load));

  json::array list;
  for (const auto& other : visible) {
    json::value last_seen = nullptr;
    if (other.last_seen) {
      last_seen = wire::millis(*other.last_seen);
    }
    list.push_back({{"user", other.username},
                    {"user_id", to_int(other.id)},
                    {"online", context_.hub.is_online(other.id)},
                    {"last_seen", last_seen}});
  }
  co_return json_response(http::status::ok, {{"presence", std::move(list)}});
}

ChatService::Awaitable ChatService::ready() {
  auto probe = [this] { return context_.messages.latest_cursor(); };
  try {
    co_await context_.storage.run(std::move(probe));
  } catch (const std::exception& error) {
    core::logger("chat")->warn("not ready: {}", error.what());
    co_return error_response(http::status::service_unavailable, "not_ready",
                             "The database is not reachable.");
  }
  co_return json_response(http::status::ok, {{"status", "ready"}});
}

asio::awaitable<void> ChatService::upgrade(beast::tcp_stream& stream, Request& request,
                                           const core::RequestContext& connection) {
  std::optional<Response> refusal;
  std::optional<TokenGrant> grant;
  auto cursor = connect_cursor(request);
  if (request_path(request) != "/ws") {
    refusal = error_response(http::status::not_found, "not_found", "WebSockets live at /ws.");
  } else if (auto problem = handshake_problem(request)) {
    refusal = std::move(problem);
  } else {
    auto token = upgrade_token(request);
    auto lookup = [this, &token] { return context_.accounts.authenticate_grant(token); };
    if (!token.empty()) {
      grant = co_await context_.storage.run(std::move(lookup));
    }
    if (!grant) {
      context_.metrics.unauthorized_upgrades.increment();
      refusal = unauthorized();
    } else if (cursor && !*cursor) {
      refusal = error_response(http::status::bad_request, "invalid_query",
                               "'cursor' must be 0 or a message_id.");
    }
  }

  if (refusal) {
    refusal->keep_alive(false);
    refusal->prepare_payload();
    stream.expires_after(std::chrono::seconds(5));
    co_await http::async_write(stream, *refusal, kNoThrow);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    co_return;
  }

  auto session =
      std::make_shared<WebSocketSession>(context_, std::move(stream), std::move(*grant),
                                         connection.connection_id, cursor.value_or(std::nullopt));
  co_await session->run(request);
}

}  // namespace waypost::chat
