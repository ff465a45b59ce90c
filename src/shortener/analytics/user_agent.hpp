// Classifies the User-Agent header of a click into browser, operating system and device class,
// and says whether the client is a bot, for the link analytics.
//
// The browser and OS families come from the ua-parser project's regexes (uap-core's
// regexes.yaml), matched with RE2. The device class and the bot flag are this project's own
// reading of those results, written out in user_agent.cpp. Known blind spots: iPadOS Safari
// presents itself as a Mac by default and is counted as a desktop; an Android tablet whose
// browser says "Mobile" counts as a phone, and an Android television or set-top box whose
// browser does not counts as a tablet; HTTP tools that neither uap-core nor the short list in
// user_agent.cpp know (Postman, Apache-HttpClient, ...) are not flagged as bots.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace waypost::shortener {

// What one User-Agent header says about the client.
struct UserAgentInfo {
  std::string
      browser;  // family as ua-parser names it ("Firefox", "Chrome Mobile"); "Other" when unknown
  std::string os;      // family ("Windows", "iOS", "Android", "Mac OS X"); "Other" when unknown
  std::string device;  // one of "desktop", "mobile", "tablet", "bot", "other"
  bool bot =
      false;  // crawler, link-preview fetcher, or an automated client (not a person in a browser)
};

// The compiled uap-core rules plus a bounded cache of recent results. Immutable once loaded
// apart from the cache, so one instance is shared by every thread.
class UserAgentParser {
 public:
  // Reads the ua-parser regexes (uap-core's regexes.yaml). Throws std::runtime_error
  // naming the file when it cannot be read or parsed.
  static std::shared_ptr<const UserAgentParser> load(const std::string& regexes_path);

  UserAgentParser(const UserAgentParser&) = delete;
  UserAgentParser& operator=(const UserAgentParser&) = delete;
  ~UserAgentParser();

  // Classifies one User-Agent header value. Thread-safe; never throws for any input
  // (empty, 10,000 characters, invalid UTF-8, NUL bytes). Only the first 1,024 bytes are read.
  UserAgentInfo parse(std::string_view user_agent) const;

  // How many regexes of the file RE2 could not compile; those rules are skipped, so a UA they
  // alone would have recognised falls through to a later rule or "Other". Zero for uap-core
  // 0.18.0. Meant for a start-up log line.
  std::size_t skipped_patterns() const;

 private:
  struct Rules;  // the compiled parsers, defined in user_agent.cpp

  // Hashes std::string keys and std::string_view probes alike, so a cache hit allocates nothing.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };
  using Cache = std::unordered_map<std::string, UserAgentInfo, KeyHash, std::equal_to<>>;

  explicit UserAgentParser(std::unique_ptr<const Rules> rules);

  // Looks `user_agent` up in either cache generation; copies a hit from the older one into the
  // newer one so that UAs in steady use survive the next rotation. Needs cache_mutex_ held.
  const UserAgentInfo* find_cached(std::string_view user_agent) const;
  // Adds a result, rotating the generations when the newer one is full. Needs cache_mutex_.
  void remember(std::string_view user_agent, const UserAgentInfo& info) const;

  std::unique_ptr<const Rules> rules_;

  // A two-generation cache: entries go into recent_; when it holds kCacheGeneration entries it
  // becomes older_ and the previous older_ is dropped. At most 2 * kCacheGeneration entries.
  static constexpr std::size_t kCacheGeneration = 2048;
  mutable std::mutex cache_mutex_;
  mutable Cache recent_;  // guarded by cache_mutex_
  mutable Cache older_;   // guarded by cache_mutex_
};

}  // namespace waypost::shortener
