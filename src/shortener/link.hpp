// A short link: the record the shortener stores, caches and redirects with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "shortener/rfc3339.hpp"

namespace waypost::shortener {

struct Link {
  std::string code{};                     // the path segment after the host, case-sensitive
  std::string long_url{};                 // normalised destination, sent as Location verbatim
  Timestamp created_at{};                 // UTC
  std::optional<Timestamp> expires_at{};  // UTC; from this instant on the link answers 410
  std::optional<int> redirect_status{};   // 301, 302, 307 or 308; none means the server default
  std::optional<std::string> user_id{};   // free-form owner label given at creation
  bool custom_alias = false;              // chosen by the creator rather than generated
  std::optional<std::string> owner{};     // owner of the API key that created it; none if anonymous
  std::optional<std::int64_t>
      max_visits{};         // human visits allowed; afterwards the link answers 410
  std::int64_t visits = 0;  // human visits so far (bots and HEAD excluded)
  std::optional<std::string> password_hash{};  // Argon2id string; visitors must enter the password
  std::optional<Timestamp> updated_at{};       // last change through the API

  // True once `now` has reached the expiry instant (an expiry is exclusive).
  bool expired_at(Timestamp now) const { return expires_at && now >= *expires_at; }
  bool visit_limited() const { return max_visits.has_value(); }
  // True once a visit-limited link has had all its visits.
  bool used_up() const { return visit_limited() && visits >= *max_visits; }
  bool password_protected() const { return password_hash.has_value(); }
};

// The redirect statuses a link may use.
inline bool is_redirect_status(int status) {
  return status == 301 || status == 302 || status == 307 || status == 308;
}

}  // namespace waypost::shortener
