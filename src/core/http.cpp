#include "core/http.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/parse_query.hpp>
#include <cctype>
#include <cstdlib>
#include <optional>

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

namespace {

// The quality a media range of an Accept header gives: its q parameter, 1 by default.
double quality_of(std::string_view range) {
  auto q = range.find(";q=");
  if (q == std::string_view::npos) {
    q = range.find("; q=");
    if (q == std::string_view::npos) {
      return 1.0;
    }
    ++q;
  }
  auto digits = std::string(range.substr(q + 3));
  char* end = nullptr;
  double value = std::strtod(digits.c_str(), &end);
  return end == digits.c_str() ? 1.0 : value;
}

}  // namespace

bool prefers_html(const Request& request) {
  // Each side's quality comes from its most specific range (text/html over
  // text/* over */*). On a tie HTML wins only when an HTML range was listed
  // before any JSON one, as browsers list their preference in order; so a bare
  // "*/*" (curl, most libraries) gets JSON. Media types ignore case.
  std::string accept(request[http::field::accept]);
  std::transform(accept.begin(), accept.end(), accept.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

  std::optional<double> html, any_text, json, any_application, anything;
  bool html_first = false;
  std::string_view rest = accept;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto range = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!range.empty() && range.front() == ' ') {
      range.remove_prefix(1);
    }

    auto quality = quality_of(range);
    auto raise = [quality](std::optional<double>& side) {
      side = std::max(side.value_or(0), quality);
    };
    if (range.starts_with("text/html") || range.starts_with("application/xhtml+xml")) {
      html_first = html_first || (!json && !any_application && quality > 0);
      raise(html);
    } else if (range.find("json") != std::string_view::npos) {
      raise(json);
    } else if (range.starts_with("text/*")) {
      raise(any_text);
    } else if (range.starts_with("application/*")) {
      raise(any_application);
    } else if (range.starts_with("*/*")) {
      raise(anything);
    }
  }

  double html_quality = html.value_or(any_text.value_or(anything.value_or(0)));
  double json_quality = json.value_or(any_application.value_or(anything.value_or(0)));
  return html_quality > json_quality ||
         (html_quality > 0 && html_quality == json_quality && html_first);
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

namespace {

// Decodes one encoded name or value. (Boost.URL 1.81's decode() with
// space_as_plus reads past the end of a view that is not NUL-terminated, so
// '+' is turned into an escape first and the plain decoding view is used.)
std::string decode_form_component(std::string_view encoded) {
  std::string escaped;
  for (char c : encoded) {
    escaped += c == '+' ? std::string_view("%20") : std::string_view(&c, 1);
  }
  auto checked = boost::urls::make_pct_string_view(escaped);
  if (!checked) {
    return escaped;
  }
  std::string decoded;
  for (char c : **checked) {
    decoded += c;
  }
  return decoded;
}

}  // namespace

std::map<std::string, std::string, std::less<>> parse_form(std::string_view encoded) {
  // Boost.URL 1.81's parse_query measures its input with strlen rather than
  // the view's size, so a view into a larger buffer (a request target) would
  // run on past its end: parse a NUL-terminated copy.
  const std::string terminated(encoded);
  std::map<std::string, std::string, std::less<>> fields;
  auto params = boost::urls::parse_query(terminated);
  if (!params) {
    return fields;
  }
  for (auto param : *params) {
    fields[decode_form_component(param.key)] = decode_form_component(param.value);
  }
  return fields;
}

std::map<std::string, std::string, std::less<>> query_parameters(std::string_view target) {
  auto question = target.find('?');
  if (question == std::string_view::npos) {
    return {};
  }
  return parse_form(target.substr(question + 1, target.find('#', question) - question - 1));
}

}  // namespace waypost::core
