#include "engine/elementwise.hpp"

#include <algorithm>
#include <cstddef>

#include "engine/vector.hpp"
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
      const float scale = affine.scale[g], shift = affine.shift[g];
      float* row = channel + std::size_t(r) * width;
      for (std::size_t t = 0; t < width; ++t) {
        row[t] = row[t] * scale + shift;
        channel_mean[t] += row[t];
      }
    }
    const float inv = 1.0f / float(shape.height);
    for (std::size_t t = 0; t < width; ++t) channel_mean[t] *= inv;
  }
}

namespace {

// One row of the residual, a vector of columns at a time. The last vector ends at `width` and
// overlaps the one before; with the identity shortcut `out` is also an input, so that vector is
// computed first, from the old values, and stored last (its overlapped columns get the values the
// loop wrote). Each column adds y, the branch and the shortcut in that order, as a scalar loop.
template <bool identity>
void residual_row(const float* __restrict y, const float* __restrict temporal, int width, float* __restrict out) {
  auto columns = [&](int t0) {
    Vector v = load(y + t0) + load(temporal + t0);
    if (identity) v += load(out + t0);
    return relu_vector(v);
  };
  if (width < kLanes) {
    for (int t = 0; t < width; ++t) {
      float v = y[t] + temporal[t];
      if (identity) v += out[t];
      out[t] = v > 0.0f ? v : 0.0f;
    }
    return;
  }
  const int full = width - width % kLanes;
  const Vector last = columns(width - kLanes);
  for (int t0 = 0; t0 < full; t0 += kLanes) store(out + t0, columns(t0));
  store(out + width - kLanes, last);
}

template <bool identity>
void residual_rows(const Shape& shape, const float* y, const float* temporal, float* out) {
  const std::size_t width = std::size_t(shape.width);
  const std::size_t plane = std::size_t(shape.height) * width;
  for (int c = 0; c < shape.channels; ++c)
    for (int r = 0; r < shape.height; ++r) {
      const std::size_t row = std::size_t(c) * plane + std::size_t(r) * width;
      residual_row<identity>(y + row, temporal + std::size_t(c) * width, shape.width, out + row);
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
