#include "shortener/analytics/user_agent.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace waypost::shortener {
namespace {

// The uap-core regexes that `npm ci` installs in the source tree. WAYPOST_UAP_REGEXES overrides
// the path; otherwise it is found from this file's own location, so any build directory works.
std::string regexes_path() {
  if (const char* path = std::getenv("WAYPOST_UAP_REGEXES")) {
    return path;
  }
  const std::filesystem::path source_root =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  return (source_root / "node_modules" / "uap-core" / "regexes.yaml").string();
}

// Loaded once: compiling the 1,175 regexes takes a noticeable fraction of a second.
const UserAgentParser& parser() {
  static const std::shared_ptr<const UserAgentParser> loaded =
      UserAgentParser::load(regexes_path());
  return *loaded;
}

void expect_client(std::string_view user_agent, std::string_view browser, std::string_view os,
                   std::string_view device, bool bot) {
  const UserAgentInfo info = parser().parse(user_agent);
  EXPECT_EQ(info.browser, browser) << user_agent;
  EXPECT_EQ(info.os, os) << user_agent;
  EXPECT_EQ(info.device, device) << user_agent;
  EXPECT_EQ(info.bot, bot) << user_agent;
}

TEST(UserAgentParser, CompilesEveryUapCoreRegexWithRe2) {
  EXPECT_EQ(parser().skipped_patterns(), 0u);
}

TEST(UserAgentParser, RecognisesChromeOnWindowsAsDesktop) {
  expect_client(
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36",
      "Chrome", "Windows", "desktop", false);
}

TEST(UserAgentParser, RecognisesFirefoxOnWindowsAsDesktop) {
  expect_client("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
                "Firefox", "Windows", "desktop", false);
}

TEST(UserAgentParser, RecognisesFirefoxOnLinuxAsDesktop) {
  expect_client("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox",
                "Linux", "desktop", false);
}

TEST(UserAgentParser, RecognisesSafariOnMacAsDesktop) {
  expect_client(
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/17.1 Safari/605.1.15",
      "Safari", "Mac OS X", "desktop", false);
}

TEST(UserAgentParser, RecognisesSafariOnIphoneAsMobile) {
  expect_client(
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
      "Mobile Safari", "iOS", "mobile", false);
}

TEST(UserAgentParser, RecognisesChromeOnAndroidPhoneAsMobile) {
  expect_client(
      "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Mobile Safari/537.36",
      "Chrome Mobile", "Android", "mobile", false);
}

TEST(UserAgentParser, RecognisesChromeReducedAndroidUserAgentAsMobile) {
  // Chrome 110+ sends "Android 10; K" whatever the real version and model.
  expect_client(
      "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Mobile Safari/537.36",
      "Chrome Mobile", "Android", "mobile", false);
}

TEST(UserAgentParser, RecognisesSafariOnIpadAsTablet) {
  expect_client(
      "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/16.6 Mobile/15E148 Safari/604.1",
      "Mobile Safari", "iOS", "tablet", false);
}

TEST(UserAgentParser, RecognisesSamsungGalaxyTabAsTablet) {
  expect_client(
      "Mozilla/5.0 (Linux; Android 11; SM-T870) AppleWebKit/537.36 (KHTML, like Gecko) "
      "SamsungBrowser/14.0 Chrome/87.0.4280.141 Safari/537.36",
      "Samsung Internet", "Android", "tablet", false);
}

TEST(UserAgentParser, RecognisesChromeOnAndroidWithoutMobileTokenAsTablet) {
  expect_client(
      "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36",
      "Chrome", "Android", "tablet", false);
}

TEST(UserAgentParser, FlagsGooglebotAsBot) {
  expect_client("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Googlebot", "Other", "bot", true);
}

TEST(UserAgentParser, FlagsGooglebotSmartphoneAsBotNotMobile) {
  expect_client(
      "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
      "Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
      "+http://www.google.com/bot.html)",
      "Googlebot", "Android", "bot", true);
}

TEST(UserAgentParser, FlagsBingbotAsBot) {
  expect_client("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
                "bingbot", "Other", "bot", true);
}

TEST(UserAgentParser, FlagsSlackLinkExpanderAsBot) {
  const UserAgentInfo info =
      parser().parse("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)");
  EXPECT_EQ(info.device, "bot");
  EXPECT_TRUE(info.bot);
}

TEST(UserAgentParser, FlagsFacebookLinkPreviewAsBot) {
  expect_client("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
                "FacebookBot", "Other", "bot", true);
}

TEST(UserAgentParser, FlagsTwitterbotAsBot) {
  expect_client("Twitterbot/1.0", "Twitterbot", "Other", "bot", true);
}

TEST(UserAgentParser, FlagsWhatsAppLinkPreviewAsBot) {
  const UserAgentInfo info = parser().parse("WhatsApp/2.23.20.0 A");
  EXPECT_EQ(info.device, "bot");
  EXPECT_TRUE(info.bot);
}

TEST(UserAgentParser, FlagsCurlAsBot) {
  expect_client("curl/8.0.1", "curl", "Other", "bot", true);
}

TEST(UserAgentParser, FlagsPythonRequestsAsBot) {
  expect_client("python-requests/2.31.0", "Python Requests", "Other", "bot", true);
}

// Each of these is caught either by uap-core's own Spider rule or by the short supplementary
// list in user_agent.cpp; a uap-core upgrade that drops one of them shows up here.
TEST(UserAgentParser, FlagsLinkPreviewFetchersAndHttpToolsAsBots) {
  constexpr std::string_view kAutomated[] = {
      "TelegramBot (like TwitterBot)",
      "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
      "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
      "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 "
      "skype-url-preview@microsoft.com",
      "Iframely/1.3.1 (+https://iframely.com/docs/about)",
      "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
      "Wget/1.21.3",
      "Go-http-client/1.1",
      "okhttp/4.9.3",
      "axios/1.6.2",
      "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
      "libwww-perl/6.72",
      "Java/1.8.0_292",
  };
  for (const std::string_view user_agent : kAutomated) {
    const UserAgentInfo info = parser().parse(user_agent);
    EXPECT_TRUE(info.bot) << user_agent;
    EXPECT_EQ(info.device, "bot") << user_agent;
  }
}

TEST(UserAgentParser, FlagsEmptyUserAgentAsBot) {
  expect_client("", "Other", "Other", "bot", true);
}

TEST(UserAgentParser, ReadsOnlyTheFirst1024BytesOfAHugeHeader) {
  const std::string chrome =
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36 ";
  // "Mobile" beyond byte 1,024 would make this a phone if it were read.
  const std::string huge = chrome + std::string(10'000 - chrome.size() - 7, 'x') + " Mobile";

  const UserAgentInfo info = parser().parse(huge);
  EXPECT_EQ(info.browser, "Chrome");
  EXPECT_EQ(info.os, "Windows");
  EXPECT_EQ(info.device, "desktop");
  EXPECT_FALSE(info.bot);
}

TEST(UserAgentParser, ClassifiesTenThousandRandomishCharactersWithoutThrowing) {
  std::string noise;
  for (int i = 0; i < 10'000; ++i) {
    noise.push_back(static_cast<char>(' ' + (i * 7919) % 95));
  }
  UserAgentInfo info;
  EXPECT_NO_THROW(info = parser().parse(noise));
  EXPECT_FALSE(info.browser.empty());
  EXPECT_FALSE(info.os.empty());
  EXPECT_FALSE(info.device.empty());
}

TEST(UserAgentParser, ClassifiesNulBytesAndInvalidUtf8WithoutThrowing) {
  using namespace std::string_view_literals;
  const std::string_view garbage = "\xff\xfe\x00\xc3\x28\x00\xe2\x82 Mozilla\x00/5.0 \x80\xbf"sv;

  UserAgentInfo info;
  EXPECT_NO_THROW(info = parser().parse(garbage));
  EXPECT_EQ(info.browser, "Other");
  EXPECT_EQ(info.os, "Other");
  EXPECT_EQ(info.device, "other");
  EXPECT_FALSE(info.bot);
}

TEST(UserAgentParser, StillRecognisesBrowserAfterNulAndInvalidUtf8) {
  using namespace std::string_view_literals;
  const std::string_view user_agent =
      "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 \x00\xff\xc0"sv;
  expect_client(user_agent, "Firefox", "Linux", "desktop", false);
}

TEST(UserAgentParser, ReturnsTheSameAnswerFromTheCache) {
  const std::string_view user_agent =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
  const UserAgentInfo first = parser().parse(user_agent);
  const UserAgentInfo second = parser().parse(user_agent);
  EXPECT_EQ(first.browser, second.browser);
  EXPECT_EQ(first.os, second.os);
  EXPECT_EQ(first.device, second.device);
  EXPECT_EQ(first.bot, second.bot);
}

TEST(UserAgentParser, StaysCorrectWhenTheCacheRotates) {
  // Far more distinct UAs than the cache holds, then one seen at the start again.
  const std::string firefox =
      "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
  expect_client(firefox, "Firefox", "Linux", "desktop", false);
  for (int i = 0; i < 10'000; ++i) {
    parser().parse("Wget/1." + std::to_string(i));
  }
  expect_client(firefox, "Firefox", "Linux", "desktop", false);
}

TEST(UserAgentParser, ThrowsNamingTheFileWhenItIsMissing) {
  const std::string missing = "/nonexistent/uap-core/regexes.yaml";
  try {
    UserAgentParser::load(missing);
    FAIL() << "load() accepted a missing file";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(missing), std::string::npos) << error.what();
  }
}

TEST(UserAgentParser, ThrowsNamingTheFileWhenItIsNotYaml) {
  const std::string path = std::string(WAYPOST_BINARY_DIR) + "/user_agent_test_broken.yaml";
  std::ofstream(path) << "user_agent_parsers: [ {regex: 'unterminated\n";

  try {
    UserAgentParser::load(path);
    FAIL() << "load() accepted a broken file";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
  std::filesystem::remove(path);
}

TEST(UserAgentParser, GivesTheSameAnswersWhenCalledFromManyThreads) {
  const std::string iphone =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
  std::atomic<int> wrong = 0;

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3'000; ++i) {
        // Distinct UAs keep the cache rotating while other threads read it.
        const UserAgentInfo tool = parser().parse("Wget/" + std::to_string(t * 10'000 + i));
        const UserAgentInfo phone = parser().parse(iphone);
        if (!tool.bot || phone.device != "mobile" || phone.browser != "Mobile Safari") {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace waypost::shortener
