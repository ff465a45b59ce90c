#include "rest_client.hpp"

#include <chrono>

namespace loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kRequestTimeout{30};

}  // namespace

RestClient::RestClient(asio::any_io_executor executor, asio::ip::tcp::endpoint server)
    : server_(server), stream_(std::move(executor)) {}

asio::awaitable<bool> RestClient::ensure_connected(RestResult& result) {
  if (connected_) {
    co_return true;
  }
  stream_.expires_after(kRequestTimeout);
  auto [ec] = co_await stream_.async_connect(server_, kNoThrow);
  if (ec) {
    result.failure = "connect: " + ec.message();
    co_return false;
  }
  stream_.socket().set_option(asio::ip::tcp::no_delay(true));
  connected_ = true;
  co_return true;
}

asio::awaitable<RestResult> RestClient::call(http::verb verb, const std::string& target,
                                             const std::string& body, const std::string& token) {
  RestResult result;
  if (!co_await ensure_connected(result)) {
    co_return result;
  }

  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, server_.address().to_string());
  request.set(http::field::content_type, "application/json");
  if (!token.empty()) {
    request.set(http::field::authorization, "Bearer " + token);
  }
  request.body() = body;
  request.prepare_payload();

  stream_.expires_after(kRequestTimeout);
  auto [write_ec, written] = co_await http::async_write(stream_, request, kNoThrow);
  http::response<http::string_body> response;
  boost::system::error_code read_ec;
  if (!write_ec) {
    auto [ec, read] = co_await http::async_read(stream_, buffer_, response, kNoThrow);
    read_ec = ec;
  }
  if (write_ec || read_ec) {
    // The server may have closed an idle keep-alive connection: the caller retries if it wants.
    connected_ = false;
    beast::error_code ignored;
    stream_.socket().close(ignored);
    result.failure = (write_ec ? "write: " + write_ec.message() : "read: " + read_ec.message());
    co_return result;
  }

  result.status = response.result_int();
  boost::system::error_code parse_ec;
  result.body = boost::json::parse(response.body(), parse_ec);
  if (!response.keep_alive()) {
    connected_ = false;
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }
  co_return result;
}

}  // namespace loadgen
