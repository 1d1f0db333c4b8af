// Whole-clip classification: PCM of any rate in, one posterior per label out.
//
// The clip is resampled to the model's rate and its features computed exactly as in training.
// A clip shorter than the model's window is zero-padded equally on both sides to the window (as
// the training recipe pads short recordings); a longer one is scanned with windows every
// `stride_seconds`, and the window most confident that it holds a keyword (highest posterior of
// a label not starting with '_') is reported.
//
// A Classifier owns an Engine, so one thread uses it at a time; many may share one Model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kws/engine.hpp"
#include "kws/model.hpp"

namespace kws {

struct ClassifierOptions {
  double stride_seconds = 0.1;  // window step for clips longer than the model's window
  Backend backend = fastest_backend();
};

struct Classification {
  int best = -1;                   // index of the most probable label
  std::vector<float> scores;       // softmax posteriors, one per label
  std::int64_t window_start = 0;   // first sample of the reported window, at the input rate
  std::int64_t window_end = 0;     // one past its last sample (clipped to the clip)
};

class Classifier {
 public:
  explicit Classifier(Model model, const ClassifierOptions& options = {});
  ~Classifier();
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;

  // samples: mono PCM, float in [-1, 1], at sample_rate Hz. Throws InvalidArgument for an empty
  // clip or a sample rate outside [kMinSampleRate, kMaxSampleRate] (audio.hpp).
  Classification classify(const float* samples, std::size_t count, int sample_rate);
  Classification classify(const std::vector<float>& samples, int sample_rate) {
    return classify(samples.data(), samples.size(), sample_rate);
  }

  const Model& model() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Softmax in place (numerically stable); the posteriors every libkws API reports.
void softmax(float* values, std::size_t count);

}  // namespace kws
