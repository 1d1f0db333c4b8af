// The inference graph of BC-ResNet after folding: only convolutions with bias + activation,
// SubSpectralNorm as a per-(channel, sub-band) affine, pooling and adds remain. Built once per
// Engine from a Model; the backends (engine/kernels.hpp) only implement the two convolution shapes.
#pragma once

#include <cmath>
#include <cstddef>
#include <new>
#include <vector>

#include "kws/model.hpp"

namespace kws::detail {

// Weights and activations live at 64-byte boundaries. Besides speed, this makes results
// reproducible across Engines: Eigen peels matrix-vector products and reductions up to the
// first aligned element, so with malloc's 16-byte alignment the summation order (and the last
// bits of a logit) depended on where an Engine's buffers happened to land.
template <class T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t alignment{64};
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, alignment); }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const AlignedAllocator<U>&) const noexcept { return false; }
};
using Floats = std::vector<float, AlignedAllocator<float>>;

enum class Activation { none, relu, silu };

// What a forward pass writes to an item's logits: the classifier's [num_classes] (the output 1x1
// on the time-pooled vector), or a CTC model's [num_classes][frames] (the same 1x1 on every
// frame; its mean over frames is the pooled logits, the 1x1 being linear).
enum class Output { pooled, per_frame };

// Depthwise 2-D convolution on [C][H][W] (one filter per channel), or, with shared_input, C
// filters over a single input channel (the 1 -> C head). Covers the head (5x5, stride 2 over
// frequency), the frequency (3x1) and temporal (1x3, dilated) block convolutions and the 5x5
// classifier convolution.
struct DepthwiseConv {
  int channels = 0;
  bool shared_input = false;
  int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1,
      dilation_w = 1;
  Floats weight;  // [channels][kernel_h][kernel_w]
  Floats bias;    // [channels], or empty for none
  Activation activation = Activation::none;

  int out_h(int h) const { return (h + 2 * pad_h - dilation_h * (kernel_h - 1) - 1) / stride_h + 1; }
  int out_w(int w) const { return (w + 2 * pad_w - dilation_w * (kernel_w - 1) - 1) / stride_w + 1; }
};

// 1x1 convolution: out[o][p] = act(bias[o] + sum_i weight[o][i] in[i][p]) over `pixels` positions.
struct PointwiseConv {
  int in_channels = 0, out_channels = 0;
  Floats weight;  // [out][in]
  Floats bias;    // [out], or empty
  Activation activation = Activation::none;
};

// SubSpectralNorm at inference: x[c][h][w] * scale[c][g] + shift[c][g], g = h / (H / sub_bands).
struct SubbandAffine {
  int channels = 0;
  Floats scale, shift;  // [channels][sub_bands]
};

struct Block {
  bool transition = false;   // channel change: `expand` first, no identity shortcut
  PointwiseConv expand;      // 1x1 + BN + ReLU (transition only)
  DepthwiseConv frequency;   // 3x1, stride (s, 1)
  SubbandAffine subspectral;
  DepthwiseConv temporal;    // 1x3 dilated + BN + SiLU, on the frequency mean
  PointwiseConv mix;         // 1x1, no bias
};

struct Network {
  int input_rows = 0;
  int num_classes = 0;
  DepthwiseConv head;          // 5x5 stride (2,1) + BN + ReLU, 1 -> c0
  std::vector<Block> blocks;
  DepthwiseConv classifier_dw; // 5x5, pad (0, 2): 5 frequency rows -> 1
  PointwiseConv classifier_pw; // 1x1 + BN + ReLU
  PointwiseConv output;        // 1x1 with bias on the time-pooled vector -> logits
};

Network build_network(const Model& model);

inline float activate(Activation activation, float x) {
  switch (activation) {
    case Activation::relu: return x > 0.0f ? x : 0.0f;
    case Activation::silu: return x / (1.0f + std::exp(-x));
    case Activation::none: break;
  }
  return x;
}

}  // namespace kws::detail
