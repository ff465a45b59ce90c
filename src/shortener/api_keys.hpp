// API keys: bearer secrets that identify a link owner. Keys are shown once at
// creation and stored only as a SHA-256 hash; a key is 256 random bits, so a
// fast hash is as safe as a slow one and keeps every API call cheap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shortener/rfc3339.hpp"

namespace waypost::shortener {

struct ApiKey {
  std::int64_t id = 0;
  std::string owner;  // links created with the key belong to this name
  std::string label;  // free text for the operator ("ci", "laptop")
  Timestamp created_at{};
  std::optional<Timestamp> revoked_at{};
};

// A new secret: "wpk_" followed by 43 Base62 characters from the CSPRNG.
std::string generate_api_key_secret();

// The hex SHA-256 of `secret`, the only form in which keys are stored.
std::string hash_api_key_secret(std::string_view secret);

// Owner names: 1 to 64 characters of A-Z a-z 0-9 - _ . @
bool is_valid_owner_name(std::string_view owner);

// Storage of API keys. Blocking calls for storage threads or the admin CLI;
// thread-safe; unexpected storage failures throw.
class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;

  // Stores a key whose secret hashes to `secret_hash` and returns it with its id.
  virtual ApiKey create(const std::string& owner, const std::string& label,
                        const std::string& secret_hash, Timestamp now) = 0;

  // The key with this hash unless it was revoked.
  [[nodiscard]] virtual std::optional<ApiKey> find_active(std::string_view secret_hash) = 0;

  // Every key, revoked ones included, oldest first.
  [[nodiscard]] virtual std::vector<ApiKey> list() = 0;

  // Revokes key `id`; false when there is no such key or it was already revoked.
  [[nodiscard]] virtual bool revoke(std::int64_t id, Timestamp now) = 0;
};

}  // namespace waypost::shortener
