#include "support/http_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>

namespace waypost::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

tcp::socket connect_to(asio::io_context& io, std::uint16_t port) {
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  set_receive_timeout(socket, std::chrono::seconds(30));
  return socket;
}

}  // namespace

void set_receive_timeout(tcp::socket& socket, std::chrono::milliseconds limit) {
  timeval timeout{};
  timeout.tv_sec = static_cast<time_t>(limit.count() / 1000);
  timeout.tv_usec = static_cast<suseconds_t>((limit.count() % 1000) * 1000);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
}

HttpReply http_request(std::uint16_t port, http::verb method, const std::string& target,
                       const std::string& body, const HeaderList& headers) {
  asio::io_context io;
  auto socket = connect_to(io, port);

  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) {
    request.set(name, value);
  }
  request.body() = body;
  if (!body.empty() || method == http::verb::post) {
    request.prepare_payload();
  }
  http::write(socket, request);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.header_limit(1024 * 1024);
  parser.skip(method == http::verb::head);
  http::read(socket, buffer, parser);
  auto response = parser.release();

  HttpReply reply;
  reply.status = response.result_int();
  reply.body = response.body();
  for (const auto& field : response) {
    reply.headers.insert(field.name_string(), field.value());
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  return reply;
}

HttpReply post_json(std::uint16_t port, const std::string& target, const std::string& json) {
  return http_request(port, http::verb::post, target, json, {{"Content-Type", "application/json"}});
}

std::string raw_exchange(std::uint16_t port, const std::string& raw) {
  asio::io_context io;
  auto stream = connect_to(io, port);
  set_receive_timeout(stream, std::chrono::seconds(5));
  asio::write(stream, asio::buffer(raw));

  std::string received;
  char chunk[4096];
  beast::error_code ec;
  while (!ec) {
    auto bytes = stream.read_some(asio::buffer(chunk), ec);
    received.append(chunk, bytes);
  }
  return received;
}

}  // namespace waypost::testing
