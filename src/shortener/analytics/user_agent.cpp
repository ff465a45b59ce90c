#include "shortener/analytics/user_agent.hpp"

#include <re2/re2.h>
#include <re2/set.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

// How the file's semantics are applied (uap-core docs/specification.md):
//   - each of user_agent_parsers, os_parsers and device_parsers is tried in file order and the
//     first regex that matches anywhere in the UA wins;
//   - regex_flag 'i' makes that one regex case-insensitive, every other is case-sensitive;
//   - a family_replacement, os_replacement or device_replacement replaces the family, with $1 to
//     $9 standing for the regex's groups (unmatched groups are empty); without one the family is
//     group 1; the result is trimmed, and an empty family, or no matching regex, is "Other".
//
// The regexes are written for PCRE. RE2 has no lookaround, backreferences, atomic groups or
// possessive quantifiers, and refuses counted repetitions above 1000. A regex RE2 refuses is
// skipped (so the list goes on to the next one) and counted in skipped_patterns(); nothing is
// rewritten, because a rewrite without lookaround would match more than the author meant. With
// uap-core 0.18.0 all 1,175 regexes compile, so none is skipped. For the constructs these
// regexes use, both engines agree on whether a regex matches and on what its groups capture
// (both take the leftmost match and prefer earlier alternatives), which is all that is used here.
//
// Speed: walking about 350 browser, 200 OS and 630 device regexes one by one costs roughly
// 250 microseconds per UA. Instead the regexes of each list are also compiled, in blocks of
// kRulesPerSet, into RE2::Set automata that say in one pass which regexes of the block match;
// only the first of those is then run on its own for its groups. A block whose automaton cannot
// be built, or runs out of memory on some input, is walked one regex at a time instead, which is
// slower but gives the same answer.

namespace waypost::shortener {
namespace {

// Longer headers are cut here before matching and before being used as the cache key.
constexpr std::size_t kMaxUserAgentBytes = 1024;

// $0 to $9.
constexpr int kMaxGroups = 10;

// Small enough that each block's automaton builds within RE2's default 8 MiB budget (the 628
// device regexes in one set need more than 16 MiB) and that a UA matched early stops early.
constexpr std::size_t kRulesPerSet = 64;

constexpr std::string_view kOther = "Other";

// Link-preview fetchers and HTTP tools that uap-core 0.18.0 does not report as device "Spider".
// Its generic Spider rule already catches Slackbot-LinkExpanding, Twitterbot,
// facebookexternalhit, WhatsApp, TelegramBot, Discordbot, LinkedInBot and "Java/", so they are
// not repeated here. The tools below (curl, Wget, HTTP client libraries) it does not recognise at
// all. Kept short on purpose: whatever a later uap-core release learns should be dropped here.
constexpr std::string_view kAutomatedClients =
    R"(SkypeUriPreview|\bIframely/|\bEmbedly/|)"
    R"(^(?:curl|Wget|python-requests|Go-http-client|okhttp|axios|node-fetch|libwww-perl)/)";

// uap device families that are tablets. Samsung tablets are "SM-T..." (Galaxy Tab), "SM-P..." (Tab
// with S Pen) and "SM-X..." (recent Tab S); older ones "GT-P...". Nexus 7, 9 and 10 were tablets,
// the other Nexus models phones.
constexpr std::string_view kTabletDevices =
    R"(iPad|Tablet|Kindle|TouchPad|PlayBook|Nexus (?:7|9|10)\b|\b(?:SM-[TPX]|GT-P)\d)";

// OS families of phones (and of the tablets the rule above did not catch: the tablet test comes
// first). Tizen and webOS are left out because they also run televisions; their phones say
// "Mobile" in the UA.
constexpr std::array<std::string_view, 17> kMobileSystems = {
    "iOS",        "Android",         "Windows Phone",  "Windows Mobile",       "BlackBerry OS",
    "Symbian OS", "Symbian^3",       "Symbian^3 Anna", "Symbian^3 Belle",      "Firefox OS",
    "KaiOS",      "Nokia Series 40", "Bada",           "Nokia Series 30 Plus", "MeeGo",
    "Sailfish",   "HarmonyOS"};

// OS families of desktop and laptop computers, as uap-core names them.
constexpr std::array<std::string_view, 21> kDesktopSystems = {
    "Windows",   "Mac OS X", "Mac OS",  "Linux",  "Ubuntu",     "Kubuntu",   "Lubuntu",
    "Debian",    "Fedora",   "Red Hat", "Gentoo", "Linux Mint", "Mandriva",  "Slackware",
    "Chrome OS", "FreeBSD",  "OpenBSD", "NetBSD", "Solaris",    "PCLinuxOS", "Puppy"};

bool contains(const auto& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

RE2::Options pattern_options(bool case_sensitive) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(case_sensitive);
  return options;
}

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// One entry of a parser list.
struct Rule {
  std::unique_ptr<RE2> regex;
  std::string replacement;  // empty when the file gives none: the family is then group 1
  int groups = 1;           // groups to extract, counting $0, at most kMaxGroups
};

// One parser list of the file, compiled.
class RuleList {
 public:
  // Compiles one regex of the list and appends it. Returns false, appending nothing, when RE2
  // does not accept the regex.
  bool add(const std::string& pattern, bool case_sensitive, std::string replacement) {
    auto regex = std::make_unique<RE2>(pattern, pattern_options(case_sensitive));
    if (!regex->ok()) {
      return false;
    }
    const int groups = std::min(regex->NumberOfCapturingGroups() + 1, kMaxGroups);
    rules_.push_back(Rule{std::move(regex), std::move(replacement), groups});
    return true;
  }

  // Builds the set automata; call once, after the last add().
  void build_sets() {
    for (std::size_t first = 0; first < rules_.size(); first += kRulesPerSet) {
      auto set = std::make_unique<RE2::Set>(pattern_options(true), RE2::UNANCHORED);
      const std::size_t last = std::min(first + kRulesPerSet, rules_.size());
      bool complete = true;
      for (std::size_t i = first; i < last && complete; ++i) {
        // Inline flags carry each regex's own case sensitivity into the shared automaton.
        const RE2& regex = *rules_[i].regex;
        const std::string flagged =
            (regex.options().case_sensitive() ? "" : "(?i)") + std::string(regex.pattern());
        complete = set->Add(flagged, nullptr) == static_cast<int>(i - first);
      }
      sets_.push_back(complete && set->Compile() ? std::move(set) : nullptr);
    }
  }

  // The family named by the first rule matching `text`, or "Other" when none does.
  std::string family(std::string_view text) const {
    for (std::size_t block = 0; block < sets_.size(); ++block) {
      if (const std::optional<std::size_t> index = first_match_in_block(block, text)) {
        return family_of(rules_[*index], text);
      }
    }
    return std::string(kOther);
  }

 private:
  std::optional<std::size_t> first_match_in_block(std::size_t block, std::string_view text) const {
    const std::size_t first = block * kRulesPerSet;
    const std::size_t last = std::min(first + kRulesPerSet, rules_.size());

    if (sets_[block] != nullptr) {
      std::vector<int> matches;
      RE2::Set::ErrorInfo error{};
      if (sets_[block]->Match(text, &matches, &error)) {
        return first + static_cast<std::size_t>(*std::min_element(matches.begin(), matches.end()));
      }
      if (error.kind == RE2::Set::kNoError) {
        return std::nullopt;
      }
      // The automaton gave up on this input (it ran out of memory): try the regexes one by one.
    }

    for (std::size_t i = first; i < last; ++i) {
      if (RE2::PartialMatch(text, *rules_[i].regex)) {
        return i;
      }
    }
    return std::nullopt;
  }

  static std::string family_of(const Rule& rule, std::string_view text) {
    std::array<re2::StringPiece, kMaxGroups> groups;
    if (!rule.regex->Match(text, 0, text.size(), RE2::UNANCHORED, groups.data(), rule.groups)) {
      return std::string(kOther);  // not expected: the set or PartialMatch said it matches
    }

    std::string family;
    if (rule.replacement.empty()) {
      family = rule.groups > 1 ? std::string(groups[1]) : std::string();
    } else {
      family = substitute(rule.replacement, groups, rule.groups);
    }
    const std::string_view trimmed = trim(family);
    return std::string(trimmed.empty() ? kOther : trimmed);
  }

  // Replaces $1 to $9 in `replacement` by the matching groups; a group the regex lacks, or that
  // did not take part in the match, is empty.
  static std::string substitute(std::string_view replacement,
                                const std::array<re2::StringPiece, kMaxGroups>& groups,
                                int group_count) {
    std::string out;
    for (std::size_t i = 0; i < replacement.size(); ++i) {
      const char next = i + 1 < replacement.size() ? replacement[i + 1] : '\0';
      if (replacement[i] == '$' && next >= '1' && next <= '9') {
        const int group = next - '0';
        if (group < group_count) {
          out.append(groups[static_cast<std::size_t>(group)].data(),
                     groups[static_cast<std::size_t>(group)].size());
        }
        ++i;
      } else {
        out.push_back(replacement[i]);
      }
    }
    return out;
  }

  std::vector<Rule> rules_;
  std::vector<std::unique_ptr<RE2::Set>> sets_;  // sets_[k] covers rules_[k * kRulesPerSet, ...)
};

// Reads one parser list of the file into `list`; returns how many regexes RE2 refused.
std::size_t read_list(const YAML::Node& root, const char* key, const char* replacement_key,
                      RuleList& list) {
  const YAML::Node entries = root[key];
  if (!entries.IsSequence()) {
    throw std::runtime_error(std::string("no list named ") + key);
  }

  std::size_t refused = 0;
  for (const YAML::Node& entry : entries) {
    const std::string pattern = entry["regex"].as<std::string>();
    const YAML::Node flag = entry["regex_flag"];
    const bool case_sensitive = !(flag && flag.as<std::string>() == "i");
    const YAML::Node replacement = entry[replacement_key];
    if (!list.add(pattern, case_sensitive, replacement ? replacement.as<std::string>() : "")) {
      ++refused;
    }
  }
  list.build_sets();
  return refused;
}

}  // namespace

struct UserAgentParser::Rules {
  RuleList browsers;
  RuleList systems;
  RuleList devices;
  std::size_t skipped = 0;

  RE2 automated_clients{kAutomatedClients, pattern_options(true)};
  RE2 tablet_devices{kTabletDevices, pattern_options(true)};

  UserAgentInfo classify(std::string_view text) const {
    UserAgentInfo info;
    info.browser = browsers.family(text);
    info.os = systems.family(text);
    const std::string device_family = devices.family(text);

    info.bot =
        text.empty() || device_family == "Spider" || RE2::PartialMatch(text, automated_clients);
    info.device = info.bot ? "bot" : device_class(text, info.os, device_family);
    return info;
  }

  // The class of a device that is not a bot, tried in this order: a tablet when uap's device
  // family is one (kTabletDevices), the OS is BlackBerry's tablet OS, or an Android UA lacks the
  // "Mobile" token (Chrome and Firefox on Android send it on phones only); a phone when the OS is
  // a phone OS or the UA says "Mobi" (as Mozilla advises sites to test); a desktop when the OS is
  // a desktop OS; otherwise "other" (televisions, consoles, unknown clients).
  std::string device_class(std::string_view text, const std::string& os,
                           const std::string& device_family) const {
    const bool says_mobile = text.find("Mobi") != std::string_view::npos;
    if (RE2::PartialMatch(device_family, tablet_devices) || os == "BlackBerry Tablet OS" ||
        (os == "Android" && !says_mobile)) {
      return "tablet";
    }
    if (contains(kMobileSystems, os) || says_mobile) {
      return "mobile";
    }
    if (contains(kDesktopSystems, os)) {
      return "desktop";
    }
    return "other";
  }
};

std::shared_ptr<const UserAgentParser> UserAgentParser::load(const std::string& regexes_path) {
  auto rules = std::make_unique<Rules>();
  try {
    const YAML::Node root = YAML::LoadFile(regexes_path);
    rules->skipped += read_list(root, "user_agent_parsers", "family_replacement", rules->browsers);
    rules->skipped += read_list(root, "os_parsers", "os_replacement", rules->systems);
    rules->skipped += read_list(root, "device_parsers", "device_replacement", rules->devices);
  } catch (const std::exception& error) {
    // YAML::Exception for a missing or malformed file, std::runtime_error from read_list.
    throw std::runtime_error("cannot load User-Agent regexes from " + regexes_path + ": " +
                             error.what());
  }
  return std::shared_ptr<const UserAgentParser>(new UserAgentParser(std::move(rules)));
}

UserAgentParser::UserAgentParser(std::unique_ptr<const Rules> rules) : rules_(std::move(rules)) {}

UserAgentParser::~UserAgentParser() = default;

std::size_t UserAgentParser::skipped_patterns() const {
  return rules_->skipped;
}

UserAgentInfo UserAgentParser::parse(std::string_view user_agent) const {
  const std::string_view text = user_agent.substr(0, kMaxUserAgentBytes);
  {
    std::lock_guard lock(cache_mutex_);
    if (const UserAgentInfo* hit = find_cached(text)) {
      return *hit;
    }
  }

  // Matching runs outside the lock: two threads seeing the same new UA both classify it, which
  // costs a little time but never blocks other threads behind a slow match.
  UserAgentInfo info = rules_->classify(text);

  std::lock_guard lock(cache_mutex_);
  remember(text, info);
  return info;
}

const UserAgentInfo* UserAgentParser::find_cached(std::string_view user_agent) const {
  if (const auto it = recent_.find(user_agent); it != recent_.end()) {
    return &it->second;
  }
  const auto it = older_.find(user_agent);
  if (it == older_.end()) {
    return nullptr;
  }
  const UserAgentInfo info = it->second;
  remember(user_agent, info);
  return &recent_.find(user_agent)->second;
}

void UserAgentParser::remember(std::string_view user_agent, const UserAgentInfo& info) const {
  if (recent_.size() >= kCacheGeneration) {
    older_ = std::move(recent_);
    recent_ = Cache();
  }
  recent_.try_emplace(std::string(user_agent), info);
}

}  // namespace waypost::shortener
