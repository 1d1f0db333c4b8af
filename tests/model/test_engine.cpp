// Engine parity with PyTorch: logits of tests/model/golden (make_golden.py) for all six widths.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "kws/engine.hpp"
#include "kws/error.hpp"
#include "npy.hpp"
#include "test_support.hpp"

namespace {

std::string golden(const std::string& name) { return (kws::test::source_dir() / "model" / "golden" / name).string(); }

constexpr const char* kTaus[] = {"1", "1.5", "2", "3", "6", "8"};

// max|a - b| <= 1e-4 * max(1, max|expected|): relative to the logit scale.
void check_logits(const std::vector<float>& got, const std::vector<float>& expected, const std::string& what) {
  REQUIRE(got.size() == expected.size());
  float scale = 1.0f;
  for (float v : expected) scale = std::max(scale, std::fabs(v));
  const float diff = kws::test::max_abs_difference(got.data(), expected.data(), got.size());
  INFO(what << ": max |diff| " << diff << ", logit scale " << scale);
  CHECK(diff <= 1e-4f * scale);
}

void check_parity(kws::Backend backend) {
  const kws_example::NpyArray inputs = kws_example::load_npy(golden("inputs.npy"));
  const kws_example::NpyArray odd = kws_example::load_npy(golden("inputs_odd.npy"));
  REQUIRE(inputs.shape == std::vector<std::size_t>{4, 1, 40, 101});
  REQUIRE(odd.shape == std::vector<std::size_t>{1, 1, 40, 73});
  for (const char* tau : kTaus) {
    const std::string name = std::string("tau") + tau;
    const kws::Model model = kws::Model::load(golden("bcresnet_" + name + ".kws"));
    kws::EngineOptions options;
    options.backend = backend;
    options.max_batch = 4;
    kws::Engine engine(model, options);
    const kws_example::NpyArray expected = kws_example::load_npy(golden("logits_" + name + ".npy"));
    const kws_example::NpyArray expected_odd = kws_example::load_npy(golden("logits_odd_" + name + ".npy"));
    const std::size_t classes = std::size_t(model.num_classes());
    REQUIRE(expected.values.size() == 4 * classes);

    // The whole batch at once.
    std::vector<float> logits(4 * classes);
    engine.run(inputs.values.data(), 4, 101, logits.data());
    check_logits(logits, expected.values, name + " batch 4");

    // One item at a time.
    for (std::size_t i = 0; i < 4; ++i) {
      std::vector<float> one(classes);
      engine.run(inputs.values.data() + i * 40 * 101, 1, 101, one.data());
      check_logits(one, {expected.values.begin() + std::ptrdiff_t(i * classes),
                         expected.values.begin() + std::ptrdiff_t((i + 1) * classes)},
                   name + " item " + std::to_string(i));
    }

    // An odd frame count, below the planned maximum.
    std::vector<float> odd_logits(classes);
    engine.run(odd.values.data(), 1, 73, odd_logits.data());
    check_logits(odd_logits, expected_odd.values, name + " 73 frames");
  }
}

constexpr kws::Backend kBackends[] = {kws::Backend::reference, kws::Backend::eigen, kws::Backend::onednn};

// The optimised backend against reference on the golden batch, a longer random batch (157
// frames) and a short one (9 frames): within 1e-5 of the logit scale.
void check_against_reference(kws::Backend backend) {
  const kws_example::NpyArray inputs = kws_example::load_npy(golden("inputs.npy"));
  std::vector<float> random = kws::test::random_signal(2 * 40 * 157, 99, 4.0f);
  for (const char* tau : kTaus) {
    const kws::Model model = kws::Model::load(golden(std::string("bcresnet_tau") + tau + ".kws"));
    kws::EngineOptions options;
    options.max_batch = 4;
    options.max_frames = 157;
    options.backend = kws::Backend::reference;
    kws::Engine reference(model, options);
    options.backend = backend;
    kws::Engine other(model, options);
    if (reference.backend() != kws::Backend::reference || other.backend() != backend) {
      MESSAGE("KWS_BACKEND overrides the backends; comparison skipped");
      return;
    }
    const std::size_t classes = std::size_t(model.num_classes());
    for (const auto& [data, batch, frames] :
         {std::tuple<const float*, int, int>{inputs.values.data(), 4, 101}, {random.data(), 2, 157}, {random.data(), 1, 9}}) {
      std::vector<float> a(std::size_t(batch) * classes), b(a.size());
      reference.run(data, batch, frames, a.data());
      other.run(data, batch, frames, b.data());
      float scale = 1.0f;
      for (float v : a) scale = std::max(scale, std::fabs(v));
      const float diff = kws::test::max_abs_difference(a.data(), b.data(), a.size());
      INFO(kws::backend_name(backend) << " tau " << tau << " " << frames << " frames: max |diff| " << diff
                                      << " scale " << scale);
      CHECK(diff <= 1e-5f * scale);
    }
  }
}

}  // namespace

TEST_CASE("every available backend matches PyTorch logits for every width") {
  for (kws::Backend backend : kBackends) {
    if (!kws::backend_available(backend)) {
      MESSAGE("libkws built without " << kws::backend_name(backend) << "; skipped");
      continue;
    }
    CAPTURE(std::string(kws::backend_name(backend)));
    check_parity(backend);
  }
}

TEST_CASE("eigen backend agrees with reference within 1e-5") {
  if (!kws::backend_available(kws::Backend::eigen)) {
    MESSAGE("libkws built without Eigen; skipped");
    return;
  }
  check_against_reference(kws::Backend::eigen);
}

TEST_CASE("onednn backend agrees with reference within 1e-5") {
  if (!kws::backend_available(kws::Backend::onednn)) {
    MESSAGE("libkws built without oneDNN; skipped");
    return;
  }
  check_against_reference(kws::Backend::onednn);
}

TEST_CASE("two threads give the logits of one thread on every backend") {
  const kws_example::NpyArray inputs = kws_example::load_npy(golden("inputs.npy"));
  for (kws::Backend backend : kBackends) {
    if (!kws::backend_available(backend)) continue;
    CAPTURE(std::string(kws::backend_name(backend)));
    for (const char* tau : {"1", "3"}) {
      const kws::Model model = kws::Model::load(golden(std::string("bcresnet_tau") + tau + ".kws"));
      kws::EngineOptions options;
      options.backend = backend;
      options.max_batch = 4;
      kws::Engine one(model, options);
      options.threads = 2;
      kws::Engine two(model, options);
      CHECK(one.threads() == 1);
      CHECK(two.threads() == 2);
      const std::size_t classes = std::size_t(model.num_classes());
      for (int batch : {4, 3, 1}) {
        std::vector<float> a(4 * classes, 0.0f), b(a.size(), 0.0f);
        for (int round = 0; round < 3; ++round) {  // the workers are reused between runs
          one.run(inputs.values.data(), batch, 101, a.data());
          two.run(inputs.values.data(), batch, 101, b.data());
          INFO("tau " << std::string(tau) << " batch " << batch << " round " << round << ": max |diff| "
                      << kws::test::max_abs_difference(a.data(), b.data(), a.size()));
          CHECK(a == b);
        }
      }
      // One more thread than items in the largest batch is never used.
      options.max_batch = 1;
      options.threads = 4;
      CHECK(kws::Engine(model, options).threads() == 1);
    }
  }
  kws::EngineOptions bad;
  bad.threads = 0;
  CHECK_THROWS_AS(kws::Engine(kws::Model::load(golden("bcresnet_tau1.kws")), bad), kws::InvalidArgument);
}

TEST_CASE("arena_bytes covers the activation arena") {
  const kws::Model model = kws::Model::load(golden("bcresnet_tau8.kws"));
  for (kws::Backend backend : kBackends) {
    if (!kws::backend_available(backend)) continue;
    CAPTURE(std::string(kws::backend_name(backend)));
    kws::EngineOptions options;
    options.backend = backend;
    kws::Engine engine(model, options);
    // At least three planes of the widest full-resolution layer: 2 * 8 * 8 = 128 channels x 20
    // rows x 101 frames.
    CHECK(engine.arena_bytes() >= 3 * 128 * 20 * 101 * sizeof(float));
    options.max_frames = 202;
    CHECK(kws::Engine(model, options).arena_bytes() > engine.arena_bytes());
    options.max_frames = 101;
    options.max_batch = 2;
    options.threads = 2;
    CHECK(kws::Engine(model, options).arena_bytes() == 2 * engine.arena_bytes());  // one arena per lane
  }
}

TEST_CASE("run() rejects batches and frame counts outside the plan") {
  kws::EngineOptions options;
  options.max_batch = 2;
  kws::Engine engine(kws::Model::load(golden("bcresnet_tau1.kws")), options);
  CHECK(engine.max_frames() == 101);
  std::vector<float> input(3 * 40 * 102, 0.0f), logits(3 * 12);
  CHECK_THROWS_AS(engine.run(input.data(), 3, 101, logits.data()), kws::InvalidArgument);
  CHECK_THROWS_AS(engine.run(input.data(), 0, 101, logits.data()), kws::InvalidArgument);
  CHECK_THROWS_AS(engine.run(input.data(), 1, 102, logits.data()), kws::InvalidArgument);
  CHECK_THROWS_AS(engine.run(input.data(), 1, 0, logits.data()), kws::InvalidArgument);
  CHECK_NOTHROW(engine.run(input.data(), 2, 1, logits.data()));  // a single frame still works
  for (int i = 0; i < 24; ++i) CHECK(std::isfinite(logits[std::size_t(i)]));
}

TEST_CASE("backend names") {
  CHECK(kws::parse_backend("reference") == kws::Backend::reference);
  CHECK(std::string(kws::backend_name(kws::Backend::onednn)) == "onednn");
  CHECK_THROWS_AS(kws::parse_backend("cuda"), kws::InvalidArgument);
  CHECK(kws::backend_available(kws::Backend::reference));
}

TEST_CASE("KWS_BACKEND overrides the backend in EngineOptions") {
  const char* saved = std::getenv("KWS_BACKEND");
  const std::string previous = saved ? saved : "";
  const kws::Model model = kws::Model::load(golden("bcresnet_tau1.kws"));
  kws::EngineOptions options;
  options.backend = kws::Backend::onednn;  // when not built, only the override makes this constructible
  setenv("KWS_BACKEND", "reference", 1);
  CHECK(kws::Engine(model, options).backend() == kws::Backend::reference);
  setenv("KWS_BACKEND", "tpu", 1);
  CHECK_THROWS_AS(kws::Engine(model, options), kws::InvalidArgument);
  unsetenv("KWS_BACKEND");
  if (!kws::backend_available(kws::Backend::onednn)) CHECK_THROWS_AS(kws::Engine(model, options), kws::InvalidArgument);
  if (saved) setenv("KWS_BACKEND", previous.c_str(), 1);
}

TEST_CASE("one Model serves engines on several threads") {
  const kws::Model model = kws::Model::load(golden("bcresnet_tau2.kws"));
  const kws_example::NpyArray inputs = kws_example::load_npy(golden("inputs.npy"));
  const kws_example::NpyArray expected = kws_example::load_npy(golden("logits_tau2.npy"));
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      kws::Engine engine(model);  // per thread; the model (weights) is shared
      results[i].resize(12);
      for (int round = 0; round < 5; ++round)
        engine.run(inputs.values.data() + i * 40 * 101, 1, 101, results[i].data());
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (std::size_t i = 0; i < results.size(); ++i)
    check_logits(results[i], {expected.values.begin() + std::ptrdiff_t(i * 12), expected.values.begin() + std::ptrdiff_t((i + 1) * 12)},
                 "thread " + std::to_string(i));
}
