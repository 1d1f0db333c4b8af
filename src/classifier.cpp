// Classifier: resample, pad or scan, features, Engine, softmax.
#include "kws/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "kws/audio.hpp"
#include "kws/error.hpp"
#include "kws/features.hpp"
#include "model/architecture.hpp"
#include "sample_rate.hpp"

namespace kws {

void softmax(float* values, std::size_t count) {
  if (count == 0) return;
  const float peak = *std::max_element(values, values + count);
  double sum = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    values[i] = std::exp(values[i] - peak);
    sum += values[i];
  }
  const float inv = float(1.0 / sum);
  for (std::size_t i = 0; i < count; ++i) values[i] *= inv;
}

struct Classifier::Impl {
  Model model;
  ClassifierOptions options;
  Engine engine;
  FeatureExtractor extractor;
  FeatureMatrix features;
  std::vector<float> window, logits;
  std::vector<bool> keyword;  // labels that count as "a keyword is here" when scanning

  Impl(Model m, const ClassifierOptions& o)
      : model(std::move(m)), options(o), engine(model, engine_options(model, o)), extractor(model.feature_config()) {
    if (!(options.stride_seconds > 0.0 && options.stride_seconds <= 60.0))
      throw InvalidArgument("ClassifierOptions.stride_seconds must be in (0, 60]");
    for (const std::string& label : model.labels()) keyword.push_back(label.empty() || label[0] != '_');
    if (std::none_of(keyword.begin(), keyword.end(), [](bool k) { return k; })) keyword.assign(keyword.size(), true);
  }

  static EngineOptions engine_options(const Model& model, const ClassifierOptions& o) {
    detail::require_model_kind(model, false, "Classifier");  // before any work
    EngineOptions e;
    e.backend = o.backend;
    return e;
  }

  // Samples that give exactly `frames` frames.
  std::size_t samples_for_frames(int frames) const {
    const FeatureConfig& c = model.feature_config();
    const std::size_t span = std::size_t(frames - 1) * std::size_t(c.hop_length);
    return c.center ? span : span + std::size_t(c.n_fft);
  }

  Classification classify(const float* samples, std::size_t count, int sample_rate) {
    if (samples == nullptr && count > 0) throw InvalidArgument("Classifier::classify: samples is null");
    if (count == 0) throw InvalidArgument("Classifier::classify: empty clip");
    detail::require_sample_rate("Classifier::classify", sample_rate);
    const FeatureConfig& config = model.feature_config();
    // A copy even at the model's rate: short clips are padded in place below.
    std::vector<float> audio = resample(samples, count, sample_rate, config.sample_rate);
    const int frames_needed = engine.max_frames();
    const std::size_t needed = samples_for_frames(frames_needed);
    std::int64_t offset = 0;  // model-rate sample of audio[0] in the original clip
    if (audio.size() < needed) {
      const std::size_t left = (needed - audio.size()) / 2;
      audio.insert(audio.begin(), left, 0.0f);
      audio.resize(needed, 0.0f);
      offset = -std::int64_t(left);
    }
    extractor.compute(audio.data(), audio.size(), features);
    const int total = int(features.cols);
    const int bins = int(features.rows);
    const int stride = std::max(1, int(std::lround(options.stride_seconds * config.sample_rate / config.hop_length)));

    Classification result;
    const std::size_t classes = std::size_t(model.num_classes());
    window.resize(std::size_t(bins) * std::size_t(frames_needed));
    logits.resize(classes);
    float best_keyword = -1.0f;
    for (int start = 0;; start += stride) {
      start = std::min(start, std::max(0, total - frames_needed));
      const int frames = std::min(frames_needed, total);
      for (int b = 0; b < bins; ++b)
        std::copy_n(features.values.data() + std::size_t(b) * features.cols + std::size_t(start), frames,
                    window.data() + std::size_t(b) * std::size_t(frames));
      engine.run(window.data(), 1, frames, logits.data());
      softmax(logits.data(), classes);
      float keyword_score = 0.0f;
      for (std::size_t k = 0; k < classes; ++k)
        if (keyword[k]) keyword_score = std::max(keyword_score, logits[k]);
      if (keyword_score > best_keyword) {
        best_keyword = keyword_score;
        result.scores = logits;
        const std::int64_t first = std::int64_t(start) * config.hop_length + offset;
        const std::int64_t last = first + std::int64_t(samples_for_frames(frames));
        const double scale = double(sample_rate) / config.sample_rate;
        result.window_start = std::max<std::int64_t>(0, std::llround(first * scale));
        result.window_end = std::min<std::int64_t>(std::int64_t(count), std::llround(last * scale));
      }
      if (start + frames_needed >= total) break;
    }
    result.best = int(std::max_element(result.scores.begin(), result.scores.end()) - result.scores.begin());
    return result;
  }
};

Classifier::Classifier(Model model, const ClassifierOptions& options)
    : impl_(std::make_unique<Impl>(std::move(model), options)) {}
Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

Classification Classifier::classify(const float* samples, std::size_t count, int sample_rate) {
  return impl_->classify(samples, count, sample_rate);
}
const Model& Classifier::model() const { return impl_->model; }

}  // namespace kws
