// FrameLogits: overlapping windows through Engine::run_frames, central frames kept.
#include "spotter/frame_logits.hpp"

#include <algorithm>
#include <string>

#include "kws/error.hpp"
#include "model/architecture.hpp"

namespace kws::detail {

namespace {
EngineOptions engine_options(const Model& model, Backend backend, int window) {
  if (window < 0) throw InvalidArgument("window_frames must not be negative");
  EngineOptions options;
  options.backend = backend;
  options.max_frames = window > 0 ? window : model.input_frames();
  return options;
}
}  // namespace

FrameLogits::FrameLogits(const Model& model, Backend backend, int window)
    : engine_(model, engine_options(model, backend, window)) {
  radius_ = temporal_receptive_radius();
  window_ = engine_.max_frames();
  stride_ = window_ - 2 * radius_;
  if (stride_ < 1)
    throw InvalidArgument("a streaming window of " + std::to_string(window_) + " frames keeps no frame: it must exceed " +
                          "twice the network's receptive radius, " + std::to_string(2 * radius_) + " frames");
  bins_ = model.feature_config().bins();
  classes_ = model.num_classes();
  ring_.assign(std::size_t(window_) * std::size_t(bins_), 0.0f);
  input_.assign(ring_.size(), 0.0f);
  output_.assign(std::size_t(window_) * std::size_t(classes_), 0.0f);
  column_.assign(std::size_t(classes_), 0.0f);
}

void FrameLogits::reset() { frames_ = emitted_ = 0; }

void FrameLogits::push(const float* frame, Sink sink, void* context) {
  std::copy(frame, frame + bins_, ring_.begin() + std::ptrdiff_t(frames_ % window_) * bins_);
  ++frames_;
  if (frames_ >= window_ && (frames_ - window_) % stride_ == 0)
    evaluate(frames_ - window_, window_, frames_ - radius_, sink, context);
}

void FrameLogits::finish(Sink sink, void* context) {
  if (frames_ == emitted_) return;
  const std::int64_t first = std::max<std::int64_t>(0, frames_ - window_);
  evaluate(first, int(frames_ - first), frames_, sink, context);
}

void FrameLogits::evaluate(std::int64_t first, int count, std::int64_t until, Sink sink, void* context) {
  for (int j = 0; j < count; ++j) {
    const float* frame = ring_.data() + std::size_t((first + j) % window_) * std::size_t(bins_);
    for (int b = 0; b < bins_; ++b) input_[std::size_t(b) * std::size_t(count) + std::size_t(j)] = frame[b];
  }
  engine_.run_frames(input_.data(), 1, count, output_.data());
  for (; emitted_ < until; ++emitted_) {
    const std::size_t j = std::size_t(emitted_ - first);
    for (int c = 0; c < classes_; ++c) column_[std::size_t(c)] = output_[std::size_t(c) * std::size_t(count) + j];
    sink(context, column_.data());
  }
}

}  // namespace kws::detail
