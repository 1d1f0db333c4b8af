// Soak: one detector fed an hour of generated audio, twice. Resident memory must stay flat after
// warm-up, no chunk may allocate (operator new and malloc are counted), and both runs must give
// the same events. Labelled slow; about half a minute in a release build.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "counting_allocator.hpp"
#include "detector_support.hpp"

using kws::test::allocations;

namespace {

// Resident set size in KiB, from /proc/self/statm (0 where unavailable). Plain read() into a
// stack buffer: the measurement itself must not allocate.
long resident_kib() {
  char buffer[128] = {};
  const int fd = ::open("/proc/self/statm", O_RDONLY);
  if (fd < 0) return 0;
  const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  if (n <= 0) return 0;
  char* end = nullptr;
  std::strtol(buffer, &end, 10);                    // total size
  return std::strtol(end, nullptr, 10) * 4;         // resident, in pages of 4 KiB
}

// Events are folded into a count and an FNV-1a hash as they come, so that recording them takes
// no memory that would blur the RSS measurement.
struct EventDigest {
  std::size_t count = 0;
  std::uint64_t hash = 1469598103934665603ull;
  void add(const kws::Detection& d) {
    const kws::test::Event e{d.label_index, d.score, d.start_sample, d.end_sample};
    auto mix = [&](const void* p, std::size_t n) {
      const unsigned char* b = static_cast<const unsigned char*>(p);
      for (std::size_t i = 0; i < n; ++i) hash = (hash ^ b[i]) * 1099511628211ull;
    };
    mix(&e.label, sizeof e.label);
    mix(&e.score, sizeof e.score);
    mix(&e.start, sizeof e.start);
    mix(&e.end, sizeof e.end);
    ++count;
  }
  bool operator==(const EventDigest& o) const { return count == o.count && hash == o.hash; }
};

struct SoakResult {
  EventDigest events;
  std::size_t allocations_after_warm_up = 0;
  long rss_min_kib = 0, rss_max_kib = 0;
};

// An hour of noise with speech-like bursts, generated chunk by chunk (never held whole), pushed
// in chunks of 1 to 4000 samples.
SoakResult soak(kws::Detector& detector, double seconds, unsigned seed) {
  SoakResult result;
  auto record = [&](const kws::Detection& d) { result.events.add(d); };
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.02f);
  std::uniform_int_distribution<int> chunk_size(1, 4000);
  std::vector<float> chunk(4000);
  const std::int64_t total = std::int64_t(seconds * 16000.0);
  const std::int64_t warm_up = 5 * 60 * 16000;
  std::int64_t at = 0, next_sample_at = warm_up;
  std::size_t allocations_at_warm_up = 0;
  while (at < total) {
    const int n = int(std::min<std::int64_t>(chunk_size(rng), total - at));
    for (int i = 0; i < n; ++i) {
      const std::int64_t t = at + i;
      const bool burst = (t / 8000) % 5 == 0;  // 0.5 s of louder, modulated sound every 2.5 s
      chunk[std::size_t(i)] = noise(rng) * (burst ? 15.0f * float((t % 160) < 80) + 1.0f : 1.0f);
    }
    detector.push(chunk.data(), std::size_t(n), record);
    at += n;
    if (at >= warm_up && allocations_at_warm_up == 0) {
      allocations_at_warm_up = allocations.load();
      result.rss_min_kib = result.rss_max_kib = resident_kib();
    }
    if (at >= next_sample_at) {  // RSS once a minute of audio
      const long rss = resident_kib();
      result.rss_min_kib = std::min(result.rss_min_kib, rss);
      result.rss_max_kib = std::max(result.rss_max_kib, rss);
      next_sample_at += 60 * 16000;
    }
  }
  detector.finish(record);
  result.allocations_after_warm_up = allocations.load() - allocations_at_warm_up;
  return result;
}

}  // namespace

TEST_CASE("an hour of audio: flat memory, no allocation per chunk, same events twice") {
  const kws::Model model = kws::test::detector_test_model();
  kws::Detector detector(model, kws::test::busy_options());
  const double hour = 3600.0;
  const SoakResult first = soak(detector, hour, 1);
  detector.reset();
  const SoakResult second = soak(detector, hour, 1);
  MESSAGE("events per run: " << first.events.count << ", evaluations: " << detector.evaluations()
                             << ", RSS after warm-up " << first.rss_min_kib << "-" << first.rss_max_kib << " KiB");
  CHECK(first.events.count > 100);
  CHECK(first.events.count < 20000);
  CHECK(detector.evaluations() == (3600 * 100 - 101) / 10 + 2);
  CHECK(first.events == second.events);
  CHECK(first.allocations_after_warm_up == 0);
  CHECK(second.allocations_after_warm_up == 0);
  // Flat: a leak of even 8 bytes per evaluation would add 280 KiB over the hour.
  CHECK(first.rss_max_kib - first.rss_min_kib <= 64);
  CHECK(second.rss_max_kib - second.rss_min_kib <= 64);
}
