// HTTP vocabulary shared by both services: request and response types, the
// per-request context, and the JSON error shape every endpoint answers with.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace waypost::core {

namespace http = boost::beast::http;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct RequestContext {
  boost::asio::ip::tcp::endpoint remote;  // the peer of the TCP connection
  std::uint64_t connection_id = 0;        // unique per process, for log lines
};

// Produces the response to one request. Runs on the connection's I/O thread:
// it must not block (storage work goes through a BlockingPool). An exception
// escaping it becomes a 500 and an error log line.
using Handler = std::function<boost::asio::awaitable<Response>(Request&, const RequestContext&)>;

// A response with a JSON body and `Content-Type: application/json`.
Response json_response(http::status status, const boost::json::value& body);

// The error shape of every API: {"error": {"code": "...", "message": "..."}}.
// `code` is a stable machine-readable reason, `message` a sentence for people.
Response error_response(http::status status, std::string_view code, std::string_view message);

// True when the client would rather read HTML than JSON (a browser following a
// link): its Accept header gives an HTML type a higher quality (q) than any
// JSON type, or the same quality and names it first.
bool prefers_html(const Request& request);

// Reads application/x-www-form-urlencoded text (a query string without its
// '?', or a form body): '+' is a space, percent escapes are decoded, the last
// of repeated names wins. Malformed text yields what could be read before it.
std::map<std::string, std::string, std::less<>> parse_form(std::string_view encoded);

// The decoded query parameters of a request target ("/path?a=1&b=2").
std::map<std::string, std::string, std::less<>> query_parameters(std::string_view target);

// Escapes &, <, >, " and ' for use inside HTML text or attributes.
std::string html_escape(std::string_view text);

}  // namespace waypost::core
