// The click queue's packing: every click comes back as it was queued, its
// texts cut to the documented lengths, however many clicks share the buffers
// and after they are cleared or swapped.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shortener/analytics/click_recorder.hpp"

namespace waypost::shortener {
namespace {

const Timestamp kNoon{std::chrono::microseconds(1'740'830'400'000'000)};

RawClick click_number(int i, const std::string& user_agent, const std::string& referrer) {
  return {
      .code = i % 2 == 0 ? "abc" : "a-longer-custom-alias",
      .at = kNoon + std::chrono::seconds(i),
      .address = boost::asio::ip::make_address(i % 2 == 0 ? "192.0.2.1" : "2001:db8::1"),
      .user_agent = user_agent,
      .referrer = referrer,
      .bot = i % 3 == 0 ? std::optional<bool>() : std::optional<bool>(i % 3 == 1),
      .visit_already_counted = i % 5 == 0,
  };
}

TEST(PackedClicks, GivesEveryClickBackAsItWasQueued) {
  std::vector<std::string> agents;
  std::vector<std::string> referrers;
  for (int i = 0; i < 1000; ++i) {
    agents.push_back("agent " + std::to_string(i));
    referrers.push_back("https://r.example/" + std::to_string(i));
  }
  PackedClicks packed;
  for (int i = 0; i < 1000; ++i) {
    packed.push(click_number(i, agents[i], referrers[i]));
  }

  ASSERT_EQ(packed.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    auto expected = click_number(i, agents[i], referrers[i]);
    auto click = packed.at(static_cast<std::size_t>(i));
    EXPECT_EQ(click.code, expected.code);
    EXPECT_EQ(click.at, expected.at);
    EXPECT_EQ(click.address, expected.address);
    EXPECT_EQ(click.user_agent, expected.user_agent);
    EXPECT_EQ(click.referrer, expected.referrer);
    EXPECT_EQ(click.bot, expected.bot);
    EXPECT_EQ(click.visit_already_counted, expected.visit_already_counted);
  }
}

TEST(PackedClicks, KeepsOnlyTheDocumentedLengthOfUserAgentAndReferrer) {
  std::string user_agent(10'000, 'u');
  std::string referrer = "https://r.example/" + std::string(10'000, 'r');
  PackedClicks packed;
  packed.push(click_number(0, user_agent, referrer));
  packed.push(click_number(1, "", ""));

  auto first = packed.at(0);
  EXPECT_EQ(first.user_agent, user_agent.substr(0, kMaxClickUserAgentBytes));
  EXPECT_EQ(first.referrer, referrer.substr(0, kMaxClickReferrerBytes));
  auto second = packed.at(1);
  EXPECT_EQ(second.code, "a-longer-custom-alias");
  EXPECT_TRUE(second.user_agent.empty());
  EXPECT_TRUE(second.referrer.empty());
}

TEST(PackedClicks, ClearingAndSwappingHandTheClicksOver) {
  PackedClicks queue;
  PackedClicks taken;
  queue.push(click_number(0, "first agent", "https://first.example/"));
  taken.push(click_number(1, "stale agent", "https://stale.example/"));

  taken.clear();
  EXPECT_TRUE(taken.empty());
  taken.swap(queue);
  queue.push(click_number(2, "second agent", "https://second.example/"));

  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken.at(0).user_agent, "first agent");
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.at(0).user_agent, "second agent");
  EXPECT_EQ(queue.at(0).referrer, "https://second.example/");
}

}  // namespace
}  // namespace waypost::shortener
