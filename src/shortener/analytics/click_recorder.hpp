// Records clicks without ever slowing a redirect. I/O threads hand raw clicks
// to a bounded in-memory queue (a lock and a copy of a few hundred bytes into
// buffers that are reused: no allocation, never a wait); one writer thread
// takes the whole queue at once by swapping buffers and works through it in
// batches: it classifies each click (browser, system, device, bot, country,
// visitor hash) and stores the batch in one transaction. When the queue
// (clicks waiting plus those the writer holds) is full, the click is dropped
// and counted; when a write fails, the writer keeps the batch and retries
// with backoff while new clicks queue up (or are dropped) behind it.
// Redirect answers never depend on any of this.
//
// A second thread folds the stored clicks into the stats
// (ClickStore::roll_up), at most every `rollup_interval` and never for more
// than about 1/kRollupTimeShare of the time: a roll-up that took 50 ms delays
// the next by at least a second. Under heavy load the roll-ups therefore grow
// rarer and larger, which makes each click cheaper to fold, and the stats lag
// behind the clicks by up to kLongestRollupInterval plus one roll-up. A
// roll-up that failed (mostly after waiting for a locked database) is tried
// again after `rollup_interval`, however long it took.
#pragma once

#include <sodium/crypto_generichash.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/metrics.hpp"
#include "shortener/analytics/click_store.hpp"
#include "shortener/analytics/country_lookup.hpp"
#include "shortener/analytics/user_agent.hpp"

namespace waypost::shortener {

// Header bytes kept from a request for classification; the rest is ignored.
inline constexpr std::size_t kMaxClickUserAgentBytes = 1024;
inline constexpr std::size_t kMaxClickReferrerBytes = 2048;

// A click as the redirect saw it. The views need to stay valid only during
// ClickRecorder::record(), which copies what it keeps.
struct RawClick {
  std::string_view code;
  Timestamp at{};
  boost::asio::ip::address address{};  // the visitor (after trusted proxies)
  std::string_view user_agent;         // only the first kMaxClickUserAgentBytes are kept
  std::string_view referrer;           // only the first kMaxClickReferrerBytes are kept
  std::optional<bool> bot{};           // set when the redirect already classified it
  bool visit_already_counted = false;  // a visit-limited link counted it synchronously
};

// Raw clicks packed for the queue: their texts back to back in one string and
// the rest in a vector, so that once both have grown to their working size a
// click is queued by copying bytes, with no allocation of its own.
class PackedClicks {
 public:
  std::size_t size() const { return clicks_.size(); }
  bool empty() const { return clicks_.empty(); }

  // Appends `click`, its texts cut to the lengths RawClick documents.
  void push(const RawClick& click);

  // Click `index` (< size()); its views point into this object and stay
  // valid until it is changed.
  RawClick at(std::size_t index) const;

  // Forgets every click but keeps the memory for the next ones.
  void clear();

  void swap(PackedClicks& other) noexcept;

 private:
  struct Click {
    Timestamp at;
    boost::asio::ip::address address;
    std::size_t texts_offset;  // code, User-Agent and Referer follow each other there
    std::uint32_t code_size;
    std::uint32_t user_agent_size;
    std::uint32_t referrer_size;
    std::optional<bool> bot;
    bool visit_already_counted;
  };

  std::string texts_;
  std::vector<Click> clicks_;
};

// The key of the visitor hashes of one UTC day (see ClickStore::visitor_key).
using VisitorKey = std::array<unsigned char, 32>;

// The writer spends at most about 1/kRollupTimeShare of its time rolling up.
inline constexpr int kRollupTimeShare = 20;
// Longest time between two roll-ups of a recorder, however busy.
inline constexpr std::chrono::seconds kLongestRollupInterval{60};
// Shortest, whatever rollup_interval says (0 would keep an idle server busy).
inline constexpr std::chrono::milliseconds kShortestRollupPause{10};

struct ClickRecorderOptions {
  std::size_t queue_capacity = 100'000;
  std::size_t batch_size = 10'000;
  std::chrono::milliseconds flush_interval{250};    // longest a click waits before its batch
  std::chrono::milliseconds rollup_interval{1000};  // shortest time between two roll-ups
  bool store_addresses = false;                     // keep raw addresses next to the hashes
};

class ClickRecorder {
 public:
  // Starts the writer thread. `store`, `user_agents`, `countries` (may be
  // null: countries stay unknown) and `metrics` must outlive the recorder.
  ClickRecorder(ClickRecorderOptions options, ClickStore& store,
                std::shared_ptr<const UserAgentParser> user_agents, const CountryLookup* countries,
                core::MetricsRegistry& metrics);
  ~ClickRecorder();
  ClickRecorder(const ClickRecorder&) = delete;
  ClickRecorder& operator=(const ClickRecorder&) = delete;

  // Queues a copy of `click` for writing. Never blocks on storage; returns
  // false (and counts a drop) when the queue is full or the recorder has
  // stopped. Thread-safe.
  bool record(const RawClick& click);

  // Writes what is queued (one attempt), stops both threads and rolls up
  // once more. Idempotent.
  void stop();

  // Clicks queued or taken by the writer and not yet stored (or dropped).
  std::size_t depth() const;

  // The classification a click of this User-Agent gets; for redirects that
  // must know "bot or not" before answering. Thread-safe; may take tens of
  // microseconds for an unseen User-Agent, so call it off the I/O threads.
  bool is_bot(std::string_view user_agent) const;

 private:
  // Hashes std::string keys and std::string_view probes alike.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };

  void run();
  // Logs a warning when clicks were dropped since the last one, at most every
  // kDropReportInterval. Writer thread only.
  void report_drops();
  // The roll-up thread: rolls up whenever it is due, until stop().
  void roll_up_when_due();
  // Rolls up once; returns how long the next roll-up should wait.
  std::chrono::steady_clock::duration roll_up_now();
  // Classifies the clicks [first, first + count) of `clicks` into records_.
  void enrich(const PackedClicks& clicks, std::size_t first, std::size_t count);
  void enrich_one(const RawClick& click, ClickRecord& record);
  // The lower-case host of `referrer`, remembered for the referrers seen last.
  const std::string& referrer_host(std::string_view referrer);
  // Enriches and stores clicks [first, first + count) of `clicks`, retrying
  // with backoff until it works or stop() is called (then one last attempt);
  // false when they were not stored.
  bool store_with_retry(const PackedClicks& clicks, std::size_t first, std::size_t count);

  ClickRecorderOptions options_;
  // Queue depth that wakes the writer early: a full batch, or a full queue
  // when the queue is smaller than a batch.
  std::size_t wake_at_;
  ClickStore& store_;
  std::shared_ptr<const UserAgentParser> user_agents_;
  const CountryLookup* countries_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable stopped_;  // wakes the roll-up thread at stop()
  PackedClicks queue_;               // guarded by mutex_
  std::size_t taken_ = 0;            // clicks the writer took and still holds; guarded by mutex_
  bool stopping_ = false;            // guarded by mutex_

  // The writer thread's own:
  PackedClicks taken_clicks_;         // the queue as it last took it
  std::vector<ClickRecord> records_;  // the batch being stored; its strings keep their memory
  // Referrer -> host, for the last few thousand referrers.
  boost::unordered_flat_map<std::string, std::string, TextHash, std::equal_to<>> referrer_hosts_;
  std::int64_t key_day_ = -1;
  crypto_generichash_state keyed_hash_{};  // BLAKE2b after the visitor key of key_day_
  std::uint64_t dropped_reported_ = 0;
  std::chrono::steady_clock::time_point last_drop_report_{};

  core::Counter& written_;
  core::Counter& dropped_;
  core::Counter& write_failures_;
  core::Histogram& write_latency_;
  core::Counter& rolled_up_;
  core::Counter& rollup_failures_;
  core::Histogram& rollup_latency_;
  std::thread writer_;
  std::thread roller_;
};

}  // namespace waypost::shortener
