// Threads for work that may block (storage calls), so that I/O threads never do.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <type_traits>

namespace waypost::core {

class BlockingPool {
 public:
  explicit BlockingPool(int threads);
  ~BlockingPool();

  // Runs `work` on a pool thread and resumes the awaiting coroutine on its own
  // executor with the result. An exception thrown by `work` is rethrown in the
  // awaiting coroutine.
  template <typename Work>
  auto run(Work work) -> boost::asio::awaitable<std::invoke_result_t<Work>> {
    using Result = std::invoke_result_t<Work>;
    co_return co_await boost::asio::co_spawn(
        pool_.get_executor(),
        [work = std::move(work)]() mutable -> boost::asio::awaitable<Result> { co_return work(); },
        boost::asio::use_awaitable);
  }

  // Waits for queued work to finish and joins the threads. Idempotent.
  void stop();

  boost::asio::thread_pool::executor_type executor() { return pool_.get_executor(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace waypost::core
