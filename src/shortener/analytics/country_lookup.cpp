#include "shortener/analytics/country_lookup.hpp"

#include <GeoIP.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string_view>

namespace waypost::shortener {
namespace {

// Codes the legacy databases use for things that are not countries: "--" for no answer, AP
// and EU for addresses MaxMind could only place in Asia/Pacific or Europe, A1 anonymous
// proxies, A2 satellite providers, O1 "other".
constexpr std::array<std::string_view, 6> kNotCountries = {"--", "AP", "EU", "A1", "A2", "O1"};

GeoIP* open_database(const std::string& path, unsigned char edition, const char* kind) {
  // GEOIP_MEMORY_CACHE without GEOIP_CHECK_CACHE: lookups never stat or reread the file,
  // which is what makes them free of I/O and of reloads under our feet.
  GeoIP* database = GeoIP_open(path.c_str(), GEOIP_MEMORY_CACHE | GEOIP_SILENCE);
  if (database == nullptr) {
    throw std::runtime_error("cannot open GeoIP database " + path);
  }
  if (GeoIP_database_edition(database) != edition) {
    GeoIP_delete(database);
    throw std::runtime_error("GeoIP database " + path + " is not a " + kind + " country database");
  }
  return database;
}

std::string country_code(int id) {
  const char* code = GeoIP_code_by_id(id);
  if (code == nullptr) {
    return {};
  }
  const std::string_view view(code);
  if (std::find(kNotCountries.begin(), kNotCountries.end(), view) != kNotCountries.end()) {
    return {};
  }
  return std::string(view);
}

}  // namespace

CountryLookup::CountryLookup(const std::string& v4_path, const std::string& v6_path)
    : v4_(v4_path.empty() ? nullptr : open_database(v4_path, GEOIP_COUNTRY_EDITION, "IPv4")) {
  if (v6_path.empty()) {
    return;
  }
  try {
    v6_ = open_database(v6_path, GEOIP_COUNTRY_EDITION_V6, "IPv6");
  } catch (...) {
    // The destructor does not run for a constructor that throws.
    GeoIP_delete(v4_);  // accepts null, like the destructor's calls
    throw;
  }
}

CountryLookup::~CountryLookup() {
  GeoIP_delete(v6_);
  GeoIP_delete(v4_);
}

std::string CountryLookup::country(const boost::asio::ip::address& address) const {
  if (address.is_v4()) {
    return country_v4(address.to_v4().to_uint());
  }
  const boost::asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return country_v4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_uint());
  }
  return country_v6(v6);
}

std::string CountryLookup::country_v4(unsigned long ipnum) const {
  if (v4_ == nullptr) {
    return {};
  }
  GeoIPLookup lookup{};
  int id = 0;
  {
    const std::lock_guard lock(mutex_);
    id = GeoIP_id_by_ipnum_gl(v4_, ipnum, &lookup);
  }
  return country_code(id);
}

std::string CountryLookup::country_v6(const boost::asio::ip::address_v6& address) const {
  if (v6_ == nullptr) {
    return {};
  }
  geoipv6_t ipnum{};
  const boost::asio::ip::address_v6::bytes_type bytes = address.to_bytes();
  std::copy(bytes.begin(), bytes.end(), ipnum.s6_addr);

  GeoIPLookup lookup{};
  int id = 0;
  {
    const std::lock_guard lock(mutex_);
    id = GeoIP_id_by_ipnum_v6_gl(v6_, ipnum, &lookup);
  }
  return country_code(id);
}

}  // namespace waypost::shortener
