// The JSON shapes the chat service speaks, shared by the REST handlers and the
// WebSocket sessions, and the mapping of store errors to client-facing codes.
// docs/chat-protocol.md is the reference for every field.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "chat/errors.hpp"
#include "chat/types.hpp"
#include "core/http.hpp"

namespace waypost::chat::wire {

// Times travel as integer milliseconds since the Unix epoch.
std::int64_t millis(Timestamp time);

boost::json::object user(const User& user);

boost::json::object conversation(const Conversation& conversation);

// A stored message as the `message` frame and history entries show it.
boost::json::object message(const Message& message, std::string_view sender_name);

// How an expected store failure is told to a client.
struct ClientError {
  core::http::status status;
  std::string_view code;     // stable, machine-readable
  std::string_view message;  // for people
};

ClientError describe(Errc error);

// Describes any error_code from the chat category; other categories become a 500.
ClientError describe(const boost::system::error_code& error);

// The REST error body for `error`.
core::Response error_response(const boost::system::error_code& error);

// An `error` frame; `client_message_id` is added when not empty.
std::string error_frame(std::string_view code, std::string_view message,
                        std::string_view client_message_id = {});

// Serialises a frame object.
std::string frame(const boost::json::object& body);

}  // namespace waypost::chat::wire
