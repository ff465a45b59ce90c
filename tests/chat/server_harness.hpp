// Test harness for the chat-server binary: starts the real process on port 0,
// and talks to it over real sockets with a synchronous HTTP client, a
// WebSocket client whose every read has a deadline, and a raw TCP client for
// sending frames that no well-behaved library would produce.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace waypost::chat::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

inline constexpr auto kDeadline = 5s;

// Polls `done` until it holds or `timeout` passes; true when it held.
inline bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// One chat-server process. The destructor stops it with SIGTERM (SIGKILL if it hangs).
class ServerProcess {
 public:
  ServerProcess(const TempDir& dir, std::vector<std::string> extra_args = {})
      : dir_(dir), extra_args_(std::move(extra_args)) {
    start();
  }
  ~ServerProcess() { stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }

  void start() {
    auto port_file = dir_.file("port");
    std::filesystem::remove(port_file);
    std::vector<std::string> args{WAYPOST_BINARY_DIR "/apps/chat-server",
                                  "--port",
                                  "0",
                                  "--port-file",
                                  port_file,
                                  "--database",
                                  dir_.file("chat.db"),
                                  "--io-threads",
                                  "2",
                                  "--storage-threads",
                                  "2",
                                  "--argon2-ops",
                                  std::to_string(crypto_pwhash_OPSLIMIT_MIN),
                                  "--argon2-memory",
                                  std::to_string(crypto_pwhash_MEMLIMIT_MIN),
                                  "--log-level",
                                  "warn",
                                  "--shutdown-grace-ms",
                                  "2000"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    auto log = dir_.file("server.log");

    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& arg : args) {
        argv.push_back(arg.data());
      }
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }

    bool listening = poll_until([&] { return std::filesystem::exists(port_file); }, 10s);
    if (!listening) {
      throw std::runtime_error("chat-server did not start; see " + log);
    }
    std::ifstream in(port_file);
    int port = 0;
    in >> port;
    port_ = static_cast<std::uint16_t>(port);
  }

  // SIGKILL: no shutdown code runs, as in a crash.
  void kill_hard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  // SIGTERM and wait; returns the exit status (or -1 when it had to be killed).
  int stop() {
    if (pid_ <= 0) {
      return 0;
    }
    ::kill(pid_, SIGTERM);
    int status = 0;
    bool exited = poll_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, 10s);
    if (!exited) {
      kill_hard();
      return -1;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  const TempDir& dir_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

struct HttpReply {
  unsigned status = 0;
  json::value body;
};

// One request on a fresh connection.
inline HttpReply http_call(std::uint16_t port, http::verb method, const std::string& target,
                           const std::string& body = "", const std::string& token = "") {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "127.0.0.1");
  if (!token.empty()) {
    request.set(http::field::authorization, "Bearer " + token);
  }
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();
  http::write(stream, request);

  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  HttpReply reply{response.result_int(), nullptr};
  boost::system::error_code ec;
  auto parsed = json::parse(response.body(), ec);
  if (!ec) {
    reply.body = parsed;
  }
  return reply;
}

// Sends `request` exactly as given (no headers added but Host) on a fresh
// connection and returns the whole response, headers included.
inline http::response<http::string_body> send_raw(std::uint16_t port,
                                                  http::request<http::string_body> request) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  request.set(http::field::host, "127.0.0.1");
  request.prepare_payload();
  http::write(stream, request);

  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return response;
}

// The "error.code" of a JSON error body, or "" when the body has none.
inline std::string error_code_of(const std::string& body) {
  boost::system::error_code ec;
  auto parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return {};
  }
  auto* error = parsed.as_object().if_contains("error");
  if (error == nullptr || !error->is_object()) {
    return {};
  }
  auto* code = error->as_object().if_contains("code");
  return code != nullptr && code->is_string() ? std::string(code->as_string()) : std::string();
}

struct Account {
  std::int64_t id = 0;
  std::string name;
  std::string token;
};

inline Account register_and_login(std::uint16_t port, const std::string& name) {
  auto credentials = json::serialize(json::object{{"username", name}, {"password", "password-1"}});
  auto created = http_call(port, http::verb::post, "/api/v1/register", credentials);
  if (created.status != 201) {
    throw std::runtime_error("register failed: " + std::to_string(created.status));
  }
  auto login = http_call(port, http::verb::post, "/api/v1/login", credentials);
  return {login.body.at("user").at("id").as_int64(), name,
          std::string(login.body.at("token").as_string())};
}

// A WebSocket client. Frames are read in the background of wait calls only:
// a client that is not waiting answers no pings.
class WsClient {
 public:
  // Upgrades `target` (e.g. "/ws?cursor=7"), sending `token` as a bearer
  // header unless it is empty (then the target must carry `?token=`).
  WsClient(std::uint16_t port, const std::string& token, const std::string& target = "/ws")
      : ws_(io_) {
    auto& socket = ws_.next_layer();
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    if (!token.empty()) {
      ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& request) {
        request.set(http::field::authorization, "Bearer " + token);
      }));
    }
    ws_.handshake("127.0.0.1", target);
  }

  void send(const json::object& frame) { ws_.write(asio::buffer(json::serialize(frame))); }
  void send_text(const std::string& text) { ws_.write(asio::buffer(text)); }

  // The next frame, or nothing when none arrives in time or the connection closed.
  std::optional<json::object> next(std::chrono::milliseconds timeout = kDeadline) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (frames_.empty() && !closed_) {
      start_read();
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= 0ms) {
        return std::nullopt;
      }
      io_.restart();
      io_.run_one_for(left);
    }
    if (frames_.empty()) {
      return std::nullopt;
    }
    auto frame = std::move(frames_.front());
    frames_.pop_front();
    return frame;
  }

  // The first frame of `type`, skipping others; nothing on timeout.
  std::optional<json::object> next_of(std::string_view type,
                                      std::chrono::milliseconds timeout = kDeadline) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) {
        return std::nullopt;
      }
      auto frame = next(left);
      if (!frame) {
        return std::nullopt;
      }
      if (frame->at("type").as_string() == type) {
        return frame;
      }
    }
  }

  // Sends a ping frame and returns every frame that arrived before the pong:
  // the server handles one connection's frames in order, so this is a barrier.
  std::vector<json::object> round_trip() {
    send({{"type", "ping"}});
    std::vector<json::object> before;
    while (auto frame = next()) {
      if (frame->at("type").as_string() == "pong") {
        return before;
      }
      before.push_back(std::move(*frame));
    }
    throw std::runtime_error("no pong");
  }

  // Waits for the server to close the connection; its close code, or 0.
  int wait_closed(std::chrono::milliseconds timeout = kDeadline) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < deadline) {
      frames_.clear();
      next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now()));
    }
    return closed_ ? close_code_ : 0;
  }

  void close() {
    beast::error_code ignored;
    ws_.close(websocket::close_code::normal, ignored);
  }

  bool closed() const { return closed_; }

 private:
  void start_read() {
    if (reading_ || closed_) {
      return;
    }
    reading_ = true;
    ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
      reading_ = false;
      if (ec) {
        closed_ = true;
        close_code_ = ws_.reason().code;
        return;
      }
      frames_.push_back(json::parse(beast::buffers_to_string(buffer_.data())).as_object());
      buffer_.consume(buffer_.size());
    });
  }

  asio::io_context io_;
  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
  std::deque<json::object> frames_;
  bool reading_ = false;
  bool closed_ = false;
  int close_code_ = 0;
};

// Header bits of a hand-made frame.
struct FrameBits {
  bool fin = true;
  int rsv = 0;  // the three reserved bits, as a number 0-7
  int opcode = 1;
  bool masked = true;
};

// A TCP connection that performs the upgrade by hand and then writes raw frames.
class RawWsClient {
 public:
  RawWsClient(std::uint16_t port, const std::string& token) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval timeout{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string upgrade =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Authorization: Bearer " +
        token + "\r\n\r\n";
    asio::write(socket_, asio::buffer(upgrade));
    asio::read_until(socket_, input_, "\r\n\r\n");
    std::string head(asio::buffers_begin(input_.data()), asio::buffers_end(input_.data()));
    if (head.rfind("HTTP/1.1 101", 0) != 0) {
      throw std::runtime_error("upgrade refused: " + head);
    }
    input_.consume(head.find("\r\n\r\n") + 4);
  }

  void send_frame(const std::string& payload) { send_frame(payload, FrameBits{}); }

  void send_frame(const std::string& payload, FrameBits bits) {
    std::string frame;
    frame.push_back(static_cast<char>((bits.fin ? 0x80 : 0) | (bits.rsv << 4) | bits.opcode));
    int mask_bit = bits.masked ? 0x80 : 0;
    if (payload.size() < 126) {
      frame.push_back(static_cast<char>(mask_bit | static_cast<int>(payload.size())));
    } else if (payload.size() < 65536) {
      frame.push_back(static_cast<char>(mask_bit | 126));
      frame.push_back(static_cast<char>(payload.size() >> 8));
      frame.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
      frame.push_back(static_cast<char>(mask_bit | 127));
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
      }
    }
    const char key[4] = {0x11, 0x22, 0x33, 0x44};
    if (bits.masked) {
      frame.append(key, 4);
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
      frame.push_back(bits.masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
    }
    boost::system::error_code ignored;  // the server may close while we write
    asio::write(socket_, asio::buffer(frame), ignored);
  }

  // Reads server frames until a close frame; its code, or 0 when the
  // connection ended (or the read timed out) without one.
  int read_close_code() {
    while (true) {
      std::uint8_t head[2];
      if (!read_exact(head, 2)) {
        return 0;
      }
      std::uint64_t length = head[1] & 0x7f;
      if (length >= 126) {
        std::uint8_t extended[8];
        int bytes = length == 126 ? 2 : 8;
        if (!read_exact(extended, bytes)) {
          return 0;
        }
        length = 0;
        for (int i = 0; i < bytes; ++i) {
          length = (length << 8) | extended[i];
        }
      }
      std::vector<std::uint8_t> payload(length);
      if (length > 0 && !read_exact(payload.data(), length)) {
        return 0;
      }
      if ((head[0] & 0x0f) == 0x8) {
        return payload.size() >= 2 ? (payload[0] << 8) | payload[1] : 1005;
      }
    }
  }

 private:
  bool read_exact(std::uint8_t* out, std::size_t size) {
    boost::system::error_code ec;
    auto buffered = std::min(size, input_.size());
    asio::buffer_copy(asio::buffer(out, buffered), input_.data());
    input_.consume(buffered);
    if (buffered < size) {
      asio::read(socket_, asio::buffer(out + buffered, size - buffered), ec);
    }
    return !ec;
  }

  asio::io_context io_;
  tcp::socket socket_;
  asio::streambuf input_;
};

}  // namespace waypost::chat::testing
