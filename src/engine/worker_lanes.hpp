// The threads an Engine spreads the items of a batch over (EngineOptions::threads). Lane 0 is the
// thread that calls run(); lanes 1.. are worker threads started at construction that sleep
// between runs. What each lane computes, and with which kernels and arena, is the caller's.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace kws::detail {

class WorkerLanes {
 public:
  // Starts lanes - 1 worker threads (none for one lane).
  explicit WorkerLanes(std::size_t lanes);
  // Stops and joins the workers; a run() must not be in progress.
  ~WorkerLanes();
  WorkerLanes(const WorkerLanes&) = delete;
  WorkerLanes& operator=(const WorkerLanes&) = delete;

  std::size_t size() const { return workers_.size() + 1; }

  // Calls work(lane) once for every lane, all at once, lane 0 on the calling thread, and returns
  // when every call has returned. Rethrows the calling thread's exception, else a worker's.
  // Allocates nothing: `work` is passed by address, not wrapped in a std::function.
  template <class Work>
  void run(Work& work) {
    run(&call<Work>, &work);
  }

 private:
  using Function = void (*)(void* work, std::size_t lane);
  template <class Work>
  static void call(void* work, std::size_t lane) {
    (*static_cast<Work*>(work))(lane);
  }
  void run(Function function, void* work);
  void serve(std::size_t lane);
  void stop();

  std::vector<std::thread> workers_;  // workers_[k] serves lane k + 1
  // The job being run, handed to the workers under `mutex_`: a new generation wakes them;
  // `pending_` counts those not done.
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::uint64_t generation_ = 0;
  int pending_ = 0;
  bool stopping_ = false;
  Function function_ = nullptr;
  void* work_ = nullptr;
  std::exception_ptr failure_;
};

}  // namespace kws::detail
