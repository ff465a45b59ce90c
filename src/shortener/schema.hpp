// The shortener database's schema, as versioned migrations that run forward
// and back (core::migrate_to). Every SQLite store of the shortener opens the
// same file; SqliteLinkStore brings it up to date when it opens it.
#pragma once

#include <vector>

#include "core/migrations.hpp"

namespace waypost::shortener {

// Oldest first:
//   1  links
//   2  link owners, visit limits, passwords and deletion; API keys
//   3  click events, hourly rollups, daily visitor sets and their keys
const std::vector<core::Migration>& shortener_schema_migrations();

}  // namespace waypost::shortener
