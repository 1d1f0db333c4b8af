// Shared by the detector tests: a test model, a test signal, and a run that records every event.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kws/detector.hpp"
#include "test_support.hpp"

namespace kws::test {

// A random-weight BC-ResNet-1 with the 12 Speech Commands labels (tests/model/golden).
inline Model detector_test_model() {
  return Model::load((source_dir() / "model" / "golden" / "bcresnet_tau1.kws").string());
}

// Options that make a random-weight model fire often, so event lists are long enough to compare.
inline DetectorOptions busy_options(int sample_rate = 0) {
  DetectorOptions options;
  options.sample_rate = sample_rate;
  options.default_threshold = 0.12f;  // uniform posterior is 1/12
  options.refractory_seconds = 0.3;
  options.min_consecutive = 1;
  return options;
}

// Noise with loud bursts, so posteriors move.
inline std::vector<float> bursty_signal(std::size_t count, unsigned seed) {
  std::vector<float> signal = random_signal(count, seed, 0.05f);
  std::mt19937 rng(seed + 1);
  std::uniform_real_distribution<float> amplitude(0.2f, 0.9f);
  for (std::size_t start = 0; start + 8000 < count; start += 12000 + rng() % 20000) {
    const float a = amplitude(rng);
    for (std::size_t i = 0; i < 8000; ++i) signal[start + i] *= a / 0.05f * float(i % 97) / 97.0f;
  }
  return signal;
}

struct Event {
  int label;
  float score;
  std::int64_t start, end;
  bool operator==(const Event& o) const {
    return label == o.label && score == o.score && start == o.start && end == o.end;
  }
};

// Pushes `signal` in chunks drawn from [min_chunk, max_chunk] (seeded), then finishes.
template <class Sample>
std::vector<Event> run_chunked(Detector& detector, const std::vector<Sample>& signal, std::size_t min_chunk,
                               std::size_t max_chunk, unsigned seed) {
  std::vector<Event> events;
  auto record = [&](const Detection& d) { events.push_back({d.label_index, d.score, d.start_sample, d.end_sample}); };
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> size(min_chunk, max_chunk);
  for (std::size_t at = 0; at < signal.size();) {
    const std::size_t n = std::min(size(rng), signal.size() - at);
    detector.push(signal.data() + at, n, record);
    at += n;
  }
  detector.finish(record);
  return events;
}

}  // namespace kws::test
