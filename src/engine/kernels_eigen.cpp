// The Eigen backend: pointwise convolutions as matrix products, depthwise convolutions as
// vectorised row updates (each kernel tap adds a scaled, shifted input row to the output row).
//
// Eigen's matrix product takes its blocking workspace from the heap once it exceeds
// EIGEN_STACK_ALLOCATION_LIMIT, so products are cut into column panels small enough to stay on
// the stack: run() must not allocate.
#include <algorithm>

#include <Eigen/Core>

#include "engine/network.hpp"

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

class EigenKernels final : public Kernels {
 public:
  void depthwise(const DepthwiseConv& conv, const float* in, int h, int w, float* out) const override {
    const int oh = conv.out_h(h), ow = conv.out_w(w);
    const int taps = conv.kernel_h * conv.kernel_w;
    for (int c = 0; c < conv.channels; ++c) {
      const float* x = in + (conv.shared_input ? 0 : std::size_t(c) * std::size_t(h) * std::size_t(w));
      const float* k = conv.weight.data() + std::size_t(c) * std::size_t(taps);
      const float b = conv.bias.empty() ? 0.0f : conv.bias[std::size_t(c)];
      float* y = out + std::size_t(c) * std::size_t(oh) * std::size_t(ow);
      for (int r = 0; r < oh; ++r) {
        Row out_row(y + std::size_t(r) * std::size_t(ow), ow);
        out_row.setConstant(b);
        for (int i = 0; i < conv.kernel_h; ++i) {
          const int row = r * conv.stride_h - conv.pad_h + i * conv.dilation_h;
          if (row < 0 || row >= h) continue;
          const float* in_row = x + std::size_t(row) * std::size_t(w);
          for (int j = 0; j < conv.kernel_w; ++j) {
            const float weight = k[i * conv.kernel_w + j];
            const int shift = j * conv.dilation_w - conv.pad_w;  // input col = t * stride + shift
            if (conv.stride_w == 1) {
              // Output columns t with 0 <= t + shift < w.
              const int first = std::max(0, -shift), last = std::min(ow, w - shift);
              if (last > first)
                out_row.segment(first, last - first) += weight * ConstRow(in_row + first + shift, last - first);
            } else {
              for (int t = 0; t < ow; ++t) {
                const int col = t * conv.stride_w + shift;
                if (col >= 0 && col < w) out_row[t] += weight * in_row[col];
              }
            }
          }
        }
        apply_activation(conv.activation, out_row.data(), std::size_t(ow));
      }
    }
  }

  void pointwise(const PointwiseConv& conv, const float* in, int pixels, float* out) const override {
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
