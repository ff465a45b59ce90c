// Who takes part in the load: the users, the groups and their members, each user's private
// contacts, and (for waypost) the accounts' tokens and the groups' conversation ids.
#pragma once

#include <boost/asio.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"

namespace loadgen {

struct Population {
  std::vector<std::string> users;              // user index -> username
  std::vector<std::string> tokens;             // waypost: user index -> bearer token
  std::vector<std::vector<int>> members;       // group index -> member user indices
  std::vector<std::vector<int>> user_groups;   // user index -> group indices
  std::vector<std::vector<int>> contacts;      // user index -> private peers (symmetric)
  std::vector<std::int64_t> conversation_ids;  // waypost: group index -> conversation id
  std::vector<std::string> group_rooms;        // socketio: group index -> room name
};

// Builds the plan from the options alone: names (or the users file), group membership
// (group g holds users g*size .. g*size+size-1, wrapping around) and contacts (the nearest
// indices on both sides). Throws std::runtime_error if the users file is unreadable or short.
Population plan_population(const Options& options, const std::string& run_tag);

// Creates the accounts (unless --skip-register), logs every user in and creates the groups
// with their members, over `options.setup_concurrency` REST connections. Returns an empty
// string on success, else a description of the first failure.
boost::asio::awaitable<std::string> provision_waypost(const Options& options,
                                                      boost::asio::ip::tcp::endpoint server,
                                                      const std::string& run_tag,
                                                      Population& population);

}  // namespace loadgen
