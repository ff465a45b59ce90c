#include "shortener/api_keys.hpp"

#include <sodium.h>

#include <array>

namespace waypost::shortener {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// 43 Base62 characters carry just over 256 bits.
constexpr int kSecretCharacters = 43;

}  // namespace

std::string generate_api_key_secret() {
  std::string secret = "wpk_";
  for (int i = 0; i < kSecretCharacters; ++i) {
    secret += kBase62[randombytes_uniform(static_cast<std::uint32_t>(kBase62.size()))];
  }
  return secret;
}

std::string hash_api_key_secret(std::string_view secret) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

bool is_valid_owner_name(std::string_view owner) {
  if (owner.empty() || owner.size() > 64) {
    return false;
  }
  for (char c : owner) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == '.' || c == '@';
    if (!allowed) {
      return false;
    }
  }
  return true;
}

}  // namespace waypost::shortener
