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
#include "sample_rate.hpp"
#include "stream_resampler.hpp"
#include "samples.hpp"

namespace kws {

using detail::check_range;
using detail::frames_for;

namespace {

// Resampler output and int16 conversion happen in blocks of this many samples, so push() needs
// no buffer proportional to the chunk.
constexpr std::size_t kBlock = 4096;

}  // namespace

struct Detector::Impl {
  Model model;
  DetectorOptions options;
  int in_rate = 0, model_rate = 0;
  int bins = 0, window = 0, stride = 0, smoothing = 1;
  int hop = 0, n_fft = 0, frame_start_offset = 0;  // frame t covers [t * hop - offset, + n_fft)
  Engine engine;
  StreamingFeatureExtractor features;
  std::optional<detail::StreamResampler> resampler;
  std::vector<float> block;      // resampler output / int16 conversion, kBlock
  std::vector<float> converted;  // int16 -> float, kBlock
  std::vector<float> cleaned;    // finite samples ahead of the resampler, kBlock
  std::vector<float> ring;       // [window][bins], slot = frame % window
  std::vector<float> input;      // [bins][window], oldest frame first
  std::vector<float> logits;
  std::vector<float> history;    // [smoothing][classes], slot = evaluation % smoothing
  std::vector<float> smoothed;
  EventPolicy policy;
  EvaluationCallback on_evaluation;
  std::int64_t frames = 0, evaluations = 0, last_evaluated_frame = 0;
  std::int64_t samples_pushed = 0;
  bool finished = false;
  Sink sink = nullptr;
  void* sink_context = nullptr;

  Impl(Model m, const DetectorOptions& o)
      : model(std::move(m)),
        options(o),
        engine(model, make_engine_options(model, o)),
        features(model.feature_config()),
        policy(model, o) {
    const FeatureConfig& config = model.feature_config();
    model_rate = config.sample_rate;
    in_rate = options.sample_rate == 0 ? model_rate : options.sample_rate;
    if (!valid_sample_rate(in_rate))
      throw InvalidArgument("DetectorOptions.sample_rate = " + std::to_string(options.sample_rate) + " outside " +
                            detail::sample_rate_range() + " (or 0 for the model's rate)");
    check_range(options.stride_seconds, 0.0, 60.0, "stride_seconds");
    check_range(options.smoothing_seconds, 0.0, 60.0, "smoothing_seconds");
    bins = config.bins();
    hop = config.hop_length;
    n_fft = config.n_fft;
    frame_start_offset = config.center ? config.n_fft / 2 : 0;
    window = engine.max_frames();
    stride = std::max(1, frames_for(options.stride_seconds, config));
    smoothing = std::max(1, int(std::lround(options.smoothing_seconds / (double(stride) * hop / model_rate))));
    if (in_rate != model_rate) resampler.emplace(in_rate, model_rate);

    const int classes = model.num_classes();
    block.assign(kBlock, 0.0f);
    converted.assign(kBlock, 0.0f);
    cleaned.assign(kBlock, 0.0f);
    ring.assign(std::size_t(window) * bins, 0.0f);
    input.assign(std::size_t(window) * bins, 0.0f);
    logits.assign(classes, 0.0f);
    history.assign(std::size_t(smoothing) * classes, 0.0f);
    smoothed.assign(classes, 0.0f);
  }

  static EngineOptions make_engine_options(const Model& model, const DetectorOptions& o) {
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
    features.reset();
    if (resampler) resampler->reset();
    frames = evaluations = last_evaluated_frame = samples_pushed = 0;
    finished = false;
    std::fill(smoothed.begin(), smoothed.end(), 0.0f);
    policy.reset();
  }

  // Model-rate sample -> pushed-rate sample.
  std::int64_t to_input_samples(std::int64_t model_samples) const {
    if (in_rate == model_rate) return model_samples;
    return std::int64_t(std::llround(double(model_samples) * in_rate / model_rate));
  }

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

    // The audio the window's features were computed from: the first frame's first sample to
    // the last frame's last (clipped to the stream).
    const std::int64_t first = frames - count;
    const std::int64_t start = to_input_samples(std::max<std::int64_t>(0, first * hop - frame_start_offset));
    const std::int64_t end =
        std::max(start, std::min(to_input_samples((frames - 1) * hop - frame_start_offset + n_fft), samples_pushed));
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

  void feed_model_rate(const float* samples, std::size_t count) {
    features.push(samples, count, [this](const float* frame) { on_frame(frame); });
  }

  void push(const float* samples, std::size_t count) {
    if (count == 0) return;
    if (samples == nullptr) throw InvalidArgument("Detector::push: samples is null");
    if (finished) throw InvalidArgument("Detector::push after finish(): call reset() to start a new stream");
    if (count > detail::kMaxSampleCount) throw InvalidArgument("Detector::push: impossible sample count");
    samples_pushed += std::int64_t(count);
    if (!resampler) return feed_model_rate(samples, count);  // the feature frames clean samples
    if (detail::all_finite(samples, count)) return resample_block(samples, count);
    // Cleaned (finite_or_zero) before the resampler can spread a NaN, a block at a time.
    while (count > 0) {
      const std::size_t n = std::min(count, cleaned.size());
      std::transform(samples, samples + n, cleaned.begin(), detail::finite_or_zero);
      resample_block(cleaned.data(), n);
      samples += n;
      count -= n;
    }
  }

  void resample_block(const float* samples, std::size_t count) {
    for (;;) {
      std::size_t consumed = 0;
      const std::size_t produced = resampler->process(samples, count, &consumed, block.data(), block.size());
      samples += consumed;
      count -= consumed;
      feed_model_rate(block.data(), produced);
      if (count == 0 && produced < block.size()) break;
    }
  }

  void push(const std::int16_t* samples, std::size_t count) {
    if (count == 0) return;
    if (samples == nullptr) throw InvalidArgument("Detector::push: samples is null");
    if (count > detail::kMaxSampleCount) throw InvalidArgument("Detector::push: impossible sample count");
    while (count > 0) {
      const std::size_t n = std::min(count, converted.size());
      for (std::size_t i = 0; i < n; ++i) converted[i] = float(samples[i]) * (1.0f / 32768.0f);
      push(converted.data(), n);
      samples += n;
      count -= n;
    }
  }

  void finish() {
    if (finished) return;
    finished = true;
    if (resampler) {
      while (const std::size_t produced = resampler->flush(block.data(), block.size()))
        feed_model_rate(block.data(), produced);
    }
    // Too little audio for the end padding leaves nothing more to evaluate; that is not an error
    // for a stream.
    if (features.frames_emitted() > 0 || samples_pushed > 0) {
      try {
        features.finish([this](const float* frame) { on_frame(frame); });
      } catch (const InvalidArgument&) {
      }
    }
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
  impl_->push(samples, count);
}

void Detector::push_samples(const std::int16_t* samples, std::size_t count, Sink sink, void* context) {
  impl_->sink = sink;
  impl_->sink_context = context;
  impl_->push(samples, count);
}

void Detector::finish_stream(Sink sink, void* context) {
  impl_->sink = sink;
  impl_->sink_context = context;
  impl_->finish();
}

std::vector<Detection> Detector::push(const float* samples, std::size_t count) {
  std::vector<Detection> events;
  push(samples, count, [&](const Detection& d) { events.push_back(d); });
  return events;
}

std::vector<Detection> Detector::finish() {
  std::vector<Detection> events;
  finish([&](const Detection& d) { events.push_back(d); });
  return events;
}

void Detector::reset() { impl_->reset(); }
const Model& Detector::model() const { return impl_->model; }
const DetectorOptions& Detector::options() const { return impl_->options; }
int Detector::sample_rate() const { return impl_->in_rate; }
int Detector::window_frames() const { return impl_->window; }
int Detector::stride_frames() const { return impl_->stride; }
const std::vector<float>& Detector::thresholds() const { return impl_->policy.thresholds(); }
void Detector::set_evaluation_callback(EvaluationCallback callback) { impl_->on_evaluation = std::move(callback); }
std::int64_t Detector::samples_pushed() const { return impl_->samples_pushed; }
std::int64_t Detector::evaluations() const { return impl_->evaluations; }
const std::vector<float>& Detector::scores() const { return impl_->smoothed; }

}  // namespace kws
