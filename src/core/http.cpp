#include "core/http.hpp"

#include <boost/json/serialize.hpp>

namespace waypost::core {

Response json_response(http::status status, const boost::json::value& body) {
  Response response{status, 11};
  response.set(http::field::content_type, "application/json");
  response.body() = boost::json::serialize(body);
  return response;
}

Response error_response(http::status status, std::string_view code, std::string_view message) {
  boost::json::object error{{"code", code}, {"message", message}};
  return json_response(status, boost::json::object{{"error", std::move(error)}});
}

bool prefers_html(const Request& request) {
  auto accept = request[http::field::accept];
  auto html = accept.find("text/html");
  if (html == std::string_view::npos) {
    return false;
  }
  auto json = accept.find("json");
  return json == std::string_view::npos || html < json;
}

std::string html_escape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

}  // namespace waypost::core
