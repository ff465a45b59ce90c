#include "shortener/key_admin.hpp"

#include <filesystem>

#include "shortener/clock.hpp"
#include "shortener/sqlite_api_key_store.hpp"
#include "shortener/sqlite_link_store.hpp"

namespace waypost::shortener {

int run_key_command(const KeyCommand& command, const std::string& database_path,
                    std::ostream& out) {
  // A mistyped path would otherwise get a new, empty database with a key the
  // server never sees.
  if (!std::filesystem::exists(database_path)) {
    out << "no database at " << database_path
        << ": give the server's --database (start the server or run migrate once to create it)\n";
    return 1;
  }
  SqliteLinkStore schema_owner(database_path, 1);  // brings the schema up to date
  SqliteApiKeyStore keys(database_path, 1);
  auto now = SystemClock().now();

  switch (command.action) {
    case KeyCommand::Action::kCreate: {
      if (!is_valid_owner_name(command.owner)) {
        out << "invalid owner: use 1 to 64 characters of A-Z a-z 0-9 - _ . @\n";
        return 1;
      }
      auto secret = generate_api_key_secret();
      auto key = keys.create(command.owner, command.label, hash_api_key_secret(secret), now);
      out << "id " << key.id << "\nowner " << key.owner << "\nkey " << secret
          << "\n(the key is shown only now; store it safely)\n";
      return 0;
    }
    case KeyCommand::Action::kList:
      for (const auto& key : keys.list()) {
        out << key.id << "\t" << key.owner << "\t" << format_rfc3339(key.created_at) << "\t"
            << (key.revoked_at ? "revoked " + format_rfc3339(*key.revoked_at) : "active") << "\t"
            << key.label << "\n";
      }
      return 0;
    case KeyCommand::Action::kRevoke:
      if (!keys.revoke(command.id, now)) {
        out << "no active key with id " << command.id << "\n";
        return 1;
      }
      out << "revoked key " << command.id << "\n";
      return 0;
    case KeyCommand::Action::kNone:
      break;
  }
  return 1;
}

}  // namespace waypost::shortener
