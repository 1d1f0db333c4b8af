// Streaming detector: chunk invariance, agreement with the batch front end + engine, timing of
// evaluations and events, resampling, option validation.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "detector_support.hpp"
#include "kws/classifier.hpp"
#include "kws/detector.hpp"
#include "kws/engine.hpp"
#include "kws/error.hpp"
#include "kws/features.hpp"

using kws::test::Event;
using kws::test::run_chunked;

TEST_CASE("the same audio gives the same events whatever the chunking") {
  const kws::Model model = kws::test::detector_test_model();
  for (int rate : {16000, 44100, 8000}) {
    CAPTURE(rate);
    const std::vector<float> signal = kws::test::bursty_signal(std::size_t(rate) * 20, 7);
    kws::Detector detector(model, kws::test::busy_options(rate == 16000 ? 0 : rate));
    const std::vector<Event> whole = run_chunked(detector, signal, signal.size(), signal.size(), 1);
    CHECK(whole.size() >= 5);
    struct Chunking {
      std::size_t min, max;
    };
    const Chunking chunkings[] = {{1, 1}, {1, 17}, {1, 4096}, {1, std::size_t(rate) * 10}, {160, 160}, {1000, 50000}};
    unsigned seed = 11;
    for (const Chunking& c : chunkings) {
      CAPTURE(c.min);
      CAPTURE(c.max);
      detector.reset();
      CHECK(run_chunked(detector, signal, c.min, c.max, ++seed) == whole);
    }
  }
}

TEST_CASE("int16 input equals the same samples as float") {
  const kws::Model model = kws::test::detector_test_model();
  const std::vector<float> noise = kws::test::bursty_signal(16000 * 8, 3);
  std::vector<std::int16_t> pcm(noise.size());
  std::vector<float> as_float(noise.size());
  for (std::size_t i = 0; i < noise.size(); ++i) {
    pcm[i] = std::int16_t(std::clamp(noise[i], -1.0f, 0.99f) * 32767.0f);
    as_float[i] = float(pcm[i]) / 32768.0f;
  }
  kws::Detector a(model, kws::test::busy_options()), b(model, kws::test::busy_options());
  const auto from_pcm = run_chunked(a, pcm, 1, 9000, 5);
  CHECK(!from_pcm.empty());
  CHECK(from_pcm == run_chunked(b, as_float, 1, 9000, 6));
}

TEST_CASE("every evaluation equals the batch features and engine on its window") {
  const kws::Model model = kws::test::detector_test_model();
  const std::vector<float> signal = kws::test::bursty_signal(16000 * 4, 9);
  kws::DetectorOptions options;
  options.smoothing_seconds = 0.0;  // no averaging: scores() is one window's posterior
  kws::Detector detector(model, options);
  REQUIRE(detector.stride_frames() == 10);
  REQUIRE(detector.window_frames() == 101);

  kws::FeatureExtractor extractor(model.feature_config());
  const kws::FeatureMatrix features = extractor.compute(signal);
  kws::Engine engine(model);
  std::vector<float> window(40 * 101), expected(12);
  auto check = [&](int start) {
    for (int b = 0; b < 40; ++b)
      std::copy_n(features.values.begin() + b * std::ptrdiff_t(features.cols) + start, 101, window.begin() + b * 101);
    engine.run(window.data(), 1, 101, expected.data());
    kws::softmax(expected.data(), expected.size());
    CHECK(kws::test::max_abs_difference(detector.scores().data(), expected.data(), 12) <= 1e-6f);
  };
  // Push a hop at a time and compare after every evaluation.
  std::int64_t seen = 0;
  for (std::size_t at = 0; at < signal.size(); at += 160) {
    detector.push(signal.data() + at, std::min<std::size_t>(160, signal.size() - at), [](const kws::Detection&) {});
    if (detector.evaluations() != seen) {
      REQUIRE(detector.evaluations() == seen + 1);
      check(int(seen) * 10);
      ++seen;
    }
  }
  // 64000 samples -> 401 frames; 400 emitted before finish (the last needs end padding).
  CHECK(seen == (400 - 101) / 10 + 1);
  detector.finish([](const kws::Detection&) {});
  CHECK(detector.evaluations() == seen + 1);  // the tail: the last 101 frames
  check(int(features.cols) - 101);
}

TEST_CASE("event positions are the audio under the firing window") {
  const kws::Model model = kws::test::detector_test_model();
  const std::vector<float> signal = kws::test::random_signal(16000 * 3, 2);
  kws::DetectorOptions options;
  options.default_threshold = 0.0f;  // every label is above threshold: each fires once (re-arm)
  options.refractory_seconds = 0.0;
  options.min_consecutive = 1;       // the first evaluation may fire
  kws::Detector detector(model, options);
  const auto events = kws::test::run_chunked(detector, signal, 1, 7000, 4);
  REQUIRE(events.size() == 10);  // the 10 labels not starting with '_', one event each
  for (std::size_t e = 0; e < events.size(); ++e) {
    CAPTURE(e);
    const std::int64_t first_frame = std::int64_t(e) * 10;  // evaluation e covers frames [10 e, 10 e + 101)
    CHECK(events[e].start == std::max<std::int64_t>(0, first_frame * 160 - 256));
    CHECK(events[e].end == (first_frame + 100) * 160 + 256);
    for (std::size_t other = 0; other < e; ++other) CHECK(events[other].label != events[e].label);
  }
}

TEST_CASE("a stream shorter than the window is evaluated once at finish") {
  const kws::Model model = kws::test::detector_test_model();
  kws::DetectorOptions options;
  options.default_threshold = 0.0f;
  options.min_consecutive = 1;  // one evaluation is all there is
  kws::Detector detector(model, options);
  const std::vector<float> half = kws::test::random_signal(8000, 2);
  CHECK(detector.push(half).empty());
  CHECK(detector.evaluations() == 0);
  const auto events = detector.finish();
  CHECK(detector.evaluations() == 1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].start_sample == 0);
  CHECK(events[0].end_sample == 8000);
  // Nothing pushed: nothing to evaluate, no error.
  detector.reset();
  CHECK(detector.finish().empty());
  CHECK(detector.evaluations() == 0);
}

TEST_CASE("refractory period and min_consecutive limit events") {
  const kws::Model model = kws::test::detector_test_model();
  const std::vector<float> signal = kws::test::bursty_signal(16000 * 30, 4);
  kws::DetectorOptions options = kws::test::busy_options();
  options.refractory_seconds = 2.0;
  kws::Detector detector(model, options);
  const auto events = run_chunked(detector, signal, 1, 20000, 3);
  REQUIRE(events.size() >= 2);
  for (std::size_t i = 1; i < events.size(); ++i) CHECK(events[i].end - events[i - 1].end >= 2 * 16000);

  options.refractory_seconds = 0.0;
  kws::Detector every(model, options);
  const auto all = run_chunked(every, signal, 1, 20000, 3);
  options.min_consecutive = 3;
  kws::Detector third(model, options);
  const auto sparse = run_chunked(third, signal, 1, 20000, 3);
  CHECK(sparse.size() < all.size());
  REQUIRE(!sparse.empty());
  // Nothing can fire before the third evaluation.
  CHECK(sparse[0].end >= (20 + 100) * 160 + 256);
}

TEST_CASE("a word that stays above threshold fires once") {
  // A constant loud tone keeps one posterior high for the whole stream: one event, not one per
  // refractory period.
  const kws::Model model = kws::test::detector_test_model();
  std::vector<float> tone(16000 * 8);
  for (std::size_t i = 0; i < tone.size(); ++i) tone[i] = 0.5f * std::sin(0.07f * float(i));
  kws::DetectorOptions probe;
  probe.smoothing_seconds = 0.0;
  kws::Detector scout(model, probe);
  scout.push(tone.data(), tone.size(), [](const kws::Detection&) {});
  const auto& scores = scout.scores();
  int top = 2;
  for (int k = 2; k < 12; ++k)
    if (scores[std::size_t(k)] > scores[std::size_t(top)]) top = k;
  kws::DetectorOptions options;
  options.refractory_seconds = 0.5;
  options.default_threshold = 1.0f;
  options.thresholds[model.labels()[std::size_t(top)]] = scores[std::size_t(top)] * 0.5f;
  kws::Detector detector(model, options);
  const auto events = run_chunked(detector, tone, 1, 5000, 9);
  CHECK(events.size() == 1);
}

TEST_CASE("thresholds: per label, from options, and the sensitivity knob") {
  const kws::Model model = kws::test::detector_test_model();
  kws::DetectorOptions options;
  options.thresholds["yes"] = 0.8f;
  options.sensitivity = 1.0;
  kws::Detector detector(model, options);
  const auto& labels = model.labels();
  for (std::size_t k = 0; k < labels.size(); ++k) {
    CAPTURE(labels[k]);
    const float t = detector.thresholds()[k];
    if (labels[k][0] == '_') CHECK(std::isinf(t));
    else if (labels[k] == "yes") CHECK(t == doctest::Approx(0.64));
    else CHECK(t == doctest::Approx(0.25));
  }
  options.thresholds["nonexistent"] = 0.5f;
  CHECK_THROWS_AS(kws::Detector(model, options), kws::InvalidArgument);
}

TEST_CASE("bad options are refused with InvalidArgument") {
  const kws::Model model = kws::test::detector_test_model();
  auto refuse = [&](auto mutate) {
    kws::DetectorOptions options;
    mutate(options);
    CHECK_THROWS_AS(kws::Detector(model, options), kws::InvalidArgument);
  };
  refuse([](kws::DetectorOptions& o) { o.sample_rate = -1; });
  refuse([](kws::DetectorOptions& o) { o.sample_rate = 1000000; });
  refuse([](kws::DetectorOptions& o) { o.stride_seconds = -0.1; });
  refuse([](kws::DetectorOptions& o) { o.stride_seconds = std::nan(""); });
  refuse([](kws::DetectorOptions& o) { o.sensitivity = 1.5; });
  refuse([](kws::DetectorOptions& o) { o.window_seconds = -1.0; });
  refuse([](kws::DetectorOptions& o) { o.min_consecutive = 0; });
  refuse([](kws::DetectorOptions& o) { o.thresholds["yes"] = 2.0f; });

  kws::Detector detector(model);
  CHECK_THROWS_AS(detector.push(nullptr, 10), kws::InvalidArgument);
  CHECK(detector.push(nullptr, 0).empty());
  detector.finish();
  const std::vector<float> more(100, 0.0f);
  CHECK_THROWS_AS(detector.push(more), kws::InvalidArgument);  // after finish, until reset
  detector.reset();
  CHECK(detector.push(more).empty());
}

TEST_CASE("resampled streams report positions at the pushed rate") {
  const kws::Model model = kws::test::detector_test_model();
  kws::DetectorOptions options;
  options.sample_rate = 48000;
  options.default_threshold = 0.0f;
  options.refractory_seconds = 0.0;
  options.min_consecutive = 1;
  kws::Detector detector(model, options);
  const std::vector<float> signal = kws::test::random_signal(48000 * 3, 8);
  const auto events = run_chunked(detector, signal, 1, 5000, 1);
  REQUIRE(events.size() >= 2);
  CHECK(events[0].start == 0);
  CHECK(events[0].end == (100 * 160 + 256) * 3);
  CHECK(events[1].start == (10 * 160 - 256) * 3);
  CHECK(detector.samples_pushed() == std::int64_t(signal.size()));
}

TEST_CASE("Classifier pads short clips, scans long ones, and resamples") {
  const kws::Model model = kws::test::detector_test_model();
  kws::Classifier classifier(model);
  const std::vector<float> clip = kws::test::random_signal(16000, 3);
  const kws::Classification one = classifier.classify(clip, 16000);
  REQUIRE(one.scores.size() == 12);
  float sum = 0.0f;
  for (float s : one.scores) sum += s;
  CHECK(sum == doctest::Approx(1.0f));
  CHECK(one.best == int(std::max_element(one.scores.begin(), one.scores.end()) - one.scores.begin()));
  CHECK(one.window_start == 0);
  CHECK(one.window_end == 16000);

  // The 1-s clip inside 3 s of silence-ish noise: the scan finds a window and reports where.
  std::vector<float> longer = kws::test::random_signal(48000, 4, 0.001f);
  std::copy(clip.begin(), clip.end(), longer.begin() + 16000);
  const kws::Classification scanned = classifier.classify(longer, 16000);
  CHECK(scanned.window_end - scanned.window_start == 16000);

  const std::vector<float> short_clip = kws::test::random_signal(4000, 5);
  CHECK(classifier.classify(short_clip, 16000).scores.size() == 12);
  CHECK(classifier.classify(short_clip, 8000).scores.size() == 12);
  CHECK_THROWS_AS(classifier.classify(nullptr, 0, 16000), kws::InvalidArgument);
  CHECK_THROWS_AS(classifier.classify(short_clip, 0), kws::InvalidArgument);
}
