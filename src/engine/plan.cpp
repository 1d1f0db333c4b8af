// The BC-ResNet step list (plan.hpp). Which arena slot each activation lands in follows the data
// flow of a block: the block input stays in plane0 (the identity shortcut reads it last, and the
// residual is written over it), the transition 1x1 writes plane1, the frequency convolution
// plane2; the temporal branch alternates between the two vectors.
#include "engine/plan.hpp"

#include <algorithm>

#include "kws/error.hpp"

namespace kws::detail {

std::uint64_t Step::multiply_adds() const {
  switch (operation) {
    case Operation::depthwise:
    case Operation::frequency_subspectral:
      return std::uint64_t(depthwise->channels) * std::uint64_t(depthwise->kernel_h * depthwise->kernel_w) *
             std::uint64_t(out_shape.height) * std::uint64_t(out_shape.width);
    case Operation::pointwise:
      return std::uint64_t(pointwise->in_channels) * std::uint64_t(pointwise->out_channels) *
             std::uint64_t(in_shape.height) * std::uint64_t(in_shape.width);
    case Operation::broadcast_residual:
    case Operation::time_pool: break;
  }
  return 0;
}

Plan::Plan(const Network& net, int frames, Output output) : net_(&net) {
  // At most: the head, five steps per block, the classifier's four.
  steps_.reserve(1 + 5 * net.blocks.size() + 4);
  reshape(frames, output);
}

Step& Plan::add(Operation operation, Slot in, const Shape& in_shape, Slot out, const Shape& out_shape) {
  Step& step = steps_.emplace_back();
  step.operation = operation;
  step.in = in;
  step.out = out;
  step.in_shape = in_shape;
  step.out_shape = out_shape;
  return step;
}

Shape Plan::add_depthwise(const DepthwiseConv& conv, Slot in, const Shape& shape, Slot out) {
  const Shape out_shape{conv.channels, conv.out_h(shape.height), conv.out_w(shape.width)};
  Step& step = add(Operation::depthwise, in, shape, out, out_shape);
  step.depthwise = &conv;
  return step.out_shape;
}

Shape Plan::add_pointwise(const PointwiseConv& conv, Slot in, const Shape& shape, Slot out) {
  Step& step = add(Operation::pointwise, in, shape, out, {conv.out_channels, shape.height, shape.width});
  step.pointwise = &conv;
  return step.out_shape;
}

Shape Plan::add_frequency_subspectral(const Block& block, Slot in, const Shape& shape, Slot out, Slot mean) {
  const DepthwiseConv& conv = block.frequency;
  const Shape out_shape{conv.channels, conv.out_h(shape.height), conv.out_w(shape.width)};
  Step& step = add(Operation::frequency_subspectral, in, shape, out, out_shape);
  step.depthwise = &conv;
  step.subspectral = &block.subspectral;
  step.mean = mean;
  return out_shape;
}

void Plan::reshape(int frames, Output output) {
  if (net_ == nullptr) throw Error(ErrorCode::internal, "Plan::reshape on a plan without a network");
  const Network& net = *net_;
  frames_ = frames;
  output_ = output;
  steps_.clear();

  Shape x = add_depthwise(net.head, Slot::item_input, {1, net.input_rows, frames}, Slot::plane0);
  for (const Block& block : net.blocks) {
    const Shape block_in = x;
    Slot frequency_in = Slot::plane0;
    if (block.transition) {
      x = add_pointwise(block.expand, Slot::plane0, x, Slot::plane1);
      frequency_in = Slot::plane1;
    }
    const Shape y = add_frequency_subspectral(block, frequency_in, x, Slot::plane2, Slot::vector0);
    const Shape mean{y.channels, 1, y.width};

    const Shape temporal = add_depthwise(block.temporal, Slot::vector0, mean, Slot::vector1);
    const Shape mixed = add_pointwise(block.mix, Slot::vector1, temporal, Slot::vector0);
    if (mixed.channels != y.channels || mixed.width != y.width)
      throw Error(ErrorCode::internal, "BC-ResNet block: the temporal branch does not broadcast over its plane");

    if (!block.transition && !(block_in == y))
      throw Error(ErrorCode::internal, "BC-ResNet block: identity shortcut between different shapes");
    // Written over the block input, which is no longer needed beyond its own element (identity)
    // or at all (transition).
    Step& residual = add(Operation::broadcast_residual, Slot::plane2, y, Slot::plane0, y);
    residual.temporal = Slot::vector0;
    residual.identity = !block.transition;
    x = y;
  }

  x = add_depthwise(net.classifier_dw, Slot::plane0, x, Slot::plane1);
  x = add_pointwise(net.classifier_pw, Slot::plane1, x, Slot::plane2);
  if (output == Output::per_frame) {
    add_pointwise(net.output, Slot::plane2, x, Slot::item_logits);  // [num_classes][1][frames]
    return;
  }
  const Shape pooled = add(Operation::time_pool, Slot::plane2, x, Slot::vector0, {x.channels, 1, 1}).out_shape;
  add_pointwise(net.output, Slot::vector0, pooled, Slot::item_logits);
}

std::size_t Plan::largest(Slot first, Slot last) const {
  std::size_t floats = 0;
  for (const Step& step : steps_) {
    if (step.out >= first && step.out <= last) floats = std::max(floats, step.out_shape.size());
    if (step.operation == Operation::frequency_subspectral && step.mean >= first && step.mean <= last)
      floats = std::max(floats, Shape{step.out_shape.channels, 1, step.out_shape.width}.size());
  }
  return floats;
}

std::uint64_t Plan::multiply_adds() const {
  std::uint64_t total = 0;
  for (const Step& step : steps_) total += step.multiply_adds();
  return total;
}

}  // namespace kws::detail
