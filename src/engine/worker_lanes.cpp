#include "engine/worker_lanes.hpp"

namespace kws::detail {

WorkerLanes::WorkerLanes(std::size_t lanes) {
  try {
    for (std::size_t k = 1; k < lanes; ++k) workers_.emplace_back([this, k] { serve(k); });
  } catch (...) {
    stop();  // the destructor does not run for a constructor that throws
    throw;
  }
}

WorkerLanes::~WorkerLanes() { stop(); }

void WorkerLanes::stop() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void WorkerLanes::serve(std::size_t lane) {
  std::uint64_t seen = 0;
  for (;;) {
    Function function = nullptr;
    void* work = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      function = function_;
      work = work_;
    }
    std::exception_ptr error;
    try {
      function(work, lane);
    } catch (...) {
      error = std::current_exception();
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    if (error && !failure_) failure_ = error;
    if (--pending_ == 0) done_.notify_one();
  }
}

void WorkerLanes::run(Function function, void* work) {
  if (workers_.empty()) {
    function(work, 0);
    return;
  }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    pending_ = int(workers_.size());
    failure_ = nullptr;
    function_ = function;
    work_ = work;
  }
  wake_.notify_all();
  std::exception_ptr error;
  try {
    function(work, 0);
  } catch (...) {
    error = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
  if (!error) error = failure_;
  if (error) std::rethrow_exception(error);
}

}  // namespace kws::detail
