// A set of IP addresses and CIDR ranges, such as the addresses exempt from rate limits or the
// reverse proxies trusted to report the client's address.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace waypost::shortener {

class AddressSet {
 public:
  // The empty set: contains() is false for every address.
  AddressSet() = default;

  // Parses entries like "10.0.0.0/8", "192.168.1.7", "::1", "fd00::/8" (surrounding white space
  // is ignored). A bare address is a range of one. An IPv4-mapped IPv6 range such as
  // "::ffff:10.0.0.0/104" is stored as the IPv4 range it maps. "::/0" covers IPv6 only; add
  // "0.0.0.0/0" for IPv4 too.
  //
  // Throws std::invalid_argument naming the bad entry when an entry is empty, is not an
  // address, has a prefix length that is not a decimal number within the family's width, or has
  // bits set after the prefix ("10.0.0.1/8", more likely a typo than meant).
  static AddressSet parse(const std::vector<std::string>& entries);

  // True when `address` lies in one of the ranges; IPv4-mapped IPv6 addresses
  // ("::ffff:10.1.2.3") match IPv4 ranges. Thread-safe for concurrent readers.
  bool contains(const boost::asio::ip::address& address) const;

  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  struct V4Range {
    std::uint32_t network = 0;  // host bits zero
    std::uint32_t mask = 0;
  };
  struct V6Range {
    std::array<unsigned char, 16> network{};  // host bits zero
    unsigned prefix = 0;
  };

  void add(const std::string& entry);

  std::vector<V4Range> v4_;
  std::vector<V6Range> v6_;
};

}  // namespace waypost::shortener
