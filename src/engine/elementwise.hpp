// The element-wise steps of the plan (engine/plan.hpp) that every backend shares: SubSpectralNorm
// with the frequency mean, BC-ResNet's broadcast residual and the time pooling. Loops the compiler
// vectorises, over activations in the arena's [C][H][W] layout.
#pragma once

#include "engine/network.hpp"
#include "engine/plan.hpp"

namespace kws::detail {

// SubSpectralNorm of y [C][H][W] in place, then the frequency mean [C][W] for the temporal
// branch, in one pass over the rows.
void subspectral_mean(const SubbandAffine& affine, const Shape& shape, float* y, float* mean);

// One row of subspectral_mean: row = row * scale + shift over `width` columns, added to `mean`.
// A backend that produces rows one at a time (kernels_eigen.cpp) applies it while the row is in
// cache; subspectral_mean is this over every row, so both give the same values.
inline void subspectral_row(float scale, float shift, int width, float* __restrict row, float* __restrict mean) {
  for (int t = 0; t < width; ++t) {
    row[t] = row[t] * scale + shift;
    mean[t] += row[t];
  }
}

// out = ReLU(y + temporal broadcast over the rows [+ out]): BC-ResNet's residual, with the
// identity shortcut in `out` when `identity`.
void broadcast_residual(const Shape& shape, const float* y, const float* temporal, bool identity, float* out);

// out[c] = mean of in[c] over its pixels.
void time_pool(const Shape& shape, const float* in, float* out);

}  // namespace kws::detail
