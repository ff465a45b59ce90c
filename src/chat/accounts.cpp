#include "chat/accounts.hpp"

#include <array>
#include <cstring>
#include <stdexcept>

#include "chat/storage_support.hpp"
#include "chat/validation.hpp"

namespace waypost::chat {
namespace {

using core::sqlite::Database;
using core::sqlite::Statement;
using core::sqlite::StepResult;

constexpr std::size_t kTokenBytes = 32;
using RawToken = std::array<unsigned char, kTokenBytes>;

constexpr const char* kSelectUser = "SELECT id, username, created_at, last_seen FROM users ";

User read_user(const Statement& row) {
  auto last_seen = row.column_optional_int(3);
  return User{
      .id = UserId{row.column_int(0)},
      .username = row.column_text(1),
      .created_at = detail::from_millis(row.column_int(2)),
      .last_seen = last_seen ? std::optional(detail::from_millis(*last_seen)) : std::nullopt,
  };
}

std::optional<User> first_user(Statement& statement) {
  if (!detail::has_row(statement)) {
    return std::nullopt;
  }
  return read_user(statement);
}

std::string encode_token(const RawToken& raw) {
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string text(sodium_base64_ENCODED_LEN(kTokenBytes, kVariant), '\0');
  sodium_bin2base64(text.data(), text.size(), raw.data(), raw.size(), kVariant);
  text.resize(std::strlen(text.c_str()));
  return text;
}

// The raw bytes behind a client's token, or nothing when it is not exactly
// the base64url text of kTokenBytes bytes.
std::optional<RawToken> decode_token(std::string_view text) {
  RawToken raw{};
  std::size_t length = 0;
  const char* end = nullptr;
  int status = sodium_base642bin(raw.data(), raw.size(), text.data(), text.size(), nullptr, &length,
                                 &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  if (status != 0 || length != kTokenBytes || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return raw;
}

// What the database stores in place of a token: hex SHA-256 of its raw bytes.
std::string token_hash(const RawToken& raw) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), raw.data(), raw.size());

  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.pop_back();
  return hex;
}

std::optional<std::string> token_hash(std::string_view token) {
  auto raw = decode_token(token);
  return raw ? std::optional(token_hash(*raw)) : std::nullopt;
}

bool user_exists(Database& db, UserId user) {
  auto query = db.prepare("SELECT 1 FROM users WHERE id = ?");
  query.bind(1, to_int(user));
  return detail::has_row(query);
}

struct StoredCredentials {
  User user;
  std::string password_hash;
};

std::optional<StoredCredentials> load_credentials(Database& db, const std::string& username) {
  auto query = db.prepare(
      "SELECT id, username, created_at, last_seen, password_hash FROM users WHERE username = ?");
  query.bind(1, username);
  if (!detail::has_row(query)) {
    return std::nullopt;
  }
  return StoredCredentials{read_user(query), query.column_text(4)};
}

}  // namespace

std::optional<std::string> token_key(std::string_view token) {
  return token_hash(token);
}

SqliteAccountStore::SqliteAccountStore(core::sqlite::ConnectionPool& pool, const Clock& clock,
                                       AccountConfig config)
    : pool_(pool), clock_(clock), config_(config) {
  if (sodium_init() < 0) {
    throw std::runtime_error("libsodium failed to initialise");
  }
  dummy_hash_ = hash_password("not-a-real-password");
}

Result<User> SqliteAccountStore::register_user(std::string_view username,
                                               std::string_view password) {
  auto name = normalize_username(username);
  if (!name) {
    return Errc::kInvalidUsername;
  }
  if (!is_valid_password(password)) {
    return Errc::kInvalidPassword;
  }

  // Hash before leasing a connection: hashing takes far longer than the insert.
  std::string hash = hash_password(password);
  Timestamp now = clock_.now();

  auto db = pool_.lease();
  auto insert =
      db->prepare("INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)");
  insert.bind(1, *name).bind(2, hash).bind(3, detail::to_millis(now));
  if (insert.step() == StepResult::kConstraintViolation) {
    return Errc::kUsernameTaken;
  }
  return User{UserId{db->last_insert_rowid()}, *name, now, std::nullopt};
}

Result<User> SqliteAccountStore::verify_login(std::string_view username,
                                              std::string_view password) {
  auto name = normalize_username(username);
  if (!name || !is_valid_password(password)) {
    return Errc::kWrongCredentials;
  }

  std::optional<StoredCredentials> stored;
  {
    auto db = pool_.lease();
    stored = load_credentials(*db, *name);
  }

  // Verify against a dummy hash when the user is unknown, so that the answer
  // takes as long as for a wrong password and does not reveal which names exist.
  const std::string& hash = stored ? stored->password_hash : dummy_hash_;
  bool matches = crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  if (!stored || !matches) {
    return Errc::kWrongCredentials;
  }
  return stored->user;
}

Result<IssuedToken> SqliteAccountStore::issue_token(UserId user) {
  RawToken raw{};
  randombytes_buf(raw.data(), raw.size());
  Timestamp now = clock_.now();
  Timestamp expires_at = now + config_.token_lifetime;

  auto db = pool_.lease();
  if (!user_exists(*db, user)) {
    return Errc::kNoSuchUser;
  }
  db->prepare(
        "INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at) "
        "VALUES (?, ?, ?, ?)")
      .bind(1, token_hash(raw))
      .bind(2, to_int(user))
      .bind(3, detail::to_millis(now))
      .bind(4, detail::to_millis(expires_at))
      .run();
  return IssuedToken{encode_token(raw), expires_at};
}

std::optional<User> SqliteAccountStore::authenticate(std::string_view token) {
  auto hash = token_hash(token);
  if (!hash) {
    return std::nullopt;
  }

  auto db = pool_.lease();
  auto query = db->prepare(
      "SELECT u.id, u.username, u.created_at, u.last_seen FROM auth_tokens t "
      "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.expires_at > ?");
  query.bind(1, *hash).bind(2, detail::to_millis(clock_.now()));
  return first_user(query);
}

std::optional<TokenGrant> SqliteAccountStore::authenticate_grant(std::string_view token) {
  auto hash = token_hash(token);
  if (!hash) {
    return std::nullopt;
  }

  auto now = clock_.now();
  auto db = pool_.lease();
  auto query = db->prepare(
      "SELECT u.id, u.username, u.created_at, u.last_seen, t.expires_at FROM auth_tokens t "
      "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.expires_at > ?");
  query.bind(1, *hash).bind(2, detail::to_millis(now));
  if (!detail::has_row(query)) {
    return std::nullopt;
  }
  return TokenGrant{read_user(query), std::move(*hash), detail::from_millis(query.column_int(4)),
                    now};
}

bool SqliteAccountStore::revoke_token(std::string_view token) {
  auto hash = token_hash(token);
  if (!hash) {
    return false;
  }

  auto db = pool_.lease();
  db->prepare("DELETE FROM auth_tokens WHERE token_hash = ?").bind(1, *hash).run();
  return detail::changed_rows(*db) > 0;
}

int SqliteAccountStore::revoke_all_tokens(UserId user) {
  auto db = pool_.lease();
  db->prepare("DELETE FROM auth_tokens WHERE user_id = ?").bind(1, to_int(user)).run();
  return detail::changed_rows(*db);
}

int SqliteAccountStore::purge_expired_tokens() {
  auto db = pool_.lease();
  db->prepare("DELETE FROM auth_tokens WHERE expires_at <= ?")
      .bind(1, detail::to_millis(clock_.now()))
      .run();
  return detail::changed_rows(*db);
}

bool SqliteAccountStore::record_seen(UserId user) {
  auto db = pool_.lease();
  db->prepare("UPDATE users SET last_seen = MAX(COALESCE(last_seen, 0), ?) WHERE id = ?")
      .bind(1, detail::to_millis(clock_.now()))
      .bind(2, to_int(user))
      .run();
  return detail::changed_rows(*db) > 0;
}

std::optional<User> SqliteAccountStore::find_user(UserId id) {
  auto db = pool_.lease();
  auto query = db->prepare(std::string(kSelectUser) + "WHERE id = ?");
  query.bind(1, to_int(id));
  return first_user(query);
}

std::optional<User> SqliteAccountStore::find_user_by_name(std::string_view username) {
  auto name = normalize_username(username);
  if (!name) {
    return std::nullopt;
  }

  auto db = pool_.lease();
  auto query = db->prepare(std::string(kSelectUser) + "WHERE username = ?");
  query.bind(1, *name);
  return first_user(query);
}

std::string SqliteAccountStore::hash_password(std::string_view password) const {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), config_.password_ops_limit,
                        config_.password_mem_limit) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return std::string(out.data());
}

}  // namespace waypost::chat
