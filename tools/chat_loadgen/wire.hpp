// The two client protocols the load generator speaks, reduced to what it needs: encoding a
// `send` and classifying what the server sends back. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

enum class Protocol {
  waypost,   // docs/chat-protocol.md: JSON text frames on /ws
  socketio,  // Socket.IO v5 packets over Engine.IO v4 on /socket.io/?EIO=4&transport=websocket
};

// One outgoing chat message. Exactly one of `to_user` (private) and `group` is used.
struct SendFrame {
  std::string_view run_tag;          // makes client_message_id unique across runs
  int connection = 0;                // index of the sending connection
  std::uint64_t seq = 0;             // per-connection sequence number, from 1
  std::string_view to_user{};        // private message recipient, or empty
  std::int64_t conversation_id = 0;  // waypost: the group's conversation id
  std::string_view group{};          // socketio: the group's room name
  std::int64_t sent_ns = 0;          // steady clock at send, embedded in the text
  std::size_t text_bytes = 0;        // the text is padded to this length
};

// The whole WebSocket text message for `frame` in `protocol`.
std::string encode_send(Protocol protocol, const SendFrame& frame);

// What a received text message means to the load generator.
struct Incoming {
  enum class Kind {
    message,        // a chat message; sent_ns is set when it carries our timestamp
    ack,            // a send was acknowledged; seq is set when it names one of ours
    error,          // a refusal; code set, seq set when it names one of our sends
    engine_open,    // socketio: Engine.IO open packet
    engine_ping,    // socketio: Engine.IO ping, to be answered with a pong
    connected,      // socketio: namespace connect accepted
    connect_error,  // socketio: namespace connect refused
    closing,        // socketio: Engine.IO close packet
    other,          // presence, typing, read and other frames the load does not use
    malformed,      // could not be understood
  };
  Kind kind = Kind::other;
  std::int64_t sent_ns = 0;
  std::uint64_t seq = 0;
  std::string code{};
};

// Classifies one received text message. Never throws; unknown input is `malformed`.
Incoming decode(Protocol protocol, std::string_view text);

// The Engine.IO pong, and the Socket.IO namespace connect packet.
inline constexpr std::string_view kEnginePong = "3";
inline constexpr std::string_view kSocketIoConnect = "40";

// Parses the timestamp that encode_send embeds in a message text; 0 if there is none.
std::int64_t timestamp_in_text(std::string_view text);

// Parses the per-connection sequence number from the end of a client_message_id.
std::uint64_t seq_in_client_message_id(std::string_view id);

}  // namespace loadgen
