// The folded network as one list of steps with their shapes, for one frame count. It is the only
// walk of the layers: the Engine sizes its arena from it, runs an item by iterating it and counts
// multiply-adds over it, so a new (or fused) operation is one Operation and one place in
// Plan::reshape. (whisper.cpp builds its graph once and sizes memory from it; TFLite Micro
// splits kernels into Prepare and Eval.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/network.hpp"

namespace kws::detail {

// A [channels][height][width] activation, row-major.
struct Shape {
  int channels = 0, height = 0, width = 0;
  std::size_t size() const { return std::size_t(channels) * std::size_t(height) * std::size_t(width); }
  bool operator==(const Shape& other) const {
    return channels == other.channels && height == other.height && width == other.width;
  }
};

// Where a step reads or writes: the item's own input and logits (the caller's memory), or one of
// a lane's arena buffers, three for [C][H][W] planes and two for [C][W] vectors (the temporal
// branch, the pooled vector). The planes and the vectors are each consecutive (Plan::largest).
enum class Slot { item_input, item_logits, plane0, plane1, plane2, vector0, vector1 };
constexpr int kPlaneSlots = 3;
constexpr int kVectorSlots = 2;

enum class Operation {
  depthwise,              // Kernels::depthwise(*depthwise) of `in`
  pointwise,              // Kernels::pointwise(*pointwise) over the in_shape.height * width pixels
  frequency_subspectral,  // Kernels::frequency_subspectral: the block's frequency convolution
                          // (*depthwise) of `in` into `out`, SubSpectralNorm (*subspectral) on
                          // it, and its frequency mean into `mean` ([C][1][W])
  broadcast_residual,     // out = ReLU(in + temporal broadcast over rows [+ out when identity])
  time_pool,              // out[c] = mean of in[c] over all its pixels ([C][1][1])
};

struct Step {
  Operation operation = Operation::depthwise;
  Slot in = Slot::item_input, out = Slot::item_input;
  Shape in_shape, out_shape;
  const DepthwiseConv* depthwise = nullptr;     // depthwise, frequency_subspectral
  const PointwiseConv* pointwise = nullptr;     // pointwise
  const SubbandAffine* subspectral = nullptr;   // frequency_subspectral
  Slot mean = Slot::item_input;                 // frequency_subspectral: the [C][1][W] mean
  Slot temporal = Slot::item_input;             // broadcast_residual: the [C][1][W] branch
  bool identity = false;                        // broadcast_residual: add `out` (the shortcut)

  // Multiply-adds of the convolutions; the element-wise steps and means count nothing.
  std::uint64_t multiply_adds() const;
};

class Plan {
 public:
  Plan() = default;
  // `net` must outlive the plan: steps point at its layers.
  Plan(const Network& net, int frames, Output output = Output::pooled);

  // Rebuilds the steps for another frame count or output. Allocates nothing: the number of steps
  // does not depend on the frame count, and the constructor reserves room for the longer, pooled
  // list (per_frame has no time_pool).
  void reshape(int frames, Output output = Output::pooled);

  int frames() const { return frames_; }
  Output output() const { return output_; }
  const std::vector<Step>& steps() const { return steps_; }
  const Shape& input_shape() const { return steps_.front().in_shape; }
  const Shape& output_shape() const { return steps_.back().out_shape; }

  // Floats the largest activation written to a plane / a vector slot needs.
  std::size_t plane_floats() const { return largest(Slot::plane0, Slot::plane2); }
  std::size_t vector_floats() const { return largest(Slot::vector0, Slot::vector1); }

  // Sum over the steps: one item of frames() frames.
  std::uint64_t multiply_adds() const;

 private:
  std::size_t largest(Slot first, Slot last) const;
  // Appends a step; the caller sets its layer. The reference is valid until the next add.
  Step& add(Operation operation, Slot in, const Shape& in_shape, Slot out, const Shape& out_shape);
  Shape add_depthwise(const DepthwiseConv& conv, Slot in, const Shape& shape, Slot out);
  Shape add_pointwise(const PointwiseConv& conv, Slot in, const Shape& shape, Slot out);
  Shape add_frequency_subspectral(const Block& block, Slot in, const Shape& shape, Slot out, Slot mean);

  const Network* net_ = nullptr;
  int frames_ = 0;
  Output output_ = Output::pooled;
  std::vector<Step> steps_;
};

}  // namespace kws::detail
