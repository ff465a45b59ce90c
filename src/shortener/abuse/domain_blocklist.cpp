#include "shortener/abuse/domain_blocklist.hpp"

#include <idn2.h>
#include <libpsl.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>

namespace waypost::shortener {
namespace {

namespace ip = boost::asio::ip;

struct PslFree {
  void operator()(psl_ctx_t* context) const { psl_free(context); }
};

struct IdnFree {
  void operator()(char* text) const { idn2_free(text); }
};

// The public suffix data, loaded on first use and kept for the life of the process. Null only
// when libpsl was built without data and the distribution file is missing too.
const psl_ctx_t* suffixes() {
  static const std::unique_ptr<psl_ctx_t, PslFree> latest(psl_latest(nullptr));
  return latest ? latest.get() : psl_builtin();
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

bool is_ascii(char c) {
  return static_cast<unsigned char>(c) < 0x80;
}

char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// The canonical text of an IP address in `text` ("192.0.2.1", "2001:db8::1", "[2001:db8::1]"),
// or nullopt when it is not one.
std::optional<std::string> canonical_address(std::string_view text) {
  const bool bracketed = text.size() >= 2 && text.front() == '[' && text.back() == ']';
  if (bracketed) {
    text = text.substr(1, text.size() - 2);
  }
  boost::system::error_code error;
  const ip::address address = ip::make_address(std::string(text), error);
  if (error || (bracketed && !address.is_v6())) {
    return std::nullopt;
  }
  return address.to_string();
}

// A host name converted to lower-case ASCII label by label, the way the URL normaliser does it:
// plain ASCII labels are only lower-cased, others (and "xn--" labels, which must be valid
// punycode) go through UTS #46 in libidn2. Nullopt when the result is not a plain host name.
std::optional<std::string> domain_to_ascii(std::string_view name) {
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  std::string ascii;
  while (true) {
    const auto dot = name.find('.');
    const std::string_view label = name.substr(0, dot);

    std::string lower(label);
    std::transform(lower.begin(), lower.end(), lower.begin(), to_lower);
    if (!std::all_of(label.begin(), label.end(), is_ascii) || lower.starts_with("xn--")) {
      char* converted = nullptr;
      const int status = idn2_to_ascii_8z(lower.c_str(), &converted, IDN2_NONTRANSITIONAL);
      const std::unique_ptr<char, IdnFree> owner(converted);
      if (status != IDN2_OK) {
        return std::nullopt;
      }
      lower = converted;
    }
    if (lower.empty() || lower.size() > 63 ||
        !std::all_of(lower.begin(), lower.end(), is_label_char)) {
      return std::nullopt;
    }
    ascii += lower;

    if (dot == std::string_view::npos) {
      break;
    }
    ascii.push_back('.');
    name.remove_prefix(dot + 1);
  }
  if (ascii.size() > 253) {
    return std::nullopt;
  }
  return ascii;
}

std::string skipped_line(std::size_t number, std::string_view text, std::string_view reason) {
  return "line " + std::to_string(number) + ": \"" + std::string(text) + "\" " +
         std::string(reason);
}

const psl_ctx_t* require_suffixes() {
  const psl_ctx_t* context = suffixes();
  if (context == nullptr) {
    throw std::runtime_error("domain blocklist: libpsl has no public suffix data");
  }
  return context;
}

}  // namespace

std::shared_ptr<const DomainBlocklist> DomainBlocklist::load(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    throw std::runtime_error("cannot read domain blocklist " + path + ": " + std::strerror(errno));
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) {
    lines.push_back(std::move(line));
  }
  // getline() ends with failbit at the end of the file; badbit means a read error (a directory).
  if (file.bad()) {
    throw std::runtime_error("cannot read domain blocklist " + path + ": " + std::strerror(errno));
  }
  return from_lines(lines);
}

std::shared_ptr<const DomainBlocklist> DomainBlocklist::from_lines(
    const std::vector<std::string>& lines) {
  require_suffixes();
  std::shared_ptr<DomainBlocklist> list(new DomainBlocklist());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (i == 0 && line.starts_with("\xEF\xBB\xBF")) {
      line.remove_prefix(3);  // a byte order mark left by a Windows editor
    }
    list->add_line(line, i + 1);
  }
  return list;
}

void DomainBlocklist::add_line(std::string_view line, std::size_t number) {
  const std::string_view text = trim(line.substr(0, line.find('#')));
  if (text.empty()) {
    return;
  }

  if (auto address = canonical_address(text)) {
    addresses_.insert(std::move(*address));
    return;
  }

  auto domain = domain_to_ascii(text);
  if (!domain) {
    skipped_.push_back(skipped_line(number, text, "is not a domain name"));
    return;
  }
  if (psl_is_public_suffix(suffixes(), domain->c_str()) != 0) {
    skipped_.push_back(
        skipped_line(number, text, "is a public suffix; listing it would block unrelated sites"));
    return;
  }
  domains_.insert(std::move(*domain));
}

bool DomainBlocklist::blocks(std::string_view host) const {
  if (host.empty()) {
    return false;
  }
  // Host names never end in a digit (the URL normaliser reads those as IPv4) nor hold a colon,
  // so only real addresses pay for parsing one.
  const bool maybe_address = host.front() == '[' || (host.back() >= '0' && host.back() <= '9') ||
                             host.find(':') != std::string_view::npos;
  if (maybe_address) {
    if (auto address = canonical_address(host)) {
      return addresses_.contains(*address);
    }
  }

  // libpsl wants a C string; host names fit a buffer on the stack (DNS allows 253 bytes).
  std::array<char, 256> buffer;
  std::string long_name;
  const char* name = buffer.data();
  if (host.size() < buffer.size()) {
    std::copy(host.begin(), host.end(), buffer.begin());
    buffer[host.size()] = '\0';
  } else {
    long_name.assign(host);
    name = long_name.c_str();
  }
  const char* registrable = psl_registrable_domain(suffixes(), name);
  if (registrable == nullptr) {
    // A public suffix itself, which no entry can be.
    return domains_.contains(host);
  }

  // Check the host, then each parent down to the registrable domain, and no further.
  const std::size_t shortest = std::strlen(registrable);
  while (true) {
    if (domains_.contains(host)) {
      return true;
    }
    const auto dot = host.find('.');
    if (host.size() <= shortest || dot == std::string_view::npos) {
      return false;
    }
    host.remove_prefix(dot + 1);
  }
}

BlocklistHolder::BlocklistHolder(std::string path)
    : path_(std::move(path)),
      current_(path_.empty() ? DomainBlocklist::from_lines({}) : DomainBlocklist::load(path_)) {}

void BlocklistHolder::reload() {
  if (path_.empty()) {
    return;
  }
  std::lock_guard lock(reload_mutex_);
  // Load first: a failure leaves the list in force untouched.
  current_.store(DomainBlocklist::load(path_));
}

}  // namespace waypost::shortener
