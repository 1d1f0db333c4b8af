// Streaming keyword detection: push PCM as it arrives, get one event per spoken keyword.
//
// A Detector owns everything one audio stream needs: a resampler (when the stream's rate is not
// the model's), a StreamingFeatureExtractor (new frames only), a ring of the last window's
// frames, an Engine, and the posterior history. Every `stride` of audio it evaluates the model
// on the last `window` of frames (the reference BC-ResNet pads its temporal convolutions
// symmetrically and averages over the whole window, so it cannot run on a frame at a time;
// sliding-window re-evaluation is the faithful way to stream it). Posteriors are averaged over
// `smoothing`; a keyword fires when its smoothed score reaches its threshold for
// `min_consecutive` evaluations in a row. Then nothing fires for `refractory`, and the same
// keyword fires again only after its score has dropped below its threshold (one utterance, one
// event, however long the word stays in the window).
//
// Determinism: evaluations happen at fixed frame counts, so the same audio gives the same events
// whatever the chunking (tested with random chunk sizes from 1 sample to 10 s). After
// construction, push() and finish() allocate nothing (tested with a counting allocator).
//
// A Detector is used by one thread at a time; many Detectors may share one Model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kws/engine.hpp"
#include "kws/model.hpp"

namespace kws {

struct DetectorOptions {
  // Rate of the pushed PCM in Hz; 0 = the model's rate. Other rates are resampled (libsoxr).
  int sample_rate = 0;
  // Analysis window; 0 = the model's input_frames (1 s in the recipe).
  double window_seconds = 0.0;
  // Evaluation cadence (rounded to whole feature hops, at least one hop).
  double stride_seconds = 0.1;
  // Posteriors are averaged over the evaluations in this span (at least one evaluation).
  double smoothing_seconds = 0.3;
  // Per-label thresholds on the smoothed posterior; labels not listed take the model file's
  // threshold, else default_threshold.
  std::map<std::string, float> thresholds;
  float default_threshold = 0.5f;
  // One knob over all thresholds: the effective threshold is threshold^(2 * sensitivity), so
  // 0.5 leaves them as they are, 1 squares them (more detections) and values towards 0 raise
  // them towards 1 (fewer). Range [0, 1].
  double sensitivity = 0.5;
  // After an event, no event for this long (of stream time). 0.5 s lets the next word of a
  // quick run of commands ("yes. no. up. down.", 0.65 s apart) fire; the same keyword re-fires
  // only after its score has dropped anyway.
  double refractory_seconds = 0.5;
  // Evaluations in a row at or above threshold before an event fires. 3 (TFLM's
  // RecognizeCommands' minimum count) missed fewest keywords at 1 false alarm per hour of a
  // stream of real speakers (README, the commands_en model card).
  int min_consecutive = 3;
  // Labels that never fire: those starting with '_' (e.g. _silence_, _unknown_) when true.
  bool ignore_underscore_labels = true;
  Backend backend = fastest_backend();
};

// One detected keyword. Sample positions count from the start of the stream (or the last
// reset()) at the pushed sample rate; [start_sample, end_sample) is the audio the firing window's
// features were computed from (with centred frames, n_fft / 2 beyond the outer frame centres,
// clipped to the stream). The event is delivered once end_sample has been pushed.
struct Detection {
  int label_index = -1;
  const std::string* label = nullptr;  // owned by the Model; valid as long as it is
  float score = 0.0f;                  // smoothed posterior in [0, 1]
  std::int64_t start_sample = 0;
  std::int64_t end_sample = 0;
};

// One model evaluation of the stream, for callers that plot live scores or sweep thresholds (an
// EventPolicy run over recorded evaluations gives the events the detector would give at any
// firing setting).
struct Evaluation {
  std::int64_t index = 0;         // since construction or reset(), from 0
  std::int64_t frame = 0;         // feature frames of the stream so far: EventPolicy::update's clock
  std::int64_t start_sample = 0;  // the window's audio, as in Detection
  std::int64_t end_sample = 0;
  const float* scores = nullptr;  // num_classes smoothed posteriors; valid during the call only
  int num_classes = 0;
  int fired_label = -1;           // label index of the event this evaluation fires, or -1
};
using EvaluationCallback = std::function<void(const Evaluation&)>;

namespace detail {
// What Detector and Spotter share: push() and finish() with any callable, called for each event
// in stream order before the call returns (no std::function, no allocation), or collecting the
// events into a vector (which allocates). `Stream` provides push_samples() and finish_stream().
template <class Stream>
class DetectionStream {
 public:
  using Sink = void (*)(void* context, const Detection& detection);

  // Feeds `count` samples (float in [-1, 1], or int16); count == 0 is a no-op.
  template <class OnDetection>
  void push(const float* samples, std::size_t count, OnDetection&& on_detection) {
    self().push_samples(samples, count, &invoke<OnDetection>, &on_detection);
  }
  template <class OnDetection>
  void push(const std::int16_t* samples, std::size_t count, OnDetection&& on_detection) {
    self().push_samples(samples, count, &invoke<OnDetection>, &on_detection);
  }
  std::vector<Detection> push(const float* samples, std::size_t count) {
    std::vector<Detection> events;
    push(samples, count, [&](const Detection& d) { events.push_back(d); });
    return events;
  }
  std::vector<Detection> push(const std::vector<float>& samples) { return push(samples.data(), samples.size()); }

  // Ends the stream and delivers what is left; call reset() to start a new one.
  template <class OnDetection>
  void finish(OnDetection&& on_detection) {
    self().finish_stream(&invoke<OnDetection>, &on_detection);
  }
  std::vector<Detection> finish() {
    std::vector<Detection> events;
    finish([&](const Detection& d) { events.push_back(d); });
    return events;
  }

 protected:
  ~DetectionStream() = default;

 private:
  template <class F>
  static void invoke(void* context, const Detection& detection) {
    (*static_cast<std::remove_reference_t<F>*>(context))(detection);
  }
  Stream& self() { return static_cast<Stream&>(*this); }
};
}  // namespace detail

class Detector : public detail::DetectionStream<Detector> {
 public:
  // Throws InvalidArgument for out-of-range options or thresholds naming unknown labels.
  explicit Detector(Model model, const DetectorOptions& options = {});
  ~Detector();
  Detector(Detector&&) noexcept;
  Detector& operator=(Detector&&) noexcept;

  // push(samples, count, on_detection) and finish(on_detection) (detail::DetectionStream): each
  // event is passed to on_detection(const Detection&), in stream order, before the call returns;
  // push(samples, count) and finish() return them instead. finish() flushes the resampler and
  // the features' end padding and evaluates what is left; a stream shorter than one window is
  // evaluated once on what it has. Call reset() to start a new stream.

  // Called after every evaluation, on the pushing thread, before the event it fires (if any) is
  // delivered; an empty callback stops the calls. Setting it allocates (std::function); the calls
  // do not.
  void set_evaluation_callback(EvaluationCallback callback);

  // Forgets the stream; sample positions restart at 0. Keeps the detector's buffers (a resampling
  // detector's libsoxr state re-primes on the next samples, which allocates once).
  void reset();

  const Model& model() const;
  const DetectorOptions& options() const;
  int sample_rate() const;          // of pushed PCM
  int window_frames() const;
  int stride_frames() const;
  // Effective threshold per label (after sensitivity); > 1 for labels that never fire.
  const std::vector<float>& thresholds() const;
  // Samples pushed since construction or reset(), at sample_rate().
  std::int64_t samples_pushed() const;
  // Model evaluations since construction or reset().
  std::int64_t evaluations() const;
  // Smoothed posteriors after the latest evaluation (num_classes values; zeros before the first).
  const std::vector<float>& scores() const;

 private:
  friend class detail::DetectionStream<Detector>;
  void push_samples(const float* samples, std::size_t count, Sink sink, void* context);
  void push_samples(const std::int16_t* samples, std::size_t count, Sink sink, void* context);
  void finish_stream(Sink sink, void* context);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kws
