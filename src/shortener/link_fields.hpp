// Reading the JSON of link requests (creation, bulk items, edits) into typed
// fields, with the 4xx answer for whatever does not fit.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "core/http.hpp"
#include "shortener/rfc3339.hpp"

namespace waypost::shortener {

// The largest visit limit a link may have.
inline constexpr std::int64_t kMaxVisitLimit = 1'000'000'000'000;
// Link passwords: 1 to kMaxLinkPasswordBytes bytes.
inline constexpr std::size_t kMaxLinkPasswordBytes = 1024;

// Fields of a link request. The outer optional says whether the field was
// given at all; for the fields an edit may clear, the inner one is empty when
// it was given as null.
struct LinkFields {
  std::optional<std::string> long_url;
  std::optional<std::string> custom_alias;
  std::optional<std::string> user_id;
  std::optional<std::optional<Timestamp>> expires_at;
  std::optional<std::optional<int>> redirect_status;
  std::optional<std::optional<std::int64_t>> max_visits;
  std::optional<std::optional<std::string>> password;
};

enum class FieldMode {
  kCreate,  // every field; null means "not given"
  kUpdate,  // only what an edit may change; null clears expiry, status, limit and password
};

// Reads `body` into `out`. Returns the 400 to answer when a field has the
// wrong type or value (not when a required field is missing: callers decide).
// Unknown fields are ignored.
[[nodiscard]] std::optional<core::Response> read_link_fields(const boost::json::object& body,
                                                             LinkFields& out, FieldMode mode);

// Checks that `request` carries a JSON object and parses it into `out`;
// otherwise returns the 415 or 400 to answer.
[[nodiscard]] std::optional<core::Response> read_json_object(const core::Request& request,
                                                             boost::json::object& out);

// An RFC 3339 string, or JSON null.
boost::json::value optional_time_json(const std::optional<Timestamp>& instant);

}  // namespace waypost::shortener
