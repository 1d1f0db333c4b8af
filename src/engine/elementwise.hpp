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

// out = ReLU(y + temporal broadcast over the rows [+ out]): BC-ResNet's residual, with the
// identity shortcut in `out` when `identity`.
void broadcast_residual(const Shape& shape, const float* y, const float* temporal, bool identity, float* out);

// out[c] = mean of in[c] over its pixels.
void time_pool(const Shape& shape, const float* in, float* out);

}  // namespace kws::detail
