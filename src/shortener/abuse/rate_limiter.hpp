// Token buckets keyed by a string (a client address, an API key), for refusing clients that send
// requests faster than a configured rate.
//
// Each key has a bucket holding up to `burst` tokens that refills continuously at `per_second`
// tokens a second; a request takes tokens and is refused when too few are left. A new key starts
// with a full bucket. The numbers in RateDecision are the ones the RateLimit-Limit,
// RateLimit-Remaining, RateLimit-Reset and Retry-After response headers carry.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace waypost::shortener {

struct RateLimit {
  double per_second = 1;  // refill rate in tokens a second; <= 0 means unlimited
  double burst = 10;      // bucket capacity in tokens; must be positive unless unlimited
};

// The outcome of one RateLimiter::take().
struct RateDecision {
  bool allowed = true;
  long limit = 0;                // the bucket capacity, for RateLimit-Limit
  long remaining = 0;            // whole tokens left after this request, for RateLimit-Remaining
  long reset_seconds = 0;        // seconds until the bucket is full again, rounded up, for
                                 // RateLimit-Reset
  long retry_after_seconds = 0;  // when refused: seconds until enough tokens are available,
                                 // rounded up, at least 1; 0 when allowed
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Throws std::invalid_argument when the limit is not unlimited and `burst` is not a positive
  // finite number, or `per_second` is not finite. `max_keys` bounds the number of buckets held
  // (a value of 0 is treated as 1).
  explicit RateLimiter(RateLimit limit, std::size_t max_keys = 100'000);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes `cost` tokens from `key`'s bucket as of `now` (injected, so tests can move time by
  // hand). When the bucket holds fewer than `cost` tokens the request is refused and nothing is
  // taken. A `cost` above the burst is always refused (its retry_after_seconds is the time until
  // the bucket is full); a negative cost counts as 0. When unlimited() every request is allowed
  // and the decision holds only zeros apart from `allowed`: send no RateLimit headers then.
  //
  // Thread-safe: keys are spread over shards, each with its own mutex. Callers on different
  // threads may pass slightly different `now`s; time never runs backwards for a bucket (an
  // earlier `now` than the bucket's last update refills nothing).
  //
  // Memory is bounded: when a shard holds more than its share of `max_keys`, buckets that have
  // refilled completely are dropped first (they carry no state), and if it is still over, the
  // least recently touched ones. A dropped key that returns starts with a full bucket again.
  RateDecision take(std::string_view key, Clock::time_point now, double cost = 1);

  bool unlimited() const { return limit_.per_second <= 0; }

  // The number of buckets currently held, for tests and metrics. Thread-safe.
  std::size_t size() const;

 private:
  struct Bucket;
  // Buckets by the instant they will be full again, earliest first.
  using FullTimes = std::multimap<Clock::time_point, Bucket*>;

  struct Bucket {
    std::string key;
    double tokens = 0;
    Clock::time_point updated;    // the latest `now` that refilled this bucket
    FullTimes::iterator full_at;  // this bucket's entry in Shard::full_times
  };
  using Recency = std::list<Bucket>;  // most recently touched first

  struct Shard {
    mutable std::mutex mutex;
    Recency recency;  // guarded by mutex; owns the buckets, whose addresses stay put
    std::unordered_map<std::string_view, Recency::iterator> index;  // keys view Bucket::key;
                                                                    // guarded by mutex
    FullTimes full_times;  // one entry per bucket; guarded by mutex
  };

  Shard& shard_for(std::string_view key);
  Recency::iterator find_or_add(Shard& shard, std::string_view key, Clock::time_point now);
  void refill(Bucket& bucket, Clock::time_point now) const;
  void index_full_time(Shard& shard, Bucket& bucket) const;
  RateDecision decide(const Bucket& bucket, bool allowed, double cost) const;
  void evict(Shard& shard, Clock::time_point now);
  void drop(Shard& shard, Recency::iterator bucket);

  RateLimit limit_;
  std::size_t shard_capacity_;
  std::vector<Shard> shards_;
};

}  // namespace waypost::shortener
