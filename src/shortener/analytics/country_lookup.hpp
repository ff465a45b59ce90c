// The country of a client address, for click analytics, from MaxMind's legacy GeoIP
// country databases (libGeoIP).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <mutex>
#include <string>

// libGeoIP's handle type, declared here so that GeoIP.h stays out of our headers.
struct GeoIPTag;

namespace waypost::shortener {

class CountryLookup {
 public:
  // Default paths of Debian's geoip-database.
  static constexpr const char* kDefaultV4Path = "/usr/share/GeoIP/GeoIP.dat";
  static constexpr const char* kDefaultV6Path = "/usr/share/GeoIP/GeoIPv6.dat";

  // Loads both databases into memory (GEOIP_MEMORY_CACHE), so lookups never touch the files
  // and later changes to them are not seen. Throws std::runtime_error naming the file when one
  // cannot be opened or is not a country database of the right address family. An empty
  // path loads no database for that family; its addresses then answer "".
  CountryLookup(const std::string& v4_path, const std::string& v6_path);
  ~CountryLookup();

  CountryLookup(const CountryLookup&) = delete;
  CountryLookup& operator=(const CountryLookup&) = delete;

  // The ISO 3166-1 alpha-2 code of the country the database places `address` in ("US",
  // "DE"), or "" when it names none: private, loopback, link-local and unassigned addresses,
  // and the database's pseudo-codes for regions and proxies (EU, AP, A1, A2, O1). IPv4-mapped
  // IPv6 addresses (::ffff:a.b.c.d) are looked up in the IPv4 database. Thread-safe.
  std::string country(const boost::asio::ip::address& address) const;

 private:
  std::string country_v4(unsigned long ipnum) const;
  std::string country_v6(const boost::asio::ip::address_v6& address) const;

  GeoIPTag* v4_ = nullptr;  // owned; null when no IPv4 database was given
  GeoIPTag* v6_ = nullptr;  // owned; null when no IPv6 database was given
  // libGeoIP's lookups with GEOIP_MEMORY_CACHE only read the loaded tree, except that every
  // one, the re-entrant *_gl variants included, also stores the depth of its match in the
  // shared handle (GeoIP::netmask in libGeoIP 1.6.12). Concurrent lookups would race on that
  // field, so they take turns; a lookup is a walk of at most 128 in-memory nodes, too short
  // for the lock to matter at the rate clicks arrive.
  mutable std::mutex mutex_;  // guards the libGeoIP calls on v4_ and v6_
};

}  // namespace waypost::shortener
