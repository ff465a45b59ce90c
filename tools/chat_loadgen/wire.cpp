#include "wire.hpp"

#include <boost/json.hpp>
#include <charconv>

namespace loadgen {

namespace json = boost::json;

namespace {

constexpr std::string_view kStampPrefix = "lgts:";

// Parses the unsigned decimal at the start of `text`; `used` gets the digits consumed.
std::uint64_t leading_number(std::string_view text, std::size_t& used) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  used = ec == std::errc{} ? static_cast<std::size_t>(end - text.data()) : 0;
  return used > 0 ? value : 0;
}

void append_text(std::string& out, const SendFrame& frame) {
  auto start = out.size();
  out += kStampPrefix;
  out += std::to_string(frame.sent_ns);
  out += ':';
  auto written = out.size() - start;
  if (written < frame.text_bytes) {
    out.append(frame.text_bytes - written, 'x');
  }
}

void append_client_message_id(std::string& out, const SendFrame& frame) {
  out += frame.run_tag;
  out += '-';
  out += std::to_string(frame.connection);
  out += '-';
  out += std::to_string(frame.seq);
}

// Usernames, run tags and padded texts need no JSON escaping: they are built from
// [a-z0-9_.-:x] only, so the frames are assembled by hand, which keeps the sender cheap.
std::string encode_waypost(const SendFrame& frame) {
  std::string out = R"({"type":"send","client_message_id":")";
  append_client_message_id(out, frame);
  if (frame.to_user.empty()) {
    out += R"(","conversation_id":)";
    out += std::to_string(frame.conversation_id);
    out += R"(,"text":")";
  } else {
    out += R"(","to_username":")";
    out += frame.to_user;
    out += R"(","text":")";
  }
  append_text(out, frame);
  out += R"("})";
  return out;
}

// Socket.IO event with an acknowledgement id: 42<id>["send",{...}]; the answer is 43<id>[...].
std::string encode_socketio(const SendFrame& frame) {
  std::string out = "42";
  out += std::to_string(frame.seq);
  out += R"(["send",{"client_message_id":")";
  append_client_message_id(out, frame);
  if (frame.to_user.empty()) {
    out += R"(","group":")";
    out += frame.group;
  } else {
    out += R"(","to_user":")";
    out += frame.to_user;
  }
  out += R"(","text":")";
  append_text(out, frame);
  out += R"("}])";
  return out;
}

std::string_view string_field(const json::object& object, std::string_view key) {
  auto* found = object.if_contains(key);
  if (found == nullptr || !found->is_string()) {
    return {};
  }
  return found->get_string();
}

Incoming decode_message_payload(const json::value& payload) {
  Incoming in{.kind = Incoming::Kind::message};
  if (payload.is_object()) {
    in.sent_ns = timestamp_in_text(string_field(payload.get_object(), "text"));
  }
  return in;
}

Incoming decode_waypost(std::string_view text) {
  unsigned char scratch[4096];
  json::monotonic_resource memory(scratch);
  boost::system::error_code ec;
  auto value = json::parse(text, ec, &memory);
  if (ec || !value.is_object()) {
    return {.kind = Incoming::Kind::malformed};
  }
  const auto& object = value.get_object();
  auto type = string_field(object, "type");
  if (type == "message") {
    return decode_message_payload(value);
  }
  auto seq = seq_in_client_message_id(string_field(object, "client_message_id"));
  if (type == "ack") {
    return {.kind = Incoming::Kind::ack, .seq = seq};
  }
  if (type == "error") {
    return {.kind = Incoming::Kind::error,
            .seq = seq,
            .code = std::string(string_field(object, "code"))};
  }
  return {.kind = Incoming::Kind::other};
}

// A Socket.IO event packet after its "42": an optional ack id, then ["name", payload].
Incoming decode_socketio_event(std::string_view body) {
  std::size_t used = 0;
  leading_number(body, used);
  body.remove_prefix(used);
  unsigned char scratch[4096];
  json::monotonic_resource memory(scratch);
  boost::system::error_code ec;
  auto value = json::parse(body, ec, &memory);
  if (ec || !value.is_array() || value.get_array().empty()) {
    return {.kind = Incoming::Kind::malformed};
  }
  const auto& array = value.get_array();
  if (!array[0].is_string() || array[0].get_string() != "message") {
    return {.kind = Incoming::Kind::other};
  }
  return array.size() > 1 ? decode_message_payload(array[1]) : Incoming{};
}

Incoming decode_socketio(std::string_view text) {
  if (text.empty()) {
    return {.kind = Incoming::Kind::malformed};
  }
  switch (text[0]) {
    case '0':
      return {.kind = Incoming::Kind::engine_open};
    case '1':
      return {.kind = Incoming::Kind::closing};
    case '2':
      return {.kind = Incoming::Kind::engine_ping};
    case '4':
      break;
    default:
      return {.kind = Incoming::Kind::other};
  }
  auto packet = text.substr(1);
  if (packet.starts_with("2")) {
    return decode_socketio_event(packet.substr(1));
  }
  if (packet.starts_with("3")) {
    std::size_t used = 0;
    auto seq = leading_number(packet.substr(1), used);
    return {.kind = Incoming::Kind::ack, .seq = seq};
  }
  if (packet.starts_with("0")) {
    return {.kind = Incoming::Kind::connected};
  }
  if (packet.starts_with("4")) {
    return {.kind = Incoming::Kind::connect_error, .code = std::string(packet.substr(1))};
  }
  return {.kind = Incoming::Kind::other};
}

}  // namespace

std::string encode_send(Protocol protocol, const SendFrame& frame) {
  return protocol == Protocol::waypost ? encode_waypost(frame) : encode_socketio(frame);
}

Incoming decode(Protocol protocol, std::string_view text) {
  return protocol == Protocol::waypost ? decode_waypost(text) : decode_socketio(text);
}

std::int64_t timestamp_in_text(std::string_view text) {
  auto at = text.find(kStampPrefix);
  if (at == std::string_view::npos) {
    return 0;
  }
  std::size_t used = 0;
  auto value = leading_number(text.substr(at + kStampPrefix.size()), used);
  return static_cast<std::int64_t>(value);
}

std::uint64_t seq_in_client_message_id(std::string_view id) {
  auto dash = id.rfind('-');
  if (dash == std::string_view::npos) {
    return 0;
  }
  std::size_t used = 0;
  auto value = leading_number(id.substr(dash + 1), used);
  return used == id.size() - dash - 1 ? value : 0;
}

}  // namespace loadgen
