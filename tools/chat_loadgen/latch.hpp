// A countdown that a coroutine can wait on, for single-threaded io_contexts: workers call
// count_down() when they finish; wait() resumes when the count is zero or at a deadline.
#pragma once

#include <boost/asio.hpp>
#include <chrono>

namespace loadgen {

class Latch {
 public:
  Latch(boost::asio::any_io_executor executor, int count)
      : timer_(std::move(executor)), count_(count) {}

  // Must run on the thread of the io_context that waits.
  void count_down() {
    if (--count_ <= 0) {
      timer_.cancel();
    }
  }

  // True when the count reached zero, false when `deadline` came first.
  boost::asio::awaitable<bool> wait(std::chrono::steady_clock::time_point deadline) {
    while (count_ > 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        co_return false;
      }
      timer_.expires_at(deadline);
      // count_down() cancels this wait; the loop then looks at the count again.
      co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    co_return true;
  }

 private:
  boost::asio::steady_timer timer_;
  int count_;
};

}  // namespace loadgen
