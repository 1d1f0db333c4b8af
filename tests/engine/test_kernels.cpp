// Every optimised kernel (the eigen and onednn backends' Kernels) against the reference kernel,
// one convolution at a time: each variant the network uses (the 1 -> C head with its frequency
// stride, the 3x1 frequency convolution with stride 1 and 2, alone and fused with SubSpectralNorm
// and the frequency mean, the dilated 1x3 temporal one, the 5x5 classifier, the 1x1 across
// Eigen's register tiles) at odd channel counts, heights and widths, by max |error| relative to
// the output scale. tflite-micro keeps a test beside every kernel and ggml's test-backend-ops
// compares each op by its error; the whole-network comparison in tests/model/test_engine.cpp
// cannot say which kernel is off, nor see a path the golden shapes never take. The Kernels
// interface computes one item, so there is no batch to vary here.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "engine/backends.hpp"
#include "model/architecture.hpp"
#include "test_support.hpp"

namespace {

using kws::detail::Activation;
using kws::detail::DepthwiseConv;
using kws::detail::Kernels;
using kws::detail::PointwiseConv;

constexpr kws::Backend kOptimised[] = {kws::Backend::eigen, kws::Backend::onednn};

// Float sums of up to a few hundred products, added in another order: a few ulps of the largest
// partial sum. 1e-5 of the output scale leaves room for that and for exp() in SiLU, and is far
// below any indexing, padding or activation mistake.
constexpr float kTolerance = 1e-5f;

kws::detail::Floats random_floats(std::size_t count, unsigned seed, float amplitude) {
  const std::vector<float> values = kws::test::random_signal(count, seed, amplitude);
  return {values.begin(), values.end()};
}

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::relu: return "relu";
    case Activation::silu: return "silu";
    case Activation::none: break;
  }
  return "none";
}

std::string describe(const DepthwiseConv& conv, int h, int w) {
  std::ostringstream out;
  out << (conv.shared_input ? "1 -> " : "") << conv.channels << " channels, " << conv.kernel_h << "x" << conv.kernel_w
      << " stride (" << conv.stride_h << ", " << conv.stride_w << ") pad (" << conv.pad_h << ", " << conv.pad_w
      << ") dilation (" << conv.dilation_h << ", " << conv.dilation_w << "), "
      << (conv.bias.empty() ? "no bias" : "bias") << ", " << activation_name(conv.activation) << ", input " << h << "x"
      << w;
  return out.str();
}

// The layer through the reference kernels and through fresh kernels of every optimised backend
// that is built, twice each: a backend that records per-shape state (oneDNN primitives) builds
// it on the first call and replays it on the second. Outputs start as NaN, so an element a
// kernel does not write fails the comparison. `run(kernels, out)` makes the call.
template <class Run>
void compare_with_reference(const std::string& what, std::size_t out_size, int frames,
                            const kws::detail::Network& reserve_for, Run run) {
  const float unwritten = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> expected(out_size, unwritten);
  const std::unique_ptr<Kernels> reference = kws::detail::make_kernels(kws::Backend::reference);
  reference->begin_item(frames, kws::detail::Output::pooled);
  run(*reference, expected.data());
  float scale = 1.0f;
  for (float v : expected) scale = std::max(scale, std::fabs(v));

  for (kws::Backend backend : kOptimised) {
    if (!kws::backend_available(backend)) continue;
    const std::unique_ptr<Kernels> kernels = kws::detail::make_kernels(backend);
    kernels->reserve(reserve_for, frames);
    for (int round = 0; round < 2; ++round) {
      std::vector<float> got(out_size, unwritten);
      kernels->begin_item(frames, kws::detail::Output::pooled);
      run(*kernels, got.data());
      const float diff = kws::test::max_abs_difference(expected.data(), got.data(), out_size);
      INFO(std::string(kws::backend_name(backend)) << ", " << what << ", round " << round << ": max |diff| "
                                                   << diff << ", output scale " << scale);
      CHECK(diff <= kTolerance * scale);
    }
  }
}

// A convolution of `geometry` (kernel, stride, padding, dilation, shared input) with random
// weights (seeds `seed`, `seed + 1`) on a random h x w input (`seed + 2`).
void check_depthwise(const DepthwiseConv& geometry, int channels, bool bias, Activation activation, int h, int w,
                     unsigned seed) {
  DepthwiseConv conv = geometry;
  conv.channels = channels;
  conv.weight = random_floats(std::size_t(channels * conv.kernel_h * conv.kernel_w), seed, 1.0f);
  if (bias) conv.bias = random_floats(std::size_t(channels), seed + 1, 0.5f);
  conv.activation = activation;
  const int in_channels = conv.shared_input ? 1 : conv.channels;
  const std::vector<float> in = kws::test::random_signal(std::size_t(in_channels * h * w), seed + 2, 2.0f);
  const std::size_t out_size = std::size_t(conv.channels) * std::size_t(conv.out_h(h)) * std::size_t(conv.out_w(w));
  // A backend sizes its staging for the network's head at construction (Eigen's zero-padded
  // copy of the head input): the layer under test stands in for that head.
  kws::detail::Network net;
  net.input_rows = h;
  net.head = conv;
  compare_with_reference(describe(conv, h, w), out_size, w, net, [&](Kernels& kernels, float* out) {
    kernels.depthwise(conv, in.data(), h, w, out);
  });
}

// The same for a 1x1 convolution over `pixels` positions (seeds `seed` to `seed + 2`).
void check_pointwise(int in_channels, int out_channels, int pixels, bool bias, Activation activation,
                     unsigned seed) {
  PointwiseConv conv;
  conv.in_channels = in_channels;
  conv.out_channels = out_channels;
  conv.weight = random_floats(std::size_t(in_channels * out_channels), seed, 1.0f);
  if (bias) conv.bias = random_floats(std::size_t(out_channels), seed + 1, 0.5f);
  conv.activation = activation;
  const std::vector<float> in = kws::test::random_signal(std::size_t(in_channels * pixels), seed + 2, 2.0f);
  std::ostringstream what;
  what << in_channels << " -> " << out_channels << " channels, " << pixels << " pixels, "
       << (bias ? "bias" : "no bias") << ", " << activation_name(activation);
  compare_with_reference(what.str(), std::size_t(out_channels * pixels), pixels, kws::detail::Network{},
                         [&](Kernels& kernels, float* out) { kernels.pointwise(conv, in.data(), pixels, out); });
}

// Says which optimised backends this build lacks (compare_with_reference passes over them);
// false when it has none, so there is nothing to compare.
bool any_optimised_backend() {
  bool any = false;
  for (kws::Backend backend : kOptimised) {
    if (kws::backend_available(backend))
      any = true;
    else
      MESSAGE("libkws built without " << std::string(kws::backend_name(backend)) << "; its kernels are not compared");
  }
  return any;
}

constexpr Activation kActivations[] = {Activation::none, Activation::relu, Activation::silu};

}  // namespace

// Eigen blocks the head over 8 or 16 channels and vectors of 4, 8 or 16 columns (SSE, AVX, AVX-512), so
// channel and column counts either side of those, and fewer channels than a block (its per-channel
// path).
TEST_CASE("head kernel (1 -> C, 5x5, stride (2, 1)) matches reference") {
  if (!any_optimised_backend()) return;
  DepthwiseConv head;
  head.shared_input = true;
  head.kernel_h = head.kernel_w = 5;
  head.stride_h = 2;
  head.pad_h = head.pad_w = 2;
  unsigned seed = 100;
  for (int channels : {3, 8, 13, 16, 21, 33})
    for (int h : {40, 9, 4})
      for (int w : {1, 5, 8, 9, 15, 16, 17, 37, 101})
        check_depthwise(head, channels, true, Activation::relu, h, w, seed += 3);
  // The non-ReLU activations run after the blocked path.
  for (Activation activation : kActivations)
    for (bool bias : {false, true}) check_depthwise(head, 13, bias, activation, 40, 23, seed += 3);
}

DepthwiseConv frequency_geometry(int stride) {
  DepthwiseConv frequency;
  frequency.kernel_h = 3;
  frequency.stride_h = stride;
  frequency.pad_h = 1;
  return frequency;
}

// One-column kernels (3 taps inside, 2 at the top and bottom rows), at stride 1 and at the
// frequency stride 2 of stages 1 and 2.
TEST_CASE("frequency kernel (3x1, stride 1 and 2) matches reference") {
  if (!any_optimised_backend()) return;
  unsigned seed = 200;
  for (int stride : {1, 2}) {
    const DepthwiseConv frequency = frequency_geometry(stride);
    for (int channels : {1, 7, 13})
      for (int h : {20, 11, 5, 3})
        for (int w : {1, 3, 17, 101})
          check_depthwise(frequency, channels, false, Activation::none, h, w, seed += 3);
    for (Activation activation : kActivations)
      check_depthwise(frequency, 7, true, activation, 10, 33, seed += 3);
  }
}

// Kernels::frequency_subspectral: the frequency convolution, SubSpectralNorm on its output and the
// frequency mean. The reference runs the shared default (depthwise, then subspectral_mean); Eigen
// fuses them a vector of columns at a time, its last vector overlapping the one before, so widths
// either side of one and two vectors (8 and 16 floats), and narrower than one (the default path).
TEST_CASE("frequency + SubSpectralNorm + mean matches reference") {
  if (!any_optimised_backend()) return;
  unsigned seed = 250;
  for (int stride : {1, 2})
    for (int channels : {1, 7, 13})
      for (int h : {20, 10, 5})
        for (int w : {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 101})
          for (Activation activation : {Activation::none, Activation::relu}) {
            DepthwiseConv conv = frequency_geometry(stride);
            conv.channels = channels;
            conv.weight = random_floats(std::size_t(channels * 3), seed, 1.0f);
            conv.bias = random_floats(std::size_t(channels), seed + 1, 0.5f);
            conv.activation = activation;
            kws::detail::SubbandAffine norm;
            norm.channels = channels;
            norm.scale = random_floats(std::size_t(channels * kws::detail::kSubBands), seed + 2, 2.0f);
            norm.shift = random_floats(std::size_t(channels * kws::detail::kSubBands), seed + 3, 1.0f);
            const std::vector<float> in = kws::test::random_signal(std::size_t(channels * h * w), seed + 4, 2.0f);
            seed += 5;
            const int oh = conv.out_h(h);
            if (oh % kws::detail::kSubBands != 0) continue;  // heights the architecture gives
            // Output plane, then the [C][W] mean, in one buffer for the comparison.
            const std::size_t plane = std::size_t(channels) * std::size_t(oh) * std::size_t(w);
            kws::detail::Network net;
            net.input_rows = h;
            compare_with_reference(describe(conv, h, w) + ", SubSpectralNorm + mean",
                                   plane + std::size_t(channels) * std::size_t(w), w, net,
                                   [&](Kernels& kernels, float* out) {
                                     kernels.frequency_subspectral(conv, norm, in.data(), h, w, out, out + plane);
                                   });
          }
}

// The temporal convolution runs on the frequency mean (height 1), dilated 1, 2, 4 and 8 by stage
// with "same" padding; widths below the dilation leave only the centre tap in range.
TEST_CASE("temporal kernel (1x3, dilated 1 to 8) matches reference") {
  if (!any_optimised_backend()) return;
  unsigned seed = 300;
  for (int dilation : {1, 2, 4, 8}) {
    DepthwiseConv temporal;
    temporal.kernel_w = 3;
    temporal.pad_w = temporal.dilation_w = dilation;
    for (int channels : {1, 7, 13})
      for (int w : {1, 2, 5, 9, 16, 17, 31, 101})
        check_depthwise(temporal, channels, true, Activation::silu, 1, w, seed += 3);
    for (Activation activation : kActivations)
      check_depthwise(temporal, 7, false, activation, 1, 45, seed += 3);
  }
}

// 5 frequency rows -> 1 (no padding over frequency), and taller inputs giving several rows.
TEST_CASE("classifier kernel (5x5, pad (0, 2)) matches reference") {
  if (!any_optimised_backend()) return;
  DepthwiseConv classifier;
  classifier.kernel_h = classifier.kernel_w = 5;
  classifier.pad_w = 2;
  unsigned seed = 400;
  for (int channels : {7, 13})
    for (int h : {5, 7})
      for (int w : {1, 3, 9, 101})
        check_depthwise(classifier, channels, false, Activation::none, h, w, seed += 3);
}

// Eigen's register tiles are 4 or 8 output channels by 3 vectors of 4, 8 or 16 pixels, then single
// vectors, the last overlapping the one before; fewer pixels than a vector are a matrix-vector
// product. Channel and pixel counts either side of those, and oneDNN's usual shapes.
TEST_CASE("pointwise kernel (1x1) matches reference") {
  if (!any_optimised_backend()) return;
  unsigned seed = 500;
  for (const auto& [in_channels, out_channels] : {std::pair{1, 5}, {7, 13}, {13, 7}, {33, 17}, {16, 8}, {5, 9}})
    for (int pixels : {1, 7, 15, 16, 17, 24, 47, 48, 49, 63, 64, 65, 101, 129, 505})
      for (bool bias : {false, true})
        for (Activation activation : kActivations)
          check_pointwise(in_channels, out_channels, pixels, bias, activation, seed += 3);
}
