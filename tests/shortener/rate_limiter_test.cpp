#include "shortener/abuse/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace waypost::shortener {
namespace {

using Clock = RateLimiter::Clock;

Clock::time_point at_ms(long milliseconds) {
  return Clock::time_point(std::chrono::milliseconds(milliseconds));
}

// Keys that land in the same shard as `count - 1` others, so that a shard's bound can be
// exercised exactly. Mirrors the limiter's choice: std::hash of the key modulo 16 shards.
std::vector<std::string> keys_in_one_shard(std::size_t count) {
  std::vector<std::string> keys;
  const auto shard_of = [](const std::string& key) {
    return std::hash<std::string_view>{}(key) % 16;
  };
  for (int i = 0; keys.size() < count; ++i) {
    std::string key = "key" + std::to_string(i);
    if (keys.empty() || shard_of(key) == shard_of(keys.front())) {
      keys.push_back(std::move(key));
    }
  }
  return keys;
}

TEST(RateLimiter, RefusesOnceTheBurstIsSpentAndRefillsOverTime) {
  RateLimiter limiter({.per_second = 2, .burst = 3});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.take("client", at_ms(0)).allowed) << i;
  }
  EXPECT_FALSE(limiter.take("client", at_ms(0)).allowed);
  EXPECT_FALSE(limiter.take("client", at_ms(499)).allowed);

  // Two tokens a second: one more after half a second, two more after a whole one.
  EXPECT_TRUE(limiter.take("client", at_ms(500)).allowed);
  EXPECT_FALSE(limiter.take("client", at_ms(500)).allowed);
  EXPECT_TRUE(limiter.take("client", at_ms(1500)).allowed);
  EXPECT_TRUE(limiter.take("client", at_ms(1500)).allowed);
  EXPECT_FALSE(limiter.take("client", at_ms(1500)).allowed);
}

TEST(RateLimiter, ReportsExactHeaderNumbers) {
  RateLimiter limiter({.per_second = 1, .burst = 10});

  const RateDecision first = limiter.take("client", at_ms(0));
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.limit, 10);
  EXPECT_EQ(first.remaining, 9);
  EXPECT_EQ(first.reset_seconds, 1);
  EXPECT_EQ(first.retry_after_seconds, 0);

  for (int i = 0; i < 8; ++i) {
    limiter.take("client", at_ms(0));
  }
  const RateDecision last = limiter.take("client", at_ms(0));
  EXPECT_TRUE(last.allowed);
  EXPECT_EQ(last.remaining, 0);
  EXPECT_EQ(last.reset_seconds, 10);

  const RateDecision refused = limiter.take("client", at_ms(250));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.limit, 10);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.reset_seconds, 10);       // 9.75 seconds, rounded up
  EXPECT_EQ(refused.retry_after_seconds, 1);  // 0.75 seconds, rounded up

  const RateDecision later = limiter.take("client", at_ms(3500));
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.remaining, 2);      // 3.5 tokens refilled, 1 taken
  EXPECT_EQ(later.reset_seconds, 8);  // 7.5 tokens missing
}

TEST(RateLimiter, RetryAfterCoversTheWholeWaitAtSlowRates) {
  RateLimiter limiter({.per_second = 0.25, .burst = 2});
  limiter.take("client", at_ms(0));
  const RateDecision spent = limiter.take("client", at_ms(0));
  EXPECT_EQ(spent.remaining, 0);
  EXPECT_EQ(spent.reset_seconds, 8);

  const RateDecision refused = limiter.take("client", at_ms(1000));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 3);
  EXPECT_EQ(refused.reset_seconds, 7);

  EXPECT_FALSE(limiter.take("client", at_ms(3999)).allowed);
  EXPECT_TRUE(limiter.take("client", at_ms(4000)).allowed);
}

TEST(RateLimiter, RetryAfterIsAtLeastOneSecond) {
  RateLimiter limiter({.per_second = 100, .burst = 1});
  limiter.take("client", at_ms(0));
  const RateDecision refused = limiter.take("client", at_ms(1));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
}

TEST(RateLimiter, CostTakesSeveralTokensAndARefusalTakesNone) {
  RateLimiter limiter({.per_second = 1, .burst = 5});
  const RateDecision big = limiter.take("client", at_ms(0), 4);
  EXPECT_TRUE(big.allowed);
  EXPECT_EQ(big.remaining, 1);

  const RateDecision refused = limiter.take("client", at_ms(0), 4);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 1);
  EXPECT_EQ(refused.retry_after_seconds, 3);

  EXPECT_TRUE(limiter.take("client", at_ms(0), 1).allowed);
}

TEST(RateLimiter, CostAboveTheBurstIsAlwaysRefused) {
  RateLimiter limiter({.per_second = 1, .burst = 5});
  const RateDecision refused = limiter.take("client", at_ms(0), 6);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 5);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_FALSE(limiter.take("client", at_ms(100'000), 6).allowed);
}

TEST(RateLimiter, NeverRefillsBeyondTheBurst) {
  RateLimiter limiter({.per_second = 1, .burst = 3});
  limiter.take("client", at_ms(0));
  const RateDecision after_idling = limiter.take("client", at_ms(3'600'000));
  EXPECT_EQ(after_idling.remaining, 2);
  EXPECT_EQ(after_idling.reset_seconds, 1);
}

TEST(RateLimiter, AnEarlierNowRefillsNothing) {
  RateLimiter limiter({.per_second = 1, .burst = 2});
  limiter.take("client", at_ms(10'000));
  limiter.take("client", at_ms(10'000));
  // Another thread's slightly older clock reading must not count as time passing.
  EXPECT_FALSE(limiter.take("client", at_ms(5'000)).allowed);
  EXPECT_FALSE(limiter.take("client", at_ms(10'500)).allowed);
  EXPECT_TRUE(limiter.take("client", at_ms(11'000)).allowed);
}

TEST(RateLimiter, KeysHaveIndependentBuckets) {
  RateLimiter limiter({.per_second = 1, .burst = 2});
  limiter.take("alice", at_ms(0));
  limiter.take("alice", at_ms(0));
  EXPECT_FALSE(limiter.take("alice", at_ms(0)).allowed);

  const RateDecision bob = limiter.take("bob", at_ms(0));
  EXPECT_TRUE(bob.allowed);
  EXPECT_EQ(bob.remaining, 1);
}

TEST(RateLimiter, UnlimitedAllowsEverythingAndHoldsNoBuckets) {
  RateLimiter limiter({.per_second = 0, .burst = 1});
  EXPECT_TRUE(limiter.unlimited());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(limiter.take("client", at_ms(0), 50).allowed);
  }
  EXPECT_EQ(limiter.size(), 0u);
  EXPECT_TRUE(RateLimiter({.per_second = -1, .burst = 0}).unlimited());
  EXPECT_FALSE(RateLimiter({.per_second = 1, .burst = 1}).unlimited());
}

TEST(RateLimiter, RejectsANonPositiveBurst) {
  EXPECT_THROW(RateLimiter({.per_second = 1, .burst = 0}), std::invalid_argument);
  EXPECT_THROW(RateLimiter({.per_second = 1, .burst = -3}), std::invalid_argument);
}

TEST(RateLimiter, MemoryStaysBoundedWithAMillionDistinctKeys) {
  RateLimiter limiter({.per_second = 1, .burst = 10}, 1'000);
  for (long i = 0; i < 1'000'000; ++i) {
    // A key a millisecond, so older buckets keep refilling completely as the flood goes on.
    ASSERT_TRUE(limiter.take("flood" + std::to_string(i), at_ms(i)).allowed);
    if (i % 100'000 == 0) {
      ASSERT_LE(limiter.size(), 1'000u);
    }
  }
  EXPECT_LE(limiter.size(), 1'000u);
  EXPECT_GE(limiter.size(), 900u);  // shards are filled, not emptied
}

TEST(RateLimiter, MemoryStaysBoundedWhenNoBucketHasRefilled) {
  RateLimiter limiter({.per_second = 1, .burst = 10}, 1'000);
  for (int i = 0; i < 100'000; ++i) {
    limiter.take("flood" + std::to_string(i), at_ms(0));
  }
  EXPECT_LE(limiter.size(), 1'000u);
}

TEST(RateLimiter, DropsRefilledBucketsBeforeDrainedOnes) {
  // 32 keys over 16 shards: two buckets a shard.
  RateLimiter limiter({.per_second = 1, .burst = 10}, 32);
  const auto keys = keys_in_one_shard(3);
  const std::string& drained = keys[0];
  const std::string& idle = keys[1];
  const std::string& newcomer = keys[2];

  limiter.take(drained, at_ms(0), 10);  // touched first: the oldest
  limiter.take(idle, at_ms(0));         // full again after one second
  limiter.take(newcomer, at_ms(5'000));

  // Had the drained bucket been dropped, it would be full (10 tokens) again.
  const RateDecision kept = limiter.take(drained, at_ms(5'000));
  EXPECT_TRUE(kept.allowed);
  EXPECT_EQ(kept.remaining, 4);
}

TEST(RateLimiter, DropsTheLeastRecentlyTouchedWhenNoneHasRefilled) {
  RateLimiter limiter({.per_second = 1, .burst = 10}, 32);
  const auto keys = keys_in_one_shard(3);

  limiter.take(keys[0], at_ms(0), 5);
  limiter.take(keys[1], at_ms(0), 5);
  limiter.take(keys[0], at_ms(0), 1);  // keys[1] is now the least recently touched
  limiter.take(keys[2], at_ms(0), 5);

  EXPECT_EQ(limiter.take(keys[0], at_ms(0), 1).remaining, 3);
  EXPECT_EQ(limiter.take(keys[1], at_ms(0), 1).remaining, 9);  // forgotten: a new bucket
}

TEST(RateLimiter, ConcurrentTakesNeverGrantMoreThanTheRateAllows) {
  constexpr double kRate = 2'000;
  constexpr double kBurst = 100;
  RateLimiter limiter({.per_second = kRate, .burst = kBurst});
  std::atomic<long> granted{0};

  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50'000; ++i) {
        if (limiter.take("shared", Clock::now()).allowed) {
          granted.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  EXPECT_GE(granted.load(), static_cast<long>(kBurst));
  EXPECT_LE(static_cast<double>(granted.load()), kBurst + kRate * elapsed);
}

TEST(RateLimiter, ConcurrentTakesAtOneInstantGrantExactlyTheBurst) {
  RateLimiter limiter({.per_second = 1, .burst = 1'000});
  std::atomic<long> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        if (limiter.take("shared", at_ms(0)).allowed) {
          granted.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(granted.load(), 1'000);
}

}  // namespace
}  // namespace waypost::shortener
