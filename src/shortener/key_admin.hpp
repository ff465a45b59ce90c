// The `keys` subcommand of shortener-server: creates, lists and revokes API
// keys directly in the database, for operators. A created key's secret is
// printed once and never stored.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace waypost::shortener {

struct KeyCommand {
  enum class Action { kNone, kCreate, kList, kRevoke };
  Action action = Action::kNone;
  std::string owner;    // kCreate
  std::string label;    // kCreate
  std::int64_t id = 0;  // kRevoke
};

// Runs `command` against the database at `database_path` (migrated first),
// writing the answer to `out`. Returns the process exit code: 0, or 1 with a
// message on `out` for a database file that does not exist, an invalid owner or
// an unknown key id. Storage failures throw.
int run_key_command(const KeyCommand& command, const std::string& database_path, std::ostream& out);

}  // namespace waypost::shortener
