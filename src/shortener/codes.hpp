// Short codes: the generated kind (random Base62) and the chosen kind (custom
// aliases), and the names the server keeps for its own paths.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace waypost::shortener {

inline constexpr std::size_t kMinAliasLength = 3;
inline constexpr std::size_t kMaxAliasLength = 64;

// A random code of `length` Base62 characters drawn from the operating
// system's CSPRNG (libsodium), so codes cannot be guessed from earlier ones.
// Never returns a reserved name. Thread-safe.
std::string generate_code(std::size_t length);

// Why a custom alias is refused; each has a stable machine-readable name.
enum class AliasProblem {
  kLength,            // shorter than kMinAliasLength or longer than kMaxAliasLength
  kInvalidCharacter,  // a character outside A-Z a-z 0-9 - _ .
  kDotSegment,        // "." or "..", which clients resolve away as path segments
  kReserved,          // a top-level path of the server itself, in any letter case
};

std::string_view alias_problem_code(AliasProblem problem);
std::string_view alias_problem_message(AliasProblem problem);

// Checks a requested alias; nullopt means it may be used (if not taken).
std::optional<AliasProblem> check_alias(std::string_view alias);

// True for names the server serves itself (api, healthz, metrics, ...),
// compared without regard to letter case.
bool is_reserved_name(std::string_view name);

// True when `segment` could be a code at all (allowed characters and length);
// other paths are answered 404 without a lookup.
bool could_be_code(std::string_view segment);

}  // namespace waypost::shortener
