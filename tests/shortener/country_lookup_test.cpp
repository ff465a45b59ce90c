#include "shortener/analytics/country_lookup.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace waypost::shortener {
namespace {

using boost::asio::ip::make_address;

// The expected countries are what Debian 12's geoip-database (20230203+really20191224, a
// December 2019 snapshot) says, checked with geoiplookup; a newer database may move some.
class CountryLookupTest : public ::testing::Test {
 protected:
  CountryLookup lookup_{CountryLookup::kDefaultV4Path, CountryLookup::kDefaultV6Path};

  std::string country(const char* address) const { return lookup_.country(make_address(address)); }
};

TEST_F(CountryLookupTest, FindsWellKnownIpv4Addresses) {
  EXPECT_EQ(country("8.8.8.8"), "US");      // Google Public DNS
  EXPECT_EQ(country("1.1.1.1"), "AU");      // APNIC's research block, as of 2019
  EXPECT_EQ(country("80.156.55.1"), "DE");  // Deutsche Telekom
  EXPECT_EQ(country("193.0.6.139"), "NL");  // RIPE NCC
  EXPECT_EQ(country("133.1.1.1"), "JP");    // Osaka University
}

TEST_F(CountryLookupTest, FindsWellKnownIpv6Addresses) {
  EXPECT_EQ(country("2001:4860:4860::8888"), "US");  // Google Public DNS
  EXPECT_EQ(country("2606:4700:4700::1111"), "US");  // Cloudflare DNS
  EXPECT_EQ(country("2003::1"), "DE");               // Deutsche Telekom
}

TEST_F(CountryLookupTest, AnswersEmptyForAddressesOfNoCountry) {
  for (const char* address :
       {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.1.1",
        "0.0.0.0", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1"}) {
    EXPECT_EQ(country(address), "") << address;
  }
}

TEST_F(CountryLookupTest, LooksUpIpv4MappedAddressesAsIpv4) {
  for (const char* v4 : {"8.8.8.8", "1.1.1.1", "80.156.55.1", "127.0.0.1"}) {
    EXPECT_EQ(country(("::ffff:" + std::string(v4)).c_str()), country(v4)) << v4;
  }
  EXPECT_EQ(country("::ffff:80.156.55.1"), "DE");
}

TEST(CountryLookup, WithoutIpv6DatabaseAnswersEmptyForIpv6) {
  const CountryLookup lookup(CountryLookup::kDefaultV4Path, "");
  EXPECT_EQ(lookup.country(make_address("2001:4860:4860::8888")), "");
  EXPECT_EQ(lookup.country(make_address("8.8.8.8")), "US");
  EXPECT_EQ(lookup.country(make_address("::ffff:8.8.8.8")), "US");
}

TEST(CountryLookup, MissingFileThrowsNamingIt) {
  const std::string missing = "/nonexistent/waypost/GeoIP.dat";
  try {
    const CountryLookup lookup(missing, CountryLookup::kDefaultV6Path);
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(missing), std::string::npos) << error.what();
  }
  try {
    const CountryLookup lookup(CountryLookup::kDefaultV4Path, missing);
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(missing), std::string::npos) << error.what();
  }
}

TEST(CountryLookup, SwappedDatabasesAreRefused) {
  EXPECT_THROW(CountryLookup(CountryLookup::kDefaultV6Path, CountryLookup::kDefaultV4Path),
               std::runtime_error);
}

TEST_F(CountryLookupTest, ConcurrentLookupsAgree) {
  const std::vector<std::string> addresses = {
      "8.8.8.8", "1.1.1.1",  "80.156.55.1",       "2001:4860:4860::8888",
      "2003::1", "10.0.0.1", "::ffff:193.0.6.139"};
  std::vector<std::string> expected;
  for (const std::string& address : addresses) {
    expected.push_back(country(address.c_str()));
  }

  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 2000; ++round) {
        const std::size_t i = (t + static_cast<std::size_t>(round)) % addresses.size();
        if (lookup_.country(make_address(addresses[i])) != expected[i]) {
          ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const int count : mismatches) {
    EXPECT_EQ(count, 0);
  }
}

}  // namespace
}  // namespace waypost::shortener
