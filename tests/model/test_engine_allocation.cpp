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

namespace {

kws::Engine make_engine(kws::Backend backend, int threads) {
  const std::string path = (kws::test::source_dir() / "model" / "golden" / "bcresnet_tau8.kws").string();
  kws::EngineOptions options;
  options.backend = backend;
  options.max_batch = 3;
  options.max_frames = 150;
  options.threads = threads;
  return kws::Engine(kws::Model::load(path), options);
}

// Every batch size at several frame counts, the planned maximum first and last.
void run_all_shapes(kws::Engine& engine, const std::vector<float>& input, std::vector<float>& logits) {
  for (int frames : {150, 101, 73, 1, 150})
    for (int batch = 1; batch <= 3; ++batch) engine.run(input.data(), batch, frames, logits.data());
}

}  // namespace

TEST_CASE("run() allocates nothing after construction") {
  for (kws::Backend backend : {kws::Backend::reference, kws::Backend::eigen}) {
    if (!kws::backend_available(backend)) continue;
    for (int threads : {1, 2}) {
      CAPTURE(std::string(kws::backend_name(backend)));
      CAPTURE(threads);
      kws::Engine engine = make_engine(backend, threads);
      const std::vector<float> input = kws::test::random_signal(3 * 40 * 150, 5, 3.0f);
      std::vector<float> logits(3 * 12);
      const std::size_t before = allocations.load();
      run_all_shapes(engine, input, logits);
      CHECK(allocations.load() == before);
      for (float v : logits) CHECK(std::isfinite(v));
    }
  }
}

TEST_CASE("run_frames() allocates nothing after construction") {
  const std::string path = (kws::test::source_dir() / "model" / "golden" / "ctc" / "phonemes_tau1.kws").string();
  const kws::Model model = kws::Model::load(path);
  for (kws::Backend backend : {kws::Backend::reference, kws::Backend::eigen}) {
    if (!kws::backend_available(backend)) continue;
    for (int threads : {1, 2}) {
      CAPTURE(std::string(kws::backend_name(backend)));
      CAPTURE(threads);
      kws::EngineOptions options;
      options.backend = backend;
      options.max_batch = 3;
      options.max_frames = 150;
      options.threads = threads;
      kws::Engine engine(model, options);
      const std::vector<float> input = kws::test::random_signal(3 * 40 * 150, 5, 3.0f);
      std::vector<float> logits(3 * std::size_t(model.num_classes()) * 150);
      const std::size_t before = allocations.load();
      for (int frames : {150, 117, 9, 150}) {
        for (int batch = 1; batch <= 3; ++batch) engine.run_frames(input.data(), batch, frames, logits.data());
        engine.run(input.data(), 1, frames, logits.data());  // the two outputs alternate on one plan
      }
      CHECK(allocations.load() == before);
      for (float v : logits) CHECK(std::isfinite(v));
    }
  }
}

// oneDNN 2.6 allocates inside every primitive execution (dnnl_primitive_execute builds a
// std::unordered_map of its arguments), so zero is out of reach. What libkws controls: the
// planned shape creates nothing in run(), and once a frame count has been seen, every run of it
// allocates the same fixed amount (no primitive, scratchpad or buffer is created again).
TEST_CASE("onednn run() allocates only oneDNN's fixed per-execution bookkeeping") {
  if (!kws::backend_available(kws::Backend::onednn)) {
    MESSAGE("libkws built without oneDNN; skipped");
    return;
  }
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    kws::Engine engine = make_engine(kws::Backend::onednn, threads);
    const std::vector<float> input = kws::test::random_signal(3 * 40 * 150, 5, 3.0f);
    std::vector<float> logits(3 * 12);

    // The planned shape: the same count on every run, from the first.
    std::size_t counts[3];
    for (std::size_t& count : counts) {
      const std::size_t before = allocations.load();
      engine.run(input.data(), 1, 150, logits.data());
      count = allocations.load() - before;
    }
    CHECK(counts[0] == counts[1]);
    CHECK(counts[1] == counts[2]);
    MESSAGE("oneDNN allocations per run of one item: " << counts[0]);

    run_all_shapes(engine, input, logits);  // creates the primitives of the other frame counts
    const std::size_t first = allocations.load();
    run_all_shapes(engine, input, logits);
    const std::size_t second = allocations.load();
    run_all_shapes(engine, input, logits);
    CHECK(allocations.load() - second == second - first);
    for (float v : logits) CHECK(std::isfinite(v));
  }
}
