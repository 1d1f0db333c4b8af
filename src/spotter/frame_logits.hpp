// Per-frame logits of a CTC model over an endless stream of feature frames, equal to one forward
// pass over the whole stream (within float rounding) for every frame.
//
// BC-ResNet zero-pads its time convolutions at a window's edges, so a frame's logits depend on
// its window only within R = the temporal receptive radius (detail::temporal_receptive_radius,
// 58 frames) of an edge. Windows of W frames are therefore evaluated every S = W - 2R frames and
// only their central S frames kept; the stream's first window also keeps its first R frames (the
// stream's own start is an edge in the whole pass too), and finish() evaluates the last W frames
// (or all, when fewer) and keeps what was not yet emitted (the stream's end is an edge too).
// A frame's logits leave at most S + R frames after the frame arrived (the latency).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kws/engine.hpp"

namespace kws::detail {

class FrameLogits {
 public:
  using Sink = void (*)(void* context, const float* logits);

  // `window` frames per evaluation (0: the model's input_frames); throws InvalidArgument when
  // window <= 2R (no central frames).
  FrameLogits(const Model& model, Backend backend, int window);

  // One feature frame ([bins] values). Frames whose logits are final go to sink(context, logits)
  // in stream order, num_classes values each, valid during the call.
  void push(const float* frame, Sink sink, void* context);
  // Emits the logits of every frame not yet emitted.
  void finish(Sink sink, void* context);
  void reset();

  const Model& model() const { return engine_.model(); }
  int window() const { return window_; }
  int stride() const { return stride_; }
  int radius() const { return radius_; }
  std::int64_t frames_in() const { return frames_; }
  std::int64_t frames_out() const { return emitted_; }

 private:
  // Runs the network on frames [first, first + count) and emits frames [emitted_, until).
  void evaluate(std::int64_t first, int count, std::int64_t until, Sink sink, void* context);

  Engine engine_;
  int bins_ = 0, classes_ = 0, window_ = 0, stride_ = 0, radius_ = 0;
  std::vector<float> ring_;    // [window][bins], slot = frame % window
  std::vector<float> input_;   // [bins][count]
  std::vector<float> output_;  // [classes][count]
  std::vector<float> column_;  // [classes]: one frame's logits
  std::int64_t frames_ = 0, emitted_ = 0;
};

}  // namespace kws::detail
