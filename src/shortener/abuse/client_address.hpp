// Which address a request came from, when it may have passed through reverse proxies.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string_view>

#include "shortener/abuse/address_set.hpp"

namespace waypost::shortener {

// The visitor's address: the TCP peer, unless the peer is a trusted proxy; then the right-most
// address in `x_forwarded_for` that is not itself a trusted proxy. Walking from the right means
// a client cannot spoof its address by sending its own X-Forwarded-For: whatever it wrote stays
// to the left of the address the first trusted proxy appended.
//
// Entries are separated by commas and may carry spaces, and ports like "1.2.3.4:567" or
// "[::1]:80"; IPv6 addresses may also appear bare ("::1"). A malformed entry (an empty one
// included) stops the walk and the last good address is used: the peer when it is the right-most
// entry, or the trusted proxy that entry's right neighbour named. When every entry is trusted,
// the left-most one is the answer. Several X-Forwarded-For header lines must be joined with ","
// in order before the call.
//
// IPv4-mapped IPv6 addresses ("::ffff:1.2.3.4", as a dual-stack socket reports IPv4 peers) are
// returned as IPv4, so that one client has one spelling in rate-limit keys and logs. Never
// throws; thread-safe.
boost::asio::ip::address client_address(const boost::asio::ip::address& peer,
                                        std::string_view x_forwarded_for,
                                        const AddressSet& trusted_proxies);

}  // namespace waypost::shortener
