// A small blocking HTTP/1.1 client for integration tests (Boost.Beast).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace waypost::testing {

struct HttpReply {
  unsigned status = 0;
  boost::beast::http::fields headers;
  std::string body;

  std::string header(boost::beast::http::field name) const { return std::string(headers[name]); }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Sends one request on a new connection to 127.0.0.1:`port` and reads the
// answer. Throws boost::system::system_error on connection failures.
HttpReply http_request(std::uint16_t port, boost::beast::http::verb method,
                       const std::string& target, const std::string& body = "",
                       const HeaderList& headers = {});

// POST with `Content-Type: application/json`.
HttpReply post_json(std::uint16_t port, const std::string& target, const std::string& json);

// Makes blocking reads on `socket` fail after `limit` instead of waiting for
// ever (Beast's expires_after only bounds asynchronous operations).
void set_receive_timeout(boost::asio::ip::tcp::socket& socket, std::chrono::milliseconds limit);

// Writes `raw` bytes as they are and returns everything the server sends
// until it closes the connection or 5 s pass: for malformed HTTP.
std::string raw_exchange(std::uint16_t port, const std::string& raw);

}  // namespace waypost::testing
