// FeatureExtractor::compute at another sample rate: resample() to the config's rate, then the
// same features as for audio given at that rate.
#include <doctest/doctest.h>

#include "kws/audio.hpp"
#include "kws/error.hpp"
#include "kws/features.hpp"
#include "test_support.hpp"

TEST_CASE("compute(samples, count, sample_rate) resamples to the config's rate first") {
  const kws::FeatureConfig config;
  kws::FeatureExtractor extractor(config);
  const std::vector<float> at_16k = kws::test::random_signal(16000, 21, 0.3f);
  const std::vector<float> direct = extractor.compute(at_16k).values;
  // At the config's rate it is compute() itself.
  CHECK(extractor.compute(at_16k.data(), at_16k.size(), 16000).values == direct);

  for (int rate : {8000, 22050, 44100}) {
    CAPTURE(rate);
    const std::vector<float> clip = kws::test::random_signal(std::size_t(rate), 22, 0.3f);
    const std::vector<float> resampled = kws::resample(clip.data(), clip.size(), rate, config.sample_rate);
    const kws::FeatureMatrix expected = extractor.compute(resampled);
    const kws::FeatureMatrix got = extractor.compute(clip.data(), clip.size(), rate);
    CHECK(got.rows == 40);
    CHECK(got.cols == expected.cols);
    CHECK(got.values == expected.values);
  }
}

TEST_CASE("compute(samples, count, sample_rate) refuses an empty clip and rates out of range") {
  kws::FeatureExtractor extractor{kws::FeatureConfig{}};
  const std::vector<float> clip(1000, 0.1f);
  CHECK_THROWS_WITH_AS(extractor.compute(clip.data(), 0, 16000), doctest::Contains("empty clip"), kws::InvalidArgument);
  CHECK_THROWS_WITH_AS(extractor.compute(clip.data(), clip.size(), kws::kMinSampleRate - 1),
                       doctest::Contains("[1000, 768000]"), kws::InvalidArgument);
  CHECK_THROWS_AS(extractor.compute(clip.data(), clip.size(), kws::kMaxSampleRate + 1), kws::InvalidArgument);
  CHECK_THROWS_AS(extractor.compute(nullptr, clip.size(), 8000), kws::InvalidArgument);
  // One sample at the top rate resamples to nothing at 16 kHz.
  CHECK_THROWS_WITH_AS(extractor.compute(clip.data(), 1, kws::kMaxSampleRate), doctest::Contains("empty"),
                       kws::InvalidArgument);
}
