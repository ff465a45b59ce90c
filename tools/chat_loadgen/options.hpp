// Command-line settings of chat-loadgen (see main.cpp for the flags and their defaults).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wire.hpp"

namespace loadgen {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8090;
  Protocol protocol = Protocol::waypost;

  int connections = 100;       // WebSocket connections, spread round-robin over the users
  int users = 50;              // distinct accounts
  int groups = 5;              // group conversations
  int group_size = 10;         // members per group
  int contacts = 4;            // peers each user sends private messages to
  double private_share = 0.5;  // fraction of sends that are private, the rest go to a group

  std::vector<double> rates{1000};  // target msgs/s over all connections, one step per value
  double warmup_s = 2;              // sending but not measuring, at the start of every step
  double duration_s = 10;           // measured sending time of every step
  double drain_s = 5;               // longest wait for late acks and deliveries after a step
  std::int64_t max_messages = 0;    // stop a step's sending after this many sends (0: no cap)
  int max_inflight = 64;            // unacknowledged sends per connection before a tick is skipped
  std::size_t text_bytes = 64;

  bool skip_register = false;  // users exist already: only log them in
  std::string users_file;      // one username per line (default: generated names)
  std::string user_prefix;     // generated names are PREFIX<index> (default: lg<run tag>u)
  std::string password = "loadgen-password";
  int setup_concurrency = 8;     // parallel REST connections for accounts and groups
  int connect_concurrency = 64;  // WebSocket handshakes in flight at once
  double connect_timeout_s = 60;
  double settle_s = 1;  // pause after connecting, before the memory sample

  int server_pid = 0;    // when set, the server's RSS and CPU are sampled from /proc
  std::string json_out;  // also write the JSON report here
  std::uint64_t seed = 1;
};

}  // namespace loadgen
