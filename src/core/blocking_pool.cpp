#include "core/blocking_pool.hpp"

namespace waypost::core {

BlockingPool::BlockingPool(int threads) : pool_(static_cast<std::size_t>(threads)) {}

BlockingPool::~BlockingPool() {
  stop();
}

void BlockingPool::stop() {
  pool_.join();
}

}  // namespace waypost::core
