// Creating links: POST /api/v1/shorten and POST /api/v1/links/bulk.
#include <sodium.h>

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include "core/logging.hpp"
#include "shortener/codes.hpp"
#include "shortener/link_fields.hpp"
#include "shortener/link_password.hpp"
#include "shortener/service.hpp"

namespace waypost::shortener {

namespace http = core::http;
namespace json = boost::json;
using core::error_response;
using core::Request;
using core::Response;

namespace {

// Generated codes are random, so a collision means the code space is filling
// up; a handful of retries hides rare ones, more would hide a real problem.
constexpr int kGeneratedCodeAttempts = 8;

constexpr std::size_t kMaxUserIdLength = 128;

constexpr std::string_view kKeyHoldersOnly = "This server creates links only for API key holders.";
constexpr std::string_view kBulkNeedsKey = "Bulk creation needs an API key.";

json::object creation_result(const Link& link, const std::string& short_url) {
  return {{"short_url", short_url},
          {"code", link.code},
          {"long_url", link.long_url},
          {"expiry_date", optional_time_json(link.expires_at)},
          {"created_at", format_rfc3339(link.created_at)}};
}

// The {"code", "message"} object inside an error response's body.
json::value error_of(const Response& response) {
  boost::system::error_code ec;
  auto body = json::parse(response.body(), ec);
  if (ec || !body.is_object() || !body.as_object().contains("error")) {
    return json::object{{"code", "internal_error"}, {"message", "No error detail."}};
  }
  return body.as_object().at("error");
}

}  // namespace

boost::asio::awaitable<std::variant<Link, Response>> ShortenerService::prepare_link(
    const json::object& fields, const std::optional<ApiKey>& key) {
  LinkFields given;
  if (auto problem = read_link_fields(fields, given, FieldMode::kCreate)) {
    co_return std::move(*problem);
  }
  if (!given.long_url) {
    co_return error_response(http::status::bad_request, "missing_field",
                             "The field 'long_url' is required.");
  }
  if (given.user_id && given.user_id->size() > kMaxUserIdLength) {
    co_return error_response(http::status::bad_request, "invalid_field",
                             "The field 'user_id' is longer than 128 bytes.");
  }

  auto normalized = normalize_destination(*given.long_url, options_.url_policy);
  if (!normalized) {
    co_return error_response(http::status::bad_request, error_code(normalized.error().error),
                             normalized.error().message);
  }
  if (auto blocked = refuse_blocked(*normalized)) {
    co_return std::move(*blocked);
  }

  auto alias = given.custom_alias.value_or("");
  if (!alias.empty()) {
    if (auto alias_problem = check_alias(alias)) {
      co_return error_response(http::status::bad_request, alias_problem_code(*alias_problem),
                               alias_problem_message(*alias_problem));
    }
  }

  auto now = parts_.clock.now();
  Link link{.code = alias,
            .long_url = std::move(*normalized),
            .created_at = now,
            .expires_at = given.expires_at.value_or(std::nullopt),
            .redirect_status = given.redirect_status.value_or(std::nullopt),
            .user_id = std::move(given.user_id),
            .custom_alias = !alias.empty(),
            .owner = key ? std::optional(key->owner) : std::nullopt,
            .max_visits = given.max_visits.value_or(std::nullopt)};
  if (link.expires_at && *link.expires_at <= now) {
    co_return error_response(http::status::bad_request, "expiry_in_past",
                             "The field 'expiry_date' must lie in the future.");
  }
  if (given.password && *given.password) {
    auto hash = [&password = **given.password] { return hash_link_password(password); };
    link.password_hash = co_await parts_.storage_threads.run(std::move(hash));
  }
  co_return link;
}

std::optional<Response> ShortenerService::refuse_blocked(const std::string& normalized_url) {
  if (!parts_.blocklist.current()->blocks(destination_host(normalized_url))) {
    return std::nullopt;
  }
  blocked_creations_.increment();
  return error_response(http::status::forbidden, "destination_blocked",
                        "Links to this domain are not allowed on this server.");
}

boost::asio::awaitable<bool> ShortenerService::insert_link(Link& link) {
  int attempts = link.custom_alias ? 1 : kGeneratedCodeAttempts;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (!link.custom_alias) {
      link.code = generate_code(options_.code_length);
    }
    auto insert = [this, &link] { return parts_.links.insert(link); };
    if (co_await parts_.storage_threads.run(std::move(insert)) == InsertOutcome::kInserted) {
      links_created_.increment();
      cache_.erase(link.code);  // drop a cached "absent" for a code that now exists
      co_return true;
    }
    if (!link.custom_alias) {
      code_collisions_.increment();
    }
  }
  co_return false;
}

ShortenerService::Awaitable ShortenerService::shorten(Request& request, const Context& context) {
  auto caller = co_await identify(request);
  if (caller.refusal) {
    co_return std::move(*caller.refusal);
  }
  if (!caller.key) {
    if (!options_.anonymous_creation) {
      co_return key_required(kKeyHoldersOnly);
    }
    auto address = client_address(request, context);
    RateDecision decision;
    if (!exempt(address)) {
      if (auto refusal = over_limit(creation_limiter_, "creation", address.to_string(), decision)) {
        co_return std::move(*refusal);
      }
    }
  }

  json::object fields;
  if (auto problem = read_json_object(request, fields)) {
    co_return std::move(*problem);
  }
  auto prepared = co_await prepare_link(fields, caller.key);
  if (auto* refused = std::get_if<Response>(&prepared)) {
    co_return std::move(*refused);
  }
  auto& link = std::get<Link>(prepared);

  if (!co_await insert_link(link)) {
    if (link.custom_alias) {
      co_return error_response(http::status::conflict, "alias_taken",
                               "This custom alias is already in use.");
    }
    core::logger("shortener")->error("no free code after {} attempts", kGeneratedCodeAttempts);
    co_return error_response(http::status::service_unavailable, "code_space_exhausted",
                             "No free short code was found; try again or raise the code length.");
  }

  auto response =
      core::json_response(http::status::created, creation_result(link, short_url(link.code)));
  response.set(http::field::location, "/api/v1/links/" + link.code);
  co_return response;
}

ShortenerService::Awaitable ShortenerService::create_in_bulk(Request& request) {
  auto caller = co_await identify(request, kBulkNeedsKey);
  if (caller.refusal) {
    co_return std::move(*caller.refusal);
  }

  json::object body;
  if (auto problem = read_json_object(request, body)) {
    co_return std::move(*problem);
  }
  auto* items = body.if_contains("links");
  if (items == nullptr || !items->is_array() || items->as_array().empty()) {
    co_return error_response(http::status::bad_request, "invalid_field",
                             "The field 'links' must be a non-empty array of link requests.");
  }
  if (items->as_array().size() > options_.max_bulk_links) {
    co_return error_response(
        http::status::bad_request, "too_many_links",
        "At most " + std::to_string(options_.max_bulk_links) + " links fit in one request.");
  }

  // Prepare every item on its own; a bad one answers for itself only.
  const auto& requested = items->as_array();
  std::vector<json::object> results(requested.size());
  std::vector<Link> pending;
  std::vector<std::size_t> pending_index;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    results[i]["index"] = i;
    if (!requested[i].is_object()) {
      results[i]["status"] = 400;
      results[i]["error"] = json::object{{"code", "malformed_json"},
                                         {"message", "Each entry must be a JSON object."}};
      continue;
    }
    auto prepared = co_await prepare_link(requested[i].as_object(), caller.key);
    if (auto* refused = std::get_if<Response>(&prepared)) {
      results[i]["status"] = static_cast<int>(refused->result_int());
      results[i]["error"] = error_of(*refused);
      continue;
    }
    pending.push_back(std::move(std::get<Link>(prepared)));
    pending_index.push_back(i);
  }

  // Insert in batches; generated codes that were taken are drawn again.
  for (int round = 0; round < kGeneratedCodeAttempts && !pending.empty(); ++round) {
    for (auto& link : pending) {
      if (!link.custom_alias) {
        link.code = generate_code(options_.code_length);
      }
    }
    auto insert = [this, &pending] { return parts_.links.insert_batch(pending); };
    auto outcomes = co_await parts_.storage_threads.run(std::move(insert));

    std::vector<Link> retry;
    std::vector<std::size_t> retry_index;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      auto& result = results[pending_index[k]];
      if (outcomes[k] == InsertOutcome::kInserted) {
        links_created_.increment();
        cache_.erase(pending[k].code);
        result["status"] = 201;
        result["link"] = creation_result(pending[k], short_url(pending[k].code));
      } else if (pending[k].custom_alias) {
        result["status"] = 409;
        result["error"] = json::object{{"code", "alias_taken"},
                                       {"message", "This custom alias is already in use."}};
      } else {
        code_collisions_.increment();
        retry.push_back(std::move(pending[k]));
        retry_index.push_back(pending_index[k]);
      }
    }
    pending = std::move(retry);
    pending_index = std::move(retry_index);
  }
  for (auto index : pending_index) {
    results[index]["status"] = 503;
    results[index]["error"] = json::object{{"code", "code_space_exhausted"},
                                           {"message", "No free short code was found."}};
  }

  std::size_t created = 0;
  json::array answer;
  for (auto& result : results) {
    created += result.at("status").as_int64() == 201 ? 1 : 0;
    answer.push_back(std::move(result));
  }
  co_return core::json_response(
      http::status::ok,
      {{"created", created}, {"failed", requested.size() - created}, {"results", answer}});
}

}  // namespace waypost::shortener
