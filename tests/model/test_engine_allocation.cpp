// Engine::run() must not touch the heap once the engine exists: this executable counts every
// operator new (as tests/features/test_no_allocation.cpp does for the front end).
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "kws/engine.hpp"
#include "counting_allocator.hpp"
#include "test_support.hpp"

using kws::test::allocations;

TEST_CASE("run() allocates nothing after construction") {
  for (kws::Backend backend : {kws::Backend::reference, kws::Backend::eigen, kws::Backend::onednn}) {
    if (!kws::backend_available(backend)) continue;
    CAPTURE(kws::backend_name(backend));
    const std::string path = (kws::test::source_dir() / "model" / "golden" / "bcresnet_tau8.kws").string();
    kws::EngineOptions options;
    options.backend = backend;
    options.max_batch = 3;
    options.max_frames = 150;
    kws::Engine engine(kws::Model::load(path), options);
    const std::vector<float> input = kws::test::random_signal(3 * 40 * 150, 5, 3.0f);
    std::vector<float> logits(3 * 12);

    const std::size_t before = allocations.load();
    for (int frames : {150, 101, 73, 1, 150}) {
      for (int batch = 1; batch <= 3; ++batch) engine.run(input.data(), batch, frames, logits.data());
    }
    CHECK(allocations.load() == before);
    for (float v : logits) CHECK(std::isfinite(v));
  }
}
