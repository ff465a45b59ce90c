#include "shortener/link_fields.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include "shortener/link.hpp"

namespace waypost::shortener {

namespace http = core::http;
namespace json = boost::json;
using core::error_response;
using core::Response;

namespace {

bool is_json_content_type(std::string_view content_type) {
  auto media_type = content_type.substr(0, content_type.find(';'));
  while (!media_type.empty() && media_type.back() == ' ') {
    media_type.remove_suffix(1);
  }
  return boost::beast::iequals(media_type, "application/json");
}

Response invalid(std::string_view code, const std::string& message) {
  return error_response(http::status::bad_request, code, message);
}

// A string field; null counts as absent.
std::optional<Response> read_string(const json::object& body, std::string_view field,
                                    std::optional<std::string>& out) {
  auto* value = body.if_contains(field);
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    return invalid("invalid_field", "The field '" + std::string(field) + "' must be a string.");
  }
  out = std::string(value->get_string());
  return std::nullopt;
}

std::optional<Response> read_expiry(const json::value& value,
                                    std::optional<std::optional<Timestamp>>& out) {
  if (value.is_null()) {
    out = std::optional<Timestamp>{};
    return std::nullopt;
  }
  auto parsed = value.is_string() ? parse_rfc3339(value.get_string()) : std::nullopt;
  if (!parsed) {
    return invalid("invalid_expiry_date",
                   "The field 'expiry_date' must be an RFC 3339 date-time with an offset, such "
                   "as 2030-01-01T10:00:00Z.");
  }
  out = parsed;
  return std::nullopt;
}

std::optional<Response> read_redirect_status(const json::value& value,
                                             std::optional<std::optional<int>>& out) {
  if (value.is_null()) {
    out = std::optional<int>{};
    return std::nullopt;
  }
  if (!value.is_int64() || !is_redirect_status(static_cast<int>(value.get_int64()))) {
    return invalid("invalid_redirect_status",
                   "The field 'redirect_status' must be 301, 302, 307 or 308.");
  }
  out = static_cast<int>(value.get_int64());
  return std::nullopt;
}

std::optional<Response> read_max_visits(const json::value& value,
                                        std::optional<std::optional<std::int64_t>>& out) {
  if (value.is_null()) {
    out = std::optional<std::int64_t>{};
    return std::nullopt;
  }
  if (!value.is_int64() || value.get_int64() < 1 || value.get_int64() > kMaxVisitLimit) {
    return invalid("invalid_max_visits",
                   "The field 'max_visits' must be a whole number from 1 to 10^12.");
  }
  out = value.get_int64();
  return std::nullopt;
}

std::optional<Response> read_password(const json::value& value,
                                      std::optional<std::optional<std::string>>& out) {
  if (value.is_null()) {
    out = std::optional<std::string>{};
    return std::nullopt;
  }
  if (!value.is_string() || value.get_string().empty() ||
      value.get_string().size() > kMaxLinkPasswordBytes) {
    return invalid("invalid_password", "The field 'password' must be a string of 1 to 1024 bytes.");
  }
  out = std::string(value.get_string());
  return std::nullopt;
}

}  // namespace

std::optional<Response> read_link_fields(const json::object& body, LinkFields& out,
                                         FieldMode mode) {
  if (auto problem = read_string(body, "long_url", out.long_url)) {
    return problem;
  }
  if (mode == FieldMode::kCreate) {
    if (auto problem = read_string(body, "custom_alias", out.custom_alias)) {
      return problem;
    }
    if (auto problem = read_string(body, "user_id", out.user_id)) {
      return problem;
    }
  } else {
    for (auto fixed : {"custom_alias", "code", "user_id"}) {
      if (body.contains(fixed)) {
        return invalid("field_not_updatable",
                       "The field '" + std::string(fixed) + "' cannot be changed.");
      }
    }
  }

  // At creation null means "not given"; in an edit it clears the field.
  auto given = [&](std::string_view field) -> const json::value* {
    auto* value = body.if_contains(field);
    return value == nullptr || (mode == FieldMode::kCreate && value->is_null()) ? nullptr : value;
  };
  std::optional<Response> problem;
  if (auto* value = given("expiry_date"); value != nullptr && !problem) {
    problem = read_expiry(*value, out.expires_at);
  }
  if (auto* value = given("redirect_status"); value != nullptr && !problem) {
    problem = read_redirect_status(*value, out.redirect_status);
  }
  if (auto* value = given("max_visits"); value != nullptr && !problem) {
    problem = read_max_visits(*value, out.max_visits);
  }
  if (auto* value = given("password"); value != nullptr && !problem) {
    problem = read_password(*value, out.password);
  }
  return problem;
}

std::optional<Response> read_json_object(const core::Request& request, json::object& out) {
  if (!is_json_content_type(request[http::field::content_type])) {
    return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                          "Send the request body as application/json.");
  }
  boost::system::error_code ec;
  auto parsed = json::parse(request.body(), ec);
  if (ec) {
    return invalid("malformed_json", "The request body is not valid JSON: " + ec.message() + ".");
  }
  if (!parsed.is_object()) {
    return invalid("malformed_json", "The request body must be a JSON object.");
  }
  out = std::move(parsed.as_object());
  return std::nullopt;
}

json::value optional_time_json(const std::optional<Timestamp>& instant) {
  return instant ? json::value(format_rfc3339(*instant)) : json::value(nullptr);
}

}  // namespace waypost::shortener
