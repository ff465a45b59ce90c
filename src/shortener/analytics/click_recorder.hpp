// Records clicks without ever slowing a redirect. I/O threads hand raw clicks
// to a bounded in-memory queue (a lock and a push, never a wait); one writer
// thread drains it in batches, classifies each click (browser, system,
// device, bot, country, visitor hash) and stores the batch in one
// transaction. When the queue is full the click is dropped and counted; when
// a write fails the writer keeps the batch and retries with backoff while new
// clicks queue up (or are dropped) behind it. Redirect answers never depend
// on any of this.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/metrics.hpp"
#include "shortener/analytics/click_store.hpp"
#include "shortener/analytics/country_lookup.hpp"
#include "shortener/analytics/user_agent.hpp"

namespace waypost::shortener {

// Header bytes kept from a request for classification; the rest is ignored.
inline constexpr std::size_t kMaxClickUserAgentBytes = 1024;
inline constexpr std::size_t kMaxClickReferrerBytes = 2048;

// A click as the redirect saw it.
struct RawClick {
  std::string code;
  Timestamp at{};
  boost::asio::ip::address address{};  // the visitor (after trusted proxies)
  std::string user_agent;              // at most kMaxClickUserAgentBytes
  std::string referrer;                // at most kMaxClickReferrerBytes
  std::optional<bool> bot{};           // set when the redirect already classified it
  bool visit_already_counted = false;  // a visit-limited link counted it synchronously
};

struct ClickRecorderOptions {
  std::size_t queue_capacity = 100'000;
  std::size_t batch_size = 10'000;
  std::chrono::milliseconds flush_interval{250};  // longest a click waits before its batch
  bool store_addresses = false;                   // keep raw addresses next to the hashes
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

  // Queues `click` for writing. Never blocks on storage; returns false (and
  // counts a drop) when the queue is full or the recorder has stopped.
  // Thread-safe.
  bool record(RawClick click);

  // Blocks until every click recorded before the call has been stored (or
  // dropped after failures). For tests and orderly shutdown; thread-safe.
  void flush();

  // Writes what is queued (one attempt) and stops the writer. Idempotent.
  void stop();

  std::size_t depth() const;

  // The classification a click of this User-Agent gets; for redirects that
  // must know "bot or not" before answering. Thread-safe; may take tens of
  // microseconds for an unseen User-Agent, so call it off the I/O threads.
  bool is_bot(std::string_view user_agent) const;

 private:
  void run();
  // Logs a warning when clicks were dropped since the last one, at most every
  // kDropReportInterval. Writer thread only.
  void report_drops();
  std::vector<ClickRecord> enrich(std::deque<RawClick>& batch);
  ClickRecord enrich_one(const RawClick& click, const std::string& key) const;
  bool write_with_retry(const std::vector<ClickRecord>& records);

  ClickRecorderOptions options_;
  ClickStore& store_;
  std::shared_ptr<const UserAgentParser> user_agents_;
  const CountryLookup* countries_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable progress_;
  std::deque<RawClick> queue_;  // guarded by mutex_
  bool stopping_ = false;       // guarded by mutex_
  std::uint64_t accepted_ = 0;  // guarded by mutex_: clicks ever queued
  std::uint64_t finished_ = 0;  // guarded by mutex_: of those, stored or dropped
  int flush_waiters_ = 0;       // guarded by mutex_

  std::int64_t key_day_ = -1;           // writer thread only
  std::string key_;                     // writer thread only: hex key of key_day_
  std::uint64_t dropped_reported_ = 0;  // writer thread only
  std::chrono::steady_clock::time_point last_drop_report_{};  // writer thread only

  core::Counter& written_;
  core::Counter& dropped_;
  core::Counter& write_failures_;
  core::Histogram& write_latency_;
  std::thread writer_;
};

}  // namespace waypost::shortener
