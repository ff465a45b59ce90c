#include "shortener/link_cache.hpp"

#include <gtest/gtest.h>

namespace waypost::shortener {
namespace {

using std::chrono::seconds;

Timestamp t(int second) {
  return Timestamp(std::chrono::seconds(second));
}

std::shared_ptr<const Link> link_to(const std::string& url) {
  return std::make_shared<const Link>(Link{.code = "c", .long_url = url});
}

TEST(LinkCache, ReturnsWhatWasPutUntilItsTtlPasses) {
  LinkCache cache({.capacity = 100, .ttl = seconds(10), .absent_ttl = seconds(1)});
  cache.put("abc", link_to("https://example.com/"), t(0));

  auto hit = cache.lookup("abc", t(9));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->link->long_url, "https://example.com/");
  EXPECT_FALSE(cache.lookup("abc", t(10)).has_value());
}

TEST(LinkCache, RemembersAbsenceOnlyBriefly) {
  LinkCache cache({.capacity = 100, .ttl = seconds(10), .absent_ttl = seconds(1)});
  cache.put("gone", nullptr, t(0));

  auto hit = cache.lookup("gone", t(0));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->link, nullptr);
  EXPECT_FALSE(cache.lookup("gone", t(1)).has_value());
}

TEST(LinkCache, EvictsTheLeastRecentlyUsedWhenFull) {
  // Capacity is split over 16 shards; fill far beyond it and check the size bound.
  LinkCache cache({.capacity = 160, .ttl = seconds(100), .absent_ttl = seconds(1)});
  for (int i = 0; i < 1000; ++i) {
    cache.put("code" + std::to_string(i), link_to("https://example.com/"), t(0));
  }
  EXPECT_LE(cache.size(), 160u);
  EXPECT_TRUE(cache.lookup("code999", t(1)).has_value());
}

TEST(LinkCache, RecentlyReadEntrySurvivesEviction) {
  LinkCache cache({.capacity = 64, .ttl = seconds(100), .absent_ttl = seconds(1)});
  cache.put("keep", link_to("https://example.com/"), t(0));
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(cache.lookup("keep", t(1)).has_value()) << i;
    cache.put("filler" + std::to_string(i), link_to("https://example.com/"), t(1));
  }
}

TEST(LinkCache, EraseForgetsTheEntry) {
  LinkCache cache({.capacity = 100, .ttl = seconds(10), .absent_ttl = seconds(1)});
  cache.put("abc", nullptr, t(0));
  cache.erase("abc");
  EXPECT_FALSE(cache.lookup("abc", t(0)).has_value());
}

}  // namespace
}  // namespace waypost::shortener
