// The reference backend: straightforward loops, float accumulation. Every other backend is
// tested against it.
#include "engine/kernels.hpp"

namespace kws::detail {

void reference_depthwise(const DepthwiseConv& conv, const float* in, int h, int w, float* out) {
  const int oh = conv.out_h(h), ow = conv.out_w(w);
  const int taps = conv.kernel_h * conv.kernel_w;
  for (int c = 0; c < conv.channels; ++c) {
    const float* x = in + (conv.shared_input ? 0 : std::size_t(c) * std::size_t(h) * std::size_t(w));
    const float* k = conv.weight.data() + std::size_t(c) * std::size_t(taps);
    const float b = conv.bias.empty() ? 0.0f : conv.bias[std::size_t(c)];
    float* y = out + std::size_t(c) * std::size_t(oh) * std::size_t(ow);
    for (int r = 0; r < oh; ++r) {
      for (int t = 0; t < ow; ++t) {
        float acc = b;
        for (int i = 0; i < conv.kernel_h; ++i) {
          const int row = r * conv.stride_h - conv.pad_h + i * conv.dilation_h;
          if (row < 0 || row >= h) continue;
          for (int j = 0; j < conv.kernel_w; ++j) {
            const int col = t * conv.stride_w - conv.pad_w + j * conv.dilation_w;
            if (col < 0 || col >= w) continue;
            acc += k[i * conv.kernel_w + j] * x[row * w + col];
          }
        }
        y[r * ow + t] = activate(conv.activation, acc);
      }
    }
  }
}

namespace {

class ReferenceKernels final : public Kernels {
 public:
  void depthwise(const DepthwiseConv& conv, const float* in, int h, int w, float* out) override {
    reference_depthwise(conv, in, h, w, out);
  }

  void pointwise(const PointwiseConv& conv, const float* in, int pixels, float* out) override {
    const std::size_t n = std::size_t(pixels);
    for (int o = 0; o < conv.out_channels; ++o) {
      float* y = out + std::size_t(o) * n;
      const float b = conv.bias.empty() ? 0.0f : conv.bias[std::size_t(o)];
      for (std::size_t p = 0; p < n; ++p) y[p] = b;
      const float* wrow = conv.weight.data() + std::size_t(o) * std::size_t(conv.in_channels);
      for (int i = 0; i < conv.in_channels; ++i) {
        const float wi = wrow[i];
        const float* x = in + std::size_t(i) * n;
        for (std::size_t p = 0; p < n; ++p) y[p] += wi * x[p];
      }
      if (conv.activation != Activation::none)
        for (std::size_t p = 0; p < n; ++p) y[p] = activate(conv.activation, y[p]);
    }
  }
};

}  // namespace

std::unique_ptr<Kernels> make_reference_kernels() { return std::make_unique<ReferenceKernels>(); }

}  // namespace kws::detail
