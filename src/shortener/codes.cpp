#include "shortener/codes.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace waypost::shortener {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Top-level paths served by the server itself, or kept for features to come.
constexpr std::array<std::string_view, 11> kReservedNames = {
    "api",     "admin",  "assets",     "docs",        "favicon.ico", "healthz",
    "metrics", "readyz", "robots.txt", ".well-known", "static",
};

bool is_alias_character(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::string generate_code(std::size_t length) {
  std::string code(length, '0');
  do {
    for (auto& c : code) {
      c = kBase62[randombytes_uniform(static_cast<std::uint32_t>(kBase62.size()))];
    }
  } while (is_reserved_name(code));
  return code;
}

std::string_view alias_problem_code(AliasProblem problem) {
  switch (problem) {
    case AliasProblem::kLength:
      return "alias_length";
    case AliasProblem::kInvalidCharacter:
      return "alias_invalid_character";
    case AliasProblem::kDotSegment:
      return "alias_dot_segment";
    case AliasProblem::kReserved:
      return "alias_reserved";
  }
  return "alias_invalid";
}

std::string_view alias_problem_message(AliasProblem problem) {
  switch (problem) {
    case AliasProblem::kLength:
      return "A custom alias must be 3 to 64 characters long.";
    case AliasProblem::kInvalidCharacter:
      return "A custom alias may contain only letters, digits, '-', '_' and '.'.";
    case AliasProblem::kDotSegment:
      return "A custom alias cannot be '.' or '..'.";
    case AliasProblem::kReserved:
      return "This alias is reserved for the service's own paths.";
  }
  return "This alias cannot be used.";
}

std::optional<AliasProblem> check_alias(std::string_view alias) {
  if (!std::all_of(alias.begin(), alias.end(), is_alias_character)) {
    return AliasProblem::kInvalidCharacter;
  }
  if (alias == "." || alias == "..") {
    return AliasProblem::kDotSegment;
  }
  if (alias.size() < kMinAliasLength || alias.size() > kMaxAliasLength) {
    return AliasProblem::kLength;
  }
  if (is_reserved_name(alias)) {
    return AliasProblem::kReserved;
  }
  return std::nullopt;
}

bool is_reserved_name(std::string_view name) {
  return std::any_of(
      kReservedNames.begin(), kReservedNames.end(),
      [name](std::string_view reserved) { return equals_ignoring_case(name, reserved); });
}

bool could_be_code(std::string_view segment) {
  return !segment.empty() && segment.size() <= kMaxAliasLength &&
         std::all_of(segment.begin(), segment.end(), is_alias_character);
}

}  // namespace waypost::shortener
