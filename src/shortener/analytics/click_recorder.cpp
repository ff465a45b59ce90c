#include "shortener/analytics/click_recorder.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <cctype>

#include "core/logging.hpp"

namespace waypost::shortener {
namespace {

constexpr std::chrono::milliseconds kFirstRetryDelay{100};
constexpr std::chrono::milliseconds kLongestRetryDelay{5000};
// Dropped clicks are logged at most this often; the metric counts every one.
constexpr std::chrono::seconds kDropReportInterval{10};

// Visitor hashes are 128 bits.
constexpr std::size_t kVisitorHashBytes = 16;

// Referrers whose host the writer remembers; more, and it starts afresh.
constexpr std::size_t kRememberedReferrers = 4096;

// The first `limit` bytes of `text`, shortened further so that no UTF-8
// sequence is cut in half.
std::string_view utf8_prefix(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) {
    return text;
  }
  auto end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

std::string parse_referrer_host(std::string_view referrer) {
  auto url = boost::urls::parse_absolute_uri(referrer);
  if (!url || !url->has_authority()) {
    return "";
  }
  std::string host(url->encoded_host());
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

// Keyed BLAKE2b of address and User-Agent, 128 bits in hex, into `hash`.
// `keyed` is the hash state right after the key: copying it spares hashing
// the key again for every click.
void visitor_hash(const boost::asio::ip::address& address, std::string_view user_agent,
                  const crypto_generichash_state& keyed, std::string& hash) {
  std::array<unsigned char, 16> bytes{};
  std::size_t size = 4;
  if (address.is_v4()) {
    auto v4 = address.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), bytes.begin());
  } else {
    bytes = address.to_v6().to_bytes();
    size = 16;
  }

  auto state = keyed;
  crypto_generichash_update(&state, bytes.data(), size);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(user_agent.data()),
                            user_agent.size());
  std::array<unsigned char, kVisitorHashBytes> digest{};
  crypto_generichash_final(&state, digest.data(), digest.size());
  std::array<char, 2 * kVisitorHashBytes + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hash.assign(hex.data(), 2 * kVisitorHashBytes);
}

std::int64_t utc_day(Timestamp instant) {
  return std::chrono::floor<std::chrono::days>(instant).time_since_epoch().count();
}

}  // namespace

void PackedClicks::push(const RawClick& click) {
  auto user_agent = click.user_agent.substr(0, kMaxClickUserAgentBytes);
  auto referrer = click.referrer.substr(0, kMaxClickReferrerBytes);
  clicks_.push_back({
      .at = click.at,
      .address = click.address,
      .texts_offset = texts_.size(),
      .code_size = static_cast<std::uint32_t>(click.code.size()),
      .user_agent_size = static_cast<std::uint32_t>(user_agent.size()),
      .referrer_size = static_cast<std::uint32_t>(referrer.size()),
      .bot = click.bot,
      .visit_already_counted = click.visit_already_counted,
  });
  texts_.append(click.code).append(user_agent).append(referrer);
}

RawClick PackedClicks::at(std::size_t index) const {
  const auto& click = clicks_[index];
  std::string_view texts(texts_);
  auto code = texts.substr(click.texts_offset, click.code_size);
  auto user_agent = texts.substr(click.texts_offset + click.code_size, click.user_agent_size);
  auto referrer = texts.substr(click.texts_offset + click.code_size + click.user_agent_size,
                               click.referrer_size);
  return {
      .code = code,
      .at = click.at,
      .address = click.address,
      .user_agent = user_agent,
      .referrer = referrer,
      .bot = click.bot,
      .visit_already_counted = click.visit_already_counted,
  };
}

void PackedClicks::clear() {
  texts_.clear();
  clicks_.clear();
}

void PackedClicks::swap(PackedClicks& other) noexcept {
  texts_.swap(other.texts_);
  clicks_.swap(other.clicks_);
}

ClickRecorder::ClickRecorder(ClickRecorderOptions options, ClickStore& store,
                             std::shared_ptr<const UserAgentParser> user_agents,
                             const CountryLookup* countries, core::MetricsRegistry& metrics)
    : options_(options),
      wake_at_(std::min(options.batch_size, options.queue_capacity)),
      store_(store),
      user_agents_(std::move(user_agents)),
      countries_(countries),
      written_(metrics.counter("shortener_clicks_written_total", "Click events stored.")),
      dropped_(metrics.counter("shortener_clicks_dropped_total",
                               "Click events dropped: the click queue was full, or their batch "
                               "could not be stored.")),
      write_failures_(metrics.counter("shortener_click_write_failures_total",
                                      "Failed attempts to store a batch of click events.")),
      write_latency_(metrics.histogram("shortener_click_write_duration_seconds",
                                       "Time to store one batch of click events.")),
      rolled_up_(metrics.counter("shortener_clicks_rolled_up_total",
                                 "Stored click events folded into the stats.")),
      rollup_failures_(metrics.counter("shortener_click_rollup_failures_total",
                                       "Failed attempts to fold stored clicks into the stats.")),
      rollup_latency_(metrics.histogram("shortener_click_rollup_duration_seconds",
                                        "Time to fold the stored clicks into the stats.")) {
  metrics.gauge_callback("shortener_click_queue_depth", "Click events waiting to be stored.",
                         [this] { return static_cast<double>(depth()); });
  writer_ = std::thread([this] { run(); });
  roller_ = std::thread([this] { roll_up_when_due(); });
}

ClickRecorder::~ClickRecorder() {
  stop();
}

bool ClickRecorder::record(const RawClick& click) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && queue_.size() + taken_ < options_.queue_capacity) {
      queue_.push(click);
      if (queue_.size() == wake_at_) {
        wake_.notify_one();
      }
      return true;
    }
  }
  dropped_.increment();
  return false;
}

void ClickRecorder::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  stopped_.notify_one();
  if (roller_.joinable()) {
    roller_.join();
  }
  if (writer_.joinable()) {
    writer_.join();
    (void)roll_up_now();  // the clicks the writer stored last
  }
}

std::size_t ClickRecorder::depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + taken_;
}

bool ClickRecorder::is_bot(std::string_view user_agent) const {
  return user_agents_->parse(user_agent.substr(0, kMaxClickUserAgentBytes)).bot;
}

void ClickRecorder::run() {
  for (;;) {
    bool last_round = false;
    {
      std::unique_lock lock(mutex_);
      // Wait for a full batch, the flush interval or stop().
      wake_.wait_for(lock, options_.flush_interval,
                     [this] { return stopping_ || queue_.size() >= wake_at_; });
      // Redirects wait for this lock: take the whole queue by swapping it
      // with the buffers of the last round.
      taken_clicks_.clear();
      taken_clicks_.swap(queue_);
      taken_ = taken_clicks_.size();
      last_round = stopping_;
    }

    for (std::size_t first = 0; first < taken_clicks_.size(); first += options_.batch_size) {
      auto count = std::min(options_.batch_size, taken_clicks_.size() - first);
      if (store_with_retry(taken_clicks_, first, count)) {
        written_.increment(count);
      } else {
        dropped_.increment(count);
      }
      std::lock_guard lock(mutex_);
      taken_ -= count;
    }
    report_drops();
    if (last_round) {
      return;
    }
  }
}

void ClickRecorder::report_drops() {
  auto now = std::chrono::steady_clock::now();
  auto dropped = dropped_.value();
  if (dropped == dropped_reported_ || now - last_drop_report_ < kDropReportInterval) {
    return;
  }
  core::logger("clicks")->warn(
      "{} clicks dropped since the last report (queue full or storage failing); {} queued now",
      dropped - dropped_reported_, depth());
  dropped_reported_ = dropped;
  last_drop_report_ = now;
}

void ClickRecorder::roll_up_when_due() {
  auto next = std::chrono::steady_clock::now();  // at once: fold what a crash left
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (stopped_.wait_until(lock, next, [this] { return stopping_; })) {
        return;
      }
    }
    auto pause = roll_up_now();
    next = std::chrono::steady_clock::now() + pause;
  }
}

std::chrono::steady_clock::duration ClickRecorder::roll_up_now() {
  auto started = std::chrono::steady_clock::now();
  bool failed = false;
  try {
    rolled_up_.increment(static_cast<std::uint64_t>(store_.roll_up()));
  } catch (const std::exception& error) {
    failed = true;
    rollup_failures_.increment();
    core::logger("clicks")->warn("folding stored clicks into the stats failed: {}", error.what());
  }
  auto took = std::chrono::steady_clock::now() - started;
  rollup_latency_.observe(std::chrono::duration<double>(took).count());

  std::chrono::steady_clock::duration shortest =
      std::max<std::chrono::steady_clock::duration>(options_.rollup_interval, kShortestRollupPause);
  if (failed) {
    return shortest;  // mostly time spent waiting for a lock: try again soon
  }
  std::chrono::steady_clock::duration longest =
      std::max<std::chrono::steady_clock::duration>(shortest, kLongestRollupInterval);
  return std::clamp<std::chrono::steady_clock::duration>(took * kRollupTimeShare, shortest,
                                                         longest);
}

void ClickRecorder::enrich(const PackedClicks& clicks, std::size_t first, std::size_t count) {
  records_.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto click = clicks.at(first + i);
    auto day = utc_day(click.at);
    if (day != key_day_) {
      auto hex = store_.visitor_key(day);
      VisitorKey key{};
      std::size_t length = 0;
      if (sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &length,
                         nullptr) != 0 ||
          length != key.size()) {
        throw std::runtime_error("the visitor key of the day is not 64 hex digits");
      }
      crypto_generichash_init(&keyed_hash_, key.data(), key.size(), kVisitorHashBytes);
      key_day_ = day;
    }
    enrich_one(click, records_[i]);
  }
}

void ClickRecorder::enrich_one(const RawClick& click, ClickRecord& record) {
  auto agent = user_agents_->parse(click.user_agent);
  record.code.assign(click.code);
  record.at = click.at;
  record.referrer_host.assign(referrer_host(click.referrer));
  record.referrer.assign(utf8_prefix(click.referrer, kMaxStoredReferrerBytes));
  record.country.assign(countries_ != nullptr ? countries_->country(click.address) : "");
  record.browser.assign(agent.browser);
  record.os.assign(agent.os);
  record.device.assign(agent.device);
  record.bot = click.bot.value_or(agent.bot);
  visitor_hash(click.address, click.user_agent, keyed_hash_, record.visitor);
  record.address.reset();
  if (options_.store_addresses) {
    record.address = click.address.to_string();
  }
  record.visit_already_counted = click.visit_already_counted;
}

const std::string& ClickRecorder::referrer_host(std::string_view referrer) {
  if (auto known = referrer_hosts_.find(referrer); known != referrer_hosts_.end()) {
    return known->second;
  }
  if (referrer_hosts_.size() >= kRememberedReferrers) {
    referrer_hosts_.clear();
  }
  return referrer_hosts_.emplace(std::string(referrer), parse_referrer_host(referrer))
      .first->second;
}

bool ClickRecorder::store_with_retry(const PackedClicks& clicks, std::size_t first,
                                     std::size_t count) {
  // Enriching can fail too: the first click of a day reads (or draws) the
  // day's visitor key from the database.
  bool enriched = false;
  auto attempt = [this, &clicks, first, count, &enriched] {
    if (!enriched) {
      enrich(clicks, first, count);
      enriched = true;
    }
    auto started = std::chrono::steady_clock::now();
    store_.write(records_);
    write_latency_.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };

  auto delay = kFirstRetryDelay;
  for (;;) {
    try {
      attempt();
      return true;
    } catch (const std::exception& error) {
      write_failures_.increment();
      core::logger("clicks")->warn("storing {} clicks failed, retrying in {} ms: {}", count,
                                   delay.count(), error.what());
    }

    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, delay, [this] { return stopping_; })) {
      lock.unlock();
      try {
        attempt();  // one last attempt before the process exits
        return true;
      } catch (const std::exception& error) {
        core::logger("clicks")->error("dropping {} clicks at shutdown: {}", count, error.what());
        return false;
      }
    }
    delay = std::min(delay * 2, kLongestRetryDelay);
  }
}

}  // namespace waypost::shortener
