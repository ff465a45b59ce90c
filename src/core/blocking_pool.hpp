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
  //
  // Pass a named variable, never a lambda written inside the co_await
  // expression: GCC 12 destroys closure temporaries of a co_await
  // full-expression twice (a double free), so callers write
  //   auto lookup = [&] { ... };
  //   auto result = co_await pool.run(std::move(lookup));
  template <typename Work>
  auto run(Work&& work) {
    using Owned = std::decay_t<Work>;
    return boost::asio::co_spawn(pool_.get_executor(),
                                 invoke<Owned>(Owned(std::forward<Work>(work))),
                                 boost::asio::use_awaitable);
  }

  // Waits for queued work to finish and joins the threads. Idempotent.
  void stop();

  boost::asio::thread_pool::executor_type executor() { return pool_.get_executor(); }

 private:
  // A coroutine that owns `work` as a parameter. (A lambda coroutine with
  // captures would not do: its frame refers to a closure object that dies
  // before the coroutine runs.)
  template <typename Work>
  static auto invoke(Work work) -> boost::asio::awaitable<std::invoke_result_t<Work&>> {
    co_return work();
  }

  boost::asio::thread_pool pool_;
};

}  // namespace waypost::core
