// The bundled models (examples/models) run by libkws -- read_audio, FeatureExtractor with the
// model's feature config, Engine -- give the logits PyTorch gives (torchaudio features +
// BC-ResNet) on the bundled example recordings: tests/model/golden/bundled, written by
// tests/model/make_bundled_golden.py. One 1 s window every 100 ms, as kws_training.recipe.reference_detector.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kws/audio.hpp"
#include "kws/engine.hpp"
#include "kws/features.hpp"
#include "npy.hpp"
#include "test_support.hpp"

TEST_CASE("bundled models: libkws logits match PyTorch on the example recordings") {
  const auto golden = kws::test::source_dir() / "model" / "golden" / "bundled";
  const auto repo = kws::test::source_dir().parent_path();
  std::ifstream index_stream(golden / "index.json");
  REQUIRE(index_stream);
  const nlohmann::json index = nlohmann::json::parse(index_stream);
  if (index.empty()) MESSAGE("no bundled model yet (examples/models)");
  for (const auto& entry : index) {
    const std::string model_path = (repo / entry["model"].get<std::string>()).string();
    INFO(model_path);
    const kws::Model model = kws::Model::load(model_path);
    kws::Engine engine(model, kws::EngineOptions{});
    kws::FeatureExtractor extractor(model.feature_config());
    kws::AudioReadOptions options;
    options.target_sample_rate = model.feature_config().sample_rate;
    const kws::Audio audio = kws::read_audio((repo / entry["audio"].get<std::string>()).string(), options);
    const kws_example::NpyArray expected = kws_example::load_npy((golden / entry["logits"].get<std::string>()).string());
    const std::size_t hop = entry["hop"], window = entry["window"];
    const std::size_t classes = std::size_t(model.num_classes());
    REQUIRE(expected.shape.size() == 2);
    REQUIRE(expected.shape[1] == classes);
    std::vector<float> padded = audio.samples;
    if (padded.size() < window) padded.resize(window, 0.0f);
    const std::size_t windows = 1 + (padded.size() - window) / hop;
    REQUIRE(windows == expected.shape[0]);
    std::vector<float> logits(classes);
    float worst = 0.0f;
    for (std::size_t w = 0; w < windows; ++w) {
      const kws::FeatureMatrix features = extractor.compute(padded.data() + w * hop, window);
      REQUIRE(int(features.cols) == model.input_frames());
      engine.run(features.values.data(), 1, int(features.cols), logits.data());
      const float* want = expected.values.data() + w * classes;
      float scale = 1.0f;
      for (std::size_t c = 0; c < classes; ++c) scale = std::max(scale, std::fabs(want[c]));
      const float diff = kws::test::max_abs_difference(logits.data(), want, classes);
      worst = std::max(worst, diff / scale);
      // Features agree within 1e-4 and the engine within 1e-4 of the logit scale; allow the sum
      // through a trained network.
      CHECK(diff <= 1e-3f * scale);
      const auto best = std::max_element(want, want + classes) - want;
      std::vector<float> sorted(want, want + classes);
      std::sort(sorted.rbegin(), sorted.rend());
      if (sorted[0] - sorted[1] > 1e-2f) {
        CHECK(std::max_element(logits.begin(), logits.end()) - logits.begin() == best);
      }
    }
    MESSAGE(entry["model"].get<std::string>() << ": " << windows << " windows, worst |diff| / scale " << worst);
  }
}
