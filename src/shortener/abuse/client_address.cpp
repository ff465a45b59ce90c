#include "shortener/abuse/client_address.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace waypost::shortener {
namespace {

namespace ip = boost::asio::ip;

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

bool is_port(std::string_view text) {
  return !text.empty() && text.size() <= 5 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         std::stoul(std::string(text)) <= 65535;
}

ip::address unmapped(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code error;
  const ip::address address = ip::make_address(std::string(text), error);
  if (error) {
    return std::nullopt;
  }
  return unmapped(address);
}

// One X-Forwarded-For entry: "1.2.3.4", "1.2.3.4:567", "::1", "[::1]" or "[::1]:80".
std::optional<ip::address> parse_entry(std::string_view entry) {
  entry = trim(entry);
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view after = entry.substr(close + 1);
    if (!after.empty() && !(after.starts_with(':') && is_port(after.substr(1)))) {
      return std::nullopt;
    }
    auto address = parse_address(entry.substr(1, close - 1));
    if (address && !address->is_v6()) {
      return std::nullopt;  // "[1.2.3.4]" is no valid spelling
    }
    return address;
  }

  // A single colon can only separate an IPv4 address from its port; more mean bare IPv6.
  const auto colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
    if (!is_port(entry.substr(colon + 1))) {
      return std::nullopt;
    }
    auto address = parse_address(entry.substr(0, colon));
    if (address && !address->is_v4()) {
      return std::nullopt;
    }
    return address;
  }
  return parse_address(entry);
}

}  // namespace

ip::address client_address(const ip::address& peer, std::string_view x_forwarded_for,
                           const AddressSet& trusted_proxies) {
  ip::address client = unmapped(peer);
  if (!trusted_proxies.contains(client) || trim(x_forwarded_for).empty()) {
    return client;
  }

  // Right to left: each trusted hop vouches for the entry to its left.
  std::string_view rest = x_forwarded_for;
  while (true) {
    const auto comma = rest.rfind(',');
    const std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    const auto address = parse_entry(entry);
    if (!address) {
      return client;
    }
    client = *address;
    if (!trusted_proxies.contains(client) || comma == std::string_view::npos) {
      return client;
    }
    rest = rest.substr(0, comma);
  }
}

}  // namespace waypost::shortener
