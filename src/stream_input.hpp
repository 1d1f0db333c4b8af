// The audio side of a stream, shared by Detector and Spotter: PCM of any rate and chunking (float
// or int16; NaN and Inf count as silence) -> libsoxr to the model's rate when the pushed rate
// differs -> streaming feature frames, one callback per new frame. And the stream's clock: which
// samples, at the pushed rate, a run of feature frames was computed from.
//
// After construction push() and finish() allocate nothing (blocks of kBlock samples; a
// resampling stream's libsoxr state re-primes once after reset()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kws/features.hpp"
#include "stream_resampler.hpp"

namespace kws::detail {

class StreamInput {
 public:
  using FrameSink = void (*)(void* context, const float* frame);

  // `owner` names the class in messages ("Detector"); `in_rate` is the pushed PCM's rate (0: the
  // model's). Throws InvalidArgument for a rate outside the accepted range.
  StreamInput(const FeatureConfig& config, int in_rate, const std::string& owner);

  // Feeds samples; every new feature frame ([bins] values) goes to sink(context, frame) before
  // the call returns. Throws InvalidArgument for a null pointer with count > 0, an impossible
  // count, or a push after finish().
  void push(const float* samples, std::size_t count, FrameSink sink, void* context);
  void push(const std::int16_t* samples, std::size_t count, FrameSink sink, void* context);
  // Flushes the resampler and the features' end padding; a stream too short for the padding
  // just ends. Push again only after reset(). A second finish() does nothing.
  void finish(FrameSink sink, void* context);
  void reset();

  int sample_rate() const { return in_rate_; }  // of pushed PCM
  int model_rate() const { return model_rate_; }
  std::int64_t samples_pushed() const { return samples_pushed_; }
  bool finished() const { return finished_; }

  // The audio frames [first, last] were computed from, in pushed samples: the first frame's
  // first sample to the last frame's last (with centred frames n_fft / 2 beyond the outer frame
  // centres), clipped to the stream.
  std::int64_t start_sample(std::int64_t first_frame) const;
  std::int64_t end_sample(std::int64_t last_frame) const;

 private:
  std::int64_t to_input_samples(std::int64_t model_samples) const;
  void feed_model_rate(const float* samples, std::size_t count);
  void resample_block(const float* samples, std::size_t count);

  std::string owner_;
  int in_rate_ = 0, model_rate_ = 0;
  int hop_ = 0, n_fft_ = 0, frame_start_offset_ = 0;  // frame t covers [t * hop - offset, + n_fft)
  StreamingFeatureExtractor features_;
  std::optional<StreamResampler> resampler_;
  std::vector<float> block_;      // resampler output, kBlock
  std::vector<float> converted_;  // int16 -> float, kBlock
  std::vector<float> cleaned_;    // finite samples ahead of the resampler, kBlock
  std::int64_t samples_pushed_ = 0;
  bool finished_ = false;
  FrameSink sink_ = nullptr;
  void* context_ = nullptr;
};

}  // namespace kws::detail
