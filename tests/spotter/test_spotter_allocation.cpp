// Spotter::push()/finish() must not touch the heap after construction (operator new and, outside
// sanitizer builds, malloc as well: libsoxr allocates with malloc).
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "counting_allocator.hpp"
#include "spotter_support.hpp"

using kws::test::allocations;

TEST_CASE("spotter push and finish allocate nothing after warm-up") {
  const kws::Model model = kws::test::ctc_test_model();
  const std::vector<float> clip = kws::test::ctc_test_audio();
  const std::vector<kws::Keyword> keywords = kws::test::heard_keywords(model, clip, 3, 4);
  for (kws::Backend backend : {kws::Backend::reference, kws::Backend::eigen}) {
    if (!kws::backend_available(backend)) continue;
    for (int rate : {16000, 44100}) {
      CAPTURE(rate);
      const std::vector<float> audio = kws::test::ctc_test_audio(rate);
      kws::SpotterOptions options;
      options.sample_rate = rate;
      options.backend = backend;
      kws::Spotter spotter(model, keywords, options);
      std::size_t events = 0;
      auto count = [&](const kws::Detection&) { ++events; };
      const std::size_t warm_up = rate == 16000 ? 0 : std::size_t(rate);  // libsoxr primes its filter
      spotter.push(audio.data(), warm_up, count);
      const std::size_t before = allocations.load();
      std::mt19937 rng(3);
      for (std::size_t at = warm_up; at < audio.size();) {
        const std::size_t n = std::min<std::size_t>(1 + rng() % 4000, audio.size() - at);
        spotter.push(audio.data() + at, n, count);
        at += n;
      }
      spotter.finish(count);
      CHECK(allocations.load() == before);
      CHECK(events > 0);
    }
  }
}
