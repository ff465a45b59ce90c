#include "chat/errors.hpp"

#include <string>

namespace waypost::chat {
namespace {

// boost::system::error_category's destructor is non-virtual on purpose (it is
// protected, and categories are never deleted through the base); GCC still
// warns, so the warning is silenced for this class only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class ChatCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "waypost.chat"; }

  std::string message(int code) const override { return describe(static_cast<Errc>(code)); }

 private:
  static const char* describe(Errc code) {
    switch (code) {
      case Errc::kInvalidUsername:
        return "username must be 3 to 32 characters of a-z, 0-9, '_', '.' or '-'";
      case Errc::kUsernameTaken:
        return "username is taken";
      case Errc::kInvalidPassword:
        return "password must be 8 to 1024 bytes";
      case Errc::kWrongCredentials:
        return "wrong username or password";
      case Errc::kNoSuchUser:
        return "no such user";
      case Errc::kNoSuchConversation:
        return "no such conversation";
      case Errc::kNotAMember:
        return "not a member of the conversation";
      case Errc::kNotAGroup:
        return "the conversation is not a group";
      case Errc::kInviteOnly:
        return "the group is invite-only";
      case Errc::kDirectWithSelf:
        return "a direct conversation needs two different users";
      case Errc::kInvalidGroupName:
        return "group name must be 1 to 100 bytes of UTF-8";
      case Errc::kInvalidMessageText:
        return "message text must be non-empty UTF-8 within the size limit";
      case Errc::kInvalidClientMessageId:
        return "client message id must be 1 to 128 visible ASCII characters";
      case Errc::kInvalidPageLimit:
        return "page limit is out of range";
    }
    return "unknown chat error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& chat_category() noexcept {
  static const ChatCategory category;
  return category;
}

boost::system::error_code make_error_code(Errc code) noexcept {
  return {static_cast<int>(code), chat_category()};
}

}  // namespace waypost::chat
