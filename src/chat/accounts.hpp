// Accounts: registration, password login, bearer tokens and last-seen times.
#pragma once

#include <sodium.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "chat/clock.hpp"
#include "chat/errors.hpp"
#include "chat/types.hpp"
#include "core/sqlite.hpp"

namespace waypost::chat {

struct AccountConfig {
  // Argon2id cost. The defaults are libsodium's "interactive" limits (about
  // 64 MiB of memory per hash); tests lower both to crypto_pwhash_*_MIN.
  unsigned long long password_ops_limit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  std::size_t password_mem_limit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

  std::chrono::milliseconds token_lifetime = std::chrono::hours(24 * 30);
};

// A token as handed to the client, once. The server keeps only its hash.
struct IssuedToken {
  std::string token;  // 43 characters of unpadded base64url (32 random bytes)
  Timestamp expires_at;
};

// A token that authenticated a request, as a long-lived connection needs it.
struct TokenGrant {
  User user;
  std::string key;       // names the token without revealing it (see token_key)
  Timestamp expires_at;  // the token stops working at this instant
  Timestamp checked_at;  // the store clock's "now" when the token was accepted
};

// An opaque, stable name for `token` (its stored hash), for finding what it
// authenticated; nothing when the token is malformed. Never the token itself.
[[nodiscard]] std::optional<std::string> token_key(std::string_view token);

// Thread rules: every method is synchronous, leases one pooled connection for
// its duration and may be called from several storage threads at once.
// Password hashing runs without holding a connection, but it is deliberately
// slow and memory-hungry: callers should bound how many run at once.
// Storage faults throw core::sqlite::DatabaseError.
class AccountStore {
 public:
  // Initialises libsodium; throws std::runtime_error when that fails. Hashes
  // one dummy password (see verify_login) so construction takes one hash's time.
  AccountStore(core::sqlite::ConnectionPool& pool, const Clock& clock, AccountConfig config = {});

  // Creates an account. The name is stored lower-case. Errors: kInvalidUsername,
  // kInvalidPassword, kUsernameTaken (also when the same name differs only in case).
  [[nodiscard]] Result<User> register_user(std::string_view username, std::string_view password);

  // Checks a password. Unknown users and wrong passwords both give
  // kWrongCredentials and take about the same time, so names cannot be probed.
  [[nodiscard]] Result<User> verify_login(std::string_view username, std::string_view password);

  // Creates a token for `user` valid for config.token_lifetime. Error: kNoSuchUser.
  [[nodiscard]] Result<IssuedToken> issue_token(UserId user);

  // The user a token belongs to, or nothing when it is malformed, unknown,
  // revoked or expired (at or after its expires_at).
  [[nodiscard]] std::optional<User> authenticate(std::string_view token);

  // As authenticate, and also says when the token expires, for callers that
  // keep using it after this check (WebSocket sessions).
  [[nodiscard]] std::optional<TokenGrant> authenticate_grant(std::string_view token);

  // Revokes one token (logout). Returns false when the token was malformed,
  // unknown, already revoked or already purged.
  bool revoke_token(std::string_view token);

  // Revokes every token of `user` ("log out everywhere"); returns how many.
  int revoke_all_tokens(UserId user);

  // Deletes expired tokens; returns how many. A maintenance job may call it daily.
  int purge_expired_tokens();

  // Records that `user` was seen now. last_seen never moves backwards, even if
  // the clock does. Returns false for an unknown user.
  bool record_seen(UserId user);

  [[nodiscard]] std::optional<User> find_user(UserId id);

  // Looks a user up by name, ignoring case.
  [[nodiscard]] std::optional<User> find_user_by_name(std::string_view username);

 private:
  std::string hash_password(std::string_view password) const;

  core::sqlite::ConnectionPool& pool_;
  const Clock& clock_;
  AccountConfig config_;
  std::string dummy_hash_;  // verified against for unknown users; immutable after construction
};

}  // namespace waypost::chat
