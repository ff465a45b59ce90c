#include "shortener/link_cache.hpp"

#include <algorithm>

namespace waypost::shortener {
namespace {

constexpr std::size_t kShards = 16;

}  // namespace

LinkCache::LinkCache(LinkCacheOptions options)
    : options_(options),
      shard_capacity_(std::max<std::size_t>(1, options.capacity / kShards)),
      shards_(kShards) {}

LinkCache::Shard& LinkCache::shard_for(std::string_view code) {
  return shards_[std::hash<std::string_view>{}(code) % shards_.size()];
}

std::optional<LinkCache::Entry> LinkCache::lookup(std::string_view code, Timestamp now) {
  auto& shard = shard_for(code);
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(code);
  if (found == shard.index.end()) {
    return std::nullopt;
  }

  auto slot = found->second;
  if (now >= slot->fresh_until) {
    shard.index.erase(found);
    shard.recency.erase(slot);
    return std::nullopt;
  }
  shard.recency.splice(shard.recency.begin(), shard.recency, slot);
  return Entry{slot->link};
}

void LinkCache::put(const std::string& code, std::shared_ptr<const Link> link, Timestamp now) {
  auto fresh_until = now + (link ? options_.ttl : options_.absent_ttl);
  auto& shard = shard_for(code);
  std::lock_guard lock(shard.mutex);

  if (auto found = shard.index.find(code); found != shard.index.end()) {
    found->second->link = std::move(link);
    found->second->fresh_until = fresh_until;
    shard.recency.splice(shard.recency.begin(), shard.recency, found->second);
    return;
  }

  shard.recency.push_front(Slot{code, std::move(link), fresh_until});
  shard.index.emplace(code, shard.recency.begin());
  if (shard.recency.size() > shard_capacity_) {
    shard.index.erase(shard.recency.back().code);
    shard.recency.pop_back();
  }
}

void LinkCache::erase(const std::string& code) {
  auto& shard = shard_for(code);
  std::lock_guard lock(shard.mutex);
  if (auto found = shard.index.find(code); found != shard.index.end()) {
    shard.recency.erase(found->second);
    shard.index.erase(found);
  }
}

std::size_t LinkCache::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.recency.size();
  }
  return total;
}

}  // namespace waypost::shortener
