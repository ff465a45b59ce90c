#include "shortener/abuse/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <utility>

namespace waypost::shortener {
namespace {

constexpr std::size_t kShards = 16;

// Token counts come from floating-point products of elapsed time and rate, so a value meant to
// be exactly 2 may arrive as 1.9999999999. Rounding allows for that much error, which is far
// below anything a client could notice.
constexpr double kSlack = 1e-9;

// Longer waits than this are reported as this; it keeps time_point arithmetic from overflowing
// when the rate is tiny.
constexpr double kMaxWaitSeconds = 1e8;

long round_up(double value) {
  return static_cast<long>(std::ceil(std::max(0.0, value - kSlack)));
}

long round_down(double value) {
  return static_cast<long>(std::floor(std::max(0.0, value + kSlack)));
}

}  // namespace

RateLimiter::RateLimiter(RateLimit limit, std::size_t max_keys) : limit_(limit) {
  if (!unlimited() &&
      (!std::isfinite(limit.per_second) || !std::isfinite(limit.burst) || limit.burst <= 0)) {
    throw std::invalid_argument("rate limit: burst must be positive and the rate finite");
  }

  // Fewer shards than keys would let the total exceed max_keys.
  max_keys = std::max<std::size_t>(1, max_keys);
  const std::size_t shard_count = std::min(kShards, max_keys);
  shard_capacity_ = max_keys / shard_count;
  shards_ = std::vector<Shard>(shard_count);
}

RateLimiter::Shard& RateLimiter::shard_for(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

RateDecision RateLimiter::take(std::string_view key, Clock::time_point now, double cost) {
  if (unlimited()) {
    return RateDecision{};
  }
  cost = std::max(0.0, cost);

  auto& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto bucket = find_or_add(shard, key, now);
  refill(*bucket, now);

  // Allow for rounding error, or a bucket refilled to exactly `cost` might refuse.
  const bool allowed = cost <= limit_.burst && bucket->tokens + kSlack >= cost;
  if (allowed) {
    bucket->tokens = std::max(0.0, bucket->tokens - cost);
  }
  index_full_time(shard, *bucket);
  const RateDecision decision = decide(*bucket, allowed, cost);

  // Last, as it may drop buckets (even this one, once it is full and so stateless).
  evict(shard, now);
  return decision;
}

RateLimiter::Recency::iterator RateLimiter::find_or_add(Shard& shard, std::string_view key,
                                                        Clock::time_point now) {
  if (auto found = shard.index.find(key); found != shard.index.end()) {
    shard.recency.splice(shard.recency.begin(), shard.recency, found->second);
    return found->second;
  }

  auto bucket = shard.recency.emplace(shard.recency.begin());
  bucket->key = std::string(key);
  bucket->tokens = limit_.burst;
  bucket->updated = now;
  bucket->full_at = shard.full_times.emplace(now, &*bucket);
  shard.index.emplace(bucket->key, bucket);
  return bucket;
}

void RateLimiter::refill(Bucket& bucket, Clock::time_point now) const {
  if (now <= bucket.updated) {
    return;
  }
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed * limit_.per_second);
  bucket.updated = now;
}

void RateLimiter::index_full_time(Shard& shard, Bucket& bucket) const {
  const double wait = std::min(kMaxWaitSeconds, (limit_.burst - bucket.tokens) / limit_.per_second);
  const auto full_at = bucket.updated + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(std::max(0.0, wait)));

  // Moving the node keeps the hot path free of allocations.
  auto node = shard.full_times.extract(bucket.full_at);
  node.key() = full_at;
  bucket.full_at = shard.full_times.insert(std::move(node));
}

RateDecision RateLimiter::decide(const Bucket& bucket, bool allowed, double cost) const {
  RateDecision decision;
  decision.allowed = allowed;
  decision.limit = round_down(limit_.burst);
  decision.remaining = round_down(bucket.tokens);
  decision.reset_seconds =
      round_up(std::min(kMaxWaitSeconds, (limit_.burst - bucket.tokens) / limit_.per_second));
  if (!allowed) {
    // A cost above the burst can never be met; the best answer is "when it is full".
    const double missing = std::min(cost, limit_.burst) - bucket.tokens;
    const double wait = std::min(kMaxWaitSeconds, missing / limit_.per_second);
    decision.retry_after_seconds = std::max(1L, round_up(wait));
  }
  return decision;
}

void RateLimiter::evict(Shard& shard, Clock::time_point now) {
  while (shard.recency.size() > shard_capacity_) {
    // A full bucket is indistinguishable from a new one, so dropping it loses nothing.
    const auto earliest = shard.full_times.begin();
    if (earliest->first <= now) {
      drop(shard, shard.index.find(earliest->second->key)->second);
    } else {
      drop(shard, std::prev(shard.recency.end()));
    }
  }
}

void RateLimiter::drop(Shard& shard, Recency::iterator bucket) {
  shard.full_times.erase(bucket->full_at);
  shard.index.erase(bucket->key);
  shard.recency.erase(bucket);
}

std::size_t RateLimiter::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.recency.size();
  }
  return total;
}

}  // namespace waypost::shortener
