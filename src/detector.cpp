// Detector: resampler -> streaming features -> window ring -> Engine -> smoothing -> events.
#include "kws/detector.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "kws/audio.hpp"
#include "kws/classifier.hpp"
#include "kws/error.hpp"
#include "kws/event_policy.hpp"
#include "kws/features.hpp"
#include "detector_options.hpp"
#include "model/architecture.hpp"
#include "stream_input.hpp"

namespace kws {

using detail::check_range;
using detail::frames_for;

struct Detector::Impl {
  Model model;
  DetectorOptions options;
  int bins = 0, window = 0, stride = 0, smoothing = 1;
  Engine engine;
  detail::StreamInput input_stream;
  std::vector<float> ring;       // [window][bins], slot = frame % window
  std::vector<float> input;      // [bins][window], oldest frame first
  std::vector<float> logits;
  std::vector<float> history;    // [smoothing][classes], slot = evaluation % smoothing
  std::vector<float> smoothed;
  EventPolicy policy;
  EvaluationCallback on_evaluation;
  std::int64_t frames = 0, evaluations = 0, last_evaluated_frame = 0;
  Sink sink = nullptr;
  void* sink_context = nullptr;

  Impl(Model m, const DetectorOptions& o)
      : model(std::move(m)),
        options(o),
        engine(model, make_engine_options(model, o)),
        input_stream(model.feature_config(), o.sample_rate, "Detector"),
        policy(model, o) {
    const FeatureConfig& config = model.feature_config();
    check_range(options.stride_seconds, 0.0, 60.0, "stride_seconds");
    check_range(options.smoothing_seconds, 0.0, 60.0, "smoothing_seconds");
    bins = config.bins();
    window = engine.max_frames();
    stride = std::max(1, frames_for(options.stride_seconds, config));
    smoothing = std::max(
        1, int(std::lround(options.smoothing_seconds / (double(stride) * config.hop_length / config.sample_rate))));

    const int classes = model.num_classes();
    ring.assign(std::size_t(window) * bins, 0.0f);
    input.assign(std::size_t(window) * bins, 0.0f);
    logits.assign(classes, 0.0f);
    history.assign(std::size_t(smoothing) * classes, 0.0f);
    smoothed.assign(classes, 0.0f);
  }

  static EngineOptions make_engine_options(const Model& model, const DetectorOptions& o) {
    detail::require_model_kind(model, false, "Detector");  // before any work
    EngineOptions engine_options;
    engine_options.backend = o.backend;
    if (!(o.window_seconds >= 0.0 && o.window_seconds <= 60.0))
      throw InvalidArgument("DetectorOptions.window_seconds must be in [0, 60]");
    engine_options.max_frames = o.window_seconds > 0.0
                                    ? std::max(1, frames_for(o.window_seconds, model.feature_config()))
                                    : model.input_frames();
    return engine_options;
  }

  void reset() {
    input_stream.reset();
    frames = evaluations = last_evaluated_frame = 0;
    std::fill(smoothed.begin(), smoothed.end(), 0.0f);
    policy.reset();
  }

  static void frame_sink(void* context, const float* frame) { static_cast<Impl*>(context)->on_frame(frame); }

  void on_frame(const float* frame) {
    std::copy(frame, frame + bins, ring.begin() + std::ptrdiff_t(frames % window) * bins);
    ++frames;
    if (frames >= window && (frames - window) % stride == 0) evaluate(window);
  }

  // Runs the model on the last `count` frames (count <= window) and updates the events.
  void evaluate(int count) {
    for (int j = 0; j < count; ++j) {
      const float* frame = ring.data() + std::size_t((frames - count + j) % window) * bins;
      for (int b = 0; b < bins; ++b) input[std::size_t(b) * count + j] = frame[b];
    }
    engine.run(input.data(), 1, count, logits.data());
    softmax(logits.data(), logits.size());
    const std::size_t classes = logits.size();
    std::copy(logits.begin(), logits.end(), history.begin() + std::ptrdiff_t((evaluations % smoothing) * classes));
    ++evaluations;
    last_evaluated_frame = frames;
    const std::int64_t filled = std::min<std::int64_t>(evaluations, smoothing);
    for (std::size_t k = 0; k < classes; ++k) {
      float sum = 0.0f;
      for (std::int64_t e = 0; e < filled; ++e) sum += history[std::size_t(e) * classes + k];
      smoothed[k] = sum / float(filled);
    }

    const std::int64_t start = input_stream.start_sample(frames - count);
    const std::int64_t end = std::max(start, input_stream.end_sample(frames - 1));
    const int fired = policy.update(smoothed.data(), frames);
    if (on_evaluation) {
      Evaluation evaluation;
      evaluation.index = evaluations - 1;
      evaluation.frame = frames;
      evaluation.start_sample = start;
      evaluation.end_sample = end;
      evaluation.scores = smoothed.data();
      evaluation.num_classes = int(classes);
      evaluation.fired_label = fired;
      on_evaluation(evaluation);
    }
    if (fired < 0) return;
    Detection detection;
    detection.label_index = fired;
    detection.label = &model.labels()[std::size_t(fired)];
    detection.score = smoothed[std::size_t(fired)];
    detection.start_sample = start;
    detection.end_sample = end;
    sink(sink_context, detection);
  }

  void finish() {
    if (input_stream.finished()) return;
    input_stream.finish(&frame_sink, this);
    if (frames > last_evaluated_frame) evaluate(int(std::min<std::int64_t>(frames, window)));
  }
};

Detector::Detector(Model model, const DetectorOptions& options)
    : impl_(std::make_unique<Impl>(std::move(model), options)) {}
Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

void Detector::push_samples(const float* samples, std::size_t count, Sink sink, void* context) {
  impl_->sink = sink;
  impl_->sink_context = context;
  impl_->input_stream.push(samples, count, &Impl::frame_sink, impl_.get());
}

void Detector::push_samples(const std::int16_t* samples, std::size_t count, Sink sink, void* context) {
  impl_->sink = sink;
  impl_->sink_context = context;
  impl_->input_stream.push(samples, count, &Impl::frame_sink, impl_.get());
}

void Detector::finish_stream(Sink sink, void* context) {
  impl_->sink = sink;
  impl_->sink_context = context;
  impl_->finish();
}

void Detector::reset() { impl_->reset(); }
const Model& Detector::model() const { return impl_->model; }
const DetectorOptions& Detector::options() const { return impl_->options; }
int Detector::sample_rate() const { return impl_->input_stream.sample_rate(); }
int Detector::window_frames() const { return impl_->window; }
int Detector::stride_frames() const { return impl_->stride; }
const std::vector<float>& Detector::thresholds() const { return impl_->policy.thresholds(); }
void Detector::set_evaluation_callback(EvaluationCallback callback) { impl_->on_evaluation = std::move(callback); }
std::int64_t Detector::samples_pushed() const { return impl_->input_stream.samples_pushed(); }
std::int64_t Detector::evaluations() const { return impl_->evaluations; }
const std::vector<float>& Detector::scores() const { return impl_->smoothed; }

}  // namespace kws
