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
  virtual ~AccountStore() = default;

  // Creates an account. The name is stored lower-case. Errors: kInvalidUsername,
  // kInvalidPassword, kUsernameTaken (also when the same name differs only in case).
  [[nodiscard]] virtual Result<User> register_user(std::string_view username,
                                                   std::string_view password) = 0;

  // Checks a password. Unknown users and wrong passwords both give
  // kWrongCredentials and take about the same time, so names cannot be probed.
  [[nodiscard]] virtual Result<User> verify_login(std::string_view username,
                                                  std::string_view password) = 0;

  // Creates a token for `user` valid for config.token_lifetime. Error: kNoSuchUser.
  [[nodiscard]] virtual Result<IssuedToken> issue_token(UserId user) = 0;

  // The user a token belongs to, or nothing when it is malformed, unknown,
  // revoked or expired (at or after its expires_at).
  [[nodiscard]] virtual std::optional<User> authenticate(std::string_view token) = 0;

  // As authenticate, and also says when the token expires, for callers that
  // keep using it after this check (WebSocket sessions).
  [[nodiscard]] virtual std::optional<TokenGrant> authenticate_grant(std::string_view token) = 0;

  // Revokes one token (logout). Returns false when the token was malformed,
  // unknown, already revoked or already purged.
  virtual bool revoke_token(std::string_view token) = 0;

  // Revokes every token of `user` ("log out everywhere"); returns how many.
  virtual int revoke_all_tokens(UserId user) = 0;

  // Deletes expired tokens; returns how many. A maintenance job may call it daily.
  virtual int purge_expired_tokens() = 0;

  // Records that `user` was seen now. last_seen never moves backwards, even if
  // the clock does. Returns false for an unknown user.
  virtual bool record_seen(UserId user) = 0;

  [[nodiscard]] virtual std::optional<User> find_user(UserId id) = 0;

  // Looks a user up by name, ignoring case.
  [[nodiscard]] virtual std::optional<User> find_user_by_name(std::string_view username) = 0;
};

// The embedded SQLite implementation.
class SqliteAccountStore final : public AccountStore {
 public:
  // Initialises libsodium; throws std::runtime_error when that fails. Hashes
  // one dummy password (see verify_login) so construction takes one hash's time.
  SqliteAccountStore(core::sqlite::ConnectionPool& pool, const Clock& clock,
                     AccountConfig config = {});

  Result<User> register_user(std::string_view username, std::string_view password) override;
  Result<User> verify_login(std::string_view username, std::string_view password) override;
  Result<IssuedToken> issue_token(UserId user) override;
  std::optional<User> authenticate(std::string_view token) override;
  std::optional<TokenGrant> authenticate_grant(std::string_view token) override;
  bool revoke_token(std::string_view token) override;
  int revoke_all_tokens(UserId user) override;
  int purge_expired_tokens() override;
  bool record_seen(UserId user) override;
  std::optional<User> find_user(UserId id) override;
  std::optional<User> find_user_by_name(std::string_view username) override;

 private:
  std::string hash_password(std::string_view password) const;

  core::sqlite::ConnectionPool& pool_;
  const Clock& clock_;
  AccountConfig config_;
  std::string dummy_hash_;  // verified against for unknown users; immutable after construction
};

}  // namespace waypost::chat
