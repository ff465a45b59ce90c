// Expected failures of the chat stores, as boost::system error codes.
//
// Error model: a failure the caller must expect (bad input, name taken, not a
// member) comes back as `Result<T>` holding an `Errc`; the network layer maps
// it to a status and a message for the client. Storage faults (disk full,
// corrupt file) throw core::sqlite::DatabaseError and are not in this list.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <type_traits>

namespace waypost::chat {

enum class Errc {
  kInvalidUsername = 1,     // not 3-32 characters of [a-z0-9_.-]
  kUsernameTaken,           // another account has that name, ignoring case
  kInvalidPassword,         // shorter than 8 or longer than 1024 bytes
  kWrongCredentials,        // unknown user or wrong password (deliberately not told apart)
  kNoSuchUser,              // a user id that does not exist
  kNoSuchConversation,      // a conversation id that does not exist
  kNotAMember,              // the user is not a member of the conversation
  kNotAGroup,               // a group-only operation on a direct conversation
  kInviteOnly,              // no longer returned: outsiders get kNotAMember
  kDirectWithSelf,          // a direct conversation needs two different users
  kInvalidGroupName,        // empty, longer than 100 bytes or not UTF-8
  kInvalidMessageText,      // empty, too long or not UTF-8
  kInvalidClientMessageId,  // not 1-128 visible ASCII characters
  kInvalidPageLimit,        // a page limit outside 1..kMaxPageLimit
};

const boost::system::error_category& chat_category() noexcept;

boost::system::error_code make_error_code(Errc code) noexcept;

// The outcome of a store call: a value, or an error code from `Errc`.
template <typename T>
using Result = boost::system::result<T>;

}  // namespace waypost::chat

template <>
struct boost::system::is_error_code_enum<waypost::chat::Errc> : std::true_type {};
