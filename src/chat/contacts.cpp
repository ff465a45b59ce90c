#include "chat/contacts.hpp"

namespace waypost::chat {

std::vector<UserId> SqliteContactDirectory::contacts(UserId user) {
  auto db = pool_.lease();
  auto query = db->prepare(
      "SELECT DISTINCT other.user_id FROM members mine "
      "JOIN members other ON other.conversation_id = mine.conversation_id "
      "WHERE mine.user_id = ?1 AND other.user_id <> ?1 ORDER BY other.user_id");
  query.bind(1, to_int(user));

  std::vector<UserId> found;
  while (query.step() == core::sqlite::StepResult::kRow) {
    found.push_back(UserId{query.column_int(0)});
  }
  return found;
}

}  // namespace waypost::chat
