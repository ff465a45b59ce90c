// Input rules for names, passwords and message fields. Pure functions, safe
// from any thread; the stores apply them before touching the database.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace waypost::chat {

inline constexpr std::size_t kMinUsernameLength = 3;
inline constexpr std::size_t kMaxUsernameLength = 32;
inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 1024;
inline constexpr std::size_t kMaxGroupNameBytes = 100;
inline constexpr std::size_t kMaxClientMessageIdBytes = 128;

// The stored (lower-case) form of `name`, or nothing when it breaks the rules:
// 3-32 characters of [a-z0-9_.-] once ASCII letters are lower-cased.
std::optional<std::string> normalize_username(std::string_view name);

// Passwords are opaque bytes, 8 to 1024 of them.
bool is_valid_password(std::string_view password);

// True when `text` is well-formed UTF-8: no overlong forms, no surrogates,
// nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);

// 1 to kMaxGroupNameBytes bytes of UTF-8.
bool is_valid_group_name(std::string_view name);

// 1 to `max_bytes` bytes of UTF-8.
bool is_valid_message_text(std::string_view text, std::size_t max_bytes);

// 1 to kMaxClientMessageIdBytes visible ASCII characters (0x21-0x7e), e.g. a UUID.
bool is_valid_client_message_id(std::string_view id);

}  // namespace waypost::chat
