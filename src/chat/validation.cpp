#include "chat/validation.hpp"

#include <algorithm>
#include <cstdint>

namespace waypost::chat {
namespace {

bool is_username_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Length of the sequence a UTF-8 lead byte announces, 0 for an invalid lead.
int sequence_length(std::uint8_t lead) {
  if (lead < 0x80) {
    return 1;
  }
  if (lead >= 0xc2 && lead <= 0xdf) {
    return 2;
  }
  if (lead >= 0xe0 && lead <= 0xef) {
    return 3;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    return 4;
  }
  return 0;
}

// The allowed range of the byte after `lead`; it excludes overlong forms,
// UTF-16 surrogates and code points above U+10FFFF.
bool second_byte_fits(std::uint8_t lead, std::uint8_t second) {
  switch (lead) {
    case 0xe0:
      return second >= 0xa0 && second <= 0xbf;
    case 0xed:
      return second >= 0x80 && second <= 0x9f;
    case 0xf0:
      return second >= 0x90 && second <= 0xbf;
    case 0xf4:
      return second >= 0x80 && second <= 0x8f;
    default:
      return second >= 0x80 && second <= 0xbf;
  }
}

bool is_continuation(std::uint8_t byte) {
  return (byte & 0xc0) == 0x80;
}

}  // namespace

std::optional<std::string> normalize_username(std::string_view name) {
  if (name.size() < kMinUsernameLength || name.size() > kMaxUsernameLength) {
    return std::nullopt;
  }

  std::string lowered(name.size(), '\0');
  std::transform(name.begin(), name.end(), lowered.begin(), ascii_lower);
  if (!std::all_of(lowered.begin(), lowered.end(), is_username_char)) {
    return std::nullopt;
  }
  return lowered;
}

bool is_valid_password(std::string_view password) {
  return password.size() >= kMinPasswordBytes && password.size() <= kMaxPasswordBytes;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<std::uint8_t>(text[i]);
    int length = sequence_length(lead);
    if (length == 0 || i + static_cast<std::size_t>(length) > text.size()) {
      return false;
    }
    if (length > 1 && !second_byte_fits(lead, static_cast<std::uint8_t>(text[i + 1]))) {
      return false;
    }
    for (int k = 2; k < length; ++k) {
      if (!is_continuation(static_cast<std::uint8_t>(text[i + k]))) {
        return false;
      }
    }
    i += static_cast<std::size_t>(length);
  }
  return true;
}

bool is_valid_group_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxGroupNameBytes && is_valid_utf8(name);
}

bool is_valid_message_text(std::string_view text, std::size_t max_bytes) {
  return !text.empty() && text.size() <= max_bytes && is_valid_utf8(text);
}

bool is_valid_client_message_id(std::string_view id) {
  auto visible = [](char c) { return c >= 0x21 && c <= 0x7e; };
  return !id.empty() && id.size() <= kMaxClientMessageIdBytes &&
         std::all_of(id.begin(), id.end(), visible);
}

}  // namespace waypost::chat
