// EventPolicy on its own: one event per utterance, re-arming, refractory, min_consecutive,
// per-label thresholds, sensitivity; and the detector's events replayed from its evaluations.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "detector_support.hpp"
#include "kws/error.hpp"
#include "kws/event_policy.hpp"

namespace {

// The test model's labels: _silence_ _unknown_ down go left no off on right stop up yes.
constexpr int kDown = 2, kGo = 3, kYes = 11, kUnknown = 1;

std::vector<float> scores(std::initializer_list<std::pair<int, float>> set) {
  std::vector<float> out(12, 0.0f);
  for (const auto& [label, value] : set) out[std::size_t(label)] = value;
  return out;
}

kws::DetectorOptions plain(int min_consecutive = 1, double refractory_seconds = 0.0) {
  kws::DetectorOptions options;
  options.min_consecutive = min_consecutive;
  options.refractory_seconds = refractory_seconds;
  return options;
}

// Feeds one score vector per evaluation, 10 frames apart; returns what fired at each.
std::vector<int> run(kws::EventPolicy& policy, const std::vector<std::vector<float>>& evaluations) {
  std::vector<int> fired;
  std::int64_t frame = 100;
  for (const auto& s : evaluations) {
    fired.push_back(policy.update(s.data(), frame));
    frame += 10;
  }
  return fired;
}

}  // namespace

TEST_CASE("a word that stays above its threshold fires once") {
  kws::EventPolicy policy(kws::test::detector_test_model(), plain());
  const auto yes = scores({{kYes, 0.9f}});
  CHECK(run(policy, {yes, yes, yes, yes, yes}) == std::vector<int>{kYes, -1, -1, -1, -1});
}

TEST_CASE("a label re-arms once its score drops below its threshold") {
  kws::EventPolicy policy(kws::test::detector_test_model(), plain());
  const auto yes = scores({{kYes, 0.9f}}), low = scores({{kYes, 0.4f}});
  CHECK(run(policy, {yes, yes, low, yes, low, low, yes}) == std::vector<int>{kYes, -1, -1, kYes, -1, -1, kYes});
  // Exactly at the threshold counts as above (>=), so it does not re-arm.
  const auto at = scores({{kYes, 0.5f}});
  policy.reset();
  CHECK(run(policy, {yes, at, yes}) == std::vector<int>{kYes, -1, -1});
}

TEST_CASE("nothing fires within the refractory period, then the next word does") {
  // 0.5 s of 10 ms hops = 50 frames; evaluations are 10 frames apart.
  const kws::Model model = kws::test::detector_test_model();
  kws::EventPolicy policy(model, plain(1, 0.5));
  CHECK(policy.refractory_frames() == 50);
  const auto yes = scores({{kYes, 0.9f}}), go = scores({{kGo, 0.9f}});
  // yes at frame 100; go is ready from frame 110 but waits until frame 150.
  CHECK(run(policy, {yes, go, go, go, go, go, go}) == std::vector<int>{kYes, -1, -1, -1, -1, kGo, -1});
  // reset() ends the refractory period.
  policy.reset();
  CHECK(policy.update(yes.data(), 100) == kYes);
  policy.reset();
  CHECK(policy.update(go.data(), 101) == kGo);
}

TEST_CASE("min_consecutive evaluations in a row, and an interruption starts the count again") {
  kws::EventPolicy policy(kws::test::detector_test_model(), plain(3));
  const auto yes = scores({{kYes, 0.9f}}), low = scores({{kYes, 0.1f}});
  CHECK(run(policy, {yes, yes, low, yes, yes, yes, yes}) == std::vector<int>{-1, -1, -1, -1, -1, kYes, -1});
}

TEST_CASE("of the labels ready to fire, the highest-scoring wins, and the others are not left armed to fire next") {
  kws::EventPolicy policy(kws::test::detector_test_model(), plain());
  const auto both = scores({{kYes, 0.7f}, {kGo, 0.8f}});
  // go wins; every label's count restarts, and yes stays above, so it needs a new run of
  // min_consecutive (1 here) evaluations: it fires at the next one (it is still armed).
  CHECK(run(policy, {both, both, both}) == std::vector<int>{kGo, kYes, -1});
}

TEST_CASE("labels starting with '_' never fire unless asked") {
  const kws::Model model = kws::test::detector_test_model();
  const auto unknown = scores({{kUnknown, 1.0f}});
  kws::EventPolicy policy(model, plain());
  CHECK(std::isinf(policy.thresholds()[kUnknown]));
  CHECK(policy.update(unknown.data(), 0) == -1);
  kws::DetectorOptions options = plain();
  options.ignore_underscore_labels = false;
  kws::EventPolicy everything(model, options);
  CHECK(everything.update(unknown.data(), 0) == kUnknown);
}

TEST_CASE("per-label thresholds: the option's, else the model file's, else default_threshold") {
  const kws::Model bundled =
      kws::Model::load((kws::test::source_dir().parent_path() / "examples" / "models" / "commands_en.kws").string());
  REQUIRE(bundled.thresholds().count("yes") == 1);
  REQUIRE(bundled.thresholds().count("down") == 1);
  kws::DetectorOptions options = plain();
  options.thresholds["yes"] = 0.25f;
  kws::EventPolicy policy(bundled, options);
  CHECK(policy.thresholds()[kYes] == doctest::Approx(0.25f));
  CHECK(policy.thresholds()[kDown] == doctest::Approx(bundled.thresholds().at("down")));

  const kws::Model bare = kws::test::detector_test_model();  // no thresholds in the file
  REQUIRE(bare.thresholds().empty());
  options.default_threshold = 0.7f;
  kws::EventPolicy defaults(bare, options);
  CHECK(defaults.thresholds()[kDown] == doctest::Approx(0.7f));
  CHECK(defaults.thresholds()[kYes] == doctest::Approx(0.25f));
  const auto yes = scores({{kYes, 0.3f}}), down = scores({{kDown, 0.6f}});
  CHECK(defaults.update(yes.data(), 0) == kYes);
  CHECK(defaults.update(down.data(), 0) == -1);
}

TEST_CASE("sensitivity raises every threshold to 2 * sensitivity") {
  const kws::Model model = kws::test::detector_test_model();
  for (double sensitivity : {0.0, 0.25, 0.5, 0.8, 1.0}) {
    CAPTURE(sensitivity);
    kws::DetectorOptions options = plain();
    options.default_threshold = 0.6f;
    options.sensitivity = sensitivity;
    kws::EventPolicy policy(model, options);
    CHECK(policy.thresholds()[kGo] == doctest::Approx(std::pow(0.6, 2.0 * sensitivity)));
  }
}

TEST_CASE("out-of-range firing options are refused") {
  const kws::Model model = kws::test::detector_test_model();
  auto refused = [&](auto change) {
    kws::DetectorOptions options;
    change(options);
    CHECK_THROWS_AS(kws::EventPolicy(model, options), kws::InvalidArgument);
  };
  refused([](kws::DetectorOptions& o) { o.min_consecutive = 0; });
  refused([](kws::DetectorOptions& o) { o.sensitivity = 1.5; });
  refused([](kws::DetectorOptions& o) { o.refractory_seconds = -1.0; });
  refused([](kws::DetectorOptions& o) { o.default_threshold = std::numeric_limits<float>::quiet_NaN(); });
  refused([](kws::DetectorOptions& o) { o.thresholds["hello"] = 0.5f; });
  refused([](kws::DetectorOptions& o) { o.thresholds["yes"] = 1.5f; });
}

TEST_CASE("the detector's evaluations replayed through an EventPolicy give its events, at any setting") {
  const kws::Model model = kws::test::detector_test_model();
  const std::vector<float> signal = kws::test::bursty_signal(16000 * 30, 21);
  // Record once at the busy setting.
  kws::DetectorOptions recorded_options = kws::test::busy_options();
  kws::Detector recorder(model, recorded_options);
  std::vector<float> trace;
  std::vector<std::int64_t> frames, starts, ends;
  std::vector<int> fired_at;
  recorder.set_evaluation_callback([&](const kws::Evaluation& e) {
    CHECK(e.index == std::int64_t(frames.size()));
    CHECK(e.num_classes == 12);
    trace.insert(trace.end(), e.scores, e.scores + e.num_classes);
    frames.push_back(e.frame);
    starts.push_back(e.start_sample);
    ends.push_back(e.end_sample);
    fired_at.push_back(e.fired_label);
  });
  const auto recorded = kws::test::run_chunked(recorder, signal, 1, 7000, 3);
  REQUIRE(recorded.size() >= 5);
  CHECK(std::int64_t(frames.size()) == recorder.evaluations());

  struct Setting {
    float threshold;
    int min_consecutive;
    double refractory;
  };
  const Setting settings[] = {{0.12f, 1, 0.3}, {0.2f, 1, 0.3}, {0.15f, 3, 0.5}, {0.1f, 2, 1.5}};
  for (const Setting& setting : settings) {
    CAPTURE(setting.threshold);
    CAPTURE(setting.min_consecutive);
    kws::DetectorOptions options = recorded_options;
    options.default_threshold = setting.threshold;
    options.min_consecutive = setting.min_consecutive;
    options.refractory_seconds = setting.refractory;
    kws::Detector detector(model, options);
    const auto expected = kws::test::run_chunked(detector, signal, signal.size(), signal.size(), 1);
    kws::EventPolicy policy(model, options);
    std::vector<kws::test::Event> replayed;
    for (std::size_t e = 0; e < frames.size(); ++e) {
      const float* s = trace.data() + e * 12;
      const int fired = policy.update(s, frames[e]);
      if (fired >= 0) replayed.push_back({fired, s[fired], starts[e], ends[e]});
    }
    CHECK(replayed == expected);
  }
  // The callback's fired_label is the recorded detector's events.
  std::vector<int> labels;
  for (int f : fired_at)
    if (f >= 0) labels.push_back(f);
  REQUIRE(labels.size() == recorded.size());
  for (std::size_t i = 0; i < labels.size(); ++i) CHECK(labels[i] == recorded[i].label);
}
