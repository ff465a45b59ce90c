// A minimal keep-alive HTTP/1.1 client for the chat server's JSON REST API, used to set up
// accounts and groups before the load. One request at a time per client.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <string>

namespace loadgen {

struct RestResult {
  unsigned status = 0;      // 0 when the request failed at the transport level
  boost::json::value body;  // null unless the answer was JSON
  std::string failure;      // transport error, when status is 0
};

class RestClient {
 public:
  RestClient(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint server);

  // Sends `body` (JSON, may be empty) to `target` with an optional bearer `token`, connecting
  // or reconnecting as needed. Never throws for network errors: they come back in `failure`.
  // `target`, `body` and `token` must stay alive until the call completes.
  boost::asio::awaitable<RestResult> call(boost::beast::http::verb verb, const std::string& target,
                                          const std::string& body, const std::string& token);

 private:
  boost::asio::awaitable<bool> ensure_connected(RestResult& result);

  boost::asio::ip::tcp::endpoint server_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace loadgen
