// Open-vocabulary keyword spotting: keywords given at run time, as words or phonemes, searched
// for in the per-frame phoneme posteriors of a CTC acoustic model (Model::is_ctc()). No training
// run per keyword (sherpa-onnx's keyword spotter is the model for this).
//
// The score. Per frame t the model gives log-probabilities log p_t(k) over its tokens (the blank
// first); the margin m_t(k) = log p_t(k) - max_j log p_t(j) <= 0 says how far token k is from the
// best token of that frame. A keyword y_1..y_L is searched with the CTC topology (a blank between
// tokens, required between repeated ones) by a Viterbi pass over margins that may enter the
// first token at any frame: D_t = the best sum of margins of a path that ends in y_L at frame t.
// The keyword's score is S_t = exp(D_t / L) in (0, 1], the geometric mean over its tokens of the
// path's likelihood ratio against the unconstrained best path: 1 when the keyword is the best
// path, falling as other tokens win its frames. A ratio against the best path needs no language
// model and no per-word calibration to be comparable between keywords.
//
// Firing. When S_t reaches a keyword's threshold the search follows the score to its peak and
// reports the peak once the score has not exceeded it for peak_seconds; the event spans the peak
// path, from the frame it entered the first token to the peak's frame. Then that keyword is
// quiet for refractory_seconds, and its next event must start after this one ended. A keyword's
// boost is added to the path on entering each token (sherpa-onnx's per-token boost); as every
// complete path enters its L tokens, it multiplies the score by e^boost (capped at 1), i.e.
// lowers the effective threshold.
//
// Streaming. The network sees windows of window_frames frames every window_frames - 2 R frames
// (R = 58, the network's temporal receptive radius) and keeps each window's central frames, so
// every frame's posteriors equal those of one forward pass over the whole stream, and the events
// do not depend on the chunking. A frame is scored at most window_frames - R frames after it
// arrived (the latency: 2.4 s at the recipe's 301; a smaller window lowers it at more
// computation per second). After construction push() and finish() allocate nothing with the
// reference and eigen backends.
//
// A Spotter is used by one thread at a time; many Spotters may share one Model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kws/detector.hpp"
#include "kws/engine.hpp"
#include "kws/model.hpp"

namespace kws {

// One keyword. Give exactly one of text and phonemes.
struct Keyword {
  // Words, e.g. "hey jarvis": turned into tokens with the model's phonemizer (kws/phonemizer.hpp;
  // needs libespeak-ng).
  std::string text;
  // Or the tokens themselves, separated by spaces, e.g. "h eI dZ A@ v I s": each must be one of
  // the model's labels (not the blank).
  std::string phonemes;
  // Reported in events; empty: the text, else the phonemes.
  std::string name;
  // On the score, in (0, 1]; unset: SpotterOptions::default_threshold.
  std::optional<float> threshold;
  // Per-token bonus (log domain), in [-10, 10]; positive values fire more readily.
  float boost = 0.0f;
};

struct SpotterOptions {
  // Rate of the pushed PCM in Hz; 0 = the model's rate. Other rates are resampled (libsoxr).
  int sample_rate = 0;
  // Frames per network evaluation; 0 = the model's input_frames. Must exceed 2 R = 116.
  int window_frames = 0;
  // The threshold of keywords that set none.
  float default_threshold = 0.5f;
  // After an event the same keyword is quiet this long (stream time); others are not affected.
  double refractory_seconds = 0.5;
  // An event is reported once its score has not risen for this long (its peak).
  double peak_seconds = 0.1;
  Backend backend = fastest_backend();
};

// A keyword as the spotter searches for it.
struct SpotterKeyword {
  std::string name;
  std::vector<std::string> tokens;
  float threshold = 0.0f;
  float boost = 0.0f;
};

class Spotter : public detail::DetectionStream<Spotter> {
 public:
  // Throws InvalidArgument for a model that is not a CTC model, no keywords, a keyword with both
  // or neither of text and phonemes, tokens the model does not have (naming them and the model's
  // inventory), out-of-range options, thresholds or boosts; Error(unsupported_format) for text
  // keywords in a libkws without libespeak-ng.
  Spotter(Model model, const std::vector<Keyword>& keywords, const SpotterOptions& options = {});
  ~Spotter();
  Spotter(Spotter&&) noexcept;
  Spotter& operator=(Spotter&&) noexcept;

  // push(samples, count, on_detection) and finish(on_detection) as Detector's
  // (detail::DetectionStream): in each Detection, label_index is the keyword's index, label its
  // name (owned by the Spotter), score its peak score, [start_sample, end_sample) the audio of
  // the keyword's frames. finish() flushes the resampler, the features' end padding and the
  // frames still in the network's window, and reports what is left.

  // Forgets the stream; sample positions restart at 0.
  void reset();

  const Model& model() const;
  const std::vector<SpotterKeyword>& keywords() const;
  int sample_rate() const;  // of pushed PCM
  int window_frames() const;
  int stride_frames() const;  // window_frames - 2 R
  // Samples pushed since construction or reset(), at sample_rate().
  std::int64_t samples_pushed() const;
  // Frames scored since construction or reset().
  std::int64_t frames_scored() const;
  // Keyword k's score at the latest scored frame (0 before any).
  float score(std::size_t k) const;

 private:
  friend class detail::DetectionStream<Spotter>;
  void push_samples(const float* samples, std::size_t count, Sink sink, void* context);
  void push_samples(const std::int16_t* samples, std::size_t count, Sink sink, void* context);
  void finish_stream(Sink sink, void* context);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kws
