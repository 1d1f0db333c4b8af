// Detector::push()/finish() must not touch the heap in steady state (operator new and, outside
// sanitizer builds, malloc as well: libsoxr allocates with malloc).
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "counting_allocator.hpp"
#include "detector_support.hpp"

using kws::test::allocations;

TEST_CASE("push and finish allocate nothing after warm-up") {
  const kws::Model model = kws::test::detector_test_model();
  for (int rate : {16000, 44100}) {
    CAPTURE(rate);
    kws::Detector detector(model, kws::test::busy_options(rate == 16000 ? 0 : rate));
    const std::vector<float> signal = kws::test::bursty_signal(std::size_t(rate) * 60, 1);
    std::size_t events = 0;
    auto count = [&](const kws::Detection&) { ++events; };
    detector.push(signal.data(), std::size_t(rate) * 2, count);  // warm-up: first evaluations
    const std::size_t before = allocations.load();
    std::mt19937 rng(2);
    for (std::size_t at = std::size_t(rate) * 2; at < signal.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 7919, signal.size() - at);
      detector.push(signal.data() + at, n, count);
      at += n;
    }
    detector.finish(count);
    CHECK(allocations.load() == before);
    CHECK(events > 10);
    // reset() keeps the detector's buffers; only libsoxr re-primes its filter on the first
    // samples of a resampled stream. After that, nothing again.
    detector.reset();
    const std::size_t warm_up = rate == 16000 ? 0 : std::size_t(rate) * 2;
    detector.push(signal.data(), warm_up, count);
    const std::size_t before_second = allocations.load();
    detector.push(signal.data() + warm_up, signal.size() - warm_up, count);
    detector.finish(count);
    CHECK(allocations.load() == before_second);
  }
}
