// The streaming spotter: per-frame posteriors equal to one forward pass over the whole stream,
// events independent of chunking and rate handling, keyword resolution and its errors, the
// phonemizer against kws_training's rule, and greedy transcription.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "kws/error.hpp"
#include "kws/features.hpp"
#include "kws/phonemizer.hpp"
#include "model/architecture.hpp"
#include "spotter/frame_logits.hpp"
#include "spotter_support.hpp"

namespace {

std::vector<float> collect_stream(kws::detail::FrameLogits& stream, const kws::FeatureMatrix& features) {
  std::vector<float> out;
  auto sink = [](void* context, const float* logits) {
    auto& self = *static_cast<std::pair<std::vector<float>*, int>*>(context);
    self.first->insert(self.first->end(), logits, logits + self.second);
  };
  std::pair<std::vector<float>*, int> context{&out, stream.model().num_classes()};
  std::vector<float> frame(features.rows);
  for (std::size_t t = 0; t < features.cols; ++t) {
    for (std::size_t b = 0; b < features.rows; ++b) frame[b] = features.values[b * features.cols + t];
    stream.push(frame.data(), sink, &context);
  }
  stream.finish(sink, &context);
  return out;  // [frames][classes]
}

// One forward pass over all the frames: [frames][classes].
std::vector<float> whole_pass(const kws::Model& model, const kws::FeatureMatrix& features) {
  kws::EngineOptions options;
  options.backend = kws::Backend::reference;
  options.max_frames = int(features.cols);
  kws::Engine engine(model, options);
  const std::size_t classes = std::size_t(model.num_classes()), frames = features.cols;
  std::vector<float> out(classes * frames), transposed(out.size());
  engine.run_frames(features.values.data(), 1, int(frames), out.data());
  for (std::size_t c = 0; c < classes; ++c)
    for (std::size_t t = 0; t < frames; ++t) transposed[t * classes + c] = out[c * frames + t];
  return transposed;
}

struct Event {
  int keyword;
  float score;
  std::int64_t start, end;
  bool operator==(const Event& o) const {
    return keyword == o.keyword && score == o.score && start == o.start && end == o.end;
  }
};

// The events of `audio` pushed in random chunks (seed 0: all at once).
std::vector<Event> spot(kws::Spotter& spotter, const std::vector<float>& audio, unsigned seed) {
  std::vector<Event> events;
  auto record = [&](const kws::Detection& d) {
    CHECK(*d.label == spotter.keywords()[std::size_t(d.label_index)].name);
    events.push_back({d.label_index, d.score, d.start_sample, d.end_sample});
  };
  std::mt19937 rng(seed);
  for (std::size_t at = 0; at < audio.size();) {
    const std::size_t n = seed == 0 ? audio.size() : std::min<std::size_t>(1 + rng() % 9000, audio.size() - at);
    spotter.push(audio.data() + at, n, record);
    at += n;
  }
  spotter.finish(record);
  return events;
}

}  // namespace

TEST_CASE("the receptive radius follows from the architecture: 58 frames") {
  CHECK(kws::detail::temporal_receptive_radius() == 58);
}

TEST_CASE("streamed per-frame logits equal one forward pass over the whole stream") {
  const kws::Model model = kws::test::ctc_test_model();
  const kws::FeatureMatrix features =
      kws::FeatureExtractor(model.feature_config()).compute(kws::test::ctc_test_audio());
  REQUIRE(features.cols > 400);
  const std::vector<float> expected = whole_pass(model, features);
  float scale = 1.0f;
  for (float v : expected) scale = std::max(scale, std::fabs(v));
  for (int window : {0, 117, 200, 301, 1000}) {
    CAPTURE(window);
    kws::detail::FrameLogits stream(model, kws::Backend::reference, window);
    const std::vector<float> got = collect_stream(stream, features);
    REQUIRE(got.size() == expected.size());
    const float diff = kws::test::max_abs_difference(got.data(), expected.data(), got.size());
    INFO("max |diff| " << diff << ", scale " << scale);
    CHECK(diff <= 1e-5f * scale);
    // And again after reset(): the stream starts over.
    stream.reset();
    CHECK(collect_stream(stream, features) == got);
  }
  CHECK_THROWS_AS(kws::detail::FrameLogits(model, kws::Backend::reference, 116), kws::InvalidArgument);
}

TEST_CASE("the spotter finds keywords the model hears, with the same events for any chunking") {
  const kws::Model model = kws::test::ctc_test_model();
  for (int rate : {16000, 44100}) {
    CAPTURE(rate);
    const std::vector<float> audio = kws::test::ctc_test_audio(rate);
    const std::vector<kws::Keyword> keywords = kws::test::heard_keywords(model, kws::test::ctc_test_audio(), 3, 4);
    REQUIRE(keywords.size() >= 3);
    kws::SpotterOptions options;
    options.sample_rate = rate;
    options.backend = kws::Backend::reference;
    kws::Spotter spotter(model, keywords, options);
    CHECK(spotter.window_frames() == 301);
    CHECK(spotter.stride_frames() == 301 - 2 * 58);
    const std::vector<Event> whole = spot(spotter, audio, 0);
    CHECK(spotter.samples_pushed() == std::int64_t(audio.size()));
    // At the model's rate every keyword is its own best path somewhere in the recording (the
    // resampled stream differs from the clip the transcript was made of in the last bits).
    for (std::size_t k = 0; k < keywords.size() && rate == 16000; ++k)
      CHECK(std::any_of(whole.begin(), whole.end(), [&](const Event& e) { return e.keyword == int(k); }));
    CHECK(!whole.empty());
    for (const Event& e : whole) {
      CHECK(e.score >= 0.9f);
      CHECK(e.score <= 1.0f);
      CHECK(e.start >= 0);
      CHECK(e.start < e.end);
      CHECK(e.end <= std::int64_t(audio.size()));
    }
    for (unsigned seed : {1u, 2u, 3u}) {
      spotter.reset();
      CHECK(spot(spotter, audio, seed) == whole);
    }
    // int16 gives the events of the same samples as float.
    std::vector<std::int16_t> pcm(audio.size());
    std::vector<float> rounded(audio.size());
    for (std::size_t i = 0; i < audio.size(); ++i) {
      pcm[i] = std::int16_t(std::lround(std::clamp(audio[i], -1.0f, 32767.0f / 32768.0f) * 32768.0f));
      rounded[i] = float(pcm[i]) / 32768.0f;
    }
    spotter.reset();
    std::vector<Event> from_pcm;
    spotter.push(pcm.data(), pcm.size(), [&](const kws::Detection& d) {
      from_pcm.push_back({d.label_index, d.score, d.start_sample, d.end_sample});
    });
    spotter.finish([&](const kws::Detection& d) {
      from_pcm.push_back({d.label_index, d.score, d.start_sample, d.end_sample});
    });
    spotter.reset();
    CHECK(spot(spotter, rounded, 0) == from_pcm);
  }
}

TEST_CASE("the spotter's events are those of the whole-clip posteriors: transcribe agrees") {
  // A keyword's frames from the spotter lie where the transcript has its tokens: both read the
  // same per-frame posteriors.
  const kws::Model model = kws::test::ctc_test_model("2");
  const std::vector<float> audio = kws::test::ctc_test_audio();
  const kws::Transcript transcript = kws::transcribe(model, audio.data(), audio.size(), 16000);
  REQUIRE(!transcript.tokens.empty());
  // The greedy decoding of one whole forward pass.
  const kws::FeatureMatrix features = kws::FeatureExtractor(model.feature_config()).compute(audio);
  const std::vector<float> logits = whole_pass(model, features);
  const std::size_t classes = std::size_t(model.num_classes());
  std::vector<int> greedy;
  int previous = -1;
  for (std::size_t t = 0; t < features.cols; ++t) {
    const float* row = logits.data() + t * classes;
    const int best = int(std::max_element(row, row + classes) - row);
    if (best != previous && best != 0) greedy.push_back(best);
    previous = best;
  }
  CHECK(transcript.tokens == greedy);
  std::string phonemes;
  for (int token : greedy) phonemes += (phonemes.empty() ? "" : " ") + model.labels()[std::size_t(token)];
  CHECK(transcript.phonemes == phonemes);
  kws::Spotter spotter(model, kws::test::heard_keywords(model, audio, 4, 5));
  CHECK(!spot(spotter, audio, 0).empty());
}

TEST_CASE("keywords are checked against the model's tokens, with clear errors") {
  const kws::Model model = kws::test::ctc_test_model();
  auto message = [&](const std::vector<kws::Keyword>& keywords, const kws::SpotterOptions& options = {}) {
    try {
      kws::Spotter spotter(model, keywords, options);
    } catch (const kws::Error& error) {
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  kws::Keyword unknown;
  unknown.phonemes = "k @ XX m YY";
  const std::string text = message({unknown});
  CHECK(text.find("XX YY") != std::string::npos);
  CHECK(text.find("the model's tokens: 0 3 3:") != std::string::npos);
  CHECK(message({}).find("no keywords") != std::string::npos);
  kws::Keyword both;
  both.text = "computer";
  both.phonemes = "k @";
  CHECK(message({both}).find("exactly one of text and phonemes") != std::string::npos);
  CHECK(message({kws::Keyword{}}).find("exactly one") != std::string::npos);
  kws::Keyword blank;
  blank.phonemes = "k _blank_ @";
  CHECK(message({blank}).find("_blank_") != std::string::npos);
  kws::Keyword fine;
  fine.phonemes = "k @ m";
  fine.threshold = 1.5f;
  CHECK(message({fine}).find("threshold") != std::string::npos);
  fine.threshold.reset();
  fine.boost = 20.0f;
  CHECK(message({fine}).find("boost") != std::string::npos);
  fine.boost = 0.0f;
  kws::SpotterOptions small;
  small.window_frames = 100;
  CHECK(message({fine}, small).find("receptive radius") != std::string::npos);
  kws::SpotterOptions bad_rate;
  bad_rate.sample_rate = 7;
  CHECK(message({fine}, bad_rate).find("sample_rate") != std::string::npos);
  kws::SpotterOptions bad_threshold;
  bad_threshold.default_threshold = 0.0f;
  CHECK(message({fine}, bad_threshold).find("default_threshold") != std::string::npos);
  // A classifier is refused, naming the API that fits.
  const kws::Model classifier =
      kws::Model::load((kws::test::source_dir() / "model" / "golden" / "bcresnet_tau1.kws").string());
  try {
    kws::Spotter spotter(classifier, {fine});
    FAIL("a classifier model was accepted");
  } catch (const kws::InvalidArgument& error) {
    CHECK(std::string(error.what()).find("kws::Detector") != std::string::npos);
  }
  CHECK_THROWS_AS(kws::transcribe(classifier, std::vector<float>(1600).data(), 1600, 16000), kws::InvalidArgument);
  CHECK_THROWS_AS(kws::transcribe(model, nullptr, 0, 16000), kws::InvalidArgument);
  // Names: the text or phonemes unless given; thresholds: the default unless given.
  kws::Spotter spotter(model, {fine});
  CHECK(spotter.keywords()[0].name == "k @ m");
  CHECK(spotter.keywords()[0].tokens == std::vector<std::string>{"k", "@", "m"});
  CHECK(spotter.keywords()[0].threshold == kws::SpotterOptions{}.default_threshold);
}

TEST_CASE("text keywords are phonemised as kws_training's phonemes() does") {
  const kws::Model model = kws::test::ctc_test_model();
  if (!kws::phonemizer_available()) {
    kws::Keyword text;
    text.text = "computer";
    try {
      kws::Spotter spotter(model, {text});
      FAIL("a text keyword was accepted without libespeak-ng");
    } catch (const kws::Error& error) {
      CHECK(error.code() == kws::ErrorCode::unsupported_format);
      CHECK(std::string(error.what()).find("libespeak-ng") != std::string::npos);
    }
    MESSAGE("libkws built without libespeak-ng; the comparison is skipped");
    return;
  }
  std::ifstream in((kws::test::source_dir() / "model" / "golden" / "ctc" / "phonemes.json").string());
  REQUIRE(in);
  const nlohmann::json golden = nlohmann::json::parse(in);
  REQUIRE(golden["phrases"].size() >= 50);
  for (const auto& phrase : golden["phrases"]) {
    const std::string text = phrase["text"].get<std::string>();
    CAPTURE(text);
    CHECK(kws::phonemize(model.phonemizer(), text) == phrase["tokens"].get<std::vector<std::string>>());
  }
  kws::Keyword computer;
  computer.text = "computer";
  kws::Keyword jarvis;
  jarvis.text = "hey jarvis";
  jarvis.name = "jarvis";
  kws::Spotter spotter(model, {computer, jarvis});
  CHECK(spotter.keywords()[0].name == "computer");
  CHECK(spotter.keywords()[0].tokens == std::vector<std::string>{"k", "@", "m", "p", "j", "u:", "t#", "3"});
  CHECK(spotter.keywords()[1].name == "jarvis");
  CHECK_THROWS_AS(kws::phonemize(model.phonemizer(), " ,.! "), kws::InvalidArgument);
  kws::PhonemizerSpec other = model.phonemizer();
  other.voice = "xx-nonexistent";
  CHECK_THROWS_AS(kws::phonemize(other, "hello"), kws::InvalidArgument);
  CHECK(kws::phonemize(model.phonemizer(), "hello").size() == 4);  // the voice is restored
  other = model.phonemizer();
  other.notation = "ipa";
  try {
    kws::phonemize(other, "hello");
    FAIL("an unsupported notation was accepted");
  } catch (const kws::Error& error) {
    CHECK(error.code() == kws::ErrorCode::unsupported_format);
  }
}

TEST_CASE("phonemize() may be called from several threads at once (one mutex around libespeak-ng)") {
  if (!kws::phonemizer_available()) return;
  const kws::Model model = kws::test::ctc_test_model();
  const std::vector<std::string> words = {"computer", "hey jarvis", "alexa", "good morning"};
  std::vector<std::vector<std::string>> expected;
  for (const std::string& word : words) expected.push_back(kws::phonemize(model.phonemizer(), word));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        const std::size_t w = std::size_t(t + round) % words.size();
        if (kws::phonemize(model.phonemizer(), words[w]) != expected[w]) ++mismatches[std::size_t(t)];
      }
    });
  for (std::thread& thread : threads) thread.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}
