#include "chat/hub.hpp"

#include <algorithm>

namespace waypost::chat {

Hub::Attachment Hub::attach(UserId user, const std::shared_ptr<Endpoint>& endpoint,
                            std::string token_key) {
  std::lock_guard lock(mutex_);
  auto& sessions = by_user_[user];
  Attachment attachment{next_session_id_++, sessions.empty()};
  sessions.push_back({attachment.session_id, endpoint, std::move(token_key)});
  ++session_count_;
  return attachment;
}

bool Hub::detach(UserId user, std::uint64_t session_id) {
  std::lock_guard lock(mutex_);
  auto found = by_user_.find(user);
  if (found == by_user_.end()) {
    return false;
  }

  auto& sessions = found->second;
  auto removed = std::erase_if(sessions, [&](const Session& s) { return s.id == session_id; });
  session_count_ -= removed;
  if (removed == 0 || !sessions.empty()) {
    return false;
  }
  by_user_.erase(found);
  return true;
}

bool Hub::is_online(UserId user) const {
  std::lock_guard lock(mutex_);
  return by_user_.contains(user);
}

void Hub::collect(UserId user, std::uint64_t except,
                  std::vector<std::shared_ptr<Endpoint>>& out) const {
  auto found = by_user_.find(user);
  if (found == by_user_.end()) {
    return;
  }
  for (const auto& session : found->second) {
    if (session.id == except) {
      continue;
    }
    if (auto endpoint = session.endpoint.lock()) {
      out.push_back(std::move(endpoint));
    }
  }
}

void Hub::send_to_users(std::span<const UserId> users, const Frame& frame, std::uint64_t except) {
  std::vector<std::shared_ptr<Endpoint>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto user : users) {
      collect(user, except, targets);
    }
  }

  for (auto& target : targets) {
    target->push(frame);
  }
}

std::vector<UserId> Hub::deliver_message(std::span<const UserId> members, UserId sender,
                                         MessageId id, const Frame& frame, std::uint64_t except) {
  std::vector<std::shared_ptr<Endpoint>> targets;
  std::vector<UserId> offline;
  {
    std::lock_guard lock(mutex_);
    for (auto member : members) {
      if (member != sender && !by_user_.contains(member)) {
        offline.push_back(member);
      }
      collect(member, except, targets);
    }
  }

  for (auto& target : targets) {
    target->push_message(id, frame);
  }
  return offline;
}

std::size_t Hub::close_token_sessions(std::string_view token_key, const std::string& reason) {
  if (token_key.empty()) {
    return 0;
  }
  std::vector<std::shared_ptr<Endpoint>> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [user, sessions] : by_user_) {
      for (const auto& session : sessions) {
        if (session.token_key != token_key) {
          continue;
        }
        if (auto endpoint = session.endpoint.lock()) {
          targets.push_back(std::move(endpoint));
        }
      }
    }
  }

  for (auto& target : targets) {
    target->close_for_policy(reason);
  }
  return targets.size();
}

void Hub::close_all() {
  std::vector<std::shared_ptr<Endpoint>> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [user, sessions] : by_user_) {
      collect(user, 0, targets);
    }
  }

  for (auto& target : targets) {
    target->close_going_away();
  }
}

std::size_t Hub::online_users() const {
  std::lock_guard lock(mutex_);
  return by_user_.size();
}

std::size_t Hub::sessions() const {
  std::lock_guard lock(mutex_);
  return session_count_;
}

}  // namespace waypost::chat
