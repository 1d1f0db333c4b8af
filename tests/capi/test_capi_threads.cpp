// Thread safety as kws.h documents it: one model shared read-only by many threads, each with its
// own detectors, classifiers and spotters; concurrent create/free and classify on the shared model. Run under TSan by the
// tsan preset. Uses only the C API.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "kws.h"
#include "test_support.hpp"

namespace {

struct Event {
  int32_t label;
  float score;
  int64_t start, end;
  bool operator==(const Event& o) const {
    return label == o.label && score == o.score && start == o.start && end == o.end;
  }
};

std::vector<Event> detect(const kws_model* model, const std::vector<float>& signal, std::size_t chunk) {
  kws_detector_params params;
  kws_detector_params_init(&params);
  params.default_threshold = 0.12f;
  params.refractory_seconds = 0.3f;
  kws_detector* detector = nullptr;
  REQUIRE(kws_detector_create(model, &params, &detector) == KWS_OK);
  for (std::size_t at = 0; at < signal.size(); at += chunk)
    REQUIRE(kws_detector_push(detector, signal.data() + at, std::min(chunk, signal.size() - at)) == KWS_OK);
  REQUIRE(kws_detector_finish(detector) == KWS_OK);
  std::vector<Event> events;
  kws_detection d;
  d.size = sizeof d;
  int32_t available = 0;
  while (kws_detector_next(detector, &d, &available) == KWS_OK && available)
    events.push_back({d.label_index, d.score, d.start_sample, d.end_sample});
  kws_detector_free(detector);
  return events;
}

const std::string model_path = (kws::test::source_dir() / "model" / "golden" / "bcresnet_tau1.kws").string();

}  // namespace

TEST_CASE("8 threads with their own detectors over one shared model agree with one thread") {
  kws_model* model = nullptr;
  REQUIRE(kws_model_load(model_path.c_str(), &model) == KWS_OK);
  constexpr int kThreads = 8;
  std::vector<std::vector<float>> signals;
  std::vector<std::vector<Event>> expected;
  for (int t = 0; t < kThreads; ++t) {
    signals.push_back(kws::test::random_signal(16000 * 5, 100 + t, 0.3f));
    expected.push_back(detect(model, signals.back(), 16000 * 5));
  }
  std::vector<std::vector<Event>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] { got[t] = detect(model, signals[t], 333 + 100 * t); });
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    CAPTURE(t);
    CHECK(!expected[t].empty());
    CHECK(got[t] == expected[t]);
  }
  kws_model_free(model);
}

TEST_CASE("concurrent load, classify, create and free do not race") {
  kws_model* shared = nullptr;
  REQUIRE(kws_model_load(model_path.c_str(), &shared) == KWS_OK);
  const std::vector<float> clip = kws::test::random_signal(16000, 3, 0.3f);
  std::vector<float> reference(12);
  REQUIRE(kws_classify(shared, clip.data(), clip.size(), 16000, nullptr, reference.data(), 12, nullptr) == KWS_OK);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 6; ++i) {
        kws_model* own = nullptr;
        kws_detector* detector = nullptr;
        std::vector<float> scores(12);
        if (kws_model_load(model_path.c_str(), &own) != KWS_OK) ++failures;
        if (kws_detector_create((t + i) % 2 ? own : shared, nullptr, &detector) != KWS_OK) ++failures;
        kws_model_free(own);  // the detector keeps its model alive
        if (kws_detector_push(detector, clip.data(), clip.size()) != KWS_OK) ++failures;
        if (kws_classify(shared, clip.data(), clip.size(), 16000, nullptr, scores.data(), 12, nullptr) != KWS_OK ||
            scores != reference)
          ++failures;
        // Errors are per thread: a failure here must not leak into another thread's message.
        if (kws_model_load(nullptr, &own) != KWS_ERROR_INVALID_ARGUMENT ||
            std::string(kws_last_error()).find("path") == std::string::npos)
          ++failures;
        kws_detector_free(detector);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures.load() == 0);
  kws_model_free(shared);
}

TEST_CASE("8 threads with a classifier each over one shared model agree with kws_classify") {
  kws_model* model = nullptr;
  REQUIRE(kws_model_load(model_path.c_str(), &model) == KWS_OK);
  constexpr int kThreads = 8;
  std::vector<std::vector<float>> clips, expected;
  for (int t = 0; t < kThreads; ++t) {
    clips.push_back(kws::test::random_signal(8000 + 4000 * t, 200 + t, 0.3f));
    expected.emplace_back(12);
    REQUIRE(kws_classify(model, clips[t].data(), clips[t].size(), 16000, nullptr, expected[t].data(), 12, nullptr) ==
            KWS_OK);
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      kws_classifier* classifier = nullptr;
      if (kws_classifier_create(model, nullptr, &classifier) != KWS_OK) {
        ++failures;
        return;
      }
      std::vector<float> scores(12);
      for (int i = 0; i < 4; ++i) {
        const int clip = (t + i) % kThreads;
        if (kws_classifier_run(classifier, clips[clip].data(), clips[clip].size(), 16000, scores.data(), 12,
                               nullptr) != KWS_OK ||
            scores != expected[clip])
          ++failures;
      }
      kws_classifier_free(classifier);
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures.load() == 0);
  kws_model_free(model);
}

namespace {

std::vector<Event> spot(const kws_model* model, const kws_keyword* keywords, std::size_t count,
                        const std::vector<float>& signal, std::size_t chunk) {
  kws_spotter* spotter = nullptr;
  REQUIRE(kws_spotter_create(model, keywords, count, nullptr, &spotter) == KWS_OK);
  for (std::size_t at = 0; at < signal.size(); at += chunk)
    REQUIRE(kws_spotter_push(spotter, signal.data() + at, std::min(chunk, signal.size() - at)) == KWS_OK);
  REQUIRE(kws_spotter_finish(spotter) == KWS_OK);
  std::vector<Event> events;
  kws_detection d;
  d.size = sizeof d;
  int32_t available = 0;
  while (kws_spotter_next(spotter, &d, &available) == KWS_OK && available)
    events.push_back({d.label_index, d.score, d.start_sample, d.end_sample});
  kws_spotter_free(spotter);
  return events;
}

}  // namespace

TEST_CASE("4 threads with their own spotters over one shared CTC model agree with one thread") {
  const std::string path = (kws::test::source_dir() / "model" / "golden" / "ctc" / "phonemes_tau1.kws").string();
  kws_model* model = nullptr;
  REQUIRE(kws_model_load(path.c_str(), &model) == KWS_OK);
  const std::vector<float> signal = kws::test::random_signal(16000 * 4, 7, 0.4f);
  // Keywords from the signal's own transcript: three tokens from every fourth.
  std::vector<char> text(8192);
  std::size_t length = 0;
  REQUIRE(kws_transcribe(model, signal.data(), signal.size(), 16000, nullptr, text.data(), text.size(), &length) ==
          KWS_OK);
  std::vector<std::string> tokens;
  std::string token;
  for (const char ch : std::string(text.data(), length) + " ") {
    if (ch == ' ') {
      tokens.push_back(token);
      token.clear();
    } else {
      token += ch;
    }
  }
  std::vector<std::string> phrases;
  for (std::size_t i = 0; i + 3 <= tokens.size(); i += 4) phrases.push_back(tokens[i] + " " + tokens[i + 1] + " " + tokens[i + 2]);
  REQUIRE(phrases.size() >= 2);
  std::vector<kws_keyword> keywords(phrases.size());
  for (std::size_t k = 0; k < phrases.size(); ++k) {
    kws_keyword_init(&keywords[k]);
    keywords[k].phonemes = phrases[k].c_str();
    keywords[k].threshold = 0.9f;
  }
  const std::vector<Event> expected = spot(model, keywords.data(), keywords.size(), signal, signal.size());
  CHECK(!expected.empty());
  std::vector<std::vector<Event>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] { got[std::size_t(t)] = spot(model, keywords.data(), keywords.size(), signal, 500 + 333 * std::size_t(t)); });
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) CHECK(got[std::size_t(t)] == expected);
  kws_model_free(model);
}
