#include "shortener/abuse/client_address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace waypost::shortener {
namespace {

boost::asio::ip::address ip(const std::string& text) {
  return boost::asio::ip::make_address(text);
}

const AddressSet& proxies() {
  static const AddressSet set = AddressSet::parse({"10.0.0.0/8", "fd00::/8"});
  return set;
}

TEST(ClientAddress, UntrustedPeerIgnoresForwardedFor) {
  EXPECT_EQ(client_address(ip("198.51.100.4"), "203.0.113.7", proxies()), ip("198.51.100.4"));
}

TEST(ClientAddress, NoTrustedProxiesMeansThePeer) {
  EXPECT_EQ(client_address(ip("10.0.0.1"), "203.0.113.7", AddressSet()), ip("10.0.0.1"));
}

TEST(ClientAddress, TrustedPeerGivesTheRightMostUntrustedEntry) {
  // The client sent "6.6.6.6" itself; the first proxy appended the real address.
  EXPECT_EQ(client_address(ip("10.0.0.1"), "6.6.6.6, 203.0.113.7, 10.0.0.2", proxies()),
            ip("203.0.113.7"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "203.0.113.7", proxies()), ip("203.0.113.7"));
}

TEST(ClientAddress, AllTrustedChainGivesTheLeftMostEntry) {
  EXPECT_EQ(client_address(ip("10.0.0.1"), "10.0.0.3, 10.0.0.2", proxies()), ip("10.0.0.3"));
}

TEST(ClientAddress, MalformedEntryStopsTheWalkAtTheLastGoodAddress) {
  EXPECT_EQ(client_address(ip("10.0.0.1"), "203.0.113.7, garbage, 10.0.0.2", proxies()),
            ip("10.0.0.2"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "203.0.113.7, unknown", proxies()), ip("10.0.0.1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "203.0.113.7,,10.0.0.2", proxies()), ip("10.0.0.2"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "203.0.113.7, 10.0.0.2,", proxies()), ip("10.0.0.1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "1.2.3.4:99999", proxies()), ip("10.0.0.1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "1.2.3.4:", proxies()), ip("10.0.0.1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "[1.2.3.4]", proxies()), ip("10.0.0.1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "[::1", proxies()), ip("10.0.0.1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "[::1]x", proxies()), ip("10.0.0.1"));
}

TEST(ClientAddress, ReadsPortsBracketsAndSpaces) {
  EXPECT_EQ(client_address(ip("10.0.0.1"), "198.51.100.1:567", proxies()), ip("198.51.100.1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "[2001:db8::1]:80", proxies()), ip("2001:db8::1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "[2001:db8::1]", proxies()), ip("2001:db8::1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "2001:db8::1", proxies()), ip("2001:db8::1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), " \t203.0.113.7 ,  [fd00::5]:443 ", proxies()),
            ip("203.0.113.7"));
}

TEST(ClientAddress, EmptyHeaderGivesThePeer) {
  EXPECT_EQ(client_address(ip("10.0.0.1"), "", proxies()), ip("10.0.0.1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "  ", proxies()), ip("10.0.0.1"));
}

TEST(ClientAddress, Ipv4MappedAddressesComeBackAsIpv4) {
  EXPECT_EQ(client_address(ip("::ffff:198.51.100.4"), "", proxies()), ip("198.51.100.4"));
  // A mapped peer inside a trusted IPv4 range is trusted.
  EXPECT_EQ(client_address(ip("::ffff:10.0.0.1"), "::ffff:203.0.113.7", proxies()),
            ip("203.0.113.7"));
}

}  // namespace
}  // namespace waypost::shortener
