// The Eigen backend: pointwise convolutions as matrix products, depthwise convolutions as
// vectorised row updates (each kernel tap adds a scaled, shifted input row to the output row).
//
// run() must not allocate: Eigen's matrix product takes its packed blocks from the heap once they
// exceed EIGEN_STACK_ALLOCATION_LIMIT, so products are cut into 64-column panels (which bounds
// the right-hand block) and the limit is raised for the left-hand block (the weights: 160 KiB for
// BC-ResNet-8's widest 1x1 convolution, against the default 128 KiB). run() thus needs up to
// about 0.5 MiB of stack (glibc gives threads 8 MiB). EIGEN_DONT_PARALLELIZE comes from CMake:
// libkws is built with OpenMP for oneDNN, and Eigen would otherwise split each product over
// OpenMP threads, allocating per call; threads are the Engine's business (its lanes).
#include <algorithm>
#include <cstring>
#include <vector>

#define EIGEN_STACK_ALLOCATION_LIMIT (512 * 1024)
#include <Eigen/Core>

#include "engine/kernels.hpp"
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

inline Vector8 relu8(Vector8 v) {
  const Vector8 zero{};
  return v > zero ? v : zero;
}

// Columns [begin, end) of a row convolution (see row_convolution), any of them: out = bias, then
// each tap over the columns where it is in range (the rest is zero padding), then ReLU.
void edge_columns(const Tap* taps, int count, int stride, float bias, int w, bool relu, int begin, int end,
                  float* out) {
  if (begin >= end) return;
  for (int t = begin; t < end; ++t) out[t] = bias;
  for (int n = 0; n < count; ++n) {
    const float weight = taps[n].weight;
    if (stride == 1) {
      const int lo = std::max(begin, -taps[n].shift), hi = std::min(end, w - taps[n].shift);
      for (int t = lo; t < hi; ++t) out[t] += weight * taps[n].row[t + taps[n].shift];
    } else {
      for (int t = begin; t < end; ++t) {
        const int col = t * stride + taps[n].shift;
        if (col >= 0 && col < w) out[t] += weight * taps[n].row[col];
      }
    }
  }
  if (relu)
    for (int t = begin; t < end; ++t) out[t] = out[t] > 0.0f ? out[t] : 0.0f;
}

// N taps that all read column t for column t (a kernel one column wide: the 3x1 frequency
// convolution): weights and rows held in registers, one plain loop the compiler vectorises.
template <int N>
void aligned_taps(const Tap* taps, float bias, int ow, bool relu, float* out) {
  float weight[N];
  const float* row[N];
  for (int n = 0; n < N; ++n) {
    weight[n] = taps[n].weight;
    row[n] = taps[n].row;
  }
  for (int t = 0; t < ow; ++t) {
    float sum = bias;
    for (int n = 0; n < N; ++n) sum += weight[n] * row[n][t];
    out[t] = relu ? (sum > 0.0f ? sum : 0.0f) : sum;
  }
}

// out[t] = bias + sum over taps of weight * row[t * stride + shift] (zero outside [0, w)), then
// ReLU when `relu`. Interior columns, where every tap is in range, run in register-sized chunks
// with all taps accumulated before one store; the edge columns run tap by tap over the columns
// where that tap is in range, so no column checks a bound per tap. Both add the taps in the same
// order, starting from the bias.
void row_convolution(const Tap* __restrict taps, int count, int stride, float bias, int w, int ow, bool relu,
                     float* __restrict out) {
  auto edge = [&](int begin, int end) { edge_columns(taps, count, stride, bias, w, relu, begin, end, out); };
  if (stride != 1 || count == 0) {
    edge(0, ow);
    return;
  }
  int min_shift = taps[0].shift, max_shift = taps[0].shift;
  for (int n = 1; n < count; ++n) {
    min_shift = std::min(min_shift, taps[n].shift);
    max_shift = std::max(max_shift, taps[n].shift);
  }
  if (min_shift == 0 && max_shift == 0 && w == ow) {
    switch (count) {
      case 1: aligned_taps<1>(taps, bias, ow, relu, out); return;
      case 2: aligned_taps<2>(taps, bias, ow, relu, out); return;
      case 3: aligned_taps<3>(taps, bias, ow, relu, out); return;
      default: break;
    }
  }
  const int first = std::min(ow, std::max(0, -min_shift));
  const int last = std::max(first, std::min(ow, w - max_shift));
  edge(0, first);
  // 8 columns of the interior starting at t0, every tap accumulated before one store.
  auto chunk8 = [&](int t0) {
    Vector8 sum = Vector8{} + bias;
    for (int tap = 0; tap < count; ++tap) sum += taps[tap].weight * load8(taps[tap].row + t0 + taps[tap].shift);
    if (relu) sum = relu8(sum);
    std::memcpy(out + t0, &sum, sizeof sum);
  };
  // 16 columns at a time in two 8-float vectors (GCC/Clang vector extensions: AVX registers
  // where the target has them, pairs of SSE registers otherwise).
  int t0 = first;
  for (; t0 + 16 <= last; t0 += 16) {
    Vector8 low = Vector8{} + bias, high = low;
    for (int tap = 0; tap < count; ++tap) {
      const float* source = taps[tap].row + t0 + taps[tap].shift;
      low += taps[tap].weight * load8(source);
      high += taps[tap].weight * load8(source + 8);
    }
    if (relu) {
      low = relu8(low);
      high = relu8(high);
    }
    std::memcpy(out + t0, &low, sizeof low);
    std::memcpy(out + t0 + 8, &high, sizeof high);
  }
  if (t0 + 8 <= last) {
    chunk8(t0);
    t0 += 8;
  }
  // The last few interior columns: one more chunk ending at `last`, overlapping columns already
  // written (recomputed to the same values), when the interior is wide enough.
  if (t0 < last) {
    if (last - first >= 8)
      chunk8(last - 8);
    else
      edge(t0, last);
  }
  edge(last, ow);
}

// The taps of output row r of channel c (rows outside the input are zero padding); returns their
// number.
int row_taps(const DepthwiseConv& conv, const float* x, int h, int w, int c, int r, Tap* taps) {
  const float* k = conv.weight.data() + std::size_t(c) * std::size_t(conv.kernel_h * conv.kernel_w);
  int count = 0;
  for (int i = 0; i < conv.kernel_h; ++i) {
    const int row = r * conv.stride_h - conv.pad_h + i * conv.dilation_h;
    if (row < 0 || row >= h) continue;
    for (int j = 0; j < conv.kernel_w; ++j)
      taps[count++] = {x + std::size_t(row) * std::size_t(w), k[i * conv.kernel_w + j], j * conv.dilation_w - conv.pad_w};
  }
  return count;
}

constexpr int kChannelBlock = 8;

// Floats per row of the head's zero-padded input copy: pad_w zeros, the row, and zeros up to the
// widest kernel reach of the last 8-column chunk.
std::size_t padded_row(const DepthwiseConv& conv, int w) {
  return std::size_t(w) + std::size_t(2 * conv.pad_w + (conv.kernel_w - 1) * conv.dilation_w + 8);
}

// The 1 -> C head (shared_input). Every channel reads the same input rows, so each input vector
// is loaded once and multiplied into the accumulators of kChannelBlock channels. The input rows
// are first copied into `padded`, with pad_w zeros before and enough after, so every column,
// edges included, runs the vector path: a zero tap adds exactly nothing, and each output sums
// bias, then the taps in kernel order, as row_convolution does. Leftover channels take the
// per-channel path.
void shared_input_depthwise(const DepthwiseConv& conv, const float* x, int h, int w, float* padded, float* out) {
  const int oh = conv.out_h(h), ow = conv.out_w(w);
  const int kernel_taps = conv.kernel_h * conv.kernel_w;
  const bool relu = conv.activation == Activation::relu;
  const bool blocked = conv.stride_w == 1 && ow >= 8 && conv.channels >= kChannelBlock;
  const std::size_t stride = padded_row(conv, w);
  if (blocked) {
    for (int row = 0; row < h; ++row) {
      float* p = padded + std::size_t(row) * stride;
      std::fill(p, p + stride, 0.0f);
      std::copy(x + std::size_t(row) * std::size_t(w), x + std::size_t(row + 1) * std::size_t(w), p + conv.pad_w);
    }
  }
  Tap taps[kMaxTaps];
  for (int r = 0; r < oh; ++r) {
    int c0 = 0;
    if (blocked) {
      // The padded input rows of this output row, and the kernel row each is multiplied by.
      const float* rows[kMaxTaps];
      int kernel_rows[kMaxTaps], valid = 0;
      for (int i = 0; i < conv.kernel_h; ++i) {
        const int row = r * conv.stride_h - conv.pad_h + i * conv.dilation_h;
        if (row < 0 || row >= h) continue;
        rows[valid] = padded + std::size_t(row) * stride;
        kernel_rows[valid++] = i;
      }
      for (; c0 + kChannelBlock <= conv.channels; c0 += kChannelBlock) {
        const float* k = conv.weight.data() + std::size_t(c0) * std::size_t(kernel_taps);
        auto chunk = [&](int t0) {
          Vector8 acc[kChannelBlock];
          for (int q = 0; q < kChannelBlock; ++q) acc[q] = Vector8{} + (conv.bias.empty() ? 0.0f : conv.bias[std::size_t(c0 + q)]);
          for (int n = 0; n < valid; ++n)
            for (int j = 0; j < conv.kernel_w; ++j) {
              // Padded column t + j * dilation is input column t + j * dilation - pad_w.
              const Vector8 v = load8(rows[n] + t0 + j * conv.dilation_w);
              const float* kq = k + kernel_rows[n] * conv.kernel_w + j;
              for (int q = 0; q < kChannelBlock; ++q) acc[q] += kq[q * kernel_taps] * v;
            }
          for (int q = 0; q < kChannelBlock; ++q) {
            const Vector8 y = relu ? relu8(acc[q]) : acc[q];
            std::memcpy(out + (std::size_t(c0 + q) * std::size_t(oh) + std::size_t(r)) * std::size_t(ow) + std::size_t(t0), &y,
                        sizeof y);
          }
        };
        int t0 = 0;
        for (; t0 + 8 <= ow; t0 += 8) chunk(t0);
        if (t0 < ow) chunk(ow - 8);  // overlaps columns already written, with the same values
        if (!relu)
          for (int c = c0; c < c0 + kChannelBlock; ++c)
            apply_activation(conv.activation, out + (std::size_t(c) * std::size_t(oh) + std::size_t(r)) * std::size_t(ow),
                             std::size_t(ow));
      }
    }
    for (int c = c0; c < conv.channels; ++c) {
      const int count = row_taps(conv, x, h, w, c, r, taps);
      const float b = conv.bias.empty() ? 0.0f : conv.bias[std::size_t(c)];
      float* out_row = out + (std::size_t(c) * std::size_t(oh) + std::size_t(r)) * std::size_t(ow);
      row_convolution(taps, count, conv.stride_w, b, w, ow, relu, out_row);
      if (!relu) apply_activation(conv.activation, out_row, std::size_t(ow));
    }
  }
}

class EigenKernels final : public Kernels {
 public:
  void reserve(const Network& net, int max_frames) override {
    padded_.assign(std::size_t(net.input_rows) * padded_row(net.head, max_frames), 0.0f);
  }

  std::size_t workspace_bytes() const override { return padded_.size() * sizeof(float); }

  void depthwise(const DepthwiseConv& conv, const float* in, int h, int w, float* out) override {
    const int oh = conv.out_h(h), ow = conv.out_w(w);
    const int kernel_taps = conv.kernel_h * conv.kernel_w;
    if (kernel_taps > kMaxTaps) throw Error(ErrorCode::internal, "depthwise kernel larger than the Eigen backend supports");
    if (conv.shared_input && padded_.size() >= std::size_t(h) * padded_row(conv, w)) {
      shared_input_depthwise(conv, in, h, w, padded_.data(), out);
      return;
    }
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
        const bool relu = conv.activation == Activation::relu;
        row_convolution(taps, count, conv.stride_w, b, w, ow, relu, out_row);
        if (!relu) apply_activation(conv.activation, out_row, std::size_t(ow));
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
 private:
  std::vector<float> padded_;  // the head's zero-padded input rows (shared_input_depthwise)
};

}  // namespace

std::unique_ptr<Kernels> make_eigen_kernels() { return std::make_unique<EigenKernels>(); }

}  // namespace kws::detail
