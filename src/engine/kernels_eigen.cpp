// The Eigen backend: kernels on GCC/Clang vector extensions as wide as the target's registers
// (AVX-512: 16 floats), with Eigen for SiLU's exp and the classifier's matrix-vector product.
//   - 1x1 convolutions: register tiles of output channels x pixel vectors, the input channels
//     streaming past (pointwise_tiles), with bias and ReLU applied in registers.
//   - depthwise convolutions: each output row sums its kernel taps as shifted input rows, a
//     vector of columns at a time over zero-padded copies of the input rows (accumulate_row); the
//     1 -> C head loads each input vector once for 16 channels (8 on AVX); the frequency convolution of a block
//     also applies SubSpectralNorm and the frequency mean as it writes (frequency_subspectral).
// Tails: a row's last vector ends at its last column and overlaps the vector before it, so no
// column runs a scalar edge path.
//
// run() must not allocate: nothing here does, and Eigen's matrix-vector product works in place.
// EIGEN_DONT_PARALLELIZE comes from CMake: libkws is built with OpenMP for oneDNN, and Eigen
// would otherwise spread work over OpenMP threads; threads are the Engine's business (its lanes).
#include <algorithm>
#include <cstring>
#include <vector>

#include <Eigen/Core>

#include "engine/elementwise.hpp"
#include "engine/kernels.hpp"
#include "engine/vector.hpp"
#include "model/architecture.hpp"

namespace kws::detail {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Row = Eigen::Map<Eigen::ArrayXf>;

void apply_activation(Activation activation, float* y, std::size_t n) {
  Row row(y, Eigen::Index(n));
  switch (activation) {
    case Activation::relu: row = row.max(0.0f); break;
    case Activation::silu: row = row / (1.0f + (-row).exp()); break;
    case Activation::none: break;
  }
}

// One kernel tap of a depthwise convolution, as seen from an output row: output column t adds
// weight * source[t]. `source` points into an input row (or its zero-padded copy) at the tap's
// column offset, so every tap reads the same columns [0, width) and no column needs a bound check.
struct Tap {
  const float* source;
  float weight;
};
constexpr int kMaxTaps = 64;  // BC-ResNet's largest kernel is 5x5

// out[t] = bias + the sum over taps of weight * source[t], for t in [0, width), then ReLU when
// `relu`; the taps are added in kernel order, as the reference kernel adds them. Columns run in
// vectors, two at a time; the last few as one more vector ending at `width`, which recomputes
// columns already written to the same values (out is never a source). A row narrower than a
// vector runs column by column.
void accumulate_row(const Tap* __restrict taps, int count, float bias, int width, bool relu, float* __restrict out) {
  if (width < kLanes) {
    for (int t = 0; t < width; ++t) {
      float sum = bias;
      for (int n = 0; n < count; ++n) sum += taps[n].weight * taps[n].source[t];
      out[t] = relu ? (sum > 0.0f ? sum : 0.0f) : sum;
    }
    return;
  }
  auto one_vector = [&](int t0) {
    Vector sum = Vector{} + bias;
    for (int n = 0; n < count; ++n) sum += taps[n].weight * load(taps[n].source + t0);
    store(out + t0, relu ? relu_vector(sum) : sum);
  };
  int t0 = 0;
  for (; t0 + 2 * kLanes <= width; t0 += 2 * kLanes) {
    Vector low = Vector{} + bias, high = low;  // two independent sums: twice the FMAs in flight
    for (int n = 0; n < count; ++n) {
      low += taps[n].weight * load(taps[n].source + t0);
      high += taps[n].weight * load(taps[n].source + t0 + kLanes);
    }
    store(out + t0, relu ? relu_vector(low) : low);
    store(out + t0 + kLanes, relu ? relu_vector(high) : high);
  }
  if (t0 + kLanes <= width) {
    one_vector(t0);
    t0 += kLanes;
  }
  if (t0 < width) one_vector(width - kLanes);
}

// The input rows of one channel as its taps read them. Without horizontal padding they are the
// input rows themselves; with it, copies in `staging` with pad_w zeros either side, so padded
// column p holds input column p - pad_w.
struct Rows {
  const float* first;
  std::size_t stride;
};

std::size_t staged_row(const DepthwiseConv& conv, int w) { return std::size_t(w) + 2 * std::size_t(conv.pad_w); }

Rows stage_rows(const DepthwiseConv& conv, const float* x, int h, int w, float* staging) {
  if (conv.pad_w == 0) return {x, std::size_t(w)};
  const std::size_t stride = staged_row(conv, w);
  for (int row = 0; row < h; ++row) {
    float* p = staging + std::size_t(row) * stride;
    std::fill(p, p + conv.pad_w, 0.0f);
    std::copy(x + std::size_t(row) * std::size_t(w), x + std::size_t(row + 1) * std::size_t(w), p + conv.pad_w);
    std::fill(p + conv.pad_w + w, p + stride, 0.0f);
  }
  return {staging, stride};
}

// The taps of output row r of channel c over `rows` (stride 1 across columns; input rows outside
// [0, h) are zero padding and contribute no tap); returns their number.
int row_taps(const DepthwiseConv& conv, const Rows& rows, int h, int c, int r, Tap* taps) {
  const float* k = conv.weight.data() + std::size_t(c) * std::size_t(conv.kernel_h * conv.kernel_w);
  int count = 0;
  for (int i = 0; i < conv.kernel_h; ++i) {
    const int row = r * conv.stride_h - conv.pad_h + i * conv.dilation_h;
    if (row < 0 || row >= h) continue;
    for (int j = 0; j < conv.kernel_w; ++j)
      taps[count++] = {rows.first + std::size_t(row) * rows.stride + std::size_t(j * conv.dilation_w),
                       k[i * conv.kernel_w + j]};
  }
  return count;
}

float bias_of(const DepthwiseConv& conv, int c) { return conv.bias.empty() ? 0.0f : conv.bias[std::size_t(c)]; }

// Output rows of one frequency convolution that frequency_channel handles (its per-row tables
// live on the stack); larger ones take the default path.
constexpr int kMaxFrequencyRows = 256;

// Per output row of a frequency convolution: the first input row it reads, its first and last
// tap that fall inside the input (the others read zero padding), and its sub-band. The same for
// every channel, so built once per call.
struct FrequencyRows {
  int count = 0, kernel_h = 0;
  int first_row[kMaxFrequencyRows], first_tap[kMaxFrequencyRows], end_tap[kMaxFrequencyRows],
      band[kMaxFrequencyRows];

  FrequencyRows(const DepthwiseConv& conv, int h) : count(conv.out_h(h)), kernel_h(conv.kernel_h) {
    const int rows_per_band = count / kSubBands;
    for (int r = 0; r < count; ++r) {
      first_row[r] = r * conv.stride_h - conv.pad_h;
      int first = 0, end = conv.kernel_h;
      while (first < end && first_row[r] + first * conv.dilation_h < 0) ++first;
      while (end > first && first_row[r] + (end - 1) * conv.dilation_h >= h) --end;
      first_tap[r] = first;
      end_tap[r] = end;
      band[r] = r / rows_per_band;
    }
  }
};

// A block's frequency convolution (kernel_h x 1, no column padding) of one channel with its
// SubSpectralNorm and frequency mean, one vector of columns at a time down every output row: the
// sum, the sub-band affine and the column's running mean stay in registers, and the input rows a
// vector reads were mostly loaded for the row above (L1). A column's mean is complete when its
// vector is, so the last vector may end at `w` and overlap the one before, recomputing those
// columns and their means to the same values. Rows are summed in kernel order, normalised, and
// added to the mean in row order, as Kernels::frequency_subspectral does. w >= kLanes.
template <bool Relu>
void frequency_channel(const FrequencyRows& rows, const float* kernel, int dilation, float bias, const float* scale,
                       const float* shift, const float* __restrict x, int w, float* __restrict out,
                       float* __restrict mean) {
  const std::size_t stride = std::size_t(w);
  const std::size_t tap_stride = std::size_t(dilation) * stride;
  const Vector bias_vector = Vector{} + bias;
  const bool three_taps = rows.kernel_h == 3;  // BC-ResNet's: unrolled where all three are inside
  const Vector k0 = Vector{} + kernel[0], k1 = Vector{} + (three_taps ? kernel[1] : 0.0f),
               k2 = Vector{} + (three_taps ? kernel[2] : 0.0f);
  const float inv = 1.0f / float(rows.count);
  auto columns = [&](std::size_t t0) {
    Vector sum_of_rows{};
    for (int r = 0; r < rows.count; ++r) {
      const float* source = x + std::ptrdiff_t(rows.first_row[r]) * std::ptrdiff_t(stride) + std::ptrdiff_t(t0);
      Vector sum = bias_vector;
      if (three_taps && rows.first_tap[r] == 0 && rows.end_tap[r] == 3) {
        sum += k0 * load(source);
        sum += k1 * load(source + tap_stride);
        sum += k2 * load(source + 2 * tap_stride);
      } else {
        for (int i = rows.first_tap[r]; i < rows.end_tap[r]; ++i) sum += kernel[i] * load(source + std::size_t(i) * tap_stride);
      }
      if (Relu) sum = relu_vector(sum);
      sum = sum * scale[rows.band[r]] + shift[rows.band[r]];
      store(out + std::size_t(r) * stride + t0, sum);
      sum_of_rows += sum;
    }
    store(mean + t0, sum_of_rows * inv);
  };
  std::size_t t0 = 0;
  for (; t0 + kLanes <= stride; t0 += kLanes) columns(t0);
  if (t0 < stride) columns(stride - kLanes);
}

constexpr int kChannelBlock = kLanes == 16 ? 16 : 8;  // sums in registers: 16 of 32, or 8 of 16

// The 1 -> C head (shared_input): every channel reads the same (staged) input rows, so each input
// vector is loaded once and multiplied into the sums of kChannelBlock channels. Each output sums
// bias, then the taps in kernel order, as accumulate_row does; leftover channels take that path.
void shared_input_depthwise(const DepthwiseConv& conv, const Rows& rows, int h, int w, float* out) {
  const int oh = conv.out_h(h), ow = conv.out_w(w);
  const int kernel_taps = conv.kernel_h * conv.kernel_w;
  const bool relu = conv.activation == Activation::relu;
  Tap taps[kMaxTaps];
  for (int r = 0; r < oh; ++r) {
    int c0 = 0;
    if (ow >= kLanes) {
      // The input rows of this output row, and the kernel row each is multiplied by.
      const float* row_start[kMaxTaps];
      int kernel_rows[kMaxTaps], valid = 0;
      for (int i = 0; i < conv.kernel_h; ++i) {
        const int row = r * conv.stride_h - conv.pad_h + i * conv.dilation_h;
        if (row < 0 || row >= h) continue;
        row_start[valid] = rows.first + std::size_t(row) * rows.stride;
        kernel_rows[valid++] = i;
      }
      for (; c0 + kChannelBlock <= conv.channels; c0 += kChannelBlock) {
        const float* k = conv.weight.data() + std::size_t(c0) * std::size_t(kernel_taps);
        auto columns = [&](int t0) {
          Vector sum[kChannelBlock];
          for (int q = 0; q < kChannelBlock; ++q) sum[q] = Vector{} + bias_of(conv, c0 + q);
          for (int n = 0; n < valid; ++n)
            for (int j = 0; j < conv.kernel_w; ++j) {
              const Vector v = load(row_start[n] + t0 + j * conv.dilation_w);
              const float* kq = k + kernel_rows[n] * conv.kernel_w + j;
              for (int q = 0; q < kChannelBlock; ++q) sum[q] += kq[q * kernel_taps] * v;
            }
          for (int q = 0; q < kChannelBlock; ++q)
            store(out + (std::size_t(c0 + q) * std::size_t(oh) + std::size_t(r)) * std::size_t(ow) + std::size_t(t0),
                  relu ? relu_vector(sum[q]) : sum[q]);
        };
        int t0 = 0;
        for (; t0 + kLanes <= ow; t0 += kLanes) columns(t0);
        if (t0 < ow) columns(ow - kLanes);  // overlaps columns already written, with the same values
      }
    }
    for (int c = c0; c < conv.channels; ++c) {
      const int count = row_taps(conv, rows, h, c, r, taps);
      accumulate_row(taps, count, bias_of(conv, c), ow, relu,
                     out + (std::size_t(c) * std::size_t(oh) + std::size_t(r)) * std::size_t(ow));
    }
  }
}

// Output channels x pixel vectors of one register tile of the pointwise kernel: the sums stay in
// registers while the input channels stream past (32 registers, AVX-512 and NEON: 8 x 3; 16, AVX
// and SSE: 4 x 3), leaving room for the input vectors and a broadcast weight.
constexpr int kTileRows = kVectorRegisters == 32 ? 8 : 4;
constexpr int kTileVectors = 3;

// out[o][p] = bias[o] + sum over i of weight[o][i] * x[i][p], in input-channel order (as the
// reference adds them), for Rows output channels and Vectors * kLanes pixels from `x` / `out`
// on; ReLU when `relu`. `pixels` is the row stride of x and out.
template <int Rows, int Vectors>
void pointwise_tile(const float* __restrict weight, int in_channels, const float* bias, const float* __restrict x,
                    std::size_t pixels, bool relu, float* __restrict out) {
  Vector sum[Rows][Vectors];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < Vectors; ++v) sum[r][v] = Vector{} + (bias != nullptr ? bias[r] : 0.0f);
  for (int i = 0; i < in_channels; ++i) {
    Vector input[Vectors];
    for (int v = 0; v < Vectors; ++v) input[v] = load(x + std::size_t(i) * pixels + std::size_t(v * kLanes));
    for (int r = 0; r < Rows; ++r) {
      const float w = weight[std::size_t(r) * std::size_t(in_channels) + std::size_t(i)];
      for (int v = 0; v < Vectors; ++v) sum[r][v] += w * input[v];
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < Vectors; ++v)
      store(out + std::size_t(r) * pixels + std::size_t(v * kLanes), relu ? relu_vector(sum[r][v]) : sum[r][v]);
}

// pointwise_tile for a run-time row count in [1, Rows].
template <int Vectors, int Rows = kTileRows>
void pointwise_rows(int rows, const float* weight, int in_channels, const float* bias, const float* x,
                    std::size_t pixels, bool relu, float* out) {
  if (rows == Rows)
    pointwise_tile<Rows, Vectors>(weight, in_channels, bias, x, pixels, relu, out);
  else if constexpr (Rows > 1)
    pointwise_rows<Vectors, Rows - 1>(rows, weight, in_channels, bias, x, pixels, relu, out);
}

// All output channels for the Vectors * kLanes pixels from p0 on, kTileRows at a time (the input
// columns stay in L1 across the tiles); the last tile takes what is left.
template <int Vectors>
void pointwise_columns(const PointwiseConv& conv, const float* in, int pixels, int p0, float* out) {
  const bool relu = conv.activation == Activation::relu;
  const std::size_t stride = std::size_t(pixels);
  for (int o0 = 0; o0 < conv.out_channels; o0 += kTileRows)
    pointwise_rows<Vectors>(std::min(kTileRows, conv.out_channels - o0),
                            conv.weight.data() + std::size_t(o0) * std::size_t(conv.in_channels), conv.in_channels,
                            conv.bias.empty() ? nullptr : conv.bias.data() + o0, in + p0, stride, relu,
                            out + std::size_t(o0) * stride + std::size_t(p0));
}

// A 1x1 convolution as register tiles over all the pixels (at least kLanes): kTileVectors vectors
// at a time, then single vectors, the last one ending at `pixels` (recomputing columns already
// written to the same values).
void pointwise_tiles(const PointwiseConv& conv, const float* in, int pixels, float* out) {
  int p0 = 0;
  for (; p0 + kTileVectors * kLanes <= pixels; p0 += kTileVectors * kLanes)
    pointwise_columns<kTileVectors>(conv, in, pixels, p0, out);
  for (; p0 + kLanes <= pixels; p0 += kLanes) pointwise_columns<1>(conv, in, pixels, p0, out);
  if (p0 < pixels) pointwise_columns<1>(conv, in, pixels, pixels - kLanes, out);
  if (conv.activation == Activation::silu)
    apply_activation(conv.activation, out, std::size_t(conv.out_channels) * std::size_t(pixels));
}

class EigenKernels final : public Kernels {
 public:
  // Staging for the zero-padded input rows of one channel (all channels share the head's): the
  // largest input plane (the network's input rows) at max_frames, padded by the widest pad_w.
  void reserve(const Network& net, int max_frames) override {
    int pad = net.head.pad_w;
    for (const Block& block : net.blocks) pad = std::max({pad, block.frequency.pad_w, block.temporal.pad_w});
    pad = std::max(pad, net.classifier_dw.pad_w);
    staging_.assign(std::size_t(net.input_rows) * (std::size_t(max_frames) + 2 * std::size_t(pad)), 0.0f);
  }

  std::size_t workspace_bytes() const override { return staging_.size() * sizeof(float); }

  void depthwise(const DepthwiseConv& conv, const float* in, int h, int w, float* out) override {
    if (!vectorised(conv, h, w)) {  // a column stride, or staging smaller than the input
      reference_depthwise(conv, in, h, w, out);
      return;
    }
    const int oh = conv.out_h(h), ow = conv.out_w(w);
    if (conv.shared_input) {
      shared_input_depthwise(conv, stage_rows(conv, in, h, w, staging_.data()), h, w, out);
    } else {
      const bool relu = conv.activation == Activation::relu;
      Tap taps[kMaxTaps];
      for (int c = 0; c < conv.channels; ++c) {
        const Rows rows = stage_rows(conv, in + std::size_t(c) * std::size_t(h) * std::size_t(w), h, w, staging_.data());
        for (int r = 0; r < oh; ++r) {
          const int count = row_taps(conv, rows, h, c, r, taps);
          accumulate_row(taps, count, bias_of(conv, c), ow, relu,
                         out + (std::size_t(c) * std::size_t(oh) + std::size_t(r)) * std::size_t(ow));
        }
      }
    }
    // The output is one contiguous [C][oh][ow] block: SiLU in one pass over it.
    if (conv.activation == Activation::silu)
      apply_activation(conv.activation, out, std::size_t(conv.channels) * std::size_t(oh) * std::size_t(ow));
  }

  // The frequency convolution (a column vector of taps) goes through frequency_channel: the
  // plane is written once, normalised, and the mean needs no second pass.
  void frequency_subspectral(const DepthwiseConv& conv, const SubbandAffine& norm, const float* in, int h, int w,
                             float* out, float* mean) override {
    if (conv.kernel_w != 1 || conv.stride_w != 1 || conv.pad_w != 0 || conv.shared_input || w < kLanes ||
        conv.activation == Activation::silu || conv.out_h(h) > kMaxFrequencyRows) {
      Kernels::frequency_subspectral(conv, norm, in, h, w, out, mean);
      return;
    }
    const FrequencyRows rows(conv, h);
    const std::size_t out_plane = std::size_t(rows.count) * std::size_t(w);
    const bool relu = conv.activation == Activation::relu;
    const auto channel = relu ? frequency_channel<true> : frequency_channel<false>;
    for (int c = 0; c < conv.channels; ++c)
      channel(rows, conv.weight.data() + std::size_t(c) * std::size_t(conv.kernel_h), conv.dilation_h,
              bias_of(conv, c), norm.scale.data() + std::size_t(c) * kSubBands,
              norm.shift.data() + std::size_t(c) * kSubBands, in + std::size_t(c) * std::size_t(h) * std::size_t(w),
              w, out + std::size_t(c) * out_plane, mean + std::size_t(c) * std::size_t(w));
  }

  // Register tiles (pointwise_tiles) for rows of at least a vector; a narrower input (the
  // classifier's time-pooled vector: one pixel) is a matrix-vector product, which Eigen does.
  void pointwise(const PointwiseConv& conv, const float* in, int pixels, float* out) override {
    if (pixels >= kLanes) {
      pointwise_tiles(conv, in, pixels, out);
      return;
    }
    const Eigen::Map<const RowMatrix> weight(conv.weight.data(), conv.out_channels, conv.in_channels);
    for (int p = 0; p < pixels; ++p) {
      const Eigen::Map<const Eigen::VectorXf, 0, Eigen::InnerStride<>> x(in + p, conv.in_channels,
                                                                           Eigen::InnerStride<>(pixels));
      Eigen::Map<Eigen::VectorXf, 0, Eigen::InnerStride<>> y(out + p, conv.out_channels, Eigen::InnerStride<>(pixels));
      if (conv.bias.empty())
        y.noalias() = weight * x;
      else {
        y = Eigen::Map<const Eigen::VectorXf>(conv.bias.data(), conv.out_channels);
        y.noalias() += weight * x;
      }
    }
    if (conv.activation != Activation::none)
      for (int o = 0; o < conv.out_channels; ++o)
        apply_activation(conv.activation, out + std::size_t(o) * std::size_t(pixels), std::size_t(pixels));
  }

 private:
  // Whether the vector paths take this convolution: stride 1 across columns, and the input fits
  // the staging when it needs padding.
  bool vectorised(const DepthwiseConv& conv, int h, int w) const {
    if (conv.stride_w != 1 || conv.kernel_h * conv.kernel_w > kMaxTaps) return false;
    return conv.pad_w == 0 || staging_.size() >= std::size_t(h) * staged_row(conv, w);
  }

  std::vector<float> staging_;  // zero-padded input rows (stage_rows)
};

}  // namespace

std::unique_ptr<Kernels> make_eigen_kernels() { return std::make_unique<EigenKernels>(); }

}  // namespace kws::detail
