// The Eigen backend: pointwise convolutions as matrix products, depthwise convolutions as
// vectorised row updates (each kernel tap adds a scaled, shifted input row to the output row).
//
// Eigen's matrix product takes its blocking workspace from the heap once it exceeds
// EIGEN_STACK_ALLOCATION_LIMIT, so products are cut into column panels small enough to stay on
// the stack: run() must not allocate.
#include <algorithm>
#include <cstring>

// Eigen's matrix product packs its operands into blocks it allocates with malloc when they
// exceed EIGEN_STACK_ALLOCATION_LIMIT (128 KiB by default); BC-ResNet-8's widest 1x1 convolution
// needs 160 KiB, which made every run() call malloc. Raising the limit keeps the packing on the
// stack: run() needs up to about 0.5 MiB of stack (threads get 8 MiB by default on glibc).
#define EIGEN_STACK_ALLOCATION_LIMIT (512 * 1024)
// libkws is compiled with OpenMP for oneDNN; Eigen would then split each product over OpenMP
// threads (allocating a task table per call). Threads are the Engine's own business (lanes).
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>

#include "engine/network.hpp"
#include "kws/error.hpp"

namespace kws::detail {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using Map = Eigen::Map<RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
using Row = Eigen::Map<Eigen::ArrayXf>;

// Columns per product: with at most a few hundred input channels the packed panels stay well
// below Eigen's 128 KiB stack-allocation limit.
constexpr int kPanel = 64;

void apply_activation(Activation activation, float* y, std::size_t n) {
  Row row(y, Eigen::Index(n));
  switch (activation) {
    case Activation::relu: row = row.max(0.0f); break;
    case Activation::silu: row = row / (1.0f + (-row).exp()); break;
    case Activation::none: break;
  }
}

// One kernel tap of a depthwise convolution: input column t * stride + shift of `row`, times
// `weight`, adds to output column t.
struct Tap {
  const float* row;
  float weight;
  int shift;
};
constexpr int kMaxTaps = 64;  // BC-ResNet's largest kernel is 5x5

typedef float Vector8 __attribute__((vector_size(32)));
inline Vector8 load8(const float* p) {
  Vector8 v;
  std::memcpy(&v, p, sizeof v);  // unaligned load
  return v;
}

// out[t] = bias + sum over taps of weight * row[t * stride + shift] (zero outside [0, w)).
// Interior columns, where every tap is in range, run in register-sized chunks with all taps
// accumulated before one store; the few edge and leftover columns take the checked scalar path.
void row_convolution(const Tap* taps, int count, int stride, float bias, int w, int ow, float* out) {
  auto checked = [&](int t) {
    float sum = bias;
    for (int n = 0; n < count; ++n) {
      const int col = t * stride + taps[n].shift;
      if (col >= 0 && col < w) sum += taps[n].weight * taps[n].row[col];
    }
    out[t] = sum;
  };
  if (stride != 1 || count == 0) {
    for (int t = 0; t < ow; ++t) checked(t);
    return;
  }
  int min_shift = taps[0].shift, max_shift = taps[0].shift;
  for (int n = 1; n < count; ++n) {
    min_shift = std::min(min_shift, taps[n].shift);
    max_shift = std::max(max_shift, taps[n].shift);
  }
  const int first = std::min(ow, std::max(0, -min_shift));
  const int last = std::max(first, std::min(ow, w - max_shift));
  for (int t = 0; t < first; ++t) checked(t);
  // 16 columns at a time in two 8-float vectors (GCC/Clang vector extensions: AVX registers
  // where the target has them, pairs of SSE registers otherwise), every tap accumulated before
  // one store.
  int t0 = first;
  for (; t0 + 16 <= last; t0 += 16) {
    Vector8 low = Vector8{} + bias, high = low;
    for (int tap = 0; tap < count; ++tap) {
      const float* source = taps[tap].row + t0 + taps[tap].shift;
      low += taps[tap].weight * load8(source);
      high += taps[tap].weight * load8(source + 8);
    }
    std::memcpy(out + t0, &low, sizeof low);
    std::memcpy(out + t0 + 8, &high, sizeof high);
  }
  if (t0 + 8 <= last) {
    Vector8 sum = Vector8{} + bias;
    for (int tap = 0; tap < count; ++tap) sum += taps[tap].weight * load8(taps[tap].row + t0 + taps[tap].shift);
    std::memcpy(out + t0, &sum, sizeof sum);
    t0 += 8;
  }
  for (int t = t0; t < last; ++t) checked(t);
  for (int t = last; t < ow; ++t) checked(t);
}

class EigenKernels final : public Kernels {
 public:
  void depthwise(const DepthwiseConv& conv, const float* in, int h, int w, float* out) override {
    const int oh = conv.out_h(h), ow = conv.out_w(w);
    const int kernel_taps = conv.kernel_h * conv.kernel_w;
    if (kernel_taps > kMaxTaps) throw Error(ErrorCode::internal, "depthwise kernel larger than the Eigen backend supports");
    Tap taps[kMaxTaps];
    for (int c = 0; c < conv.channels; ++c) {
      const float* x = in + (conv.shared_input ? 0 : std::size_t(c) * std::size_t(h) * std::size_t(w));
      const float* k = conv.weight.data() + std::size_t(c) * std::size_t(kernel_taps);
      const float b = conv.bias.empty() ? 0.0f : conv.bias[std::size_t(c)];
      float* y = out + std::size_t(c) * std::size_t(oh) * std::size_t(ow);
      for (int r = 0; r < oh; ++r) {
        // The taps that touch this output row: rows outside the input are zero padding.
        int count = 0;
        for (int i = 0; i < conv.kernel_h; ++i) {
          const int row = r * conv.stride_h - conv.pad_h + i * conv.dilation_h;
          if (row < 0 || row >= h) continue;
          for (int j = 0; j < conv.kernel_w; ++j)
            taps[count++] = {x + std::size_t(row) * std::size_t(w), k[i * conv.kernel_w + j],
                             j * conv.dilation_w - conv.pad_w};
        }
        float* out_row = y + std::size_t(r) * std::size_t(ow);
        row_convolution(taps, count, conv.stride_w, b, w, ow, out_row);
        apply_activation(conv.activation, out_row, std::size_t(ow));
      }
    }
  }

  void pointwise(const PointwiseConv& conv, const float* in, int pixels, float* out) override {
    const Eigen::Map<const RowMatrix> weight(conv.weight.data(), conv.out_channels, conv.in_channels);
    for (int p0 = 0; p0 < pixels; p0 += kPanel) {
      const int n = std::min(kPanel, pixels - p0);
      ConstMap x(in + p0, conv.in_channels, n, Eigen::OuterStride<>(pixels));
      Map y(out + p0, conv.out_channels, n, Eigen::OuterStride<>(pixels));
      if (conv.bias.empty())
        y.noalias() = weight * x;
      else {
        y.colwise() = Eigen::Map<const Eigen::VectorXf>(conv.bias.data(), conv.out_channels);
        y.noalias() += weight * x;
      }
    }
    if (conv.activation != Activation::none)
      for (int o = 0; o < conv.out_channels; ++o)
        apply_activation(conv.activation, out + std::size_t(o) * std::size_t(pixels), std::size_t(pixels));
  }
};

}  // namespace

std::unique_ptr<Kernels> make_eigen_kernels() { return std::make_unique<EigenKernels>(); }

}  // namespace kws::detail
