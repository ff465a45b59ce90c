// Turns a destination URL typed or pasted by a user into the exact string the shortener stores
// and redirects to, or says why it is refused.
//
// The input is read the way a browser's address bar reads it (the WHATWG URL standard for the
// http and https schemes); the output is a strict RFC 3986 URI. Without its fragment it is an
// absolute-URI that boost::urls::parse_absolute_uri() accepts, and with it, a URI that
// boost::urls::parse_uri() accepts (the absolute-URI grammar has no fragment). What is done to
// each part:
//
//   scheme    only http and https, written in lower case.
//   userinfo  refused unless the policy allows it; an empty "@" or ":@" is dropped.
//   host      percent-decoded, converted to ASCII with UTS #46 (libidn2, non-transitional),
//             lower-cased. One trailing dot is dropped ("example.com." becomes "example.com").
//             Numeric hosts are read as IPv4 the WHATWG way ("0x7f.1" is 127.0.0.1) and written
//             dotted-decimal; IPv6 literals are written compressed in lower case.
//   port      dropped when it is the scheme's default or empty, otherwise written without
//             leading zeros.
//   path, query, fragment
//             kept byte for byte: existing escapes are neither decoded nor re-encoded and letter
//             case is kept. Only bytes RFC 3986 does not allow are percent-encoded (upper-case
//             hex, byte by byte, so non-ASCII text comes out as its UTF-8 escapes and invalid
//             UTF-8 as escapes of the raw bytes). A backslash in the path is a "/", as browsers
//             read it. An empty path becomes "/".
//             Dot segments ("/a/../b") are left as they are: the server sees what the user wrote.
//
// Knowingly stricter than a browser, and refused as kInvalidHost: hosts with an empty label
// ("a..b", ".a", "a.." once the trailing dot is dropped); hosts holding `"`, "`", "{" or "}"
// (valid for WHATWG but not in an RFC 3986 name); labels with non-ASCII characters that
// IDNA2008, which libidn2 applies, disallows but the looser UTS #46 tables of browsers allow
// (emoji, symbols, ASCII punctuation beside non-ASCII letters, a hyphen at either end). Plain
// ASCII labels are not held to those rules ("r3---sn-abc.googlevideo.com" is accepted).
// Also unlike a browser, every character RFC 3986 does not allow in a part is escaped there,
// including "[", "]", "|", "^", a "%" that starts no valid escape, a "\" in the query or
// fragment and a second "#" in the fragment; browsers send some of these raw.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace waypost::shortener {

// Why a destination was refused.
enum class UrlError {
  kEmpty,                  // nothing left after trimming white space
  kTooLong,                // the normalised URL exceeds UrlPolicy::max_length
  kMalformed,              // no scheme, or a structure no browser would accept
  kSchemeNotAllowed,       // a scheme other than http or https (javascript:, data:, file:, ...)
  kInvalidHost,            // empty host, forbidden characters, bad IDN, bad IPv4 or IPv6 literal
  kInvalidPort,            // a port that is not digits or is above 65535
  kCredentialsNotAllowed,  // "user@" or "user:password@" while the policy forbids them
  kPrivateAddress,         // loopback, private, link-local or unspecified address, or localhost
  kOwnHost,                // a link back to this service
};

// A stable, machine-readable name for `error`, such as "url_own_host", for API responses and
// metrics. Never changes once published.
[[nodiscard]] std::string_view error_code(UrlError error);

// A refusal: the reason and one human-readable sentence to show the user.
struct UrlRejection {
  UrlError error;
  std::string message;
};

// Lets `result.value()` on a refusal throw std::invalid_argument (found by argument-dependent
// lookup from boost::system::result). Prefer checking the result instead.
[[noreturn]] void throw_exception_from_error(const UrlRejection& rejection,
                                             const boost::source_location& location);

// What the service accepts as a destination.
struct UrlPolicy {
  // Hosts of this service, in any spelling (letter case, trailing dot, Unicode or punycode, IP
  // literals; a ":port" after an entry is ignored). A destination whose normalised host equals
  // one of them is refused whatever its port. Entries that are not valid hosts match nothing.
  std::vector<std::string> own_hosts;
  // Whether "user:password@" (or "user@") may appear before the host.
  bool allow_credentials = false;
  // Whether loopback, private, shared (100.64/10), link-local and unspecified IP literals, and
  // the names localhost and *.localhost, may be destinations.
  bool allow_private_addresses = false;
  // The longest normalised URL accepted, in bytes. Input more than four times as long is refused
  // before any work.
  std::size_t max_length = 32768;
};

// Returns the normalised destination described in the file comment, or the reason it is refused.
// Syntax is checked first (scheme, host, port), then the policy (credentials, own host, private
// address), then the length. The output is a fixed point: normalising it again returns it
// unchanged. Thread-safe; no I/O (no DNS lookups).
[[nodiscard]] boost::system::result<std::string, UrlRejection> normalize_destination(
    std::string_view input, const UrlPolicy& policy);

// The host of a URL that normalize_destination() produced (lower-case ASCII,
// without port or brackets' contents changed), cheaply, without parsing the
// rest. For anything else the result is unspecified but never out of bounds.
[[nodiscard]] std::string_view destination_host(std::string_view normalized_url);

}  // namespace waypost::shortener
