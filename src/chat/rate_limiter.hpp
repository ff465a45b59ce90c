// Per-user token buckets, shared by every session of a user on any thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "chat/types.hpp"

namespace waypost::chat {

struct RateLimit {
  double per_second = 10;  // tokens refilled per second
  double burst = 20;       // bucket size: how many may come at once after a pause
};

// Thread-safe. Buckets of users who went quiet stay in memory (a few dozen
// bytes each); that matters only with millions of distinct users per process.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(RateLimit limit) : limit_(limit) {}

  // Takes one token from `user`'s bucket; false when it is empty.
  [[nodiscard]] bool try_acquire(UserId user, Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    auto [entry, inserted] = buckets_.try_emplace(user, Bucket{limit_.burst, now});
    auto& bucket = entry->second;

    double elapsed = std::chrono::duration<double>(now - bucket.refilled_at).count();
    bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed * limit_.per_second);
    bucket.refilled_at = now;

    if (bucket.tokens < 1.0) {
      return false;
    }
    bucket.tokens -= 1.0;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point refilled_at;
  };

  RateLimit limit_;
  std::mutex mutex_;
  std::unordered_map<UserId, Bucket> buckets_;  // guarded by mutex_
};

}  // namespace waypost::chat
