// Engine::run_frames, the per-frame logits of a CTC acoustic model: parity with PyTorch's
// BCResNets.frame_logits (tests/model/golden/ctc, make_ctc_golden.py) on every backend, with the
// reference backend, with run() (its mean over frames) and across thread counts.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kws/engine.hpp"
#include "kws/error.hpp"
#include "npy.hpp"
#include "test_support.hpp"

namespace {

std::string golden(const std::string& name) {
  return (kws::test::source_dir() / "model" / "golden" / "ctc" / name).string();
}

constexpr kws::Backend kBackends[] = {kws::Backend::reference, kws::Backend::eigen, kws::Backend::onednn};
constexpr const char* kTaus[] = {"1", "2"};

float scale_of(const std::vector<float>& values) {
  float scale = 1.0f;
  for (float v : values) scale = std::max(scale, std::fabs(v));
  return scale;
}

// max|got - expected| <= tolerance * max(1, max|expected|).
void check_close(const std::vector<float>& got, const std::vector<float>& expected, float tolerance,
                 const std::string& what) {
  REQUIRE(got.size() == expected.size());
  const float scale = scale_of(expected);
  const float diff = kws::test::max_abs_difference(got.data(), expected.data(), got.size());
  INFO(what << ": max |diff| " << diff << ", logit scale " << scale);
  CHECK(diff <= tolerance * scale);
}

kws::Engine make_engine(const kws::Model& model, kws::Backend backend, int threads = 1) {
  kws::EngineOptions options;
  options.backend = backend;
  options.max_batch = 3;
  options.max_frames = 157;
  options.threads = threads;
  return kws::Engine(model, options);
}

}  // namespace

TEST_CASE("run_frames matches PyTorch frame_logits and the reference backend") {
  const kws_example::NpyArray inputs = kws_example::load_npy(golden("inputs.npy"));
  const kws_example::NpyArray short_input = kws_example::load_npy(golden("inputs_short.npy"));
  REQUIRE(inputs.shape == std::vector<std::size_t>{3, 1, 40, 157});
  REQUIRE(short_input.shape == std::vector<std::size_t>{1, 1, 40, 9});
  for (const char* tau : kTaus) {
    const std::string name = std::string("tau") + tau;
    const kws::Model model = kws::Model::load(golden("phonemes_" + name + ".kws"));
    const std::size_t classes = std::size_t(model.num_classes());
    const std::vector<float> expected = kws_example::load_npy(golden("frame_logits_" + name + ".npy")).values;
    const std::vector<float> expected_short = kws_example::load_npy(golden("frame_logits_short_" + name + ".npy")).values;
    REQUIRE(expected.size() == 3 * classes * 157);
    kws::Engine reference = make_engine(model, kws::Backend::reference);
    std::vector<float> reference_out(expected.size());
    reference.run_frames(inputs.values.data(), 3, 157, reference_out.data());
    for (kws::Backend backend : kBackends) {
      if (!kws::backend_available(backend)) continue;
      const std::string what = name + " " + kws::backend_name(backend);
      kws::Engine engine = make_engine(model, backend);
      std::vector<float> out(expected.size());
      engine.run_frames(inputs.values.data(), 3, 157, out.data());
      check_close(out, expected, 1e-4f, what + " batch 3 x 157");
      check_close(out, reference_out, 1e-5f, what + " against reference");
      // One item of 9 frames (odd, far below the plan), then the batch again: shapes alternate.
      std::vector<float> short_out(expected_short.size());
      engine.run_frames(short_input.values.data(), 1, 9, short_out.data());
      check_close(short_out, expected_short, 1e-4f, what + " 1 x 9");
      std::vector<float> again(expected.size());
      engine.run_frames(inputs.values.data(), 3, 157, again.data());
      CHECK(again == out);
    }
  }
}

TEST_CASE("run() is the mean over frames of run_frames(), for a CTC model and a classifier") {
  const kws_example::NpyArray inputs = kws_example::load_npy(golden("inputs.npy"));
  const std::string classifier = (kws::test::source_dir() / "model" / "golden" / "bcresnet_tau1.kws").string();
  for (const std::string& path : {golden("phonemes_tau1.kws"), classifier}) {
    const kws::Model model = kws::Model::load(path);
    const std::size_t classes = std::size_t(model.num_classes());
    for (kws::Backend backend : kBackends) {
      if (!kws::backend_available(backend)) continue;
      kws::Engine engine = make_engine(model, backend);
      for (int frames : {157, 101, 9}) {
        std::vector<float> per_frame(3 * classes * std::size_t(frames)), pooled(3 * classes), mean(3 * classes, 0.0f);
        engine.run_frames(inputs.values.data(), 3, frames, per_frame.data());
        engine.run(inputs.values.data(), 3, frames, pooled.data());
        for (std::size_t i = 0; i < 3 * classes; ++i) {
          double sum = 0.0;
          for (int t = 0; t < frames; ++t) sum += per_frame[i * std::size_t(frames) + std::size_t(t)];
          mean[i] = float(sum / frames);
        }
        check_close(mean, pooled, 1e-5f,
                    model.architecture() + " " + kws::backend_name(backend) + " " + std::to_string(frames) + " frames");
      }
    }
  }
}

TEST_CASE("run_frames gives identical logits for one, two and three threads") {
  const kws_example::NpyArray inputs = kws_example::load_npy(golden("inputs.npy"));
  const kws::Model model = kws::Model::load(golden("phonemes_tau2.kws"));
  const std::size_t size = 3 * std::size_t(model.num_classes()) * 157;
  for (kws::Backend backend : kBackends) {
    if (!kws::backend_available(backend)) continue;
    CAPTURE(std::string(kws::backend_name(backend)));
    kws::Engine one = make_engine(model, backend, 1);
    std::vector<float> a(size);
    one.run_frames(inputs.values.data(), 3, 157, a.data());
    for (int threads : {2, 3}) {
      kws::Engine many = make_engine(model, backend, threads);
      for (int batch : {3, 2}) {
        std::vector<float> b(size, 0.0f);
        many.run_frames(inputs.values.data(), batch, 157, b.data());
        const std::size_t used = std::size_t(batch) * size / 3;
        CHECK(std::equal(a.begin(), a.begin() + std::ptrdiff_t(used), b.begin()));
      }
    }
  }
}

TEST_CASE("run_frames checks its arguments as run() does") {
  const kws::Model model = kws::Model::load(golden("phonemes_tau1.kws"));
  kws::Engine engine = make_engine(model, kws::Backend::reference);
  std::vector<float> input(3 * 40 * 158, 0.0f), out(3 * std::size_t(model.num_classes()) * 158);
  CHECK_THROWS_AS(engine.run_frames(input.data(), 4, 157, out.data()), kws::InvalidArgument);
  CHECK_THROWS_AS(engine.run_frames(input.data(), 1, 158, out.data()), kws::InvalidArgument);
  CHECK_THROWS_AS(engine.run_frames(input.data(), 1, 0, out.data()), kws::InvalidArgument);
  CHECK_THROWS_AS(engine.run_frames(nullptr, 1, 10, out.data()), kws::InvalidArgument);
  CHECK_THROWS_AS(engine.run_frames(input.data(), 1, 10, nullptr), kws::InvalidArgument);
}

TEST_CASE("run_frames of every backend agrees with reference within 1e-5 for every width") {
  // The classifier golden models of all six widths (run_frames works on any model): random
  // inputs of 157 and 9 frames, batches of 2 and 1.
  const std::vector<float> random = kws::test::random_signal(2 * 40 * 157, 77, 4.0f);
  for (const char* tau : {"1", "1.5", "2", "3", "6", "8"}) {
    const kws::Model model = kws::Model::load(
        (kws::test::source_dir() / "model" / "golden" / (std::string("bcresnet_tau") + tau + ".kws")).string());
    const std::size_t classes = std::size_t(model.num_classes());
    kws::Engine reference = make_engine(model, kws::Backend::reference);
    for (kws::Backend backend : {kws::Backend::eigen, kws::Backend::onednn}) {
      if (!kws::backend_available(backend)) continue;
      kws::Engine engine = make_engine(model, backend);
      for (const auto& [batch, frames] : {std::pair<int, int>{2, 157}, {1, 9}}) {
        std::vector<float> a(std::size_t(batch) * classes * std::size_t(frames)), b(a.size());
        reference.run_frames(random.data(), batch, frames, a.data());
        engine.run_frames(random.data(), batch, frames, b.data());
        check_close(b, a, 1e-5f,
                    std::string("tau ") + tau + " " + kws::backend_name(backend) + " " + std::to_string(frames));
      }
    }
  }
}
