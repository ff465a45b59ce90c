#include "shortener/abuse/address_set.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace waypost::shortener {
namespace {

namespace ip = boost::asio::ip;

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::optional<unsigned> parse_prefix(std::string_view text, unsigned width) {
  unsigned prefix = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), prefix);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || prefix > width) {
    return std::nullopt;
  }
  return prefix;
}

std::uint32_t v4_mask(unsigned prefix) {
  return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
}

// Whether the first `prefix` bits of `a` and `b` agree.
bool same_prefix(const ip::address_v6::bytes_type& a, const std::array<unsigned char, 16>& b,
                 unsigned prefix) {
  const unsigned whole = prefix / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) {
    return false;
  }
  const unsigned rest = prefix % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// Whether any bit after the first `prefix` is set.
bool host_bits_set(const ip::address_v6::bytes_type& bytes, unsigned prefix) {
  for (std::size_t byte = prefix / 8; byte < bytes.size(); ++byte) {
    const unsigned kept = byte == prefix / 8 ? prefix % 8 : 0;
    const auto host_mask = static_cast<unsigned char>(0xFF >> kept);
    if ((bytes[byte] & host_mask) != 0) {
      return true;
    }
  }
  return false;
}

[[noreturn]] void bad_entry(const std::string& entry, std::string_view why) {
  throw std::invalid_argument("address list entry \"" + entry + "\": " + std::string(why));
}

}  // namespace

AddressSet AddressSet::parse(const std::vector<std::string>& entries) {
  AddressSet set;
  for (const auto& entry : entries) {
    set.add(entry);
  }
  return set;
}

void AddressSet::add(const std::string& entry) {
  const std::string_view text = trim(entry);
  if (text.empty()) {
    bad_entry(entry, "empty");
  }

  const auto slash = text.find('/');
  boost::system::error_code error;
  const ip::address address = ip::make_address(std::string(text.substr(0, slash)), error);
  if (error) {
    bad_entry(entry, "not an IP address");
  }

  const unsigned width = address.is_v4() ? 32 : 128;
  unsigned prefix = width;
  if (slash != std::string_view::npos) {
    const auto parsed = parse_prefix(text.substr(slash + 1), width);
    if (!parsed) {
      bad_entry(entry, "the prefix length must be a number from 0 to " + std::to_string(width));
    }
    prefix = *parsed;
  }

  if (address.is_v4() || (address.to_v6().is_v4_mapped() && prefix >= 96)) {
    const std::uint32_t bits = address.is_v4()
                                   ? address.to_v4().to_uint()
                                   : ip::make_address_v4(ip::v4_mapped, address.to_v6()).to_uint();
    const unsigned v4_prefix = address.is_v4() ? prefix : prefix - 96;
    const std::uint32_t mask = v4_mask(v4_prefix);
    if ((bits & ~mask) != 0) {
      bad_entry(entry, "bits are set after the prefix");
    }
    v4_.push_back(V4Range{.network = bits, .mask = mask});
    return;
  }

  const auto bytes = address.to_v6().to_bytes();
  if (host_bits_set(bytes, prefix)) {
    bad_entry(entry, "bits are set after the prefix");
  }
  V6Range range;
  std::copy(bytes.begin(), bytes.end(), range.network.begin());
  range.prefix = prefix;
  v6_.push_back(range);
}

bool AddressSet::contains(const ip::address& address) const {
  std::optional<std::uint32_t> v4;
  if (address.is_v4()) {
    v4 = address.to_v4().to_uint();
  } else if (address.to_v6().is_v4_mapped()) {
    v4 = ip::make_address_v4(ip::v4_mapped, address.to_v6()).to_uint();
  }

  if (v4) {
    return std::any_of(v4_.begin(), v4_.end(),
                       [&](const V4Range& range) { return (*v4 & range.mask) == range.network; });
  }
  const auto bytes = address.to_v6().to_bytes();
  return std::any_of(v6_.begin(), v6_.end(), [&](const V6Range& range) {
    return same_prefix(bytes, range.network, range.prefix);
  });
}

}  // namespace waypost::shortener
