// libkws features against torchaudio 0.13, case by case (tests/features/make_golden.py).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "kws/audio.hpp"
#include "kws/error.hpp"
#include "kws/features.hpp"
#include "npy.hpp"
#include "test_support.hpp"

namespace {

// Absolute tolerance on log outputs: 1e-4 in natural-log units, so 1e-4 * 10 / ln(10) = 4.34e-4
// for decibel outputs (the same relative accuracy of the mel energies), MFCC included.
float tolerance(const kws::FeatureConfig& config) {
  return config.log == kws::LogMode::decibel ? 1e-4f * 10.0f / std::log(10.0f) : 1e-4f;
}

nlohmann::json load_index() {
  std::ifstream in(kws::test::source_dir() / "features/golden/index.json");
  REQUIRE_MESSAGE(in.good(), "golden index missing: run tests/features/make_golden.py");
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("features match torchaudio 0.13 on every config x signal of the golden matrix") {
  const auto index = load_index();
  const auto golden = kws::test::source_dir() / "features/golden";
  const auto shared = kws::test::shared_data_dir();

  std::map<std::string, std::vector<float>> signals;
  for (const auto& [name, info] : index["signals"].items()) {
    if (info.contains("npy")) {
      signals[name] = kws_example::load_npy((golden / info["npy"].get<std::string>()).string()).values;
    } else if (!shared.empty()) {
      signals[name] = kws::read_audio((shared / info["shared"].get<std::string>()).string()).samples;
      CHECK(signals[name].size() == info["samples"].get<std::size_t>());
    }
  }
  if (shared.empty()) MESSAGE("skipping speech clips: ../shared/data is absent (set KWS_SHARED_DATA)");

  std::set<std::string> configs_checked;
  std::size_t cases = 0, refusals = 0;
  for (const auto& c : index["cases"]) {
    const std::string config_name = c["config"], signal_name = c["signal"];
    if (!signals.count(signal_name)) continue;
    CAPTURE(config_name);
    CAPTURE(signal_name);
    const auto config = kws::FeatureConfig::from_json(index["configs"][config_name].dump());
    const std::vector<float>& signal = signals[signal_name];
    kws::FeatureExtractor extractor(config);
    if (c.contains("error")) {
      // torchaudio refuses this input; so must libkws, with an InvalidArgument.
      CHECK_THROWS_AS(extractor.compute(signal), kws::InvalidArgument);
      CHECK(config.frame_count(signal.size()) == 0);
      ++refusals;
      continue;
    }
    const kws_example::NpyArray expected = kws_example::load_npy((golden / c["npy"].get<std::string>()).string());
    const kws::FeatureMatrix actual = extractor.compute(signal);
    REQUIRE(expected.shape.size() == 2);
    REQUIRE(actual.rows == expected.shape[0]);
    REQUIRE(actual.cols == expected.shape[1]);
    CHECK(config.frame_count(signal.size()) == actual.cols);
    // torchaudio computes in float32, and its float32 mel filterbank alone can move a narrow
    // filter's output past the tolerance; each element may differ from torchaudio by the
    // tolerance plus torchaudio's own deviation from the float64 evaluation of the same formulas.
    const kws_example::NpyArray exact = kws_example::load_npy((golden / c["exact_npy"].get<std::string>()).string());
    REQUIRE(exact.values.size() == expected.values.size());
    float excess = 0.0f;  // worst |ours - torchaudio| beyond what torchaudio's own rounding explains
    for (std::size_t i = 0; i < actual.values.size(); ++i) {
      const float allowed = tolerance(config) + std::fabs(expected.values[i] - exact.values[i]);
      const float difference = std::fabs(actual.values[i] - expected.values[i]);
      if (!(difference - allowed <= excess)) excess = difference - allowed;
    }
    const float error_vs_exact =
        kws::test::max_abs_difference(actual.values.data(), exact.values.data(), actual.values.size());
    CAPTURE(error_vs_exact);
    CAPTURE(excess);
    CHECK(excess <= 0.0f);
    CHECK(error_vs_exact <= tolerance(config));  // and libkws itself stays within it of exact math
    configs_checked.insert(config_name);
    ++cases;
  }
  MESSAGE(cases << " cases matched, " << refusals << " refusals matched, " << configs_checked.size() << " configs");
  CHECK(configs_checked.size() == index["configs"].size());
  CHECK(configs_checked.size() >= 8);
}
