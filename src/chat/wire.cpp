#include "chat/wire.hpp"

#include <boost/json/serialize.hpp>

namespace waypost::chat::wire {

namespace json = boost::json;
using core::http::status;

std::int64_t millis(Timestamp time) {
  return time.time_since_epoch().count();
}

json::object user(const User& user) {
  json::value last_seen = nullptr;
  if (user.last_seen) {
    last_seen = millis(*user.last_seen);
  }
  return {{"id", to_int(user.id)},
          {"username", user.username},
          {"created_at", millis(user.created_at)},
          {"last_seen", last_seen}};
}

json::object conversation(const Conversation& conversation) {
  bool direct = conversation.kind == ConversationKind::kDirect;
  json::value name = nullptr;
  if (conversation.name) {
    name = *conversation.name;
  }
  json::object body{{"id", to_int(conversation.id)},
                    {"kind", direct ? "direct" : "group"},
                    {"name", name},
                    {"created_by", to_int(conversation.created_by)},
                    {"created_at", millis(conversation.created_at)}};
  if (!direct) {
    body["access"] = conversation.access == GroupAccess::kOpen ? "open" : "invite_only";
  }
  return body;
}

json::object message(const Message& message, std::string_view sender_name) {
  return {{"message_id", to_int(message.id)},
          {"conversation_id", to_int(message.conversation)},
          {"seq", message.seq},
          {"sender", sender_name},
          {"sender_id", to_int(message.sender)},
          {"text", message.text},
          {"sent_at", millis(message.sent_at)},
          {"client_message_id", message.client_message_id}};
}

ClientError describe(Errc error) {
  switch (error) {
    case Errc::kInvalidUsername:
      return {status::bad_request, "invalid_username",
              "Usernames are 3 to 32 characters of a-z, 0-9, '_', '.' and '-'."};
    case Errc::kUsernameTaken:
      return {status::conflict, "username_taken", "Another account already has this name."};
    case Errc::kInvalidPassword:
      return {status::bad_request, "invalid_password", "Passwords are 8 to 1024 bytes long."};
    case Errc::kWrongCredentials:
      return {status::unauthorized, "wrong_credentials", "Unknown user or wrong password."};
    case Errc::kNoSuchUser:
      return {status::not_found, "no_such_user", "There is no user with this name."};
    case Errc::kNoSuchConversation:
      return {status::not_found, "no_such_conversation", "There is no such conversation."};
    case Errc::kNotAMember:
      return {status::forbidden, "not_a_member", "You are not a member of this conversation."};
    case Errc::kNotAGroup:
      return {status::bad_request, "not_a_group", "This works on groups only."};
    case Errc::kInviteOnly:
      return {status::forbidden, "invite_only", "This group admits members by invitation only."};
    case Errc::kDirectWithSelf:
      return {status::bad_request, "direct_with_self", "You cannot message yourself directly."};
    case Errc::kInvalidGroupName:
      return {status::bad_request, "invalid_group_name",
              "Group names are 1 to 100 bytes of UTF-8."};
    case Errc::kInvalidMessageText:
      return {status::bad_request, "invalid_text",
              "Message text must be non-empty UTF-8 within the size limit."};
    case Errc::kInvalidClientMessageId:
      return {status::bad_request, "invalid_client_message_id",
              "client_message_id must be 1 to 128 visible ASCII characters."};
    case Errc::kInvalidPageLimit:
      return {status::bad_request, "invalid_limit", "limit must lie between 1 and 500."};
  }
  return {status::internal_server_error, "internal_error", "The server failed."};
}

ClientError describe(const boost::system::error_code& error) {
  if (error.category() != chat_category()) {
    return {status::internal_server_error, "internal_error", "The server failed."};
  }
  return describe(static_cast<Errc>(error.value()));
}

core::Response error_response(const boost::system::error_code& error) {
  auto described = describe(error);
  return core::error_response(described.status, described.code, described.message);
}

std::string error_frame(std::string_view code, std::string_view message,
                        std::string_view client_message_id) {
  json::object body{{"type", "error"}, {"code", code}, {"message", message}};
  if (!client_message_id.empty()) {
    body["client_message_id"] = client_message_id;
  }
  return frame(body);
}

std::string frame(const json::object& body) {
  return json::serialize(body);
}

}  // namespace waypost::chat::wire
