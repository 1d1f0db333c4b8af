// Steady-state streaming must not touch the heap: this executable counts every operator new.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "kws/features.hpp"
#include "counting_allocator.hpp"
#include "test_support.hpp"

using kws::test::allocations;

TEST_CASE("push() and finish() allocate nothing once the extractor exists") {
  for (auto kind : {kws::FeatureKind::log_mel, kws::FeatureKind::mfcc}) {
    kws::FeatureConfig config;
    config.kind = kind;
    kws::StreamingFeatureExtractor stream(config);
    const std::vector<float> signal = kws::test::random_signal(16000 * 60, 11);  // one minute
    double checksum = 0.0;
    auto consume = [&](const float* frame) { checksum += frame[0]; };

    const std::size_t before = allocations.load();
    std::size_t at = 0;
    for (std::size_t chunk = 1; at < signal.size(); chunk = chunk * 3 % 7919 + 1) {  // 1 .. 7919 samples
      const std::size_t n = std::min(chunk, signal.size() - at);
      stream.push(signal.data() + at, n, consume);
      at += n;
    }
    stream.push(signal.data(), 16000 * 30, consume);  // one 30 s chunk
    stream.finish(consume);
    stream.reset();
    stream.push(signal.data(), 16000, consume);
    CHECK(allocations.load() == before);
    CHECK(stream.frames_emitted() > 0);
    CHECK(std::isfinite(checksum));

    // The vector overload allocates only while the caller's vector grows.
    std::vector<float> frames;
    frames.reserve(200 * std::size_t(config.bins()));
    stream.reset();
    const std::size_t before_vector = allocations.load();
    for (int round = 0; round < 20; ++round) {
      frames.clear();
      stream.push(signal.data() + std::size_t(round) * 8000, 8000, frames);
    }
    CHECK(allocations.load() == before_vector);
  }
}
