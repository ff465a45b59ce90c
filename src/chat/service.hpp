// The chat service's HTTP surface: the REST API under /api/v1, health and
// metrics, and the WebSocket endpoint /ws (authenticated before the upgrade).
// Every store call runs on a BlockingPool; password hashing on its own small pool.
//
//   POST /api/v1/register, /login, /logout       GET /api/v1/me
//   POST /api/v1/groups, /groups/{id}/members, /groups/{id}/join, /groups/{id}/leave
//   GET  /api/v1/conversations, /conversations/{id}/members, /conversations/{id}/messages
//   POST /api/v1/conversations/{id}/read         GET /api/v1/presence?users=a,b
//   GET  /healthz, /readyz, /metrics             GET /ws (WebSocket)
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <optional>
#include <string>

#include "chat/context.hpp"
#include "core/router.hpp"

namespace waypost::chat {

class ChatService {
 public:
  // `context` and `metrics` must outlive the service and the server it serves.
  ChatService(ChatContext& context, core::MetricsRegistry& metrics);

  // Adds every REST route to `router`.
  void register_routes(core::Router& router);

  // The HttpServer's upgrade handler for /ws: answers 404 for other paths,
  // 426 or 400 for unusable handshake headers, 401 without a valid token and
  // 400 for a malformed cursor, all in the JSON error shape over plain HTTP;
  // otherwise runs a WebSocketSession on the stream.
  boost::asio::awaitable<void> upgrade(boost::beast::tcp_stream& stream, core::Request& request,
                                       const core::RequestContext& connection);

 private:
  using Awaitable = boost::asio::awaitable<core::Response>;
  using Params = core::PathParams;

  // The user behind the request's `Authorization: Bearer` token, or nothing
  // when it is missing, unknown, expired or revoked. REST only: the `token`
  // query parameter is accepted by upgrade() alone.
  boost::asio::awaitable<std::optional<User>> authenticate(const core::Request& request);

  Awaitable register_user(core::Request& request);
  Awaitable login(core::Request& request);
  Awaitable logout(core::Request& request);
  Awaitable me(core::Request& request);
  Awaitable create_group(core::Request& request);
  Awaitable add_member(core::Request& request, const Params& params);
  Awaitable join_or_leave(core::Request& request, const Params& params, bool join);
  Awaitable members(core::Request& request, const Params& params);
  Awaitable conversations(core::Request& request);
  Awaitable history(core::Request& request, const Params& params);
  Awaitable mark_read(core::Request& request, const Params& params);
  Awaitable presence(core::Request& request);
  Awaitable ready();

  ChatContext& context_;
  core::MetricsRegistry& metrics_;
};

}  // namespace waypost::chat
