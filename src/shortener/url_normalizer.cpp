#include "shortener/url_normalizer.hpp"

#include <idn2.h>

#include <algorithm>
#include <array>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/sub_delim_chars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace waypost::shortener {
namespace {

template <class T>
using Outcome = boost::system::result<T, UrlRejection>;

// Bytes that may appear unescaped in each part of the output (RFC 3986). A "%" is kept only when
// it starts a valid escape, see append_encoded().
constexpr auto kPathChars = boost::urls::pchars + '/';
constexpr auto kQueryChars = boost::urls::pchars + '/' + '?';
constexpr auto kUsernameChars = boost::urls::unreserved_chars + boost::urls::sub_delim_chars;
constexpr auto kPasswordChars = kUsernameChars + ':';
constexpr auto kHostChars = boost::urls::unreserved_chars + boost::urls::sub_delim_chars;

UrlRejection reject(UrlError error, std::string message) {
  return {error, std::move(message)};
}

// ---------------------------------------------------------------------------------------------
// Small byte helpers.

bool is_ascii(char c) {
  return static_cast<unsigned char>(c) < 0x80;
}

bool is_c0_control_or_space(char c) {
  return static_cast<unsigned char>(c) <= 0x20;
}

bool is_tab_or_newline(char c) {
  return c == '\t' || c == '\n' || c == '\r';
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// The value of `c` as a digit in `radix` (8, 10 or 16), or -1.
int digit_value(char c, int radix) {
  int value = -1;
  if (is_digit(c)) {
    value = c - '0';
  } else if (c >= 'a' && c <= 'f') {
    value = c - 'a' + 10;
  } else if (c >= 'A' && c <= 'F') {
    value = c - 'A' + 10;
  }
  return value < radix ? value : -1;
}

bool is_hex(char c) {
  return digit_value(c, 16) >= 0;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  return std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char a, char b) { return to_lower(a) == to_lower(b); });
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  for (std::size_t end = text.find(separator); end != std::string_view::npos;
       end = text.find(separator, start)) {
    pieces.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  pieces.push_back(text.substr(start));
  return pieces;
}

// True when text[index] is a "%" followed by two hex digits.
bool starts_escape(std::string_view text, std::size_t index) {
  return text[index] == '%' && index + 2 < text.size() && is_hex(text[index + 1]) &&
         is_hex(text[index + 2]);
}

void append_escape(std::string& out, char byte) {
  constexpr std::string_view kHexDigits = "0123456789ABCDEF";
  const auto value = static_cast<unsigned char>(byte);
  out.push_back('%');
  out.push_back(kHexDigits[value >> 4]);
  out.push_back(kHexDigits[value & 0x0F]);
}

// Appends `text`, escaping every byte outside `allowed` and every "%" that does not start a valid
// escape. Existing escapes are copied as they are, so the result is unchanged by a second pass.
template <class CharSet>
void append_encoded(std::string& out, std::string_view text, const CharSet& allowed) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool keep = c == '%' ? starts_escape(text, i) : allowed(c);
    if (keep) {
      out.push_back(c);
    } else {
      append_escape(out, c);
    }
  }
}

// Decodes valid escapes and leaves anything else as it is, as WHATWG does for hosts.
std::string percent_decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (starts_escape(text, i)) {
      decoded.push_back(
          static_cast<char>(digit_value(text[i + 1], 16) * 16 + digit_value(text[i + 2], 16)));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

// ---------------------------------------------------------------------------------------------
// Splitting the input into its parts, the way a browser reads an http or https URL.

// Removes what a browser ignores: C0 controls and spaces around the URL, tabs and line breaks
// anywhere inside it (a URL wrapped over two lines, or "java\tscript:").
std::string clean_input(std::string_view input) {
  while (!input.empty() && is_c0_control_or_space(input.front())) {
    input.remove_prefix(1);
  }
  while (!input.empty() && is_c0_control_or_space(input.back())) {
    input.remove_suffix(1);
  }

  std::string cleaned;
  cleaned.reserve(input.size());
  std::copy_if(input.begin(), input.end(), std::back_inserter(cleaned),
               [](char c) { return !is_tab_or_newline(c); });
  return cleaned;
}

// Reads "scheme:" off the front of `text` and returns the scheme in lower case.
Outcome<std::string> read_scheme(std::string_view& text) {
  const std::size_t colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  const bool well_formed = colon != std::string_view::npos && !name.empty() &&
                           is_alpha(name.front()) &&
                           std::all_of(name.begin(), name.end(), [](char c) {
                             return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
                           });
  if (!well_formed) {
    return reject(UrlError::kMalformed, "The link must start with http:// or https://.");
  }

  std::string scheme(name);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), to_lower);
  if (scheme != "http" && scheme != "https") {
    return reject(UrlError::kSchemeNotAllowed, "Only http and https links can be shortened.");
  }

  text.remove_prefix(colon + 1);
  return scheme;
}

// What follows "scheme:", cut at the delimiters a browser uses for http and https.
struct RawUrl {
  std::string_view authority;
  std::string_view path;
  std::optional<std::string_view> query;     // without its "?"
  std::optional<std::string_view> fragment;  // without its "#"
};

RawUrl split_after_scheme(std::string_view text) {
  RawUrl raw;

  // Browsers skip any run of slashes and backslashes here, which is why "https:example.com"
  // and "http:\\example.com" both reach example.com.
  const std::size_t authority_start = std::min(text.find_first_not_of("/\\"), text.size());
  text.remove_prefix(authority_start);

  const std::size_t authority_end = std::min(text.find_first_of("/\\?#"), text.size());
  raw.authority = text.substr(0, authority_end);
  text.remove_prefix(authority_end);

  const std::size_t hash = text.find('#');
  if (hash != std::string_view::npos) {
    raw.fragment = text.substr(hash + 1);
    text = text.substr(0, hash);
  }

  const std::size_t question = text.find('?');
  if (question != std::string_view::npos) {
    raw.query = text.substr(question + 1);
    text = text.substr(0, question);
  }

  raw.path = text;
  return raw;
}

struct RawAuthority {
  std::optional<std::string_view> userinfo;  // everything before the last "@"
  std::string_view host;
  std::optional<std::string_view> port;  // after the first ":" outside an IPv6 literal
};

RawAuthority split_authority(std::string_view authority) {
  RawAuthority raw;

  // The last "@" ends the userinfo: browsers read "a@b@host" as user "a@b".
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    raw.userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }

  bool inside_brackets = false;
  for (std::size_t i = 0; i < authority.size(); ++i) {
    if (authority[i] == '[') {
      inside_brackets = true;
    } else if (authority[i] == ']') {
      inside_brackets = false;
    } else if (authority[i] == ':' && !inside_brackets) {
      raw.port = authority.substr(i + 1);
      raw.host = authority.substr(0, i);
      return raw;
    }
  }
  raw.host = authority;
  return raw;
}

// ---------------------------------------------------------------------------------------------
// Hosts.

struct Host {
  std::string name;  // as written in the output: a domain, dotted IPv4 or bracketed IPv6
  bool is_private = false;
};

UrlRejection bad_host_characters() {
  return reject(UrlError::kInvalidHost, "The host name contains characters that are not allowed.");
}

UrlRejection bad_ipv4() {
  return reject(UrlError::kInvalidHost,
                "The host looks like an IPv4 address but is not a valid one.");
}

UrlRejection bad_ipv6() {
  return reject(UrlError::kInvalidHost, "The IPv6 address in the link is not valid.");
}

struct Ipv4Network {
  std::uint32_t address;
  int prefix_length;
};

constexpr std::array<Ipv4Network, 8> kPrivateIpv4Networks{{
    {0x00000000, 8},   // "this network", including 0.0.0.0
    {0x0A000000, 8},   // 10/8
    {0x64400000, 10},  // 100.64/10, carrier-grade NAT
    {0x7F000000, 8},   // loopback
    {0xA9FE0000, 16},  // link-local
    {0xAC100000, 12},  // 172.16/12
    {0xC0A80000, 16},  // 192.168/16
    {0xFFFFFFFF, 32},  // limited broadcast
}};

bool is_private_ipv4(std::uint32_t address) {
  return std::any_of(kPrivateIpv4Networks.begin(), kPrivateIpv4Networks.end(),
                     [address](const Ipv4Network& network) {
                       const int shift = 32 - network.prefix_length;
                       return (address >> shift) == (network.address >> shift);
                     });
}

bool is_private_ipv6(const boost::urls::ipv6_address::bytes_type& bytes) {
  const bool high_bytes_zero =
      std::all_of(bytes.begin(), bytes.begin() + 15, [](unsigned char b) { return b == 0; });
  const bool unspecified_or_loopback = high_bytes_zero && bytes[15] <= 1;
  const bool unique_local = (bytes[0] & 0xFE) == 0xFC;                    // fc00::/7
  const bool link_local = bytes[0] == 0xFE && (bytes[1] & 0xC0) == 0x80;  // fe80::/10
  const bool mapped_private =
      boost::urls::ipv6_address(bytes).is_v4_mapped() &&
      is_private_ipv4(std::uint32_t{bytes[12]} << 24 | std::uint32_t{bytes[13]} << 16 |
                      std::uint32_t{bytes[14]} << 8 | std::uint32_t{bytes[15]});
  return unspecified_or_loopback || unique_local || link_local || mapped_private;
}

// Writes the address as browsers do: lower-case hex pieces without leading zeros, the first
// longest run of two or more zero pieces replaced by "::", and no dotted IPv4 tail.
std::string format_ipv6(const boost::urls::ipv6_address::bytes_type& bytes) {
  std::array<unsigned, 8> pieces{};
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    pieces[i] = bytes[2 * i] * 256u + bytes[2 * i + 1];
  }

  std::size_t run_start = pieces.size();
  std::size_t run_length = 1;
  for (std::size_t i = 0; i < pieces.size();) {
    std::size_t end = i;
    while (end < pieces.size() && pieces[end] == 0) {
      ++end;
    }
    if (end - i > run_length) {
      run_start = i;
      run_length = end - i;
    }
    i = std::max(end, i + 1);
  }

  constexpr std::string_view kHexDigits = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i == run_start) {
      text += "::";
      i += run_length - 1;
      continue;
    }
    if (!text.empty() && text.back() != ':') {
      text.push_back(':');
    }
    bool leading = true;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned digit = (pieces[i] >> shift) & 0xF;
      leading = leading && digit == 0 && shift > 0;
      if (!leading) {
        text.push_back(kHexDigits[digit]);
      }
    }
  }
  return text;
}

Outcome<Host> parse_ipv6_host(std::string_view literal) {
  if (literal.size() < 2 || literal.back() != ']') {
    return bad_ipv6();
  }

  const auto address = boost::urls::parse_ipv6_address(literal.substr(1, literal.size() - 2));
  if (!address) {
    return bad_ipv6();
  }

  const auto bytes = address->to_bytes();
  return Host{"[" + format_ipv6(bytes) + "]", is_private_ipv6(bytes)};
}

// One part of a WHATWG IPv4 host: decimal, octal after a leading "0", hex after "0x" ("0x" alone
// is zero). Values are capped just above 2^32, which no valid address part reaches.
std::optional<std::uint64_t> parse_ipv4_number(std::string_view part) {
  if (part.empty()) {
    return std::nullopt;
  }

  int radix = 10;
  if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    radix = 16;
    part.remove_prefix(2);
  } else if (part.size() >= 2 && part[0] == '0') {
    radix = 8;
    part.remove_prefix(1);
  }

  constexpr std::uint64_t kCap = std::uint64_t{1} << 33;
  std::uint64_t value = 0;
  for (char c : part) {
    const int digit = digit_value(c, radix);
    if (digit < 0) {
      return std::nullopt;
    }
    value = std::min(value * radix + static_cast<std::uint64_t>(digit), kCap);
  }
  return value;
}

// Whether a browser would read the host as IPv4: its last label (after one trailing dot) is a
// number in one of the forms above.
bool ends_in_number(std::string_view host) {
  std::vector<std::string_view> labels = split(host, '.');
  if (labels.back().empty()) {
    if (labels.size() == 1) {
      return false;
    }
    labels.pop_back();
  }

  const std::string_view last = labels.back();
  if (!last.empty() && std::all_of(last.begin(), last.end(), is_digit)) {
    return true;
  }
  return parse_ipv4_number(last).has_value();
}

// The WHATWG IPv4 parser: one to four parts, the last filling all remaining bytes, so
// "2130706433", "127.1" and "0x7f.0.0.1" are all 127.0.0.1.
Outcome<Host> parse_ipv4_host(std::string_view host) {
  std::vector<std::string_view> parts = split(host, '.');
  if (parts.size() > 1 && parts.back().empty()) {
    parts.pop_back();
  }
  if (parts.size() > 4) {
    return bad_ipv4();
  }

  std::uint64_t address = 0;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const auto number = parse_ipv4_number(parts[i]);
    if (!number || *number > 255) {
      return bad_ipv4();
    }
    address = address * 256 + *number;
  }

  const auto last = parse_ipv4_number(parts.back());
  const std::size_t last_bits = 8 * (5 - parts.size());
  if (!last || *last >= (std::uint64_t{1} << last_bits)) {
    return bad_ipv4();
  }
  address = (address << last_bits) | *last;

  const boost::urls::ipv4_address ipv4(static_cast<std::uint32_t>(address));
  return Host{ipv4.to_string(), is_private_ipv4(ipv4.to_uint())};
}

struct IdnFree {
  void operator()(char* text) const { idn2_free(text); }
};

// UTS #46 ToASCII, label by label. Plain ASCII labels are only lower-cased, as UTS #46 does
// when hyphen checks are off; running them through libidn2 would refuse real hosts such as
// "r3---sn-abc.googlevideo.com" for their hyphens. Labels with other characters, and "xn--"
// labels that must be valid punycode, go to libidn2.
Outcome<std::string> domain_to_ascii(std::string_view domain) {
  const std::vector<std::string_view> labels = split(domain, '.');
  std::string ascii;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::string_view label = labels[i];
    if (i > 0) {
      ascii.push_back('.');
    }

    const bool plain = std::all_of(label.begin(), label.end(), is_ascii) &&
                       !starts_with_ignoring_case(label, "xn--");
    if (plain) {
      std::transform(label.begin(), label.end(), std::back_inserter(ascii), to_lower);
      continue;
    }

    char* converted = nullptr;
    const int status =
        idn2_to_ascii_8z(std::string(label).c_str(), &converted, IDN2_NONTRANSITIONAL);
    const std::unique_ptr<char, IdnFree> owner(converted);
    if (status != IDN2_OK) {
      return reject(UrlError::kInvalidHost,
                    "The host name is not a valid internationalised domain name.");
    }
    ascii += converted;
  }
  return ascii;
}

// The last step for a host that is a name: one trailing dot dropped, every label non-empty.
Outcome<Host> finish_domain(std::string name) {
  if (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  if (std::any_of(name.begin(), name.end(), [](char c) { return !kHostChars(c); })) {
    return bad_host_characters();
  }
  if (name.empty()) {
    return reject(UrlError::kInvalidHost, "The link has no host name.");
  }
  if (name.front() == '.' || name.find("..") != std::string::npos || name.back() == '.') {
    return reject(UrlError::kInvalidHost, "The host name has an empty part between dots.");
  }

  const bool is_localhost = name == "localhost" || name.ends_with(".localhost");
  return Host{std::move(name), is_localhost};
}

// Reads a host the way a browser does: an IPv6 literal in brackets, or a name that is
// percent-decoded, converted to ASCII and then read as IPv4 when it ends in a number.
Outcome<Host> parse_host(std::string_view raw) {
  if (raw.empty()) {
    return reject(UrlError::kInvalidHost, "The link has no host name.");
  }
  if (raw.front() == '[') {
    return parse_ipv6_host(raw);
  }

  // ASCII passes through UTS #46 unchanged apart from letter case, so a forbidden ASCII byte can
  // be refused before libidn2 sees it (which also keeps NUL bytes out of its C strings).
  const std::string decoded = percent_decode(raw);
  const bool bad_ascii = std::any_of(decoded.begin(), decoded.end(),
                                     [](char c) { return is_ascii(c) && !kHostChars(c); });
  if (bad_ascii) {
    return bad_host_characters();
  }

  auto ascii = domain_to_ascii(decoded);
  if (!ascii) {
    return ascii.error();
  }
  if (ends_in_number(*ascii)) {
    return parse_ipv4_host(*ascii);
  }
  return finish_domain(std::move(*ascii));
}

// ---------------------------------------------------------------------------------------------
// The other parts.

// The port as written in the output: empty when absent, empty or the scheme's default.
Outcome<std::string> parse_port(std::optional<std::string_view> raw, std::string_view scheme) {
  if (!raw || raw->empty()) {
    return std::string();
  }
  if (!std::all_of(raw->begin(), raw->end(), is_digit)) {
    return reject(UrlError::kInvalidPort, "The port must be a number from 0 to 65535.");
  }

  const std::size_t first_significant = std::min(raw->find_first_not_of('0'), raw->size());
  const std::string_view digits = raw->substr(first_significant);
  if (digits.size() > 5 || (digits.size() == 5 && digits > "65535")) {
    return reject(UrlError::kInvalidPort, "The port must be a number from 0 to 65535.");
  }

  const std::string_view default_port = scheme == "https" ? "443" : "80";
  if (digits == default_port) {
    return std::string();
  }
  return digits.empty() ? std::string("0") : std::string(digits);
}

// "user:password" escaped for the output, or empty when there are no credentials ("@" and ":@"
// alone carry none, and browsers drop them).
std::string encode_credentials(std::optional<std::string_view> userinfo) {
  if (!userinfo) {
    return {};
  }

  const std::size_t colon = userinfo->find(':');
  const std::string_view username = userinfo->substr(0, colon);
  const std::string_view password =
      colon == std::string_view::npos ? std::string_view() : userinfo->substr(colon + 1);

  std::string encoded;
  append_encoded(encoded, username, kUsernameChars);
  if (!password.empty()) {
    encoded.push_back(':');
    append_encoded(encoded, password, kPasswordChars);
  }
  return encoded;
}

std::string encode_path(std::string_view raw) {
  if (raw.empty()) {
    return "/";
  }
  std::string path(raw);
  std::replace(path.begin(), path.end(), '\\', '/');

  std::string encoded;
  encoded.reserve(path.size());
  append_encoded(encoded, path, kPathChars);
  return encoded;
}

// ---------------------------------------------------------------------------------------------
// The whole URL.

struct UrlParts {
  std::string scheme;
  std::string credentials;
  Host host;
  std::string port;
  std::string path;
  std::optional<std::string> query;
  std::optional<std::string> fragment;
};

std::optional<std::string> encode_query_or_fragment(std::optional<std::string_view> raw) {
  if (!raw) {
    return std::nullopt;
  }
  std::string encoded;
  encoded.reserve(raw->size());
  append_encoded(encoded, *raw, kQueryChars);
  return encoded;
}

Outcome<UrlParts> parse_url(std::string_view text) {
  auto scheme = read_scheme(text);
  if (!scheme) {
    return scheme.error();
  }

  const RawUrl raw = split_after_scheme(text);
  const RawAuthority authority = split_authority(raw.authority);

  auto host = parse_host(authority.host);
  if (!host) {
    return host.error();
  }

  auto port = parse_port(authority.port, *scheme);
  if (!port) {
    return port.error();
  }

  return UrlParts{std::move(*scheme),
                  encode_credentials(authority.userinfo),
                  std::move(*host),
                  std::move(*port),
                  encode_path(raw.path),
                  encode_query_or_fragment(raw.query),
                  encode_query_or_fragment(raw.fragment)};
}

// Whether `host` is one of the service's own hosts. An entry may carry a port; it is ignored.
// Entries go through the same host parser on every call, which costs little for a few names.
bool is_own_host(const Host& host, const std::vector<std::string>& own_hosts) {
  return std::any_of(own_hosts.begin(), own_hosts.end(), [&host](const std::string& entry) {
    const auto own = parse_host(split_authority(clean_input(entry)).host);
    return own && own->name == host.name;
  });
}

std::optional<UrlRejection> check_policy(const UrlParts& parts, const UrlPolicy& policy) {
  if (!parts.credentials.empty() && !policy.allow_credentials) {
    return reject(UrlError::kCredentialsNotAllowed,
                  "Links with a user name or password are not accepted.");
  }
  if (is_own_host(parts.host, policy.own_hosts)) {
    return reject(UrlError::kOwnHost, "Links to this service cannot be shortened again.");
  }
  if (parts.host.is_private && !policy.allow_private_addresses) {
    return reject(UrlError::kPrivateAddress,
                  "Links to local or private network addresses are not accepted.");
  }
  return std::nullopt;
}

std::string serialize(const UrlParts& parts) {
  std::string url = parts.scheme + "://";
  if (!parts.credentials.empty()) {
    url += parts.credentials + "@";
  }
  url += parts.host.name;
  if (!parts.port.empty()) {
    url += ":" + parts.port;
  }
  url += parts.path;
  if (parts.query) {
    url += "?" + *parts.query;
  }
  if (parts.fragment) {
    url += "#" + *parts.fragment;
  }
  return url;
}

UrlRejection too_long(const UrlPolicy& policy) {
  return reject(UrlError::kTooLong, "The link is longer than the " +
                                        std::to_string(policy.max_length) +
                                        " bytes allowed (counted after percent-encoding).");
}

}  // namespace

std::string_view error_code(UrlError error) {
  switch (error) {
    case UrlError::kEmpty:
      return "url_empty";
    case UrlError::kTooLong:
      return "url_too_long";
    case UrlError::kMalformed:
      return "url_malformed";
    case UrlError::kSchemeNotAllowed:
      return "url_scheme_not_allowed";
    case UrlError::kInvalidHost:
      return "url_invalid_host";
    case UrlError::kInvalidPort:
      return "url_invalid_port";
    case UrlError::kCredentialsNotAllowed:
      return "url_credentials_not_allowed";
    case UrlError::kPrivateAddress:
      return "url_private_address";
    case UrlError::kOwnHost:
      return "url_own_host";
  }
  return "url_unknown_error";
}

void throw_exception_from_error(const UrlRejection& rejection, const boost::source_location&) {
  throw std::invalid_argument(std::string(error_code(rejection.error)) + ": " + rejection.message);
}

boost::system::result<std::string, UrlRejection> normalize_destination(std::string_view input,
                                                                       const UrlPolicy& policy) {
  // Only a few steps shorten a URL (white space, a default port, another spelling of the host),
  // so input this much longer than the limit is refused without reading it.
  if (input.size() / 4 > policy.max_length) {
    return too_long(policy);
  }

  const std::string cleaned = clean_input(input);
  if (cleaned.empty()) {
    return reject(UrlError::kEmpty, "The link is empty.");
  }

  auto parts = parse_url(cleaned);
  if (!parts) {
    return parts.error();
  }

  if (auto refusal = check_policy(*parts, policy)) {
    return *std::move(refusal);
  }

  std::string url = serialize(*parts);
  if (url.size() > policy.max_length) {
    return too_long(policy);
  }

  // Every step above writes only RFC 3986 characters; this re-check guards the promise made to
  // the redirect handler and the database should a later change break that. (parse_uri, since
  // RFC 3986's absolute-URI is this grammar without the fragment.)
  if (!boost::urls::parse_uri(url)) {
    return reject(UrlError::kMalformed, "The link could not be read as a URL.");
  }
  return url;
}

std::string_view destination_host(std::string_view normalized_url) {
  auto start = normalized_url.find("://");
  if (start == std::string_view::npos) {
    return {};
  }
  auto authority = normalized_url.substr(start + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.starts_with('[')) {
    return authority.substr(0, authority.find(']') + 1);
  }
  return authority.substr(0, authority.find(':'));
}

}  // namespace waypost::shortener
