// StreamInput: the resampler, the int16 conversion and the streaming features of a stream.
#include "stream_input.hpp"

#include <algorithm>
#include <cmath>

#include "kws/audio.hpp"
#include "kws/error.hpp"
#include "sample_rate.hpp"
#include "samples.hpp"

namespace kws::detail {

namespace {
// Resampler output and int16 conversion happen in blocks of this many samples, so push() needs
// no buffer proportional to the chunk.
constexpr std::size_t kBlock = 4096;
}  // namespace

StreamInput::StreamInput(const FeatureConfig& config, int in_rate, const std::string& owner)
    : owner_(owner), features_(config) {
  model_rate_ = config.sample_rate;
  in_rate_ = in_rate == 0 ? model_rate_ : in_rate;
  if (!valid_sample_rate(in_rate_))
    throw InvalidArgument(owner + "Options.sample_rate = " + std::to_string(in_rate) + " outside " +
                          sample_rate_range() + " (or 0 for the model's rate)");
  hop_ = config.hop_length;
  n_fft_ = config.n_fft;
  frame_start_offset_ = config.center ? config.n_fft / 2 : 0;
  if (in_rate_ != model_rate_) resampler_.emplace(in_rate_, model_rate_);
  block_.assign(kBlock, 0.0f);
  converted_.assign(kBlock, 0.0f);
  cleaned_.assign(kBlock, 0.0f);
}

void StreamInput::reset() {
  features_.reset();
  if (resampler_) resampler_->reset();
  samples_pushed_ = 0;
  finished_ = false;
}

std::int64_t StreamInput::to_input_samples(std::int64_t model_samples) const {
  if (in_rate_ == model_rate_) return model_samples;
  return std::int64_t(std::llround(double(model_samples) * in_rate_ / model_rate_));
}

std::int64_t StreamInput::start_sample(std::int64_t first_frame) const {
  return to_input_samples(std::max<std::int64_t>(0, first_frame * hop_ - frame_start_offset_));
}

std::int64_t StreamInput::end_sample(std::int64_t last_frame) const {
  return std::min(to_input_samples(last_frame * hop_ - frame_start_offset_ + n_fft_), samples_pushed_);
}

void StreamInput::feed_model_rate(const float* samples, std::size_t count) {
  features_.push(samples, count, [this](const float* frame) { sink_(context_, frame); });
}

void StreamInput::push(const float* samples, std::size_t count, FrameSink sink, void* context) {
  if (count == 0) return;
  if (samples == nullptr) throw InvalidArgument(owner_ + "::push: samples is null");
  if (finished_) throw InvalidArgument(owner_ + "::push after finish(): call reset() to start a new stream");
  if (count > kMaxSampleCount) throw InvalidArgument(owner_ + "::push: impossible sample count");
  sink_ = sink;
  context_ = context;
  samples_pushed_ += std::int64_t(count);
  if (!resampler_) return feed_model_rate(samples, count);  // the feature frames clean samples
  if (all_finite(samples, count)) return resample_block(samples, count);
  // Cleaned (finite_or_zero) before the resampler can spread a NaN, a block at a time.
  while (count > 0) {
    const std::size_t n = std::min(count, cleaned_.size());
    std::transform(samples, samples + n, cleaned_.begin(), finite_or_zero);
    resample_block(cleaned_.data(), n);
    samples += n;
    count -= n;
  }
}

void StreamInput::resample_block(const float* samples, std::size_t count) {
  for (;;) {
    std::size_t consumed = 0;
    const std::size_t produced = resampler_->process(samples, count, &consumed, block_.data(), block_.size());
    samples += consumed;
    count -= consumed;
    feed_model_rate(block_.data(), produced);
    if (count == 0 && produced < block_.size()) break;
  }
}

void StreamInput::push(const std::int16_t* samples, std::size_t count, FrameSink sink, void* context) {
  if (count == 0) return;
  if (samples == nullptr) throw InvalidArgument(owner_ + "::push: samples is null");
  if (count > kMaxSampleCount) throw InvalidArgument(owner_ + "::push: impossible sample count");
  while (count > 0) {
    const std::size_t n = std::min(count, converted_.size());
    for (std::size_t i = 0; i < n; ++i) converted_[i] = float(samples[i]) * (1.0f / 32768.0f);
    push(converted_.data(), n, sink, context);
    samples += n;
    count -= n;
  }
}

void StreamInput::finish(FrameSink sink, void* context) {
  if (finished_) return;
  finished_ = true;
  sink_ = sink;
  context_ = context;
  if (resampler_) {
    while (const std::size_t produced = resampler_->flush(block_.data(), block_.size()))
      feed_model_rate(block_.data(), produced);
  }
  // Too little audio for the end padding leaves nothing more to evaluate; that is not an error
  // for a stream.
  if (features_.frames_emitted() > 0 || samples_pushed_ > 0) {
    try {
      features_.finish([this](const float* frame) { sink_(context_, frame); });
    } catch (const InvalidArgument&) {
    }
  }
}

}  // namespace kws::detail
