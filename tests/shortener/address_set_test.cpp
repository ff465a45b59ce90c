#include "shortener/abuse/address_set.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace waypost::shortener {
namespace {

boost::asio::ip::address ip(const std::string& text) {
  return boost::asio::ip::make_address(text);
}

TEST(AddressSet, MatchesAddressesInsideAnIpv4Range) {
  const auto set = AddressSet::parse({"10.0.0.0/8", "192.168.4.0/22"});
  EXPECT_TRUE(set.contains(ip("10.0.0.0")));
  EXPECT_TRUE(set.contains(ip("10.255.255.255")));
  EXPECT_FALSE(set.contains(ip("11.0.0.0")));
  EXPECT_FALSE(set.contains(ip("9.255.255.255")));
  EXPECT_TRUE(set.contains(ip("192.168.7.255")));
  EXPECT_FALSE(set.contains(ip("192.168.8.0")));
  EXPECT_FALSE(set.contains(ip("192.168.3.255")));
}

TEST(AddressSet, BareAddressAndSlash32MatchOnlyThemselves) {
  const auto set = AddressSet::parse({"192.168.1.7", "203.0.113.9/32"});
  EXPECT_TRUE(set.contains(ip("192.168.1.7")));
  EXPECT_FALSE(set.contains(ip("192.168.1.8")));
  EXPECT_TRUE(set.contains(ip("203.0.113.9")));
  EXPECT_FALSE(set.contains(ip("203.0.113.8")));
}

TEST(AddressSet, SlashZeroMatchesEveryAddressOfItsFamily) {
  const auto v4 = AddressSet::parse({"0.0.0.0/0"});
  EXPECT_TRUE(v4.contains(ip("1.2.3.4")));
  EXPECT_TRUE(v4.contains(ip("255.255.255.255")));
  EXPECT_FALSE(v4.contains(ip("2001:db8::1")));

  const auto v6 = AddressSet::parse({"::/0"});
  EXPECT_TRUE(v6.contains(ip("2001:db8::1")));
  EXPECT_TRUE(v6.contains(ip("::")));
  EXPECT_FALSE(v6.contains(ip("1.2.3.4")));
}

TEST(AddressSet, MatchesAddressesInsideAnIpv6Range) {
  const auto set = AddressSet::parse({"fd00::/8", "::1", "2001:db8::/33"});
  EXPECT_TRUE(set.contains(ip("fd12:3456::1")));
  EXPECT_FALSE(set.contains(ip("fe80::1")));
  EXPECT_TRUE(set.contains(ip("::1")));
  EXPECT_FALSE(set.contains(ip("::2")));
  // A prefix that ends inside a byte.
  EXPECT_TRUE(set.contains(ip("2001:db8:7fff:ffff::1")));
  EXPECT_FALSE(set.contains(ip("2001:db8:8000::")));
}

TEST(AddressSet, Slash128MatchesOnlyThatAddress) {
  const auto set = AddressSet::parse({"2001:db8::42/128"});
  EXPECT_TRUE(set.contains(ip("2001:db8::42")));
  EXPECT_FALSE(set.contains(ip("2001:db8::43")));
}

TEST(AddressSet, Ipv4MappedAddressesMatchIpv4Ranges) {
  const auto set = AddressSet::parse({"10.0.0.0/8"});
  EXPECT_TRUE(set.contains(ip("::ffff:10.1.2.3")));
  EXPECT_FALSE(set.contains(ip("::ffff:11.1.2.3")));
}

TEST(AddressSet, Ipv4MappedRangeEntriesMatchPlainIpv4) {
  const auto set = AddressSet::parse({"::ffff:192.0.2.0/120"});
  EXPECT_TRUE(set.contains(ip("192.0.2.77")));
  EXPECT_TRUE(set.contains(ip("::ffff:192.0.2.77")));
  EXPECT_FALSE(set.contains(ip("192.0.3.1")));
}

TEST(AddressSet, IgnoresSurroundingWhiteSpace) {
  const auto set = AddressSet::parse({"  10.0.0.0/8\t", " ::1 "});
  EXPECT_TRUE(set.contains(ip("10.9.8.7")));
  EXPECT_TRUE(set.contains(ip("::1")));
}

TEST(AddressSet, EmptySetContainsNothing) {
  const AddressSet none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.contains(ip("127.0.0.1")));
  EXPECT_TRUE(AddressSet::parse({}).empty());
  EXPECT_FALSE(AddressSet::parse({"::1"}).empty());
}

TEST(AddressSet, BadEntriesThrowNamingTheEntry) {
  for (const std::string bad :
       {"", "banana", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8x", "10.0.0.0/-1", "10.0.0.1/8",
        "::1/129", "fd00::1/8", "1.2.3/24", "10.0.0.0/8/8", "2001:db8::/+32"}) {
    try {
      AddressSet::parse({"127.0.0.1", bad});
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("\"" + bad + "\""), std::string::npos)
          << error.what();
    }
  }
}

}  // namespace
}  // namespace waypost::shortener
