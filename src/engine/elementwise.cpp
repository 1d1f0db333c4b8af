#include "engine/elementwise.hpp"

#include <algorithm>
#include <cstddef>

#include "model/architecture.hpp"

namespace kws::detail {

void subspectral_mean(const SubbandAffine& affine, const Shape& shape, float* y, float* mean) {
  const std::size_t width = std::size_t(shape.width);
  const std::size_t plane = std::size_t(shape.height) * width;
  const int band = shape.height / kSubBands;
  for (int c = 0; c < shape.channels; ++c) {
    float* channel = y + std::size_t(c) * plane;
    float* channel_mean = mean + std::size_t(c) * width;
    std::fill(channel_mean, channel_mean + width, 0.0f);
    for (int r = 0; r < shape.height; ++r) {
      const std::size_t g = std::size_t(c) * kSubBands + std::size_t(r / band);
      subspectral_row(affine.scale[g], affine.shift[g], shape.width, channel + std::size_t(r) * width, channel_mean);
    }
    const float inv = 1.0f / float(shape.height);
    for (std::size_t t = 0; t < width; ++t) channel_mean[t] *= inv;
  }
}

namespace {

template <bool identity>
void residual_rows(const Shape& shape, const float* __restrict y, const float* __restrict temporal,
                   float* __restrict out) {
  const std::size_t width = std::size_t(shape.width);
  const std::size_t plane = std::size_t(shape.height) * width;
  for (int c = 0; c < shape.channels; ++c) {
    const float* channel = y + std::size_t(c) * plane;
    const float* channel_temporal = temporal + std::size_t(c) * width;
    float* channel_out = out + std::size_t(c) * plane;
    for (int r = 0; r < shape.height; ++r) {
      const float* row = channel + std::size_t(r) * width;
      float* out_row = channel_out + std::size_t(r) * width;
      for (std::size_t t = 0; t < width; ++t) {
        float v = row[t] + channel_temporal[t];
        if (identity) v += out_row[t];
        out_row[t] = v > 0.0f ? v : 0.0f;
      }
    }
  }
}

}  // namespace

void broadcast_residual(const Shape& shape, const float* y, const float* temporal, bool identity, float* out) {
  if (identity)
    residual_rows<true>(shape, y, temporal, out);
  else
    residual_rows<false>(shape, y, temporal, out);
}

void time_pool(const Shape& shape, const float* in, float* out) {
  const std::size_t pixels = std::size_t(shape.height) * std::size_t(shape.width);
  for (int c = 0; c < shape.channels; ++c) {
    const float* channel = in + std::size_t(c) * pixels;
    float sum = 0.0f;
    for (std::size_t p = 0; p < pixels; ++p) sum += channel[p];
    out[c] = sum / float(pixels);
  }
}

}  // namespace kws::detail
